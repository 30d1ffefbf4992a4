"""The audit log of people and broadcasts, and one newest-first view of it with story actions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.storage.clock import now_precise
from bot.storage.database import Database
from bot.workflow import SystemActor

__all__ = ["Audit", "AuditEntry", "Who", "write_audit"]

# What the people and broadcasts log records.
ACTIONS = ("grant", "revoke", "ban", "unban", "erase", "erase_resident", "broadcast_create",
           "broadcast_cancel", "import")


async def write_audit(
    tx: aiosqlite.Connection, action: str, *, actor_id: int | None = None,
    system: SystemActor | None = None, person_id: int | None = None,
    broadcast_id: int | None = None, details: dict[str, Any] | None = None,
) -> None:
    """One row of the people and broadcasts log, in the caller's transaction."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    await tx.execute(
        "INSERT INTO audit_log (actor_id, system_actor, action, person_id, broadcast_id,"
        " details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (actor_id, system, action, person_id, broadcast_id,
         json.dumps(details or {}, ensure_ascii=False), now_precise()),
    )


@dataclass(frozen=True, slots=True)
class Who:
    """A person as the log shows them: name, @username or channel:id (erased: anonymous)."""

    id: int
    name: str | None
    username: str | None
    account: str


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the log: a person or broadcast action, or an action on a story."""

    created_at: str
    action: str
    actor: Who | None
    system: str | None
    person: Who | None = None
    broadcast_id: int | None = None
    story_id: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


_UNION = """
SELECT 1 AS source, a.id, a.created_at, a.action, a.actor_id, a.system_actor, a.person_id,
       a.broadcast_id, NULL AS story_id, NULL AS from_status, NULL AS to_status, NULL AS note,
       a.details
FROM audit_log a
WHERE :story IS NULL AND (:person IS NULL OR a.actor_id = :person OR a.person_id = :person)
UNION ALL
SELECT 2, e.id, e.created_at, e.action, e.actor_id, e.system_actor, NULL, NULL, e.story_id,
       e.from_status, e.to_status, e.note, e.details
FROM story_events e
WHERE (:person IS NULL OR e.actor_id = :person) AND (:story IS NULL OR e.story_id = :story)
"""


def _who(row: aiosqlite.Row, prefix: str) -> Who | None:
    if row[f"{prefix}_id"] is None:
        return None
    return Who(int(row[f"{prefix}_id"]), row[f"{prefix}_name"], row[f"{prefix}_username"],
               f"{row[f'{prefix}_channel']}:{row[f'{prefix}_external']}")


class Audit:
    """Reading the log, newest first, for /audit."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def page(self, *, person_id: int | None = None, story_id: int | None = None,
                   offset: int = 0, limit: int = 10) -> tuple[int, list[AuditEntry]]:
        """(how many lines match, one page of them): everything, or one person's (as actor or
        target), or one story's actions."""
        args = {"person": person_id, "story": story_id}
        total = await self._db.fetchone_long(f"SELECT COUNT(*) FROM ({_UNION})", args)
        rows = await self._db.fetchall_long(
            "SELECT u.created_at, u.action, u.system_actor, u.broadcast_id, u.story_id,"
            " u.from_status, u.to_status, u.note, u.details, pa.id AS actor_id,"
            " pa.display_name AS actor_name,"
            " pa.username AS actor_username, pa.channel AS actor_channel,"
            " pa.external_id AS actor_external, pt.id AS target_id,"
            " pt.display_name AS target_name, pt.username AS target_username,"
            " pt.channel AS target_channel, pt.external_id AS target_external"
            f" FROM ({_UNION}) u LEFT JOIN people pa ON pa.id = u.actor_id"
            " LEFT JOIN people pt ON pt.id = u.person_id"
            " ORDER BY u.created_at DESC, u.source DESC, u.id DESC LIMIT :limit OFFSET :offset",
            {**args, "limit": limit, "offset": offset},
        )
        entries = [
            AuditEntry(r["created_at"], r["action"], _who(r, "actor"), r["system_actor"],
                       _who(r, "target"), r["broadcast_id"], r["story_id"], r["from_status"],
                       r["to_status"], r["note"], json.loads(r["details"] or "{}"))
            for r in rows
        ]
        return (int(total[0]) if total else 0), entries
