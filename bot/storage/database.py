"""One SQLite file: short work on the loop's thread, long reads on reader threads, migrations.

Short statements and transactions (a dialog step, a review action, filing) run on the event
loop's thread (see `loop.py`): on a WAL database they take microseconds, far less than a trip to
a worker thread, and a lock held by another connection is waited for off the loop. Reads that
may take long (statistics, the export's rows, a broadcast's audience, search, the gallery's
lists, the duplicate finder's pool, the digest, the audit log) are marked so by their
repository (`fetchall_long`, `fetchone_long`) and run on their own aiosqlite connection in a
worker thread, so the loop keeps answering everybody meanwhile. WAL checkpoints run on that
thread too, never on the loop.
"""

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

from bot.storage.database_file import DatabaseFileError, prepare_file
from bot.storage.loop import PATIENCE_S, LoopConnection

__all__ = ["Database", "DatabaseFileError", "migrations", "prepare_file"]

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
Params = Sequence[Any] | dict[str, Any]
# Commits between two checkpoints of the write-ahead log into the database file.
CHECKPOINT_EVERY = 500
# Connections (each with its own thread) for long reads.
LONG_READERS = 2


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


def _fetchall(conn: sqlite3.Connection, sql: str, params: Params) -> list[sqlite3.Row]:
    cur = conn.execute(sql, params)
    try:
        return cur.fetchall()
    finally:
        cur.close()


def _fetchone(conn: sqlite3.Connection, sql: str, params: Params) -> sqlite3.Row | None:
    cur = conn.execute(sql, params)
    try:
        row: sqlite3.Row | None = cur.fetchone()
        return row
    finally:
        cur.close()  # ends the read at once: no snapshot outlives the call


def _write(conn: sqlite3.Connection, sql: str, params: Params) -> int:
    cur = conn.execute(sql, params)
    try:
        return cur.rowcount
    finally:
        cur.close()


class Database:
    """Writes through one connection under a lock; short reads on another; long reads threaded."""

    def __init__(self, writer: LoopConnection, reader: LoopConnection,
                 long_readers: list[aiosqlite.Connection]) -> None:
        self._writer = writer
        self._reader = reader
        self._long = long_readers
        self._busy = [0] * len(long_readers)
        self._lock = asyncio.Lock()
        self._closed = False
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None
        self.file: Path | None = None  # the database file (None in memory): other processes read it

    @classmethod
    async def open(cls, path: Path | str, *, upto: int | None = None) -> Database:
        """Open (creating the folder and file), configure, and migrate to `upto` or the latest."""
        if str(path) != ":memory:":
            prepare_file(Path(path), len(migrations()))
        opened: list[LoopConnection] = []
        db: Database | None = None
        try:  # a connection left open keeps its thread, and the process, alive
            opened.append(LoopConnection(path))
            opened.append(LoopConnection(path, query_only=True))
            db = cls(opened[0], opened[1], [])
            db.file = None if str(path) == ":memory:" else Path(path).resolve()
            for _ in range(LONG_READERS):
                long_reader = await aiosqlite.connect(path, isolation_level=None)
                db._long.append(long_reader)
                db._busy.append(0)
                long_reader.row_factory = aiosqlite.Row
                await long_reader.execute(f"PRAGMA busy_timeout = {int(PATIENCE_S * 1000)}")
            await db.migrate(upto)
        except BaseException as exc:
            if db is not None:
                await db.close()
            for conn in opened:
                await conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise DatabaseFileError(f"DATABASE_PATH {path}: {exc}") from exc
            raise
        return db

    async def version(self) -> int:
        """The schema version (PRAGMA user_version)."""
        row = await self._writer.run(_fetchone, self._writer.raw, "PRAGMA user_version", ())
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
        async with self._lock, self._writing() as tx:
            yield tx
        await self._committed()

    @asynccontextmanager
    async def transaction_long(self) -> AsyncIterator[aiosqlite.Connection]:
        """As `transaction`, for writes of many rows (a broadcast's deliveries): each statement
        runs in a worker thread, so the loop keeps answering meanwhile."""
        writer = self._writer
        async with self._lock:
            writer.offload = True
            try:
                async with self._writing() as tx:
                    yield tx
            finally:
                writer.offload = False
        await self._committed()

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN, the caller's statements, COMMIT; on any failure (a refused COMMIT too) the
        transaction is rolled back, so the connection never stays inside a dead one."""
        writer = self._writer
        try:
            await writer.execute("BEGIN IMMEDIATE")
            yield writer
            await writer.execute("COMMIT")
        except BaseException:
            writer.abandon()
            raise

    async def fetchone(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row of a short read (by key, through an index), on the loop's thread."""
        return await self._reader.run(_fetchone, self._reader.raw, sql, params)

    async def fetchall(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Every row of a short read, read to the end at once (no snapshot outlives the call)."""
        return await self._reader.run(_fetchall, self._reader.raw, sql, params)

    async def fetchone_long(self, sql: str, params: Params = ()) -> aiosqlite.Row | None:
        """One row of a read that may scan many rows: on a reader thread, off the loop."""
        rows = await self.fetchall_long(sql, params)
        return rows[0] if rows else None

    async def fetchall_long(self, sql: str, params: Params = ()) -> list[aiosqlite.Row]:
        """Every row of a read that may scan many rows: on a reader thread, off the loop.

        It goes to the reader with the fewest reads waiting, so two long reads (the two
        halves of /stats, or /stats during an export) run side by side.
        """
        index = self._busy.index(min(self._busy))
        self._busy[index] += 1
        try:
            return list(await self._long[index].execute_fetchall(sql, params))
        finally:
            self._busy[index] -= 1

    async def write(self, sql: str, params: Params = ()) -> int:
        """One statement on its own, atomic by itself; returns the rows changed."""
        writer = self._writer
        async with self._lock:
            changed = await writer.run(_write, writer.raw, sql, params)
        await self._committed()
        return changed

    async def _committed(self) -> None:
        """After a commit: let other coroutines run, and now and then checkpoint off the loop.

        Statements here never wait on the loop, so a coroutine that only talks to the database
        would otherwise keep the loop to itself; every commit is a turn for everyone else.
        """
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpoint is None and not self._closed:
            self._commits = 0
            self._checkpoint = asyncio.create_task(self._run_checkpoint())
        await asyncio.sleep(0)

    async def _run_checkpoint(self) -> None:
        try:
            await self._long[0].execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error as exc:
            log.warning("WAL checkpoint failed: %s", exc)
        finally:
            self._checkpoint = None

    async def close(self) -> None:
        """Finish and close every connection."""
        if self._closed:
            return
        self._closed = True
        if self._checkpoint is not None:
            await self._checkpoint
        async with self._lock:
            await self._writer.close()
        await self._reader.close()
        for long_reader in self._long:
            await long_reader.close()
