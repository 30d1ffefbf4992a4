"""Text catalogues per language, checked at load: same keys, same placeholders."""

from __future__ import annotations

import re
import string
import tomllib
from functools import cache
from pathlib import Path

from bot.messages import esc

__all__ = ["LANGUAGES", "Catalogue", "Safe", "catalogue"]

LANGUAGES = ("vi", "en")
_HERE = Path(__file__).parent


class Safe(str):
    """Markup already escaped (or produced by the catalogue); inserted as is."""

    __slots__ = ()


def _flatten(table: dict[str, object], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}."))
        elif isinstance(value, str):
            out[name] = value
        else:
            raise ValueError(f"catalogue entry {name} is not text")
    return out


_STRAY_TAG = re.compile(r"<(?!/?(?:b|i|u|s|code)>)")


def _fields(text: str) -> frozenset[str]:
    return frozenset(f for _, f, _, _ in string.Formatter().parse(text) if f)


class Catalogue:
    """The words of one language: `t(key, **values)` with every value escaped."""

    def __init__(self, language: str, entries: dict[str, str]) -> None:
        self.language = language
        self._entries = entries

    def t(self, key: str, **values: object) -> Safe:
        """The text for `key`, with user-supplied values escaped."""
        template = self._entries[key]
        safe = {k: v if isinstance(v, Safe) else esc(v) for k, v in values.items()}
        return Safe(template.format(**safe))

    def has(self, key: str) -> bool:
        """Whether the catalogue holds `key`."""
        return key in self._entries

    def keys(self) -> frozenset[str]:
        """Every key."""
        return frozenset(self._entries)


def _load(language: str, folder: Path) -> dict[str, str]:
    """`<lang>.toml` and every `<lang>.<part>.toml` beside it; a key may be defined once."""
    files = [folder / f"{language}.toml", *sorted(folder.glob(f"{language}.*.toml"))]
    entries: dict[str, str] = {}
    for path in files:
        with path.open("rb") as fh:
            part = _flatten(tomllib.load(fh))
        again = set(part) & set(entries)
        if again:
            raise ValueError(f"catalogue {path.name}: {sorted(again)[0]} is defined twice")
        entries.update(part)
    return entries


def load_catalogues(folder: Path = _HERE) -> dict[str, Catalogue]:
    """Load every language and check that they agree key for key and placeholder for placeholder."""
    raw = {lang: _load(lang, folder) for lang in LANGUAGES}
    reference = raw[LANGUAGES[0]]
    for lang, entries in raw.items():
        missing = set(reference) ^ set(entries)
        if missing:
            raise ValueError(f"catalogue {lang}.toml differs in keys: {sorted(missing)[:5]}")
        for key, text in entries.items():
            if _STRAY_TAG.search(text):
                raise ValueError(f"catalogue {lang}.toml: {key} has a '<' that is not a tag")
            if _fields(text) != _fields(reference[key]):
                raise ValueError(f"catalogue {lang}.toml: placeholders of {key} differ")
    return {lang: Catalogue(lang, entries) for lang, entries in raw.items()}


@cache
def _all() -> dict[str, Catalogue]:
    return load_catalogues()


def catalogue(language: str) -> Catalogue:
    """The catalogue for a language, falling back to Vietnamese."""
    books = _all()
    return books.get(language, books[LANGUAGES[0]])
