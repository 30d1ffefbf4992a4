"""The outbox: messages queued in the transaction that caused them, until delivered."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.storage.database import Database
from bot.storage.notices import queue_message, queue_retract, queue_reviewers
from bot.storage.people import now_iso
from bot.storage.transitions import Change, apply
from bot.workflow import Action, SystemActor

__all__ = ["Outbox", "OutboxItem"]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One queued delivery."""

    id: int
    kind: str
    person_id: int | None
    channel: str
    chat_id: str
    template: str
    params: dict[str, Any]
    story_id: int | None
    attempts: int
    language: str | None


class Outbox:
    """Repository of queued deliveries."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, now: datetime, channels: Collection[str], limit: int = 100
                  ) -> list[OutboxItem]:
        """Pending deliveries on `channels` whose time has come, oldest first; other channels'
        items are left alone for the process that runs them."""
        marks = ",".join("?" * len(channels))
        rows = await self._db.fetchall(
            "SELECT o.*, p.language FROM outbox o LEFT JOIN people p ON p.id = o.person_id"
            f" WHERE o.status = 'pending' AND o.next_attempt_at <= ? AND o.channel IN ({marks})"
            " ORDER BY o.id LIMIT ?",
            (now.isoformat(timespec="seconds"), *channels, limit),
        )
        return [
            OutboxItem(r["id"], r["kind"], r["person_id"], r["channel"], r["chat_id"],
                       r["template"], json.loads(r["params"]), r["story_id"], r["attempts"],
                       r["language"])
            for r in rows
        ]

    async def sent(self, item_id: int) -> None:
        """Mark delivered."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
                " WHERE id = ?", (now_iso(), item_id),
            )

    async def retry(self, item_id: int, at: datetime, error: str) -> None:
        """Try again later."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?"
                " WHERE id = ?", (at.isoformat(timespec="seconds"), error[:500], item_id),
            )

    async def failed(self, item_id: int, error: str) -> None:
        """Give up on a delivery."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ?", (error[:500], item_id),
            )

    async def hold(self, item_id: int, error: str) -> None:
        """Keep a message the platform will not deliver now, until the person writes again."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE outbox SET status = 'held', attempts = attempts + 1, last_error = ?"
                " WHERE id = ? AND status = 'pending'", (error[:500], item_id),
            )

    async def release_held(self, person_id: int) -> int:
        """The person wrote: what was held for them is due now; return how many items."""
        held = await self._db.fetchone(
            "SELECT 1 FROM outbox WHERE person_id = ? AND status = 'held' LIMIT 1", (person_id,)
        )
        if held is None:
            return 0
        return await self._db.write(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ? WHERE person_id = ?"
            " AND status = 'held'", (now_iso(), person_id),
        )

    async def queue_admins(self, template: str, params: dict[str, Any],
                           channels: Collection[str] | None = None) -> int:
        """Queue a message to every admin (whose channel is one of `channels`); how many."""
        only = "" if channels is None else f" AND channel IN ({','.join('?' * len(channels))})"
        async with self._db.transaction() as tx:
            async with tx.execute(
                f"SELECT id FROM people WHERE role = 'admin' AND erased_at IS NULL{only}"
                " ORDER BY id", tuple(channels or ()),
            ) as cur:
                admins = [int(r[0]) for r in await cur.fetchall()]
            for person_id in admins:
                await queue_message(tx, person_id, template, params)
        return len(admins)

    async def remember(self, item_id: int, params: dict[str, Any]) -> None:
        """Keep what part of a delivery is done, so a retry does not repeat it."""
        await self._db.write("UPDATE outbox SET params = ? WHERE id = ?",
                             (json.dumps(params, ensure_ascii=False), item_id))

    async def posted_album(self, item_id: int, story_id: int, chat_id: str,
                           message_ids: Sequence[str]) -> None:
        """Keep the album's message ids, and that a retry must not post it again."""
        async with self._db.transaction() as tx:
            await _record_post(tx, story_id, chat_id, message_ids, "photo")
            async with tx.execute("SELECT params FROM outbox WHERE id = ?", (item_id,)) as cur:
                row = await cur.fetchone()
            params = {**(json.loads(row["params"]) if row else {}), "album_sent": True}
            await tx.execute("UPDATE outbox SET params = ? WHERE id = ?",
                             (json.dumps(params, ensure_ascii=False), item_id))

    async def published(self, item_id: int, story_id: int, chat_id: str,
                        message_ids: Sequence[str]) -> bool:
        """Record the post and move the story approved → published (the publisher acting), all
        at once. If the story is no longer approved (an admin reverted it meanwhile), the post
        just made is queued for removal and False is returned."""
        stamp = now_iso()
        async with self._db.transaction() as tx:
            await _record_post(tx, story_id, chat_id, message_ids, "text")
            await tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
                " WHERE id = ?", (stamp, item_id),
            )
            change = Change(Action.PUBLISH, story_id, system=SystemActor.PUBLISHER,
                            posted=tuple(message_ids))
            outcome = await apply(tx, change)
            if not outcome.ok:
                await queue_retract(tx, story_id, mode="unpublish", requested_by=None)
        return outcome.ok

    async def retracted(self, item_id: int, story_id: int, chat_id: str,
                        removed: Mapping[str, str], report: dict[str, Any] | None) -> None:
        """Record which messages of a post are gone ('deleted') or rewritten ('replaced'), mark
        the item done, and queue the report to the admin who asked (`report['by']`)."""
        stamp = now_iso()
        async with self._db.transaction() as tx:
            await tx.executemany(
                "UPDATE story_posts SET removed = ?, removed_at = ? WHERE chat_id = ?"
                " AND message_id = ? AND story_id = ?",
                [(how, stamp, chat_id, message_id, story_id)
                 for message_id, how in removed.items()],
            )
            await tx.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1"
                " WHERE id = ?", (stamp, item_id),
            )
            if report is not None and report.get("by") is not None:
                template = str(report.pop("template"))
                await queue_message(tx, int(report.pop("by")), template, report, story_id)

    async def publish_failed(self, item_id: int, story_id: int, error: str) -> None:
        """Keep the story approved, record why, and tell the admins."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "UPDATE stories SET publish_error = ? WHERE id = ?", (error[:500], story_id)
            )
            await tx.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?"
                " WHERE id = ?", (error[:500], item_id),
            )
            async with tx.execute(
                "SELECT commune_code FROM stories WHERE id = ?", (story_id,)
            ) as cur:
                row = await cur.fetchone()
            await queue_reviewers(
                tx, int(row["commune_code"]) if row else 0, "notify.publish_failed",
                {"id": story_id, "error": error[:300]}, story_id, roles=("admin",),
            )

    async def queue_publish(self, story_id: int, chat_id: str) -> None:
        """Queue the post of an approved story again, minus what an earlier try already posted."""
        stamp = now_iso()
        async with self._db.transaction() as tx:
            async with tx.execute(
                "SELECT params FROM outbox WHERE kind = 'publish' AND story_id = ? AND chat_id = ?"
                " ORDER BY id DESC LIMIT 1", (story_id, chat_id),
            ) as cur:
                row = await cur.fetchone()
            album_sent = bool(row and json.loads(row["params"]).get("album_sent"))
            await tx.execute(
                "INSERT INTO outbox (kind, channel, chat_id, template, params, story_id,"
                " next_attempt_at, created_at) VALUES ('publish', 'telegram', ?, 'publish', ?, ?,"
                " ?, ?)",
                (chat_id, json.dumps({"album_sent": album_sent}), story_id, stamp, stamp),
            )

    async def count(self, status: str) -> int:
        """How many deliveries are in a status."""
        row = await self._db.fetchone("SELECT COUNT(*) FROM outbox WHERE status = ?", (status,))
        return int(row[0]) if row else 0


async def _record_post(tx: aiosqlite.Connection, story_id: int, chat_id: str,
                       message_ids: Sequence[str], part: str) -> None:
    """Keep every message id of a post, so an unpublished story can be taken down."""
    stamp = now_iso()
    await tx.executemany(
        "INSERT OR IGNORE INTO story_posts (story_id, chat_id, message_id, part, posted_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(story_id, chat_id, message_id, part, stamp) for message_id in message_ids if message_id],
    )
