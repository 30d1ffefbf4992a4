"""A person's own command menu, queued in the outbox whenever their role (or language) changes.

Kept apart from the other repositories so that `people` and `roles` can queue it inside their
own transactions.
"""

from __future__ import annotations

import aiosqlite

from bot.storage.clock import now_iso

__all__ = ["MENU_CHANNELS", "queue_menu"]

# Channels that draw a command menu of a person's own.
MENU_CHANNELS = ("telegram",)


async def queue_menu(tx: aiosqlite.Connection, person_id: int, *, unless_pending: bool = False
                     ) -> None:
    """Queue, in the caller's transaction, the setting of a person's command menu for the role
    they have when it is sent. A change always queues one (one being sent may have read the old
    role); `unless_pending` skips the person when one is already waiting."""
    stamp = now_iso()
    marks = ",".join("?" * len(MENU_CHANNELS))
    await tx.execute(
        "INSERT INTO outbox (kind, person_id, channel, chat_id, template, next_attempt_at,"
        " created_at) SELECT 'menu', id, channel, external_id, 'menu', ?, ? FROM people"
        f" WHERE id = ? AND erased_at IS NULL AND channel IN ({marks}) AND NOT (? AND EXISTS"
        " (SELECT 1 FROM outbox WHERE kind = 'menu' AND person_id = ? AND status = 'pending'))",
        (stamp, stamp, person_id, *MENU_CHANNELS, unless_pending, person_id),
    )
