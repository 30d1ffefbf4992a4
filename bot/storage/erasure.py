"""Erasing a person's personal data on request (/deleteme)."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.storage.photos import photos_to_remove_on_erasure

__all__ = ["erase_person"]

_OPEN = ("pending", "recommended", "needs_changes")


async def erase_person(db: Database, person_id: int) -> int:
    """Withdraw open stories, detach all stories, blank the person; return the withdrawn count."""
    stamp = now_iso()
    async with db.transaction() as tx:
        # The photo archive (bot/storage/photos.py): photos of stories never to be published go.
        await photos_to_remove_on_erasure(tx, person_id)
        await tx.execute(
            "INSERT INTO story_events (story_id, actor_id, action, from_status, to_status, note,"
            " created_at) SELECT id, ?, 'withdraw', status, 'withdrawn', NULL, ? FROM stories"
            " WHERE reporter_id = ? AND status IN (?, ?, ?)",
            (person_id, stamp, person_id, *_OPEN),
        )
        async with tx.execute(
            "UPDATE stories SET status = 'withdrawn', version = version + 1, updated_at = ?"
            " WHERE reporter_id = ? AND status IN (?, ?, ?)",
            (stamp, person_id, *_OPEN),
        ) as cur:
            withdrawn = cur.rowcount
        await tx.execute(
            "UPDATE stories SET reporter_id = NULL, reporter_phone = NULL, show_name = 0,"
            " updated_at = ? WHERE reporter_id = ?",
            (stamp, person_id),
        )
        await tx.execute("DELETE FROM dialogs WHERE person_id = ?", (person_id,))
        await tx.execute("DELETE FROM subscriptions WHERE person_id = ?", (person_id,))
        await tx.execute(
            "UPDATE deliveries SET status = 'cancelled' WHERE person_id = ? AND status = 'pending'",
            (person_id,),
        )
        await tx.execute(
            "UPDATE people SET display_name = NULL, username = NULL, consent = NULL,"
            " consent_at = NULL, erased_at = ? WHERE id = ?",
            (stamp, person_id),
        )
    return max(withdrawn, 0)
