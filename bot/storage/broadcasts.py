"""Broadcasts: a message and an audience, expanded into one delivery row per recipient."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.storage.audit import write_audit
from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.workflow import SystemActor

__all__ = ["EVERYTHING", "TOPICS", "Broadcasts", "Delivery", "Progress", "Result"]

TOPICS = ("anniversaries", "stories", "deadlines")
# Opting out of everything: every topic, and the board's general messages.
EVERYTHING = "all"
_OK = "p.erased_at IS NULL AND p.stopped_at IS NULL AND p.consent = 1"
# A broadcast to no topic (everyone, a commune, the reviewers) skips those who stopped everything.
_GENERAL = f"{_OK} AND p.opted_out_at IS NULL"
_RETRY = ("UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, error = ?"
          " WHERE broadcast_id = ? AND person_id = ? AND status = 'pending'")
_FINISH = ("UPDATE deliveries SET status = ?, attempts = attempts + 1, sent_at = ?, error = ?"
           " WHERE broadcast_id = ? AND person_id = ? AND status = 'pending'")
_STOPPED = "UPDATE people SET stopped_at = ? WHERE id = ?"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One recipient of one broadcast, with what is needed to render and send."""

    broadcast_id: int
    person_id: int
    channel: str
    chat_id: str
    language: str
    attempts: int


@dataclass(frozen=True, slots=True)
class Result:
    """What became of one send: sent, retry (at), failed, stopped, out_of_window or cancelled."""

    broadcast_id: int
    person_id: int
    status: str
    error: str | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Progress:
    """A broadcast's counts."""

    id: int
    key: str | None
    audience: str
    status: str
    total: int
    sent: int
    failed: int
    stopped: int
    pending: int
    created_at: str
    out_of_window: int = 0


def _audience_sql(audience: str) -> tuple[str, list[Any]]:
    """The recipients of an audience: topic:<t>, commune:<code>, reviewers, everyone."""
    kind, _, arg = audience.partition(":")
    if kind == "topic" and arg in TOPICS:
        return (f"SELECT p.id FROM people p JOIN subscriptions s ON s.person_id = p.id"
                f" WHERE s.topic = ? AND {_OK}", [arg])
    if kind == "commune" and arg.isdecimal():
        return (f"SELECT p.id FROM people p WHERE {_GENERAL} AND (p.id IN (SELECT reporter_id FROM"
                " stories WHERE commune_code = ?) OR p.id IN (SELECT person_id FROM"
                " reviewer_scopes WHERE commune_code = ?))", [int(arg), int(arg)])
    if kind == "reviewers":
        return (f"SELECT p.id FROM people p WHERE {_GENERAL} AND p.role IN ('reviewer', 'admin')",
                [])
    if kind == "everyone":
        return f"SELECT p.id FROM people p WHERE {_GENERAL}", []
    raise ValueError(f"unknown audience {audience!r}")


