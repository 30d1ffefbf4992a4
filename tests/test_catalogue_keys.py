"""Every catalogue key the code names literally exists, in every language (a typo is a crash)."""

from __future__ import annotations

import re
from pathlib import Path

from bot.content import LANGUAGES, catalogue

ROOT = Path(__file__).resolve().parent.parent / "bot"
# t("key", …) and the catalogue keys handed around as plain strings ("review.not_yours").
CALL = re.compile(r"""\bt\(\s*"([a-z_][a-z0-9_]*(?:\.[a-z0-9_]+)+)"[,)]""")


def _named_keys() -> set[tuple[str, str]]:
    found = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in CALL.finditer(text):
            found.add((str(path.relative_to(ROOT.parent)), match.group(1)))
    return found


def test_the_scan_finds_the_keys_it_should() -> None:
    keys = {key for _, key in _named_keys()}
    assert len(keys) > 200
    assert "report.ask_title" in keys and "dialog.stale_button" in keys


def test_every_key_the_code_names_is_in_every_catalogue() -> None:
    missing = sorted(f"{where}: {key} ({lang})" for where, key in _named_keys()
                     for lang in LANGUAGES if not catalogue(lang).has(key))
    assert missing == []
