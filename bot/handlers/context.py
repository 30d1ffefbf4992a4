"""What every handler is given, and the small pieces of reply every journey shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.buttons import Button
from bot.config import Settings
from bot.content import Campaigns, Catalogue, Safe
from bot.messages import Choice, Incoming, Reply
from bot.storage import DialogState, Person, Storage

__all__ = [
    "Context",
    "Flow",
    "Handler",
    "Menu",
    "menu_choices",
    "menu_reply",
    "unsupported_key",
]


@dataclass(frozen=True)
class Menu(Button, tag="menu"):
    """A main-menu option: runs the command of that name."""

    command: str


@dataclass(slots=True)
class Context:
    """One incoming message with the person, their dialog state, storage, words and campaigns."""

    incoming: Incoming
    person: Person
    state: DialogState
    storage: Storage
    settings: Settings
    texts: Catalogue
    now: datetime
    campaigns: Campaigns
    choice: Button | None = None

    @property
    def text(self) -> str | None:
        """The typed text, normalised, if the person typed something."""
        return self.incoming.text

    def t(self, key: str, **values: object) -> Safe:
        """Catalogue text in the person's language; where the channel has no buttons, the
        key's `<key>_typed` variant when there is one (it never says "press a button")."""
        if not self.incoming.traits.buttons and self.texts.has(f"{key}_typed"):
            key = f"{key}_typed"
        return self.texts.t(key, **values)

    @property
    def archived_photos(self) -> bool:
        """Whether a card shows the archive's copies of its photos and voice note: uploaded
        where the channel can, else by a day's link on the public site (Zalo: its addresses
        expire, and a Telegram file id means nothing there)."""
        traits = self.incoming.traits
        return traits.can_upload_photos or (not traits.files and bool(self.settings.gallery_url))

    @property
    def today(self) -> datetime:
        """Now, in the province's time zone."""
        return self.now.astimezone(self.settings.tz)


Handler = Callable[[Context], Awaitable[list[Reply]]]


class Flow(Protocol):
    """A multi-step journey: answers in its steps, and can ask its current question again."""

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the person's answer to the current step."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the current step's question again."""


def unsupported_key(ctx: Context) -> str:
    """Why a message could not be read: protected (Zalo), a voice note, a sticker, a file."""
    if ctx.incoming.unsupported == "protected":
        return "dialog.protected"
    return "dialog.voice" if ctx.incoming.unsupported == "voice" else "dialog.unsupported"


def menu_choices(ctx: Context) -> tuple[tuple[Choice, ...], ...]:
    """The main menu's options."""
    return (
        (Choice(ctx.t("menu.report"), Menu("report")),),
        (Choice(ctx.t("menu.mystories"), Menu("mystories")),),
        (Choice(ctx.t("menu.help"), Menu("help")), Choice(ctx.t("menu.privacy"), Menu("privacy"))),
        (Choice(ctx.t("menu.language"), Menu("language")),),
    )


def menu_reply(ctx: Context, lead: str | None = None) -> Reply:
    """The main menu, after an optional first line."""
    prompt = ctx.t("menu.prompt")
    return Reply(f"{lead}\n\n{prompt}" if lead else prompt, choices=menu_choices(ctx))
