"""The anniversaries and deadlines, loaded from calendar.toml and checked at start."""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

__all__ = ["Calendar", "CalendarError", "Deadline", "Occasion", "calendar", "load_calendar"]

DEFAULT_FILE = Path(__file__).with_name("calendar.toml")


class CalendarError(Exception):
    """The calendar file is wrong; the message names the entry in one line."""


class _Dated(BaseModel):
    id: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    day: int
    month: int
    vi: str = Field(min_length=2)
    en: str = Field(min_length=2)

    @model_validator(mode="after")
    def _real_date(self) -> _Dated:
        """30/2 or 31/4 is no date (29/2 is allowed: it exists in leap years)."""
        try:
            date(2024, self.month, self.day)
        except ValueError as exc:
            raise ValueError(f"{self.day}/{self.month} is not a date") from exc
        return self

    def name(self, language: str) -> str:
        """The name in a language."""
        return self.en if language == "en" else self.vi

    def on(self, year: int) -> date | None:
        """This day in a given year (None for 29/2 in a common year)."""
        try:
            return date(year, self.month, self.day)
        except ValueError:
            return None


class Occasion(_Dated):
    """An anniversary: the year it is counted from."""

    base_year: int = Field(ge=1, le=2100)

    def ordinal(self, year: int) -> int:
        """How many years it is in `year`: 2026 - 1975 = 51."""
        return year - self.base_year


class Deadline(_Dated):
    """A campaign deadline and how many days before it to remind."""

    lead_days: list[int] = Field(default_factory=lambda: [7, 1])


class Calendar(BaseModel):
    """Every occasion and deadline."""

    occasions: list[Occasion]
    deadlines: list[Deadline] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Calendar:
        """An id names one entry."""
        ids = [o.id for o in self.occasions] + [d.id for d in self.deadlines]
        duplicated = {i for i in ids if ids.count(i) > 1}
        if duplicated:
            raise ValueError(f"duplicate id {sorted(duplicated)[0]}")
        return self


def load_calendar(path: Path = DEFAULT_FILE) -> Calendar:
    """Load and check a calendar file; a bad entry raises CalendarError naming it."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CalendarError(f"Calendar {path.name}: {exc}") from None
    try:
        return Calendar.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if len(loc) >= 2 and isinstance(loc[1], int):
            entries = raw.get(str(loc[0]), [])
            if isinstance(entries, list) and loc[1] < len(entries):
                entry = entries[loc[1]]
                label = entry.get("id", f"#{loc[1] + 1}") if isinstance(entry, dict) else loc[1]
                where = f"{loc[0]} entry '{label}'" + (f", field {loc[2]}" if len(loc) > 2 else "")
        message = str(err["msg"]).removeprefix("Value error, ")
        raise CalendarError(f"Calendar {path.name}: {where}: {message}") from None


@cache
def calendar() -> Calendar:
    """The shipped calendar, loaded once."""
    return load_calendar()
