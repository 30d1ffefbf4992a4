"""Journeys: pure async functions from a Context to Replies. No channel is imported here."""

from __future__ import annotations

from bot.handlers.context import Context, Flow, Handler, menu_reply
from bot.handlers.mystories import on_mystories, on_mystories_page
from bot.handlers.report import FLOW as REPORT_FLOW
from bot.handlers.report import ReportFlow, on_report
from bot.handlers.report_steps import ORDER as REPORT_STEPS
from bot.handlers.start import (
    on_cancel,
    on_consent_choice,
    on_deleteme,
    on_deleteme_choice,
    on_help,
    on_language,
    on_language_choice,
    on_privacy,
    on_start,
    on_unknown,
)
from bot.messages import Reply

__all__ = [
    "CHOICES",
    "COMMANDS",
    "FLOWS",
    "REPORT_STEPS",
    "Context",
    "Flow",
    "Handler",
    "menu_reply",
    "on_unknown",
]

COMMANDS: dict[str, Handler] = {
    "start": on_start,
    "help": on_help,
    "privacy": on_privacy,
    "language": on_language,
    "cancel": on_cancel,
    "deleteme": on_deleteme,
    "report": on_report,
    "mystories": on_mystories,
}


async def _menu_choice(ctx: Context) -> list[Reply]:
    """A main-menu option runs the command of the same name."""
    name = (ctx.choice or "").removeprefix("menu:")
    handler = COMMANDS.get(name, on_unknown)
    return await handler(ctx)


# Options that mean the same whatever journey is open, by the prefix of their value.
CHOICES: dict[str, Handler] = {
    "menu": _menu_choice,
    "consent": on_consent_choice,
    "lang": on_language_choice,
    "deleteme": on_deleteme_choice,
    "mystories": on_mystories_page,
}

FLOWS: dict[str, Flow] = {REPORT_FLOW: ReportFlow()}
