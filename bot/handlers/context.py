"""What every handler is given, and the small pieces of reply every journey shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.config import Settings
from bot.content import Catalogue, Safe
from bot.messages import Choice, Incoming, Reply
from bot.storage import DialogState, Person, Storage

__all__ = ["Context", "Flow", "Handler", "menu_choices", "menu_reply", "unsupported_key"]


@dataclass(slots=True)
class Context:
    """One incoming message with the person, their dialog state, storage and words."""

    incoming: Incoming
    person: Person
    state: DialogState
    storage: Storage
    settings: Settings
    texts: Catalogue
    now: datetime
    choice: str | None = None

    @property
    def text(self) -> str | None:
        """The typed text, normalised, if the person typed something."""
        return self.incoming.text

    def t(self, key: str, **values: object) -> Safe:
        """Catalogue text in the person's language."""
        return self.texts.t(key, **values)

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
        (Choice(ctx.t("menu.report"), "menu:report"),),
        (Choice(ctx.t("menu.mystories"), "menu:mystories"),),
        (Choice(ctx.t("menu.help"), "menu:help"), Choice(ctx.t("menu.privacy"), "menu:privacy")),
        (Choice(ctx.t("menu.language"), "menu:language"),),
    )


def menu_reply(ctx: Context, lead: str | None = None) -> Reply:
    """The main menu, after an optional first line."""
    prompt = ctx.t("menu.prompt")
    return Reply(f"{lead}\n\n{prompt}" if lead else prompt, choices=menu_choices(ctx))
