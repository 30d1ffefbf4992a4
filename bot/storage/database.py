"""One SQLite file: a writer connection behind a lock, a reader connection, migrations."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["Database", "migrations"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
Params = Sequence[Any] | dict[str, Any]


def migrations() -> list[tuple[int, str, str]]:
    """Every migration shipped: (version, file name, SQL), in order, numbered 1, 2, 3 …"""
    folder = resources.files("bot.storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    for expected, (version, name, _) in enumerate(found, start=1):
        if version != expected:
            raise RuntimeError(f"migration {name} is out of sequence (expected {expected:04d})")
    return found


async def _configure(conn: aiosqlite.Connection) -> None:
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")


class Database:
    """Writes through one connection under a lock, a transaction at a time; reads use another."""

    def __init__(self, writer: aiosqlite.Connection, reader: aiosqlite.Connection) -> None:
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path | str, *, upto: int | None = None) -> Database:
        """Open (creating the folder and file), configure, and migrate to `upto` or the latest."""
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        writer = await aiosqlite.connect(path, isolation_level=None)
        writer.row_factory = aiosqlite.Row
        await _configure(writer)
        db_reader = await aiosqlite.connect(path, isolation_level=None)
        db_reader.row_factory = aiosqlite.Row
        await _configure(db_reader)
        db = cls(writer, db_reader)
        await db.migrate(upto)
        return db

    async def version(self) -> int:
        """The schema version (PRAGMA user_version)."""
        async with self._writer.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, upto: int | None = None) -> None:
        """Apply each migration newer than the file's version, each in its own transaction."""
        current = await self.version()
        for version, name, sql in migrations():
            if version <= current or (upto is not None and version > upto):
                continue
            log.info("applying migration %s", name)
            async with self._lock:
                await self._writer.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: committed on success, rolled back on any error."""
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
                await self._writer.execute("COMMIT")
            except BaseException:
                await self._rollback()
                raise

    async def _rollback(self) -> None:
        """End a failed transaction, whether or not SQLite already rolled it back (it may after
        SQLITE_FULL or an I/O error), so the next transaction can begin."""
        if self._writer.in_transaction:
            try:
                await self._writer.execute("ROLLBACK")
            except sqlite3.Error as exc:
                log.warning("rollback failed: %s", exc)

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row of a read."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Every row of a read, run to completion in one trip to the reader thread.

        A cursor left open between trips would keep the reader's snapshot alive while other
        coroutines read through the same connection, and they would see the database as it
        was before writes that have since committed.
        """
        return list(await self._reader.execute_fetchall(sql, params))

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement on its own, atomic by itself: one trip; returns the rows changed."""
        async with self._lock:
            cursor = await self._writer.execute(sql, params)
            changed = cursor.rowcount
            await cursor.close()
            return changed

    async def close(self) -> None:
        """Finish and close both connections."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:
            await self._writer.close()
        await self._reader.close()
