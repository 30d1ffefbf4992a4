"""Reading typed answers: lengths, dates, phone numbers, coordinates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.content import fold

__all__ = [
    "DateAnswer",
    "Length",
    "Word",
    "parse_coordinates",
    "parse_date",
    "parse_phone",
    "single_line",
    "words",
]

_DATE = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})(?:\s*[/.\-]\s*(\d{2}|\d{4}))?$")
# Days ago, by the words people type for them.
_DAYS_AGO = {"hom nay": 0, "today": 0, "nay": 0, "hom qua": 1, "yesterday": 1, "qua": 1,
             "hom kia": 2, "bua kia": 2, "day before yesterday": 2}
_COORDS = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
EARLIEST_YEAR = 2000
# Quotes a phone may type around a phrase: straight, or curly as keyboards turn them.
_OPENING, _CLOSING = "\"“”„«", "\"“”»"


@dataclass(frozen=True, slots=True)
class Length:
    """Bounds on a typed answer, in characters."""

    low: int
    high: int

    def problem(self, text: str) -> tuple[str, int] | None:
        """('too_short' | 'too_long', limit) when out of bounds."""
        if len(text) < self.low:
            return "too_short", self.low
        if len(text) > self.high:
            return "too_long", self.high
        return None


@dataclass(frozen=True, slots=True)
class DateAnswer:
    """A date read from text, or why it was refused."""

    value: date | None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Word:
    """One argument of a command: a word, or a phrase typed in quotes."""

    text: str
    quoted: bool = False


def words(args: tuple[str, ...] | list[str]) -> list[Word]:
    """Command arguments as typed: a phrase in straight or curly quotes is one word;
    a quote left open runs to the end."""
    raw, out = " ".join(args), []
    current: list[str] = []
    quoted = False
    for ch in raw:
        if quoted and ch in _CLOSING:
            out.append(Word(" ".join("".join(current).split()), True))
            current, quoted = [], False
        elif not quoted and ch in _OPENING:
            if current:
                out.append(Word("".join(current)))
            current, quoted = [], True
        elif not quoted and ch.isspace():
            if current:
                out.append(Word("".join(current)))
            current = []
        else:
            current.append(ch)
    if current:
        text = "".join(current)
        out.append(Word(" ".join(text.split()), True) if quoted else Word(text))
    return [w for w in out if w.text]


def single_line(text: str) -> str:
    """Collapse white space, for names and titles."""
    return " ".join(text.split())


def parse_date(text: str, today: date) -> DateAnswer:
    """'dd/mm/yyyy', 'd/m/yy', 'd/m' (the last such day, this year or last), today, yesterday
    and the day before in words; refuse the future and the far past."""
    folded = fold(text)
    if folded in _DAYS_AGO:
        return DateAnswer(today - timedelta(days=_DAYS_AGO[folded]))
    match = _DATE.match(text.strip())
    if not match:
        return DateAnswer(None, "date_bad")
    day, month = int(match.group(1)), int(match.group(2))
    year = int(match.group(3)) if match.group(3) else today.year
    if year < 100:
        year += 2000
    try:
        value = date(year, month, day)
    except ValueError:
        return DateAnswer(None, "date_bad")
    if match.group(3) is None and value > today:
        try:
            value = date(year - 1, month, day)
        except ValueError:  # 29/2 of a leap year, asked in the year after
            return DateAnswer(None, "date_bad")
    if value > today:
        return DateAnswer(value, "date_future")
    if value.year < EARLIEST_YEAR:
        return DateAnswer(value, "date_too_old")
    return DateAnswer(value)


def parse_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx, or None."""
    digits = re.sub(r"[\s.\-()]", "", text)
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"0[1-9]\d{8}", digits) else None


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """'10.3759, 105.4185' as (latitude, longitude), or None."""
    match = _COORDS.match(text)
    if not match:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
