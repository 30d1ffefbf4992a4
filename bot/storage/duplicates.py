"""Stories that may tell the same deed: the scan queue, the pool each story is compared with,
and the candidates found (scored by bot.duplicates, in the background or when a card opens)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import aiosqlite

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.workflow import Status

__all__ = ["WINDOW_DAYS", "Candidate", "Duplicates", "Telling"]

WINDOW_DAYS = 60
# A story closed this way is nobody's duplicate candidate.
_CLOSED = (Status.REJECTED, Status.WITHDRAWN)


@dataclass(frozen=True, slots=True)
class Telling:
    """What is compared of a story: who, what was written, when it happened."""

    id: int
    honoree: str
    title: str
    description: str
    event_date: date


@dataclass(frozen=True, slots=True)
class Candidate:
    """Another story that may tell the same deed, with its status and photos."""

    id: int
    score: float
    status: str
    title: str


def _telling(row: aiosqlite.Row) -> Telling:
    return Telling(row["id"], row["honoree_name"], row["title"], row["description"],
                   date.fromisoformat(row["event_date"]))


class Duplicates:
    """Repository of the duplicate scans and their candidates."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def due(self, limit: int) -> list[int]:
        """Stories filed but not compared yet, oldest first."""
        rows = await self._db.fetchall(
            "SELECT story_id FROM duplicate_scans WHERE state = 'pending' ORDER BY story_id"
            " LIMIT ?", (limit,))
        return [int(r[0]) for r in rows]

    async def scanned(self, story_id: int) -> bool:
        """Whether the story was compared already (a story filed before scans counts as not)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM duplicate_scans WHERE story_id = ? AND state = 'done'", (story_id,))
        return row is not None

    async def pool(self, story_id: int) -> tuple[Telling | None, list[Telling]]:
        """The story, and the open or decided stories of its commune filed before it, in the
        sixty days before it (a later story compares itself with this one when it is filed)."""
        row = await self._db.fetchone(
            "SELECT id, commune_code, created_at, honoree_name, title, description, event_date"
            " FROM stories WHERE id = ?", (story_id,))
        if row is None:
            return None, []
        since = (datetime.fromisoformat(row["created_at"]) - timedelta(days=WINDOW_DAYS)
                 ).isoformat(timespec="seconds")
        others = await self._db.fetchall_long(
            "SELECT id, honoree_name, title, description, event_date FROM stories"
            " WHERE commune_code = ? AND created_at >= ? AND id < ? AND status NOT IN (?, ?)",
            (row["commune_code"], since, story_id, *_CLOSED))
        return _telling(row), [_telling(r) for r in others]

    async def record(self, story_id: int, found: list[tuple[int, float]]) -> None:
        """Keep what a scan found, and mark the story compared."""
        async with self._db.transaction() as tx:
            await tx.execute("DELETE FROM duplicate_candidates WHERE story_id = ?", (story_id,))
            await tx.executemany(
                "INSERT OR REPLACE INTO duplicate_candidates (story_id, candidate_id, score)"
                " VALUES (?, ?, ?)", [(story_id, other, score) for other, score in found])
            await tx.execute(
                "INSERT INTO duplicate_scans (story_id, state, queued_at, scanned_at)"
                " SELECT id, 'done', ?, ? FROM stories WHERE id = ?"
                " ON CONFLICT (story_id) DO UPDATE SET state = 'done',"
                " scanned_at = excluded.scanned_at", (now_iso(), now_iso(), story_id))

    async def of(self, story_id: int) -> list[Candidate]:
        """The stories found like this one (filed before or after it) that are not closed,
        best first."""
        rows = await self._db.fetchall(
            "SELECT s.id, c.score, s.status, s.title FROM (SELECT candidate_id AS other, score"
            " FROM duplicate_candidates WHERE story_id = ? UNION ALL SELECT story_id, score FROM"
            " duplicate_candidates WHERE candidate_id = ?) c JOIN stories s ON s.id = c.other"
            " WHERE s.status NOT IN (?, ?) ORDER BY c.score DESC, s.id",
            (story_id, story_id, *_CLOSED))
        return [Candidate(r["id"], float(r["score"]), r["status"], r["title"]) for r in rows]

    async def joined(self, kept_id: int) -> list[int]:
        """The stories marked as duplicates of this one, oldest first."""
        rows = await self._db.fetchall(
            "SELECT id FROM stories WHERE duplicate_of = ? AND status = ? ORDER BY id",
            (kept_id, Status.REJECTED))
        return [int(r[0]) for r in rows]
