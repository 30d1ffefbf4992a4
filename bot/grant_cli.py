"""What an operator does at the command line as an admin would in a chat: `python -m bot grant`.

The answers are the chat's own (in LANGUAGE); the audit log records the operator at the command
line (no actor), and ADMIN_IDS stays the only way to change a listed admin.
"""

from __future__ import annotations

from bot.app import open_checked
from bot.config import Settings
from bot.content import Library, catalogue
from bot.handlers.answers import Word, words
from bot.handlers.grants import Granting, Said, handle

__all__ = ["grant_role"]


def _word(token: str) -> list[Word]:
    """A shell argument: with a space inside, it was quoted, so it is one name."""
    if any(ch.isspace() for ch in token.strip()):
        return [Word(" ".join(token.strip("\"“”").split()), quoted=True)]
    return words([token])


async def grant_role(settings: Settings, library: Library, tokens: list[str]) -> Said:
    """`<person> <role> [communes…]`, as /grant reads it, acting as the operator."""
    storage = await open_checked(settings, library)
    try:
        granting = Granting(storage, settings, catalogue(settings.language), None, "grant")
        return await handle(granting, [w for token in tokens for w in _word(token)])
    finally:
        await storage.close()
