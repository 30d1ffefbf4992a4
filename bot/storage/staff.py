"""What reviewers and admins are sent unasked: their own command menu and the morning digest."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.storage.database import Database
from bot.storage.menus import queue_menu
from bot.storage.notices import queue_message
from bot.workflow import Role, Status

__all__ = ["DIGEST", "Reader", "Staff", "Waiting"]

# The outbox template of the reviewers' morning digest (rendered by bot.digest).
DIGEST = "digest.review"


@dataclass(frozen=True, slots=True)
class Waiting:
    """A story waiting for review: since when it has been in its status."""

    id: int
    title: str
    commune: int
    status: str
    since: str


@dataclass(frozen=True, slots=True)
class Reader:
    """A reviewer or admin the digest may be sent to, with the communes they review (0: all)."""

    person_id: int
    role: str
    communes: frozenset[int]

    def reviews(self, commune: int) -> bool:
        """Whether stories of this commune are theirs to review."""
        return self.role == Role.ADMIN or bool({0, commune} & self.communes)


class Staff:
    """Repository of what staff are sent unasked."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def queue_menus(self) -> int:
        """At start: every staff member's menu, set again (the list may have changed)."""
        rows = await self._db.fetchall_long(
            "SELECT id FROM people WHERE role IN (?, ?, ?) AND erased_at IS NULL ORDER BY id",
            (Role.REVIEWER, Role.ADMIN, Role.OFFICER),
        )
        async with self._db.transaction() as tx:
            for row in rows:
                await queue_menu(tx, int(row["id"]), unless_pending=True)
        return len(rows)

    async def waiting_since(self, before: str) -> list[Waiting]:
        """Stories waiting for review (pending, or recommended to the province) that entered
        that status before an instant, longest waiting first."""
        rows = await self._db.fetchall_long(
            "SELECT id, title, commune_code, status, since FROM (SELECT s.id, s.title,"
            " s.commune_code, s.status, COALESCE((SELECT MAX(e.created_at) FROM story_events e"
            " WHERE e.story_id = s.id AND e.to_status = s.status AND e.from_status IS NOT"
            " e.to_status), s.created_at) AS since FROM stories s WHERE s.status IN (?, ?))"
            " WHERE since < ? ORDER BY since, id",
            (Status.PENDING, Status.RECOMMENDED, before),
        )
        return [Waiting(r["id"], r["title"], r["commune_code"], r["status"], r["since"])
                for r in rows]

    async def unreviewed_communes(self) -> list[tuple[int, int]]:
        """Communes with stories waiting for a reviewer but no reviewer of their own (nor one of
        the whole province): (commune, stories waiting), most waiting first."""
        rows = await self._db.fetchall_long(
            "SELECT s.commune_code, COUNT(*) AS waiting FROM stories s WHERE s.status = ?"
            " AND NOT EXISTS (SELECT 1 FROM reviewer_scopes r JOIN people p ON p.id ="
            " r.person_id WHERE p.role = ? AND p.erased_at IS NULL AND r.commune_code IN"
            " (0, s.commune_code)) GROUP BY s.commune_code ORDER BY waiting DESC,"
            " s.commune_code",
            (Status.PENDING, Role.REVIEWER),
        )
        return [(int(r["commune_code"]), int(r["waiting"])) for r in rows]

    async def digest_readers(self) -> list[Reader]:
        """Reviewers and admins who may be sent the digest: reachable, not opted out."""
        rows = await self._db.fetchall_long(
            "SELECT p.id, p.role, (SELECT json_group_array(commune_code) FROM reviewer_scopes"
            " WHERE person_id = p.id) AS scopes FROM people p WHERE p.role IN (?, ?)"
            " AND p.erased_at IS NULL AND p.stopped_at IS NULL AND p.opted_out_at IS NULL"
            " ORDER BY p.id",
            (Role.REVIEWER, Role.ADMIN),
        )
        return [Reader(int(r["id"]), r["role"], frozenset(json.loads(r["scopes"])))
                for r in rows]

    async def queue_digest(self, person_id: int, day: str, params: dict[str, Any]) -> bool:
        """Queue a person's digest of a day, unless one was queued that day already."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "INSERT INTO review_digests (person_id, day) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING", (person_id, day),
            ) as cur:
                if cur.rowcount != 1:
                    return False
            await queue_message(tx, person_id, DIGEST, params)
        return True
