"""The days the bot reminds: anniversaries, lunar feasts, one-off days and deadlines.

The shipped calendar.toml holds the plan's anniversaries; an operator's calendar files add
their own. Every file is checked at start, and a problem is named in one line.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.content.lunar import lunar_of

__all__ = [
    "Calendar",
    "CalendarError",
    "Deadline",
    "Event",
    "LunarDay",
    "Occasion",
    "calendar",
    "calendar_problems",
    "load_calendar",
    "problem_lines",
]

DEFAULT_FILE = Path(__file__).with_name("calendar.toml")
ID = r"^[a-z0-9_]{2,40}$"


class CalendarError(Exception):
    """A calendar file is wrong; the message names the file and the entry in one line."""


class _Named(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=ID)
    vi: str = Field(min_length=2)
    en: str = Field(min_length=2)

    def name(self, language: str) -> str:
        """The name in a language."""
        return self.en if language == "en" else self.vi


class Occasion(_Named):
    """An anniversary on a solar day and month, counted from its base year."""

    day: int
    month: int
    base_year: int = Field(ge=1, le=2100)

    @model_validator(mode="after")
    def _real_date(self) -> Occasion:
        """30/2 or 31/4 is no date (29/2 is allowed: it exists in leap years)."""
        try:
            dt.date(2024, self.month, self.day)
        except ValueError as exc:
            raise ValueError(f"{self.day}/{self.month} is not a date") from exc
        return self

    def on(self, year: int) -> dt.date | None:
        """This day in a given year (None for 29/2 in a common year)."""
        try:
            return dt.date(year, self.month, self.day)
        except ValueError:
            return None

    def falls_on(self, day: dt.date) -> bool:
        """Whether `day` is this occasion."""
        return self.on(day.year) == day

    def ordinal(self, year: int) -> int:
        """How many years it is in `year`: 2026 - 1975 = 51."""
        return year - self.base_year


class LunarDay(_Named):
    """A day of the lunar calendar (âm lịch), every year: Giỗ Tổ Hùng Vương is 10/3."""

    day: int = Field(ge=1, le=30)
    month: int = Field(ge=1, le=12)

    def falls_on(self, day: dt.date) -> bool:
        """Whether `day` is this lunar day (in a regular month; day 30 only where it exists)."""
        lunar_day, lunar_month, leap = lunar_of(day)
        return not leap and (lunar_day, lunar_month) == (self.day, self.month)


class Event(_Named):
    """A one-off day with its year: the provincial emulation congress."""

    date: dt.date

    def falls_on(self, day: dt.date) -> bool:
        """Whether `day` is the day."""
        return self.date == day


class Deadline(_Named):
    """A deadline with its year (a campaign's, or the province's), reminded ahead of it."""

    date: dt.date
    lead_days: list[int] = Field(default_factory=lambda: [7, 1])

    @model_validator(mode="after")
    def _leads(self) -> Deadline:
        """Reminders from 60 days ahead to the day itself."""
        if any(not 0 <= lead <= 60 for lead in self.lead_days):
            raise ValueError("lead_days must be between 0 and 60")
        return self


class Calendar(BaseModel):
    """Every day to remind: anniversaries, lunar days, one-off days, deadlines."""

    model_config = ConfigDict(extra="forbid")

    occasions: list[Occasion] = []
    lunar: list[LunarDay] = []
    events: list[Event] = []
    deadlines: list[Deadline] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Calendar:
        """An id names one entry."""
        ids = self.ids()
        duplicated = {i for i in ids if ids.count(i) > 1}
        if duplicated:
            raise ValueError(f"duplicate id {sorted(duplicated)[0]}")
        return self

    def ids(self) -> list[str]:
        """Every entry's id, in file order."""
        return [e.id for e in (*self.occasions, *self.lunar, *self.events, *self.deadlines)]

    def joined(self, others: Iterable[Calendar]) -> Calendar:
        """This calendar with the entries of others added (ids checked again)."""
        parts = [self, *others]
        return Calendar(
            occasions=[o for c in parts for o in c.occasions],
            lunar=[x for c in parts for x in c.lunar],
            events=[e for c in parts for e in c.events],
            deadlines=[d for c in parts for d in c.deadlines],
        )


def problem_lines(exc: ValidationError, raw: dict[str, Any], prefix: str,
                  by_entry: bool = True) -> list[str]:
    """One line per validation error naming the field: by entry id (calendars) or dotted path."""
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(p) for p in loc)
        if by_entry and len(loc) >= 2 and isinstance(loc[1], int):
            entries = raw.get(str(loc[0]), [])
            if isinstance(entries, list) and loc[1] < len(entries):
                entry = entries[loc[1]]
                label = entry.get("id", f"#{loc[1] + 1}") if isinstance(entry, dict) else loc[1]
                where = f"{loc[0]} entry '{label}'" + (f", field {loc[2]}" if len(loc) > 2 else "")
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{prefix}: {where}: {message}" if where else f"{prefix}: {message}")
    return lines


Model = TypeVar("Model", bound=BaseModel)


def load_checked(path: Path, model: type[Model], prefix: str, *, by_entry: bool = True,
                 ) -> tuple[Model | None, list[str]]:
    """A TOML file read as `model`, or every problem in it, one line each after `prefix`."""
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        return None, [f"{prefix}: {exc}"]
    try:
        return model.model_validate(raw), []
    except ValidationError as exc:
        return None, problem_lines(exc, raw, prefix, by_entry=by_entry)


def calendar_problems(path: Path, shown: str | None = None) -> tuple[Calendar | None, list[str]]:
    """A calendar file and every problem in it, one line each."""
    return load_checked(path, Calendar, f"Calendar {shown or path.name}")


def load_calendar(path: Path = DEFAULT_FILE, shown: str | None = None) -> Calendar:
    """Load and check a calendar file; the first problem raises CalendarError naming it."""
    loaded, problems = calendar_problems(path, shown)
    if loaded is None:
        raise CalendarError(problems[0])
    return loaded


@cache
def calendar() -> Calendar:
    """The shipped calendar file alone, loaded once."""
    return load_calendar()
