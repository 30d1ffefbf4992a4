"""Storage on the loop's thread: a lock held elsewhere never freezes the chats; long reads run
off the loop; a reply is only ever given for what is already on disk."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import DialogState, Storage, loop

SLOW_COUNT = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
    " SELECT COUNT(*) AS n, MAX(x) AS top FROM c"
)


class Heartbeat:
    """Ticks every 5 ms on the event loop; counts the ticks and the longest gap between two."""

    def __init__(self) -> None:
        self.ticks = 0
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.ticks += 1
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self) -> Heartbeat:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another connection (as the operator's console would be) in the middle of a write."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE people SET language = 'en' WHERE external_id = 'other'")
    return other


async def test_a_write_lock_held_elsewhere_for_half_a_second_does_not_stop_the_loop(
    storage: Storage, db_path: Path
) -> None:
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    await storage.people.get_or_create("fake", "other", "vi")
    other = hold_write_lock(db_path)
    asyncio.get_running_loop().call_later(0.5, other.execute, "COMMIT")
    state = DialogState("fake", "lan", lan.id, flow="report", step="title")

    with Heartbeat() as beat:
        started = time.perf_counter()
        await storage.dialogs.save(state, datetime.now(UTC))
        waited = time.perf_counter() - started
        ticks = beat.ticks

    other.close()
    assert waited >= 0.45  # it did wait for the other connection's lock ...
    assert ticks >= 10  # ... and the loop kept running meanwhile (frozen, it could not tick)
    loaded = await storage.dialogs.load("fake", "lan")
    assert loaded is not None and (loaded.flow, loaded.step) == ("report", "title")
    row = await storage.db.fetchone("SELECT language FROM people WHERE external_id = 'other'")
    assert row is not None and row["language"] == "en"


async def test_reads_go_on_while_another_connection_holds_the_write_lock(
    storage: Storage, db_path: Path
) -> None:
    await storage.people.get_or_create("fake", "other", "vi")
    other = hold_write_lock(db_path)
    try:
        started = time.perf_counter()
        person = await storage.people.find("fake", "other")
        assert time.perf_counter() - started < 0.5
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert person is not None and person.language == "vi"  # the committed state, not the draft


async def test_a_lock_never_released_fails_the_write_cleanly_and_the_next_one_succeeds(
    storage: Storage, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop, "PATIENCE_S", 0.3)
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    await storage.people.get_or_create("fake", "other", "vi")
    other = hold_write_lock(db_path)
    with Heartbeat() as beat, pytest.raises(sqlite3.OperationalError, match="locked"):
        await storage.people.set_language(lan, "en")
    assert beat.ticks >= 10
    other.execute("ROLLBACK")
    other.close()
    stored = await storage.people.get(lan.id)
    assert stored is not None and stored.language == "vi"
    await storage.people.set_language(lan, "en")
    stored = await storage.people.get(lan.id)
    assert stored is not None and stored.language == "en"


async def test_a_transaction_cancelled_while_waiting_for_a_lock_leaves_no_lock_behind(
    storage: Storage, db_path: Path
) -> None:
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    await storage.people.get_or_create("fake", "other", "vi")
    other = hold_write_lock(db_path)

    async def rename() -> None:
        async with storage.db.transaction() as tx:
            await tx.execute("UPDATE people SET language = 'en' WHERE id = ?", (lan.id,))

    waiting = asyncio.create_task(rename())
    await asyncio.sleep(0.2)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    other.execute("COMMIT")  # the lock is free: the abandoned wait may now take it ...
    other.close()
    await asyncio.sleep(0.1)
    # ... but it must give it back unchanged, so the next write is not locked out.
    await storage.people.set_language(lan, "km")
    stored = await storage.people.get(lan.id)
    assert stored is not None and stored.language == "km"
    third = sqlite3.connect(db_path, isolation_level=None, timeout=0.1)
    third.execute("BEGIN IMMEDIATE")
    third.execute("ROLLBACK")
    third.close()


async def test_a_long_read_runs_off_the_loop_and_sees_only_committed_rows(
    storage: Storage,
) -> None:
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    state = DialogState("fake", "lan", lan.id, flow="report", step="title")
    chat_done: list[float] = []

    async def a_chat_step() -> None:
        await asyncio.sleep(0.05)
        await storage.dialogs.save(state, datetime.now(UTC))
        assert await storage.dialogs.load("fake", "lan") is not None
        chat_done.append(time.perf_counter())

    with Heartbeat() as beat:
        step = asyncio.create_task(a_chat_step())
        row = await storage.db.fetchone_long(SLOW_COUNT, (1_000_000,))
        read_done = time.perf_counter()
        await step
        ticks = beat.ticks
    assert row is not None and row["n"] == 1_000_000 and row[1] == 1_000_000
    assert chat_done and chat_done[0] < read_done  # the chat was answered during the read
    assert ticks >= 5

    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE people SET language = 'en' WHERE id = ?", (lan.id,))
        during = await storage.db.fetchall_long("SELECT language FROM people WHERE id = ?",
                                                (lan.id,))
    after = await storage.db.fetchall_long("SELECT language FROM people WHERE id = ?", (lan.id,))
    assert [r["language"] for r in during] == ["vi"]
    assert [r["language"] for r in after] == ["en"]


async def test_a_long_write_runs_off_the_loop_and_commits_or_rolls_back_whole(
    storage: Storage,
) -> None:
    many = ("INSERT INTO people (channel, external_id, language, created_at)"
            " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
            " SELECT 'bulk', 'p' || x, 'vi', '2025-01-01' FROM c")
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    with Heartbeat() as beat:
        step = asyncio.create_task(storage.people.set_language(lan, "en"))
        async with storage.db.transaction_long() as tx, tx.execute(many, (300_000,)) as cur:
            assert cur.rowcount == 300_000
        await step
        ticks = beat.ticks
    assert ticks >= 5  # the loop ran while SQLite wrote 300,000 rows
    row = await storage.db.fetchone("SELECT COUNT(*) FROM people WHERE channel = 'bulk'")
    assert row is not None and row[0] == 300_000
    stored = await storage.people.get(lan.id)
    assert stored is not None and stored.language == "en"  # the short write waited its turn

    with pytest.raises(sqlite3.IntegrityError):
        async with storage.db.transaction_long() as tx:
            await tx.execute("DELETE FROM people WHERE channel = 'bulk'")
            await tx.execute(many, (1,))  # 'bulk', 'p1' exists no more: then a duplicate
            await tx.execute(many, (1,))
    row = await storage.db.fetchone("SELECT COUNT(*) FROM people WHERE channel = 'bulk'")
    assert row is not None and row[0] == 300_000


async def test_a_second_long_read_does_not_wait_for_the_first(storage: Storage) -> None:
    """/stats runs its two halves side by side; an export does not hold up /stats."""
    finished: list[str] = []

    async def read(name: str, sql: str, params: tuple[object, ...] = ()) -> None:
        await storage.db.fetchall_long(sql, params)
        finished.append(name)

    slow = asyncio.create_task(read("slow", SLOW_COUNT, (1_000_000,)))
    await asyncio.sleep(0.05)
    await read("quick", "SELECT COUNT(*) FROM people")
    await slow
    assert finished == ["quick", "slow"]


async def test_transaction_cursors_keep_the_aiosqlite_interface(storage: Storage) -> None:
    async with storage.db.transaction() as tx:
        await tx.executemany("INSERT INTO people (channel, external_id, language, created_at)"
                             " VALUES ('fake', ?, 'vi', '2025-01-01')", [("a",), ("b",)])
        async with tx.execute("UPDATE people SET role = 'reviewer' WHERE channel = 'fake'") as cur:
            assert cur.rowcount == 2
        async with tx.execute("SELECT external_id FROM people ORDER BY id") as cur:
            first = await cur.fetchone()
            rest = list(await cur.fetchall())
        listed = [r["external_id"] async for r in await tx.execute(
            "SELECT external_id FROM people ORDER BY id")]
    assert first is not None and first["external_id"] == "a" and first[0] == "a"
    assert [r[0] for r in rest] == ["b"]
    assert listed == ["a", "b"]
    with pytest.raises(sqlite3.IntegrityError):
        async with storage.db.transaction() as tx:
            await tx.execute("UPDATE people SET role = 'admin' WHERE external_id = 'a'")
            await tx.execute("INSERT INTO people (channel, external_id, language, created_at)"
                             " VALUES ('fake', 'a', 'vi', '2025-01-01')")
    roles = await storage.db.fetchall("SELECT role FROM people ORDER BY id")
    assert [r["role"] for r in roles] == ["reviewer", "reviewer"]  # rolled back as a whole


async def test_a_commit_that_fails_leaves_no_transaction_open(storage: Storage) -> None:
    """A refused COMMIT (here a foreign key checked at commit) changes nothing, stops nothing."""
    with pytest.raises(sqlite3.IntegrityError):
        async with storage.db.transaction() as tx:
            await tx.execute("PRAGMA defer_foreign_keys = ON")
            await tx.execute("INSERT INTO dialogs (channel, chat_id, person_id, updated_at)"
                             " VALUES ('fake', 'ghost', 424242, '2025-01-01')")
    assert await storage.db.fetchall("SELECT * FROM dialogs") == []
    lan = await storage.people.get_or_create("fake", "lan", "vi")
    await storage.dialogs.save(DialogState("fake", "lan", lan.id, flow="report"),
                               datetime.now(UTC))
    loaded = await storage.dialogs.load("fake", "lan")
    assert loaded is not None and loaded.flow == "report"


KILLED_AFTER_REPLY = textwrap.dedent("""
    import asyncio, sys, time
    from datetime import UTC, datetime
    from bot.storage import DialogState, open_storage

    async def main() -> None:
        storage = await open_storage(sys.argv[1])
        person = await storage.people.get_or_create("fake", "lan", "vi")
        for step in range(1, 301):
            state = DialogState("fake", "lan", person.id, flow="report", step=f"s{step}")
            await storage.dialogs.save(state, datetime.now(UTC))
        print("saved s300", flush=True)
        time.sleep(60)

    asyncio.run(main())
""")


def test_a_process_killed_right_after_its_reply_has_every_step_on_disk(tmp_path: Path) -> None:
    path = tmp_path / "killed.sqlite3"
    root = Path(__file__).resolve().parent.parent
    child = subprocess.Popen([sys.executable, "-c", KILLED_AFTER_REPLY, str(path)], cwd=root,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "saved s300"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT step FROM dialogs").fetchall() == [("s300",)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
