"""Stopping everything: no reminder, digest or broadcast of any audience; only answers to what the
person writes, and news of their own stories. And asking for the board's messages again."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import fold
from bot.handlers.context import Context
from bot.messages import Choice, Reply
from bot.workflow import Role

__all__ = ["GeneralOn", "asks_for_everything", "general_rows", "on_general_on", "stop_everything"]

# What `/unsubscribe …` may say to mean everything.
_EVERYTHING = frozenset({"all", "tat ca", "het", "everything"})


@dataclass(frozen=True)
class GeneralOn(Button, tag="sub.general"):
    """Receive the board's general messages again, after stopping everything."""


def asks_for_everything(words: tuple[str, ...]) -> bool:
    """'/unsubscribe all', or the same word typed in Vietnamese, with or without accents."""
    return fold(" ".join(words)) in _EVERYTHING


async def stop_everything(ctx: Context) -> list[Reply]:
    """Stop every topic and the board's general messages; say what still comes."""
    await ctx.storage.broadcasts.stop_everything(ctx.person.id)
    text: str = ctx.t("optout.done")
    if ctx.person.role in (Role.REVIEWER, Role.ADMIN):
        text += ctx.t("optout.done_staff")
    return [Reply(text)]


async def general_rows(ctx: Context) -> tuple[str, tuple[tuple[Choice, ...], ...]]:
    """For /subscribe: a note and a switch to receive general messages again, if they stopped."""
    if not await ctx.storage.broadcasts.opted_out(ctx.person.id):
        return "", ()
    return ctx.t("optout.subscribe_note"), ((Choice(ctx.t("optout.general_on"), GeneralOn()),),)


async def on_general_on(ctx: Context) -> str:
    """Receive general messages again; the line that says so."""
    await ctx.storage.broadcasts.opt_in(ctx.person.id)
    return ctx.t("optout.general_is_on")
