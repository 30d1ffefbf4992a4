"""Every change of a story's status: checked, conditional on version, audited and notified."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.workflow import Actor, decide

__all__ = ["Event", "Outcome", "Reviews", "load_actor", "queue_message", "queue_reviewers"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of an action: the move made, or the key of why it was refused."""

    story_id: int
    from_status: str | None = None
    to_status: str | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the action took effect."""
        return self.refusal is None


@dataclass(frozen=True, slots=True)
class Event:
    """One audit row."""

    action: str
    from_status: str | None
    to_status: str
    note: str | None
    created_at: str
    actor_id: int | None
    actor_name: str | None


async def load_actor(tx: aiosqlite.Connection, person_id: int) -> Actor | None:
    """The person's role, scopes and ban, read inside the caller's transaction."""
    async with tx.execute("SELECT role, banned_at FROM people WHERE id = ?", (person_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    async with tx.execute(
        "SELECT commune_code FROM reviewer_scopes WHERE person_id = ?", (person_id,)
    ) as cur:
        scopes = frozenset(int(r[0]) for r in await cur.fetchall())
    return Actor(person_id, row["role"], scopes, row["banned_at"] is not None)


async def queue_message(
    tx: aiosqlite.Connection, person_id: int, template: str, params: dict[str, Any],
    story_id: int | None = None,
) -> None:
    """Queue a catalogue message to a person, on their own channel, in this transaction."""
    stamp = now_iso()
    await tx.execute(
        "INSERT INTO outbox (kind, person_id, channel, chat_id, template, params, story_id,"
        " next_attempt_at, created_at)"
        " SELECT 'message', id, channel, external_id, ?, ?, ?, ?, ? FROM people"
        " WHERE id = ? AND erased_at IS NULL",
        (template, json.dumps(params, ensure_ascii=False), story_id, stamp, stamp, person_id),
    )


async def queue_reviewers(
    tx: aiosqlite.Connection, commune: int, template: str, params: dict[str, Any],
    story_id: int, roles: tuple[str, ...] = ("reviewer", "admin"), skip: int | None = None,
) -> None:
    """Queue a message to every reviewer of a commune (and every admin)."""
    async with tx.execute(
        "SELECT DISTINCT p.id FROM people p LEFT JOIN reviewer_scopes s ON s.person_id = p.id"
        " WHERE p.erased_at IS NULL AND ((p.role = 'admin' AND 'admin' IN (SELECT value FROM"
        " json_each(?))) OR (p.role = 'reviewer' AND 'reviewer' IN (SELECT value FROM"
        " json_each(?)) AND s.commune_code IN (0, ?)))",
        (json.dumps(roles), json.dumps(roles), commune),
    ) as cur:
        ids = [int(r[0]) for r in await cur.fetchall()]
    for person_id in ids:
        if person_id != skip:
            await queue_message(tx, person_id, template, params, story_id)


class Reviews:
    """The one way a story changes status."""

    def __init__(self, db: Database, levels: int = 1, notify_reviewers: bool = True,
                 publish_chat: str | None = None) -> None:
        self._db = db
        self.levels = levels
        self.notify_reviewers = notify_reviewers
        self.publish_chat = publish_chat

    async def actor(self, person_id: int) -> Actor | None:
        """The person as an actor, read now."""
        async with self._db.transaction() as tx:
            return await load_actor(tx, person_id)

    async def act(
        self, story_id: int, action: str, actor_id: int, *, note: str | None = None,
        version: int | None = None, title: str | None = None, description: str | None = None,
    ) -> Outcome:
        """Take an action or refuse it; the change, audit row and messages commit together."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "SELECT status, version, commune_code, reporter_id, title FROM stories"
                " WHERE id = ?", (story_id,),
            ) as cur:
                story = await cur.fetchone()
            if story is None:
                return Outcome(story_id, refusal="review.no_story")
            actor = await load_actor(tx, actor_id)
            status = story["status"]
            if actor is None:
                return Outcome(story_id, status, refusal="review.not_yours")
            if version is not None and version != story["version"]:
                return Outcome(story_id, status, refusal="review.changed")
            decision = decide(action, status, actor, story["commune_code"], story["reporter_id"],
                              self.levels)
            if decision.refusal or decision.to_status is None:
                return Outcome(story_id, status, refusal=decision.refusal)
            to = decision.to_status
            await self._update(tx, story_id, story["version"], to, action, note, title, description)
            await tx.execute(
                "INSERT INTO story_events (story_id, actor_id, action, from_status, to_status,"
                " note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (story_id, actor_id, action, status, to, note, now_iso()),
            )
            await self._notify(tx, story_id, story, actor_id, status, to, note)
            return Outcome(story_id, status, to)

    async def _update(
        self, tx: aiosqlite.Connection, story_id: int, version: int, to: str, action: str,
        note: str | None, title: str | None, description: str | None,
    ) -> None:
        stamp = now_iso()
        if action == "correct":
            await tx.execute(
                "UPDATE stories SET original_title = COALESCE(original_title, title),"
                " original_description = COALESCE(original_description, description),"
                " title = COALESCE(?, title), description = COALESCE(?, description),"
                " version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                (title, description, stamp, story_id, version),
            )
            return
        await tx.execute(
            "UPDATE stories SET status = ?, review_note = CASE WHEN ? IS NULL THEN review_note"
            " ELSE ? END, version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
            (to, note, note, stamp, story_id, version),
        )

    async def _notify(
        self, tx: aiosqlite.Connection, story_id: int, story: aiosqlite.Row, actor_id: int,
        old: str, new: str, note: str | None,
    ) -> None:
        if old == new:
            return
        reporter = story["reporter_id"]
        params = {"id": story_id, "title": story["title"], "status": new, "note": note or ""}
        if reporter is not None and reporter != actor_id:
            template = "notify.needs_changes" if new == "needs_changes" else "notify.status"
            await queue_message(tx, reporter, template, params, story_id)
        if new == "pending" and self.notify_reviewers:
            await queue_reviewers(tx, story["commune_code"], "notify.resubmitted", params,
                                  story_id, skip=reporter)
        if new == "recommended":
            await queue_reviewers(tx, story["commune_code"], "notify.recommended", params,
                                  story_id, roles=("admin",))
        if new == "approved" and self.publish_chat:
            stamp = now_iso()
            await tx.execute(
                "INSERT INTO outbox (kind, channel, chat_id, template, story_id,"
                " next_attempt_at, created_at) VALUES ('publish', 'telegram', ?, 'publish', ?,"
                " ?, ?)",
                (self.publish_chat, story_id, stamp, stamp),
            )

    async def history(self, story_id: int) -> list[Event]:
        """Every action on a story, oldest first."""
        rows = await self._db.fetchall(
            "SELECT e.*, p.display_name FROM story_events e LEFT JOIN people p"
            " ON p.id = e.actor_id WHERE e.story_id = ? ORDER BY e.id",
            (story_id,),
        )
        return [
            Event(r["action"], r["from_status"], r["to_status"], r["note"], r["created_at"],
                  r["actor_id"], r["display_name"])
            for r in rows
        ]
