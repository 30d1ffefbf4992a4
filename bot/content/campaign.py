"""The campaign: kinds of story, the emulation contents, theme, goals, period, awards.

Loaded from campaigns/<CAMPAIGN>.toml and validated at start; a new campaign is a new file.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

__all__ = [
    "Award",
    "Campaign",
    "CampaignError",
    "Content",
    "Kind",
    "Movement",
    "campaign",
    "load_campaign",
    "use_campaign",
]

FOLDER = Path(__file__).with_name("campaigns")
DEFAULT = "an-giang-2025"


class CampaignError(Exception):
    """The campaign file is missing or wrong; the message says which in one line."""


class _Words(BaseModel):
    vi: str
    en: str

    def label(self, language: str) -> str:
        """The words in a language."""
        return self.en if language == "en" else self.vi


class Kind(_Words):
    """One kind of story, in the plan's own words."""

    value: str = Field(pattern=r"^[a-z_]{2,30}$")


class Movement(_Words):
    """A national movement named under one content."""


class Content(_Words):
    """One of the plan's emulation contents."""

    number: int = Field(ge=1, le=20)
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


class Award(_Words):
    """A form of award and who gives it."""

    id: str = Field(pattern=r"^[a-z_]{2,30}$")
    level: str = Field(pattern=r"^(province|unit)$")
    about_vi: str = ""
    about_en: str = ""

    def about(self, language: str) -> str:
        """Who it is for."""
        return self.about_en if language == "en" else self.about_vi


class Campaign(BaseModel):
    """What a story is filed under, and what the campaign asks."""

    id: str = DEFAULT
    name_vi: str = ""
    name_en: str = ""
    theme_vi: str = ""
    theme_en: str = ""
    start: date | None = None
    end: date | None = None
    period_vi: str = ""
    period_en: str = ""
    participants_vi: str = ""
    participants_en: str = ""
    award_rule_vi: str = ""
    award_rule_en: str = ""
    deadlines_vi: list[str] = []
    deadlines_en: list[str] = []
    goals: list[_Words] = []
    awards: list[Award] = []
    kinds: list[Kind]
    contents: list[Content]

    @field_validator("kinds", "contents")
    @classmethod
    def _not_empty(cls, value: list[object]) -> list[object]:
        if not value:
            raise ValueError("must not be empty")
        return value

    def text(self, field: str, language: str) -> str:
        """A bilingual field ('name', 'theme', 'period', 'participants', 'award_rule')."""
        value = getattr(self, f"{field}_{'en' if language == 'en' else 'vi'}")
        return str(value)

    def kind(self, value: str) -> Kind | None:
        """The kind with this value."""
        return next((k for k in self.kinds if k.value == value), None)

    def content(self, number: int) -> Content | None:
        """The content with this number."""
        return next((c for c in self.contents if c.number == number), None)

    def award(self, award_id: str) -> Award | None:
        """The award form with this id."""
        return next((a for a in self.awards if a.id == award_id), None)


def load_campaign(path: Path) -> Campaign:
    """Load and validate a campaign data file."""
    try:
        with path.open("rb") as fh:
            return Campaign.model_validate(tomllib.load(fh))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CampaignError(f"Campaign file {path.name}: {exc}") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise CampaignError(f"Campaign file {path.name}: {where}: {err['msg']}") from None


_active = [DEFAULT]


def use_campaign(name: str) -> Campaign:
    """Make `name` (a file in campaigns/) the active campaign; check it loads."""
    loaded = _load(name)
    _active[0] = name
    return loaded


@cache
def _load(name: str) -> Campaign:
    if "/" in name or "\\" in name or name.startswith("."):
        raise CampaignError(f"CAMPAIGN {name!r} is not a campaign file name")
    return load_campaign(FOLDER / f"{name}.toml")


def campaign() -> Campaign:
    """The active campaign."""
    return _load(_active[0])
