"""The province's communes, wards and special zones, from the vietnam-provinces package."""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import cache

from vietnam_provinces import Province, ProvinceCode, Ward

__all__ = ["Localities", "Locality", "fold", "localities"]

_PREFIXES = ("dac khu ", "phuong ", "xa ", "p. ", "x. ", "p ", "x ")


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'Đặc khu Phú Quốc' -> 'dac khu phu quoc'."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in bare.casefold())
    return " ".join(cleaned.split())


def _strip_prefix(folded: str) -> str:
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


@dataclass(frozen=True, slots=True)
class Locality:
    """One commune-level unit: its code, full name ('Phường Long Xuyên') and kind."""

    code: int
    name: str
    division: str
    key: str
    folded: str


# A generous box around each province known here (south, north, west, east), islands
# included: An Giang since 1 July 2025 reaches from Thổ Chu (9.3°N) and Phú Quốc (103.8°E) to
# An Phú (10.95°N) and Chợ Mới (105.6°E).
BOUNDS: dict[int, tuple[float, float, float, float]] = {91: (9.0, 11.1, 103.3, 106.0)}


class Localities:
    """Search over one province's units by name, with or without accents."""

    def __init__(self, province_code: int) -> None:
        province = Province.from_code(ProvinceCode(province_code))
        self.code = province_code
        self.province_name = province.name
        units = sorted(
            Ward.iter_by_province(ProvinceCode(province_code)), key=lambda w: fold(w.name)
        )
        self.units = [
            Locality(int(w.code), w.name, w.division_type.value, _strip_prefix(fold(w.name)),
                     fold(w.name))
            for w in units
        ]
        self._by_code = {u.code: u for u in self.units}

    def get(self, code: int) -> Locality | None:
        """The unit with this code, if it is in the province."""
        return self._by_code.get(code)

    def covers(self, latitude: float, longitude: float) -> bool:
        """Whether a map pin can be in the province (True where no bounds are known)."""
        box = BOUNDS.get(self.code)
        if box is None:
            return True
        south, north, west, east = box
        return south <= latitude <= north and west <= longitude <= east

    def search(self, query: str, limit: int = 8) -> tuple[list[Locality], bool]:
        """Units matching `query`, best first, and whether the first is a sure single match."""
        folded = fold(query)
        bare = _strip_prefix(folded)
        if not bare:
            return [], False
        full = [u for u in self.units if u.folded == folded]
        if len(full) == 1:
            return full, True
        exact = [u for u in self.units if u.key == bare]
        taken = {u.code for u in exact}  # each unit once, in the first list it fits
        starts = [u for u in self.units if u.code not in taken and u.key.startswith(bare)]
        taken.update(u.code for u in starts)
        asked = bare.split()
        words = [u for u in self.units
                 if u.code not in taken and all(w in u.key.split() for w in asked)]
        taken.update(u.code for u in words)
        inside = [u for u in self.units if u.code not in taken and bare in u.key]
        found = exact + starts + words + inside
        return found[:limit], len(exact) == 1

    def suggest(self, query: str, limit: int = 5) -> list[Locality]:
        """The closest names when nothing matches."""
        bare = _strip_prefix(fold(query))
        keys = {u.key: u for u in self.units}
        close = difflib.get_close_matches(bare, list(keys), n=limit, cutoff=0.6)
        return [keys[k] for k in close]


@cache
def localities(province_code: int) -> Localities:
    """The province's units, loaded once."""
    return Localities(province_code)
