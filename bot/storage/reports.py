"""Reading for the board: grouped counts, weekly series, every story streamed, nominations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.database import Database
from bot.storage.transitions import Change, Outcome, apply
from bot.workflow import Action

__all__ = ["Count", "Nomination", "Reports"]


@dataclass(frozen=True, slots=True)
class Count:
    """How many stories share a status, kind, content and commune (in one campaign)."""

    status: str
    kind: str
    content: str | None
    commune: int
    n: int
    campaign: str = ""


@dataclass(frozen=True, slots=True)
class Nomination:
    """A story proposed for an award."""

    story_id: int
    award: str
    reason: str
    commune: int
    title: str
    honoree: str
    status: str
    nominated_by: str | None
    created_at: str
    campaign: str = ""


def _where(communes: frozenset[int] | None, start: str | None, end: str | None,
           alias: str = "", campaign: str | None = None) -> tuple[str, list[Any]]:
    """Scope (None = whole province), a campaign (None = all) and a [start, end) window."""
    col = f"{alias}." if alias else ""
    clauses: list[str] = ["1 = 1"]
    params: list[Any] = []
    if campaign is not None:
        clauses.append(f"{col}campaign = ?")
        params.append(campaign)
    if communes is not None and 0 not in communes:
        clauses.append(f"{col}commune_code IN ({','.join('?' * len(communes))})")
        params.extend(sorted(communes))
    if start:
        clauses.append(f"{col}created_at >= ?")
        params.append(start)
    if end:
        clauses.append(f"{col}created_at < ?")
        params.append(end)
    return " AND ".join(clauses), params


class Reports:
    """Repository of counts and exports over stories."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def counts(self, communes: frozenset[int] | None, start: str | None = None,
                     end: str | None = None, campaign: str | None = None) -> list[Count]:
        """Stories grouped by campaign, status, kind, content and commune."""
        where, params = _where(communes, start, end, campaign=campaign)
        rows = await self._db.fetchall(
            "SELECT campaign, status, kind, content, commune_code, COUNT(*) AS n FROM stories"
            f" WHERE {where} GROUP BY campaign, status, kind, content, commune_code", params,
        )
        # Tens of thousands of groups in a big province: made into objects off the event loop.
        return await asyncio.to_thread(
            lambda: [Count(r["status"], r["kind"], r["content"], r["commune_code"], r["n"],
                           r["campaign"]) for r in rows])

    async def filed_between(self, communes: frozenset[int] | None, start: str, end: str,
                            campaign: str | None = None) -> int:
        """How many stories were filed in [start, end)."""
        where, params = _where(communes, start, end, campaign=campaign)
        row = await self._db.fetchone(f"SELECT COUNT(*) FROM stories WHERE {where}", params)
        return int(row[0]) if row else 0

    async def daily(self, communes: frozenset[int] | None, start: str,
                    offset_minutes: int, campaign: str | None = None,
                    ) -> list[tuple[str, str, int]]:
        """(local day, kind, count) since `start`; the day shifted into the province's zone."""
        where, params = _where(communes, start, None, campaign=campaign)
        rows = await self._db.fetchall(
            f"SELECT date(created_at, '{offset_minutes:+d} minutes') AS day, kind, COUNT(*) AS n"
            f" FROM stories WHERE {where} GROUP BY day, kind", params,
        )
        return [(r["day"], r["kind"], r["n"]) for r in rows]

    async def stories(self, communes: frozenset[int] | None, start: str | None,
                      end: str | None, batch: int = 2000, campaign: str | None = None,
                      ) -> AsyncIterator[aiosqlite.Row]:
        """Every story in scope with its reporter and photo count, oldest first, streamed."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        sql = (
            "SELECT s.*, p.display_name AS reporter_name,"
            " (SELECT COUNT(*) FROM story_photos f WHERE f.story_id = s.id) AS photo_count"
            " FROM stories s LEFT JOIN people p ON p.id = s.reporter_id"
            f" WHERE {where} AND s.id > ? ORDER BY s.id LIMIT ?"
        )
        last = 0
        while True:
            rows = list(await self._db.fetchall(sql, [*params, last, batch]))
            for row in rows:
                yield row
            if len(rows) < batch:
                return
            last = rows[-1]["id"]

    async def nominations(self, communes: frozenset[int] | None, start: str | None = None,
                          end: str | None = None, campaign: str | None = None,
                          ) -> list[Nomination]:
        """Nominations in scope, by award then commune."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        rows = await self._db.fetchall(
            "SELECT n.*, s.commune_code, s.title, s.honoree_name, s.status, p.display_name,"
            " s.campaign"
            " FROM nominations n JOIN stories s ON s.id = n.story_id"
            f" LEFT JOIN people p ON p.id = n.nominated_by WHERE {where}"
            " ORDER BY n.award, s.commune_code, n.story_id", params,
        )
        return await asyncio.to_thread(
            lambda: [Nomination(r["story_id"], r["award"], r["reason"], r["commune_code"],
                                r["title"], r["honoree_name"], r["status"], r["display_name"],
                                r["created_at"], r["campaign"]) for r in rows])

    async def nominate(self, story_id: int, award: str, reason: str, actor_id: int) -> Outcome:
        """Propose an approved or published story for an award, through the door; the reporter
        is told."""
        change = Change(Action.NOMINATE, story_id, actor_id, note=reason, award=award)
        async with self._db.transaction() as tx:
            return await apply(tx, change)
