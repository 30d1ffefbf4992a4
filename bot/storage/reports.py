"""Reading for the board: grouped counts, weekly series, every story streamed, nominations."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.board import (
    Count,
    Nomination,
    StoryStream,
    count_of,
    counts_sql,
    nomination_of,
    nominations_sql,
)
from bot.storage.database import Database
from bot.storage.transitions import Change, Outcome, apply
from bot.workflow import Action

__all__ = ["Count", "Nomination", "Reports", "Totals"]


@dataclass(frozen=True, slots=True)
class Totals:
    """Stories by status (all of them), and by kind, content and commune (those counted)."""

    by_status: dict[str, int]
    by_kind: dict[str, int]
    by_content: dict[tuple[str, str | None], int]
    by_commune: dict[int, int]


def _values(rows: int, width: int) -> str:
    """Placeholders for a VALUES list of `rows` rows of `width` values: '(?, ?), (?, ?)'."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * rows)


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

    async def count(self, communes: frozenset[int] | None, start: str | None = None,
                    end: str | None = None, campaign: str | None = None) -> int:
        """How many stories are in scope (of one campaign, or all) in [start, end)."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        row = await self._db.fetchone_long(f"SELECT COUNT(*) FROM stories s WHERE {where}",
                                           params)
        return int(row[0]) if row else 0

    async def counts(self, communes: frozenset[int] | None, start: str | None = None,
                     end: str | None = None, campaign: str | None = None) -> list[Count]:
        """Stories grouped by campaign, status, kind, content and commune."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        rows = await self._db.fetchall_long(counts_sql(where), params)
        # Tens of thousands of groups in a big province: made into objects off the event loop.
        return await asyncio.to_thread(lambda: [count_of(r) for r in rows])

    async def totals(self, communes: frozenset[int] | None, leave_out: Collection[str],
                     campaign: str | None = None) -> Totals:
        """The stories in scope (of one campaign, or all) by status; by kind, content (in its
        campaign) and commune leaving out statuses.

        One pass over the covering index stories_counts, the few sums taken in SQL.
        """
        where, params = _where(communes, None, None, campaign=campaign)
        out = sorted(leave_out)
        kept = f" WHERE status NOT IN ({', '.join('?' * len(out))})" if out else ""
        rows = await self._db.fetchall_long(
            "WITH g AS MATERIALIZED (SELECT campaign, status, kind, content, commune_code,"
            f" COUNT(*) AS n FROM stories WHERE {where}"
            " GROUP BY campaign, status, kind, content, commune_code),"
            f" k AS (SELECT * FROM g{kept})"
            " SELECT 0 AS dim, status AS value, NULL AS campaign, SUM(n) AS n FROM g"
            " GROUP BY status"
            " UNION ALL SELECT 1, kind, NULL, SUM(n) FROM k GROUP BY kind"
            " UNION ALL SELECT 2, content, campaign, SUM(n) FROM k GROUP BY campaign, content"
            " UNION ALL SELECT 3, commune_code, NULL, SUM(n) FROM k GROUP BY commune_code",
            [*params, *out],
        )
        found: tuple[dict[Any, int], ...] = ({}, {}, {}, {})
        for dim, value, in_campaign, n in rows:
            found[dim][(in_campaign, value) if dim == 2 else value] = n
        return Totals(*found)

    async def weekly(
        self, communes: frozenset[int] | None, bounds: Sequence[str], leave_out: Collection[str],
        campaign: str | None = None,
    ) -> list[tuple[int, str, int]]:
        """(week, kind, count) of the stories in scope (of one campaign, or all) filed in
        [bounds[i], bounds[i + 1]), leaving out the statuses given.

        The communes (those in scope, or every one with a story, found by one index seek
        each) and each one's kinds (likewise) are listed first; then one covered index seek
        and range count per commune, kind and week (index stories_weekly): no row is read or
        sorted, however many stories there are.
        """
        if len(bounds) < 2:
            return []
        weeks = [(i, lo, hi) for i, (lo, hi) in enumerate(itertools.pairwise(bounds))]
        places: list[int] = []
        if communes is None or 0 in communes:
            listed = ("SELECT MIN(commune_code) FROM stories UNION ALL SELECT (SELECT"
                      " MIN(commune_code) FROM stories WHERE commune_code > c.code) FROM c"
                      " WHERE c.code IS NOT NULL")
        else:
            listed = f"VALUES {_values(len(communes), 1)}"
            places = sorted(communes)
        out = sorted(leave_out)
        status = f" AND s.status NOT IN ({', '.join('?' * len(out))})" if out else ""
        if campaign is not None:
            status += " AND s.campaign = ?"
        rows = await self._db.fetchall_long(
            f"WITH RECURSIVE c(code) AS ({listed}),"
            " p(code, kind) AS (SELECT code, (SELECT MIN(kind) FROM stories"
            " WHERE commune_code = c.code) FROM c WHERE code IS NOT NULL UNION ALL SELECT p.code,"
            " (SELECT MIN(kind) FROM stories WHERE commune_code = p.code AND kind > p.kind)"
            " FROM p WHERE p.kind IS NOT NULL),"
            f" w(i, lo, hi) AS (VALUES {_values(len(weeks), 3)})"
            " SELECT w.i AS week, p.kind AS kind, SUM((SELECT COUNT(*) FROM stories s"
            " WHERE s.commune_code = p.code AND s.kind = p.kind AND s.created_at >= w.lo"
            f" AND s.created_at < w.hi{status})) AS n FROM p, w WHERE p.kind IS NOT NULL"
            " GROUP BY w.i, p.kind",
            [*places, *itertools.chain.from_iterable(weeks), *out,
             *([] if campaign is None else [campaign])],
        )
        return [(r["week"], r["kind"], r["n"]) for r in rows if r["n"]]

    def stories(self, communes: frozenset[int] | None, start: str | None,
                end: str | None, batch: int = 2000, campaign: str | None = None,
                ) -> StoryStream:
        """Every story in scope with its reporter and photo count, oldest first, streamed."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        return StoryStream(self._db, where, params, batch)

    async def nominations(self, communes: frozenset[int] | None, start: str | None = None,
                          end: str | None = None, campaign: str | None = None,
                          ) -> list[Nomination]:
        """Nominations in scope, by award then commune."""
        where, params = _where(communes, start, end, alias="s", campaign=campaign)
        rows = await self._db.fetchall_long(nominations_sql(where), params)
        return await asyncio.to_thread(lambda: [nomination_of(r) for r in rows])

    async def nominate(self, story_id: int, award: str, reason: str, actor_id: int) -> Outcome:
        """Propose an approved or published story for an award, through the door; the reporter
        is told."""
        change = Change(Action.NOMINATE, story_id, actor_id, note=reason, award=award)
        async with self._db.transaction() as tx:
            return await apply(tx, change)
