"""The command menus: everyone's, and the longer ones officers, reviewers and admins see in their
own chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from bot.content import Catalogue
from bot.workflow import Role

__all__ = ["ADMIN", "EVERYONE", "OFFICER", "REVIEWER", "MenuSender", "commands_for", "menu"]

EVERYONE = ("start", "report", "mystories", "stories", "search", "phongtrao", "subscribe",
            "unsubscribe", "help", "privacy", "language", "deleteme", "cancel")
OFFICER = ("import", "eraseresident")
REVIEWER = ("pending", "story", "approve", "reject", "changes", "history", "nominations", "stats",
            "export", *OFFICER)
ADMIN = ("grant", "revoke", "reviewers", "ban", "unban", "publish", "revert", "unpublish", "audit",
         "broadcast", "broadcasts", "cancelbroadcast")


def commands_for(role: str) -> tuple[str, ...]:
    """The commands of a person's own menu; none for a citizen (they see everyone's)."""
    if role == Role.ADMIN:
        return EVERYONE + REVIEWER + ADMIN
    if role == Role.REVIEWER:
        return EVERYONE + REVIEWER
    if role == Role.OFFICER:
        return EVERYONE + OFFICER
    return ()


def menu(role: str, texts: Catalogue) -> tuple[tuple[str, str], ...]:
    """(command, description) of a person's own menu, in their language."""
    return tuple((name, texts.t(f"commands.{name}")) for name in commands_for(role))


@runtime_checkable
class MenuSender(Protocol):
    """A channel that can give one chat a command menu of its own (Telegram)."""

    async def set_menu(self, chat_id: str, commands: Sequence[tuple[str, str]]) -> None:
        """Show these (command, description) in the chat's menu; none: the default menu."""
