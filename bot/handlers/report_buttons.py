"""The report's options as typed records (the kind, content, commune … picked, Back, Cancel,
Skip and the rest of the moves), and the navigation row every step offers."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.buttons import Button
from bot.handlers.context import Context
from bot.messages import Choice

__all__ = ["DropVoice", "EditField", "Move", "PickCampaign", "PickCommune", "PickContent",
           "PickDate", "PickKind", "PickMovement", "ReportMove", "Row", "ShowName", "VoiceOnly",
           "moved", "nav_row"]

Row = tuple[Choice, ...]


class Move(StrEnum):
    """Moving through the report rather than answering."""

    CANCEL = "cancel"
    RESUME = "resume"
    RESTART = "restart"
    BACK = "back"
    SUBMIT = "submit"
    EDIT = "edit"
    DONE = "done"
    SKIP = "skip"
    DISCARD = "discard"


@dataclass(frozen=True)
class ReportMove(Button, tag="r.move"):
    """Back, cancel, skip, done, submit …"""

    move: Move


@dataclass(frozen=True)
class EditField(Button, tag="r.field"):
    """The field to change from the summary."""

    field: str


@dataclass(frozen=True)
class PickKind(Button, tag="r.kind"):
    """A kind of story."""

    value: str


@dataclass(frozen=True)
class PickCampaign(Button, tag="r.campaign"):
    """The open campaign a report is filed under, when several are open."""

    key: str


@dataclass(frozen=True)
class PickContent(Button, tag="r.content"):
    """An emulation content of the campaign, by its key; None: not sure, the reviewer chooses."""

    key: str | None


@dataclass(frozen=True)
class PickMovement(Button, tag="r.movement"):
    """A national movement under the content, by its key, or none."""

    key: str | None


@dataclass(frozen=True)
class PickCommune(Button, tag="r.commune"):
    """One commune among the matches of what was typed."""

    code: int


@dataclass(frozen=True)
class PickDate(Button, tag="r.date"):
    """Today (0) or yesterday (1)."""

    days_ago: int


@dataclass(frozen=True)
class VoiceOnly(Button, tag="r.voice.only"):
    """The voice note tells it all: the title serves as the written line."""


@dataclass(frozen=True)
class DropVoice(Button, tag="r.voice.drop"):
    """Take the voice note out of the draft."""


@dataclass(frozen=True)
class ShowName(Button, tag="r.show"):
    """Whether the reporter's name may be published."""

    show: bool


def nav_row(ctx: Context, back: bool = True, typed: bool = True) -> Row:
    """Back and Cancel, offered at every step; `typed=False` where typing them is an answer."""
    cancel = Choice(ctx.t("nav.cancel"), ReportMove(Move.CANCEL), typed)
    if not back:
        return (cancel,)
    return (Choice(ctx.t("nav.back"), ReportMove(Move.BACK), typed), cancel)


def moved(ctx: Context, *moves: Move) -> bool:
    """Whether the person pressed one of these moves."""
    return isinstance(ctx.choice, ReportMove) and ctx.choice.move in moves
