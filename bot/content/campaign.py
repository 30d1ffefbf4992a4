"""A campaign as data: key, name, theme, period, kinds, contents and movements by stable key,
awards and deadlines with their year.

A new campaign is a new file (shipped in campaigns/, or the operator's CONTENT_DIR/campaigns/);
a story stores its campaign's key and its content's and movement's keys, never a position.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.content.calendar import Deadline, load_checked

__all__ = [
    "Award",
    "Campaign",
    "CampaignError",
    "Content",
    "Kind",
    "Movement",
    "campaign_problems",
    "load_campaign",
]

KEY = r"^[a-z][a-z0-9_]{1,40}$"
CAMPAIGN_KEY = r"^[a-z0-9][a-z0-9-]{1,40}$"


class CampaignError(Exception):
    """A campaign file is missing or wrong; the message says which in one line."""


class _Words(BaseModel):
    model_config = ConfigDict(extra="forbid")

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def label(self, language: str) -> str:
        """The words in a language."""
        return self.en if language == "en" else self.vi


class Kind(_Words):
    """One kind of story, in the plan's own words."""

    value: str = Field(pattern=r"^[a-z_]{2,30}$")


class Movement(_Words):
    """A national movement named under one content; its key is stable across edits."""

    key: str = Field(pattern=KEY)


class Content(_Words):
    """One of the campaign's emulation contents; its key is stable, its number is for display."""

    key: str = Field(pattern=KEY)
    number: int = Field(default=0, ge=0, le=20)
    short_vi: str
    short_en: str
    example_vi: str = ""
    example_en: str = ""
    movements: list[Movement] = []

    def short(self, language: str) -> str:
        """A name short enough for a button."""
        return self.short_en if language == "en" else self.short_vi

    def example(self, language: str) -> str:
        """An example of what to report under it."""
        return self.example_en if language == "en" else self.example_vi

    def movement(self, key: str | None) -> Movement | None:
        """The movement with this key."""
        return next((m for m in self.movements if m.key == key), None)


class Award(_Words):
    """A form of award and who gives it."""

    id: str = Field(pattern=r"^[a-z_]{2,30}$")
    level: str = Field(pattern=r"^(province|unit)$")
    about_vi: str = ""
    about_en: str = ""

    def about(self, language: str) -> str:
        """Who it is for."""
        return self.about_en if language == "en" else self.about_vi


def _duplicate(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


class Campaign(BaseModel):
    """What a story is filed under, and what the campaign asks; open from start to end."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=CAMPAIGN_KEY)
    standing: bool = False
    name_vi: str = Field(min_length=2)
    name_en: str = Field(min_length=2)
    short_vi: str = ""
    short_en: str = ""
    theme_vi: str = ""
    theme_en: str = ""
    start: dt.date | None = None
    end: dt.date | None = None
    period_vi: str = ""
    period_en: str = ""
    participants_vi: str = ""
    participants_en: str = ""
    award_rule_vi: str = ""
    award_rule_en: str = ""
    goals: list[_Words] = []
    awards: list[Award] = []
    deadlines: list[Deadline] = []
    kinds: list[Kind]
    contents: list[Content]

    @model_validator(mode="after")
    def _consistent(self) -> Campaign:
        """Dates that make a period, lists that are not empty, keys that name one thing."""
        if self.standing and (self.start or self.end):
            raise ValueError("a standing campaign has no start or end")
        if not self.standing and (self.start is None or self.end is None):
            raise ValueError("start and end are required (or standing = true)")
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        if not self.kinds or not self.contents:
            raise ValueError("kinds and contents must not be empty")
        for what, values in (
            ("kind", [k.value for k in self.kinds]),
            ("content key", [c.key for c in self.contents]),
            ("movement key", [m.key for c in self.contents for m in c.movements]),
            ("award id", [a.id for a in self.awards]),
            ("deadline id", [d.id for d in self.deadlines]),
        ):
            again = _duplicate(values)
            if again:
                raise ValueError(f"duplicate {what} {again!r}")
        for position, content in enumerate(self.contents, start=1):
            content.number = content.number or position
        return self

    def text(self, field: str, language: str) -> str:
        """A bilingual field ('name', 'theme', 'period', 'participants', 'award_rule')."""
        value = getattr(self, f"{field}_{'en' if language == 'en' else 'vi'}")
        return str(value)

    def short(self, language: str) -> str:
        """A name short enough for a button (the full name when the file gives none)."""
        return self.text("short", language) or self.text("name", language)

    def is_open(self, day: dt.date) -> bool:
        """Whether the campaign takes reports on `day` (a standing one always does)."""
        if self.standing or self.start is None or self.end is None:
            return self.standing
        return self.start <= day <= self.end

    def kind(self, value: str) -> Kind | None:
        """The kind with this value."""
        return next((k for k in self.kinds if k.value == value), None)

    def content(self, key: str | None) -> Content | None:
        """The content with this key."""
        return next((c for c in self.contents if c.key == key), None)

    def award(self, award_id: str) -> Award | None:
        """The award form with this id."""
        return next((a for a in self.awards if a.id == award_id), None)


def campaign_problems(path: Path, shown: str | None = None) -> tuple[Campaign | None, list[str]]:
    """A campaign file and every problem in it, one line each naming the file and field."""
    return load_checked(path, Campaign, f"Campaign file {shown or path.name}", by_entry=False)


def load_campaign(path: Path, shown: str | None = None) -> Campaign:
    """Load and validate a campaign data file; the first problem raises CampaignError."""
    loaded, problems = campaign_problems(path, shown)
    if loaded is None:
        raise CampaignError(problems[0])
    return loaded
