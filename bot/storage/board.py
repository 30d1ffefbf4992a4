"""The export's reads: a scope's and period's counts, story list and nominations.

The bot reads them on its reader threads (`Reports`); for a province's workbook the writing
process reads them itself (`BoardReader`), on a read-only connection of its own to the database
file, all three in one snapshot, so that not one story crosses the bot's process. Both run the
same statements, built here.
"""

from __future__ import annotations

import operator
import sqlite3
from collections.abc import AsyncGenerator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.database import Database

__all__ = ["BoardQuery", "BoardReader", "Count", "Nomination", "StoryStream", "count_of",
           "counts_sql", "nomination_of", "nominations_sql"]

# Rows a fetch of BoardReader.stories takes from SQLite at once.
_FETCH = 1000


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


def counts_sql(where: str) -> str:
    """Stories (alias s) matching `where`, counted by campaign, status, kind, content, commune."""
    return ("SELECT s.campaign AS campaign, s.status AS status, s.kind AS kind,"
            " s.content AS content, s.commune_code AS commune_code, COUNT(*) AS n"
            f" FROM stories s WHERE {where}"
            " GROUP BY s.campaign, s.status, s.kind, s.content, s.commune_code")


def nominations_sql(where: str) -> str:
    """The nominations of the stories (alias s) matching `where`, by award then commune."""
    return ("SELECT n.*, s.commune_code, s.title, s.honoree_name, s.status, p.display_name,"
            " s.campaign FROM nominations n JOIN stories s ON s.id = n.story_id"
            f" LEFT JOIN people p ON p.id = n.nominated_by WHERE {where}"
            " ORDER BY n.award, s.commune_code, n.story_id")


def _stories_sql(where: str) -> str:
    """The stories (alias s) matching `where`, with their reporter's name and photo count."""
    return ("SELECT s.*, p.display_name AS reporter_name,"
            " (SELECT COUNT(*) FROM story_photos f WHERE f.story_id = s.id) AS photo_count"
            f" FROM stories s LEFT JOIN people p ON p.id = s.reporter_id WHERE {where}")


def count_of(r: sqlite3.Row) -> Count:
    """A row of counts_sql as a Count."""
    return Count(r["status"], r["kind"], r["content"], r["commune_code"], r["n"], r["campaign"])


def nomination_of(r: sqlite3.Row) -> Nomination:
    """A row of nominations_sql as a Nomination."""
    return Nomination(r["story_id"], r["award"], r["reason"], r["commune_code"], r["title"],
                      r["honoree_name"], r["status"], r["display_name"], r["created_at"],
                      r["campaign"])


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """An export's reads as another process runs them: the database file, and which stories
    (a condition on the stories' alias s, with its parameters: scope, campaign, period)."""

    path: str
    where: str
    params: tuple[Any, ...]


class StoryStream:
    """Every story in scope, oldest first, streamed in pages from a reader thread; for a
    database file it also says how another process can read the same (`board`)."""

    def __init__(self, db: Database, where: str, params: list[Any], batch: int) -> None:
        self._db = db
        self._where = where
        self._params = params
        self._batch = batch
        self._rows = self._pages()

    def __aiter__(self) -> StoryStream:
        return self

    async def __anext__(self) -> aiosqlite.Row:
        return await anext(self._rows)

    async def aclose(self) -> None:
        """Stop reading."""
        await self._rows.aclose()

    @property
    def board(self) -> BoardQuery | None:
        """The same stories (with their counts and nominations) for another process to read;
        None for a database in memory, which no other process can open."""
        if self._db.file is None:
            return None
        return BoardQuery(str(self._db.file), self._where, tuple(self._params))

    async def _pages(self) -> AsyncGenerator[aiosqlite.Row, None]:
        sql = _stories_sql(self._where) + " AND s.id > ? ORDER BY s.id LIMIT ?"
        last = 0
        while True:
            rows = await self._db.fetchall_long(sql, [*self._params, last, self._batch])
            for row in rows:
                yield row
            if len(rows) < self._batch:
                return
            last = rows[-1]["id"]


class BoardReader:
    """One snapshot of the database file on a read-only connection of this process's own: the
    counts, the story list and the nominations all see the same stories, however long the
    list takes to read (WAL lets the bot write meanwhile)."""

    def __init__(self, query: BoardQuery) -> None:
        self._query = query
        self._conn = sqlite3.connect(query.path, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA query_only = 1")
        self._conn.execute("PRAGMA busy_timeout = 5000")
        self._conn.execute("BEGIN")  # the snapshot starts at the first read and ends at close

    def counts(self) -> list[Count]:
        """The stories counted by campaign, status, kind, content and commune."""
        return [count_of(r) for r in self._conn.execute(counts_sql(self._query.where),
                                                        self._query.params)]

    def nominations(self) -> list[Nomination]:
        """The nominations of the stories, by award then commune."""
        return [nomination_of(r) for r in self._conn.execute(nominations_sql(self._query.where),
                                                             self._query.params)]

    def stories(self, fields: Sequence[str]) -> Iterator[tuple[Any, ...]]:
        """Every story, oldest first, as the values of `fields` in that order."""
        cursor = self._conn.cursor()
        cursor.row_factory = None  # plain tuples: the list's rows are picked by position
        cursor.execute(_stories_sql(self._query.where) + " ORDER BY s.id", self._query.params)
        names = [column[0] for column in cursor.description]
        pick = operator.itemgetter(*(names.index(field) for field in fields))
        while rows := cursor.fetchmany(_FETCH):
            yield from map(pick, rows)

    def close(self) -> None:
        """End the snapshot and close the connection."""
        self._conn.close()
