"""Search over stories by words: SQLite FTS5 on a folded copy of the title, the description, the
honoree and the commune's name (migration 0013), ranked by bm25.

A query is folded like the index (bot.content.fold: no accents, 'đ' as 'd') and cut into plain
words; each word is quoted, so punctuation and FTS syntax ('"', '*', NEAR, OR, '-', ':') are
only ever words and never an error. Every word must appear (in any column).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite

from bot.content import fold
from bot.storage.database import Database
from bot.storage.stories import StoryLine

__all__ = ["MAX_WORDS", "Search", "StoryFilter", "match_query"]

MAX_WORDS = 12
# A word in the title weighs most, then the honoree, the commune's name, the description.
_RANK = "bm25(story_search, 8.0, 1.0, 4.0, 2.0)"
_WORD = re.compile(r"[^\W_]+")


def match_query(words: str) -> str | None:
    """The FTS5 expression for what a person typed, or None when it holds no word at all."""
    found = _WORD.findall(fold(words))[:MAX_WORDS]
    return " ".join(f'"{w[:40]}"' for w in found) or None


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """Which stories a list or a search covers.

    `statuses` None means any status; `communes` None means the whole province (the reader's
    scope); `commune`, `kind`, `content`, `campaign` and `month` ('YYYY-MM', of the event date)
    narrow it to what the reader picked.
    """

    statuses: tuple[str, ...] | None = None
    communes: frozenset[int] | None = None
    commune: int | None = None
    kind: str | None = None
    content: str | None = None
    campaign: str | None = None
    month: str | None = None

    def where(self, alias: str = "s") -> tuple[list[str], list[object]]:
        """SQL conditions on the stories table (as `alias`) and their parameters."""
        col = f"{alias}."
        clauses: list[str] = []
        params: list[object] = []
        if self.statuses is not None:
            clauses.append(f"{col}status IN ({','.join('?' * len(self.statuses))})")
            params.extend(self.statuses)
        if self.communes is not None and 0 not in self.communes:
            clauses.append(f"{col}commune_code IN ({','.join('?' * len(self.communes))})")
            params.extend(sorted(self.communes))
        for name, value in (("commune_code", self.commune), ("kind", self.kind),
                            ("content", self.content), ("campaign", self.campaign)):
            if value is not None:
                clauses.append(f"{col}{name} = ?")
                params.append(value)
        if self.month is not None:
            clauses.append(f"substr({col}event_date, 1, 7) = ?")
            params.append(self.month)
        return clauses or ["1 = 1"], params


class Search:
    """Repository of the search index."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def use_communes(self, names: Mapping[int, str]) -> int:
        """Keep the commune names the index holds equal to these; return how many changed."""
        rows = await self._db.fetchall("SELECT code, name FROM commune_names")
        stored = {int(r["code"]): str(r["name"]) for r in rows}
        changed = {code: name for code, name in names.items() if stored.get(code) != name}
        gone = [code for code in stored if code not in names]
        if not changed and not gone:
            return 0
        async with self._db.transaction() as tx:
            await tx.executemany("DELETE FROM commune_names WHERE code = ?",
                                 [(code,) for code in gone])
            await tx.executemany(
                "INSERT INTO commune_names (code, name) VALUES (?, ?) ON CONFLICT (code)"
                " DO UPDATE SET name = excluded.name", list(changed.items()),
            )
        return len(changed) + len(gone)

    async def find(self, words: str, where: StoryFilter, offset: int,
                   limit: int) -> tuple[int, list[StoryLine]]:
        """Stories holding every word, best first: (how many in all, this page).

        A filter is a set of ids read from the stories' covering indexes; its `+rowid` keeps
        SQLite from handing it to FTS5 as one lookup per id. Ranking with bm25() (rather than
        the `rank` column, which FTS5 would sort itself before any filter) scores only the
        stories that pass, once: the page and the count come from the same scored set.
        """
        query = match_query(words)
        if query is None:
            return 0, []
        clauses, params = where.where()
        if clauses == ["1 = 1"]:
            matching = " FROM story_search WHERE story_search MATCH ?"
            total = await self._db.fetchone_long(f"SELECT COUNT(*){matching}", [query])
            ranked = await self._db.fetchall_long(
                f"SELECT story_search.rowid AS id{matching} ORDER BY {_RANK},"
                " story_search.rowid DESC LIMIT ? OFFSET ?", [query, limit, offset])
            return (int(total[0]) if total else 0), await self._lines(ranked)
        ranked = await self._db.fetchall_long(
            f"WITH hits AS MATERIALIZED (SELECT story_search.rowid AS id, {_RANK} AS score"
            " FROM story_search WHERE story_search MATCH ? AND +story_search.rowid IN"
            f" (SELECT s.id FROM stories s WHERE {' AND '.join(clauses)}))"
            " SELECT id, (SELECT COUNT(*) FROM hits) AS total FROM hits"
            " ORDER BY score, id DESC LIMIT ? OFFSET ?", [query, *params, limit, offset])
        if ranked:
            return int(ranked[0]["total"]), await self._lines(ranked)
        if offset == 0:
            return 0, []
        return (await self.find(words, where, 0, 1))[0], []

    async def _lines(self, ranked: list[aiosqlite.Row]) -> list[StoryLine]:
        """The listed stories of ranked ids, in rank order."""
        ids = [int(r["id"]) for r in ranked]
        if not ids:
            return []
        rows = await self._db.fetchall(
            "SELECT id, title, status, created_at FROM stories"
            f" WHERE id IN ({','.join('?' * len(ids))})", ids)
        found = {r["id"]: StoryLine(r["id"], r["title"], r["status"], r["created_at"])
                 for r in rows}
        return [found[i] for i in ids if i in found]
