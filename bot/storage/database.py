"""One SQLite file: a writer connection behind a lock, a reader connection, migrations."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

__all__ = ["Database", "DatabaseFileError", "migrations", "prepare_file"]

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


class DatabaseFileError(Exception):
    """DATABASE_PATH cannot be used as it is; the message says why in one line."""


_HEADER = b"SQLite format 3\x00"


def _schema_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"DATABASE_PATH {path}: {exc}") from None
    finally:
        conn.close()


def prepare_file(path: Path) -> None:
    """Check DATABASE_PATH before SQLite opens it, and keep the file private.

    The folder is created 0700 and a new file 0600 (SQLite gives its -wal and -shm files the
    database file's mode); an existing file, -wal and -shm are set back to 0600. A folder, a
    file that is not SQLite, a folder that cannot be written or a schema newer than the code
    raise DatabaseFileError naming DATABASE_PATH.
    """
    name = f"DATABASE_PATH {path}"
    for folder in reversed(path.parents):
        if folder.exists() and not folder.is_dir():
            raise DatabaseFileError(f"{name}: {folder} is a file, not a folder")
    if path.is_dir():
        raise DatabaseFileError(f"{name} is a folder, not a database file")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFileError(f"{name}: cannot create the folder {path.parent}"
                                f" ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseFileError(f"{name}: the folder {path.parent} is not writable")
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise DatabaseFileError(f"{name}: cannot create the file ({exc.strerror})") from None
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseFileError(f"{name} is not readable and writable by this user")
    with path.open("rb") as fh:
        head = fh.read(len(_HEADER))
    if head and head != _HEADER:
        raise DatabaseFileError(f"{name} is not an SQLite database")
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except PermissionError:
            log.warning("%s: cannot make %s private (owned by another user)", name, file)
    latest, found = len(migrations()), _schema_version(path) if head else 0
    if found > latest:
        raise DatabaseFileError(
            f"{name} has schema version {found}, newer than this code knows ({latest}):"
            " run the newer version of the bot, or restore a backup made by this one")


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
            prepare_file(Path(path))
        opened: list[aiosqlite.Connection] = []
        try:  # a connection left open keeps its thread, and the process, alive
            for _ in range(2):
                conn = await aiosqlite.connect(path, isolation_level=None)
                opened.append(conn)
                conn.row_factory = aiosqlite.Row
                await _configure(conn)
            db = cls(*opened)
            await db.migrate(upto)
        except BaseException as exc:
            for conn in opened:
                await conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise DatabaseFileError(f"DATABASE_PATH {path}: {exc}") from exc
            raise
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