class Broadcasts:
    """Repository of broadcasts, deliveries and subscriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def subscribe(self, person_id: int, topic: str) -> None:
        """Subscribe to a topic (idempotent)."""
        async with self._db.transaction() as tx:
            await tx.execute(
                "INSERT INTO subscriptions (person_id, topic, created_at) VALUES (?, ?, ?)"
                " ON CONFLICT DO NOTHING", (person_id, topic, now_iso()),
            )

    async def unsubscribe(self, person_id: int, topic: str | None = None) -> int:
        """Leave a topic (or all); pending deliveries of that topic are cancelled too."""
        topics = [topic] if topic else list(TOPICS)
        marks = ",".join("?" * len(topics))
        async with self._db.transaction() as tx:
            async with tx.execute(
                f"DELETE FROM subscriptions WHERE person_id = ? AND topic IN ({marks})",
                (person_id, *topics),
            ) as cur:
                removed = cur.rowcount
            await tx.execute(
                "UPDATE deliveries SET status = 'cancelled' WHERE person_id = ? AND status ="
                f" 'pending' AND broadcast_id IN (SELECT id FROM broadcasts WHERE topic IN"
                f" ({marks}))", (person_id, *topics),
            )
        return max(removed, 0)

    async def stop_everything(self, person_id: int) -> None:
        """Opt out of every topic and of the board's general messages; nothing pending is sent."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM subscriptions WHERE person_id = ?", (person_id,))
            await tx.execute(
                "UPDATE people SET opted_out_at = COALESCE(opted_out_at, ?) WHERE id = ?",
                (now_iso(), person_id),
            )
            await tx.execute(
                "UPDATE deliveries SET status = 'cancelled' WHERE person_id = ?"
                " AND status = 'pending'", (person_id,),
            )

    async def opted_out(self, person_id: int) -> bool:
        """Whether the person stopped everything (and has not asked for general messages since)."""
        row = await self._db.fetchone(
            "SELECT opted_out_at FROM people WHERE id = ?", (person_id,)
        )
        return bool(row and row["opted_out_at"])

    async def opt_in(self, person_id: int) -> None:
        """Receive the board's general messages again."""
        await self._db.write("UPDATE people SET opted_out_at = NULL WHERE id = ?", (person_id,))

    async def topics(self, person_id: int) -> set[str]:
        """The topics a person follows."""
        rows = await self._db.fetchall(
            "SELECT topic FROM subscriptions WHERE person_id = ?", (person_id,)
        )
        return {r["topic"] for r in rows}

    async def count_audience(self, audience: str) -> int:
        """How many people an audience reaches now."""
        sql, params = _audience_sql(audience)
        row = await self._db.fetchone_long(f"SELECT COUNT(*) FROM ({sql})", params)
        return int(row[0]) if row else 0

    async def create(
        self, audience: str, *, key: str | None = None, topic: str | None = None,
        template: str | None = None, params: dict[str, Any] | None = None,
        body: str | None = None, created_by: int | None = None,
    ) -> int | None:
        """Create a broadcast with its delivery rows; None when `key` already exists. A broadcast
        to a topic's subscribers is of that topic: its recipients can stop the topic from it."""
        sql, args = _audience_sql(audience)
        kind, _, arg = audience.partition(":")
        topic = topic or (arg if kind == "topic" else None)
        stamp = now_iso()
        async with self._db.transaction_long() as tx:  # a delivery row for each recipient
            async with tx.execute(
                "INSERT INTO broadcasts (key, topic, template, params, body, audience,"
                " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO NOTHING RETURNING id",
                (key, topic, template, json.dumps(params or {}, ensure_ascii=False), body,
                 audience, created_by, stamp),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            broadcast_id = int(row[0])
            async with tx.execute(
                "INSERT INTO deliveries (broadcast_id, person_id, next_attempt_at)"
                f" SELECT ?, id, ? FROM ({sql})", (broadcast_id, stamp, *args),
            ) as cur:
                total = cur.rowcount
            await tx.execute(
                "UPDATE broadcasts SET total = ?, status = CASE WHEN ? = 0 THEN 'done'"
                " ELSE status END, finished_at = CASE WHEN ? = 0 THEN ? END WHERE id = ?",
                (total, total, total, stamp, broadcast_id),
            )
            await write_audit(
                tx, "broadcast_create", actor_id=created_by,
                system=None if created_by is not None else SystemActor.SCHEDULER,
                broadcast_id=broadcast_id,
                details={"audience": audience, "recipients": total, "key": key, "topic": topic},
            )
        return broadcast_id

    async def get(self, broadcast_id: int) -> dict[str, Any] | None:
        """A broadcast's row."""
        row = await self._db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return dict(row) if row else None

    async def due(self, now: datetime, limit: int, *, channels: Collection[str],
                  skip: Iterable[tuple[int, int]] = ()) -> list[Delivery]:
        """Pending deliveries of active broadcasts to people on `channels` whose time has come,
        in the order they fell due (then by broadcast and person): the order of the
        deliveries_due index, so the query reads `limit` rows instead of sorting every pending
        one. Other channels' deliveries are left alone for the process that runs them."""
        # What is busy is read before the query: a send recorded (and forgotten by the caller)
        # while the query runs is then either still skipped or already not pending in its result.
        busy = set(skip)
        marks = ",".join("?" * len(channels))
        rows = await self._db.fetchall(
            "SELECT d.broadcast_id, d.person_id, d.attempts, p.channel, p.external_id,"
            " p.language FROM deliveries d JOIN broadcasts b ON b.id = d.broadcast_id"
            " JOIN people p ON p.id = d.person_id WHERE d.status = 'pending'"
            f" AND d.next_attempt_at <= ? AND b.status = 'active' AND p.channel IN ({marks})"
            " ORDER BY d.next_attempt_at, d.broadcast_id, d.person_id LIMIT ?",
            (now.isoformat(timespec="seconds"), *channels, limit + len(busy)),
        )
        out = [
            Delivery(r["broadcast_id"], r["person_id"], r["channel"], r["external_id"],
                     r["language"], r["attempts"])
            for r in rows if (r["broadcast_id"], r["person_id"]) not in busy
        ]
        return out[:limit]

    async def record(self, results: list[Result]) -> None:
        """Write a batch of send results in one transaction; finish completed broadcasts."""
        if not results:
            return
        stamp = now_iso()
        # The statements in order, consecutive runs of one statement sent as one executemany:
        # one hop to the database thread per run instead of one per result.
        steps: list[tuple[str, list[tuple[Any, ...]]]] = []

        def add(sql: str, args: tuple[Any, ...]) -> None:
            if steps and steps[-1][0] == sql:
                steps[-1][1].append(args)
            else:
                steps.append((sql, [args]))

        for r in results:
            if r.status == "retry":
                assert r.retry_at is not None
                add(_RETRY, (r.retry_at.isoformat(timespec="seconds"), r.error, r.broadcast_id,
                             r.person_id))
                continue
            add(_FINISH, (r.status, stamp if r.status == "sent" else None, r.error,
                          r.broadcast_id, r.person_id))
            if r.status == "stopped":
                add(_STOPPED, (stamp, r.person_id))
        async with self._db.transaction() as tx:
            for sql, rows in steps:
                await tx.executemany(sql, rows)
            ids = sorted({r.broadcast_id for r in results})
            await tx.execute(
                f"UPDATE broadcasts SET status = 'done', finished_at = ? WHERE id IN"
                f" ({','.join('?' * len(ids))}) AND status = 'active' AND NOT EXISTS (SELECT 1"
                " FROM deliveries d WHERE d.broadcast_id = broadcasts.id AND d.status ="
                " 'pending')", (stamp, *ids),
            )

    async def cancel(self, broadcast_id: int, *, by: int | None = None) -> bool:
        """Stop a broadcast; what is not sent yet is cancelled. Audited with `by`, the admin."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = ? WHERE id = ?"
                " AND status = 'active'", (now_iso(), broadcast_id),
            ) as cur:
                changed = cur.rowcount == 1
            if changed:
                async with tx.execute(
                    "UPDATE deliveries SET status = 'cancelled' WHERE broadcast_id = ?"
                    " AND status = 'pending'", (broadcast_id,),
                ) as cur:
                    dropped = cur.rowcount
                await write_audit(tx, "broadcast_cancel", actor_id=by,
                                  broadcast_id=broadcast_id, details={"unsent": dropped})
        return changed

    async def progress(self, limit: int = 10) -> list[Progress]:
        """The latest broadcasts with their counts."""
        rows = await self._db.fetchall(
            "SELECT b.id, b.key, b.audience, b.status, b.total, b.created_at,"
            " SUM(d.status = 'sent') AS sent, SUM(d.status = 'failed') AS failed,"
            " SUM(d.status = 'stopped') AS stopped, SUM(d.status = 'pending') AS pending,"
            " SUM(d.status = 'out_of_window') AS out_of_window"
            " FROM broadcasts b LEFT JOIN deliveries d ON d.broadcast_id = b.id"
            " GROUP BY b.id ORDER BY b.id DESC LIMIT ?", (limit,),
        )
        return [
            Progress(r["id"], r["key"], r["audience"], r["status"], r["total"], r["sent"] or 0,
                     r["failed"] or 0, r["stopped"] or 0, r["pending"] or 0, r["created_at"],
                     r["out_of_window"] or 0)
            for r in rows
        ]

    async def resume_person(self, person_id: int) -> None:
        """A person who stopped the bot came back: they may be sent messages again."""
        async with self._db.transaction() as tx:
            await tx.execute("UPDATE people SET stopped_at = NULL WHERE id = ?", (person_id,))
