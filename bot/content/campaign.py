"""Kinds of story and the five emulation contents, loaded from campaign.toml."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

__all__ = ["Campaign", "Content", "Kind", "Movement", "campaign"]


class Kind(BaseModel):
    """One kind of story, in the plan's own words."""

    value: str = Field(pattern=r"^[a-z_]{2,30}$")
    vi: str
    en: str

    def label(self, language: str) -> str:
        """The name in a language."""
        return self.en if language == "en" else self.vi


class Movement(BaseModel):
    """A national movement named under one content."""

    vi: str
    en: str

    def label(self, language: str) -> str:
        """The name in a language."""
        return self.en if language == "en" else self.vi


class Content(BaseModel):
    """One of the plan's emulation contents."""

    number: int = Field(ge=1, le=20)
    vi: str
    en: str
    short_vi: str
    short_en: str
    movements: list[Movement] = []

    def label(self, language: str) -> str:
        """The full name in a language."""
        return self.en if language == "en" else self.vi

    def short(self, language: str) -> str:
        """A name short enough for a button."""
        return self.short_en if language == "en" else self.short_vi


class Campaign(BaseModel):
    """What a story can be filed under."""

    kinds: list[Kind]
    contents: list[Content]

    @field_validator("kinds", "contents")
    @classmethod
    def _not_empty(cls, value: list[object]) -> list[object]:
        if not value:
            raise ValueError("must not be empty")
        return value

    def kind(self, value: str) -> Kind | None:
        """The kind with this value."""
        return next((k for k in self.kinds if k.value == value), None)

    def content(self, number: int) -> Content | None:
        """The content with this number."""
        return next((c for c in self.contents if c.number == number), None)


DEFAULT_FILE = Path(__file__).with_name("campaign.toml")


def load_campaign(path: Path) -> Campaign:
    """Load and validate a campaign data file."""
    with path.open("rb") as fh:
        return Campaign.model_validate(tomllib.load(fh))


@cache
def campaign() -> Campaign:
    """The shipped campaign, loaded once."""
    return load_campaign(DEFAULT_FILE)
