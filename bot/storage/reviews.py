"""Every change of a story's status, through the one door; and a story's audit trail."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.storage.database import Database
from bot.storage.notices import queue_message, queue_reviewers
from bot.storage.transitions import Change, Outcome, Policy, apply, load_actor
from bot.workflow import Action, Actor

__all__ = ["Event", "Outcome", "Reviews", "load_actor", "queue_message", "queue_reviewers"]


@dataclass(frozen=True, slots=True)
class Event:
    """One audit row: who (a person, a named system actor, or both), what, when, and details."""

    action: str
    from_status: str | None
    to_status: str
    note: str | None
    created_at: str
    actor_id: int | None
    actor_name: str | None
    system: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


class Reviews:
    """The one way a story changes: `apply` a Change (or `act`, its short form for review)."""

    def __init__(self, db: Database, levels: int = 1, notify_reviewers: bool = True,
                 publish_chat: str | None = None) -> None:
        self._db = db
        self.policy = Policy(levels, notify_reviewers, publish_chat)

    async def actor(self, person_id: int) -> Actor | None:
        """The person as an actor, read now."""
        async with self._db.transaction() as tx:
            return await load_actor(tx, person_id)

    async def apply(self, change: Change) -> Outcome:
        """Take any action on a story, or refuse it; everything it causes commits together."""
        async with self._db.transaction() as tx:
            return await apply(tx, change, self.policy)

    async def act(
        self, story_id: int, action: str, actor_id: int, *, note: str | None = None,
        version: int | None = None, title: str | None = None, description: str | None = None,
        fields: Mapping[str, object] | None = None,
    ) -> Outcome:
        """A person's action on a story; `title`/`description` are short for those `fields`."""
        changed = dict(fields or {})
        changed.update({k: v for k, v in (("title", title), ("description", description))
                        if v is not None})
        return await self.apply(Change(Action(action), story_id, actor_id, note=note,
                                       version=version, fields=changed))

    async def history(self, story_id: int) -> list[Event]:
        """Every action on a story, oldest first."""
        rows = await self._db.fetchall(
            "SELECT e.*, p.display_name FROM story_events e LEFT JOIN people p"
            " ON p.id = e.actor_id WHERE e.story_id = ? ORDER BY e.id",
            (story_id,),
        )
        return [
            Event(r["action"], r["from_status"], r["to_status"], r["note"], r["created_at"],
                  r["actor_id"], r["display_name"], r["system_actor"],
                  json.loads(r["details"]) if r["details"] else {})
            for r in rows
        ]
