"""An aiosqlite connection whose statements run on the event loop's own thread.

A short statement on a WAL database takes microseconds; a trip to a worker thread and back
costs more than the statement itself, several times per update. So these connections run each
statement right where it is awaited. Only when SQLite says the database is locked by another
connection (a backup, the operator's console, another process) for longer than the short busy
timeout does the statement wait in a worker thread, off the loop, so no lock held elsewhere can
freeze every chat. Everything aiosqlite offers (execute, executemany, cursors with fetchone,
fetchall and rowcount, rows as sqlite3.Row) works unchanged, as every call goes through
`_execute`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

__all__ = ["LOOP_BUSY_MS", "PATIENCE_S", "LoopConnection", "is_busy"]

T = TypeVar("T")
log = logging.getLogger(__name__)

# How long SQLite may wait for a lock on the loop's thread before the wait moves off the loop.
LOOP_BUSY_MS = 20
# How long a statement waits, in a worker thread, for a lock held elsewhere before failing.
PATIENCE_S = 5.0


def is_busy(exc: BaseException) -> bool:
    """Whether SQLite refused because another connection holds a lock (SQLITE_BUSY)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (
        isinstance(exc, sqlite3.OperationalError)
        and isinstance(code, int)
        and code & 0xFF == sqlite3.SQLITE_BUSY
    )


class LoopConnection(aiosqlite.Connection):
    """aiosqlite's Connection, run on the loop thread; a locked database is waited for off it."""

    def __init__(self, path: Path | str, *, query_only: bool = False) -> None:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        super().__init__(lambda: conn, 64)
        self._connection = conn
        conn.row_factory = sqlite3.Row
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON",
                       f"busy_timeout = {LOOP_BUSY_MS}", "wal_autocheckpoint = 0",
                       f"query_only = {int(query_only)}"):
            conn.execute(f"PRAGMA {pragma}").close()
        self._gate = asyncio.Lock()
        self._abandoned = False
        self.offload = False  # every call in a worker thread (a long write), while True

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a call on the connection here, or off the loop while the database is locked."""
        if self._connection is None:
            raise ValueError("Connection closed")
        if self.offload:
            return await self._off_loop(fn, args, kwargs)
        if self._gate.locked():  # a worker thread has the connection: wait for it, then go on
            async with self._gate:
                pass
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc):
                raise
        return await self._off_loop(fn, args, kwargs)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run any function of the sqlite3 connection (`self.raw`) as a statement would run."""
        return await self._execute(fn, *args)

    @property
    def raw(self) -> sqlite3.Connection:
        """The sqlite3 connection underneath (only for functions passed to `run`)."""
        return self._conn

    async def _off_loop(self, fn: Callable[..., T], args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> T:
        """Run in a worker thread, retried until the lock is free or PATIENCE_S has passed."""
        await self._gate.acquire()
        loop = asyncio.get_running_loop()
        waiting = loop.run_in_executor(None, _patiently, fn, args, kwargs)
        waiting.add_done_callback(self._back_on_loop)
        # Shielded: if the caller is cancelled, the thread still owns the connection until
        # it returns, and only then is the gate opened (see _back_on_loop).
        return await asyncio.shield(waiting)

    def _back_on_loop(self, _: asyncio.Future[Any]) -> None:
        if self._abandoned:
            self._abandoned = False
            self._rollback_now()
        self._gate.release()

    def abandon(self) -> None:
        """Roll back an open transaction now, or as soon as a worker thread gives it back."""
        if self._gate.locked():
            self._abandoned = True
        else:
            self._rollback_now()

    def _rollback_now(self) -> None:
        """End a failed transaction, whether or not SQLite already rolled it back (it may after
        SQLITE_FULL or an I/O error), so the next transaction can begin."""
        conn = self._connection
        if conn is not None and conn.in_transaction:
            try:
                conn.execute("ROLLBACK").close()
            except sqlite3.Error as exc:
                log.warning("rollback failed: %s", exc)

    async def close(self) -> None:
        """Close the connection once any worker thread has given it back."""
        if self._connection is None:
            return
        async with self._gate:
            conn, self._connection = self._connection, None
            self._running = False
            conn.close()


def _patiently(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    """Call until SQLite stops answering busy (each try waits LOOP_BUSY_MS inside SQLite)."""
    deadline = time.monotonic() + PATIENCE_S
    while True:
        try:
            return fn(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() >= deadline:
                raise
