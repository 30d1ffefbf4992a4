"""Storage designs side by side: the dialog's storage work per update, three ways, same SQL.

    .venv/bin/python benchmarks/storage.py [--chats 2000] [--steps 16] [--concurrency 64]
                                           [--rounds 3]

Each chat walks `--steps` units of work, as a person walking /report does: find the person,
load the dialog, save the dialog; the last unit also files a story (a transaction of three
statements). 64 chats are in flight at once, over one SQLite file in WAL mode with the bot's
schema. The designs:

  per statement  aiosqlite, every statement a round trip to its connection's worker thread
                 (the storage before issue 11)
  per unit       one worker thread hop per unit of work: the unit's statements in one function
                 run by a single-thread executor
  loop thread    the bot's Database: sqlite3 on the event loop's thread, a lock held elsewhere
                 waited for off the loop (bot/storage/loop.py)

Each design runs in its own subprocess, `--rounds` times; the medians are printed with the
longest event-loop stall (the longest single callback) and the CPU time per unit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402

from benchmarks.measure import StallMeter, machine, medians, percentile  # noqa: E402
from bot.storage import Database, open_storage  # noqa: E402

DESIGNS = ("per statement", "per unit", "loop thread")
FIND = "SELECT * FROM people WHERE channel = ? AND external_id = ?"
LOAD = "SELECT * FROM dialogs WHERE channel = ? AND chat_id = ?"
SAVE = (
    "INSERT INTO dialogs (channel, chat_id, person_id, flow, step, data, prompt, updated_at)"
    " VALUES (?, ?, ?, 'report', ?, ?, '{}', ?) ON CONFLICT (channel, chat_id) DO UPDATE SET"
    " flow = excluded.flow, step = excluded.step, data = excluded.data,"
    " updated_at = excluded.updated_at"
)
FILE = (
    "INSERT INTO stories (reporter_id, submission_key, channel, kind, content, commune_code,"
    " honoree_name, honoree_role, title, description, event_date, status, created_at,"
    " updated_at) VALUES (?, ?, 'fake', 'good_deed', 1, 30307, 'An', 'nông dân', 'Cầu khỉ',"
    " ?, '2025-09-02', 'pending', ?, ?) RETURNING id"
)
EVENT = ("INSERT INTO story_events (story_id, actor_id, action, to_status, created_at)"
         " VALUES (?, ?, 'submit', 'pending', ?)")
DATA = json.dumps({"kind": "good_deed", "content": 1, "title": "Sửa cầu khỉ cho bà con ấp",
                   "description": "Ông An đã tự bỏ tiền và công sức sửa cây cầu khỉ. " * 3},
                  ensure_ascii=False)
Unit = Callable[[int, int], Awaitable[None]]


def stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


async def seed(path: Path, chats: int) -> None:
    storage = await open_storage(path)
    await storage.close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO people (channel, external_id, language, created_at)"
                     " VALUES ('fake', ?, 'vi', '2025-01-01')", [(f"c{i}",) for i in range(chats)])
    conn.execute("COMMIT")
    conn.close()


def unit_sync(conn: sqlite3.Connection, chat: int, step: int, last: bool) -> None:
    """The whole unit in one function (the per-unit design runs it in the worker thread)."""
    person = conn.execute(FIND, ("fake", f"c{chat}")).fetchone()
    conn.execute(LOAD, ("fake", f"c{chat}")).fetchall()
    now = stamp()
    conn.execute(SAVE, ("fake", f"c{chat}", person[0], f"s{step}", DATA, now)).close()
    if last:
        conn.execute("BEGIN IMMEDIATE")
        story = conn.execute(FILE, (person[0], f"k{chat}", DATA, now, now)).fetchone()
        conn.execute(EVENT, (story[0], person[0], now)).close()
        conn.execute("COMMIT")


async def per_statement(path: Path, steps: int) -> tuple[Unit, Callable[[], Awaitable[None]]]:
    writer = await aiosqlite.connect(path, isolation_level=None)
    reader = await aiosqlite.connect(path, isolation_level=None)
    for conn in (writer, reader):
        for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 5000"):
            await conn.execute(f"PRAGMA {pragma}")
    lock = asyncio.Lock()

    async def unit(chat: int, step: int) -> None:
        person = next(iter(await reader.execute_fetchall(FIND, ("fake", f"c{chat}"))))
        await reader.execute_fetchall(LOAD, ("fake", f"c{chat}"))
        now = stamp()
        async with lock:
            cur = await writer.execute(SAVE, ("fake", f"c{chat}", person[0], f"s{step}", DATA,
                                              now))
            await cur.close()
        if step == steps - 1:
            async with lock:
                await writer.execute("BEGIN IMMEDIATE")
                async with writer.execute(FILE, (person[0], f"k{chat}", DATA, now, now)) as cur:
                    story = await cur.fetchone()
                assert story is not None
                await writer.execute(EVENT, (story[0], person[0], now))
                await writer.execute("COMMIT")

    async def close() -> None:
        await writer.close()
        await reader.close()

    return unit, close


async def per_unit(path: Path, steps: int) -> tuple[Unit, Callable[[], Awaitable[None]]]:
    pool = ThreadPoolExecutor(max_workers=1)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "busy_timeout = 5000"):
        conn.execute(f"PRAGMA {pragma}")
    loop = asyncio.get_running_loop()

    async def unit(chat: int, step: int) -> None:
        await loop.run_in_executor(pool, unit_sync, conn, chat, step, step == steps - 1)

    async def close() -> None:
        pool.shutdown()
        conn.close()

    return unit, close


async def loop_thread(path: Path, steps: int) -> tuple[Unit, Callable[[], Awaitable[None]]]:
    db = await Database.open(path)

    async def unit(chat: int, step: int) -> None:
        person = await db.fetchone(FIND, ("fake", f"c{chat}"))
        assert person is not None
        await db.fetchone(LOAD, ("fake", f"c{chat}"))
        now = stamp()
        await db.write(SAVE, ("fake", f"c{chat}", person[0], f"s{step}", DATA, now))
        if step == steps - 1:
            async with db.transaction() as tx:
                async with tx.execute(FILE, (person[0], f"k{chat}", DATA, now, now)) as cur:
                    story = await cur.fetchone()
                assert story is not None
                await tx.execute(EVENT, (story[0], person[0], now))

    return unit, db.close


async def measure(design: str, chats: int, steps: int, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gs-storage-") as tmp:
        path = Path(tmp) / "bench.sqlite3"
        await seed(path, chats)
        opener = {"per statement": per_statement, "per unit": per_unit,
                  "loop thread": loop_thread}[design]
        unit, close = await opener(path, steps)
        slots = asyncio.Semaphore(concurrency)
        latencies: list[float] = []

        async def walk(chat: int) -> None:
            for step in range(steps):
                async with slots:
                    started = time.perf_counter()
                    await unit(chat, step)
                    latencies.append(time.perf_counter() - started)

        with StallMeter() as stalls:
            cpu, wall = time.process_time(), time.perf_counter()
            await asyncio.gather(*(walk(i) for i in range(chats)))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await close()
        check = sqlite3.connect(path)
        stories = check.execute("SELECT COUNT(*) FROM stories").fetchone()[0]
        check.close()
    if stories != chats:
        raise SystemExit(f"{design}: {stories} stories filed, expected {chats}")
    units = chats * steps
    return {"design": design, "units_per_s": units / wall, "p50_ms": percentile(latencies, 50)
            * 1000, "p99_ms": percentile(latencies, 99) * 1000, "cpu_ms_per_unit": cpu / units
            * 1000, "stall_ms": stalls.longest * 1000}


def run_worker(design: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", design,
               "--chats", str(args.chats), "--steps", str(args.steps),
               "--concurrency", str(args.concurrency)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,
                          timeout=1800)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"storage benchmark worker {design!r} failed: exit {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=16)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=DESIGNS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(measure(args.worker, args.chats, args.steps,
                                             args.concurrency))))
        return 0
    print(machine())
    print(f"load: {args.chats} chats × {args.steps} units (find person, load and save the "
          f"dialog; the last also files a story), {args.concurrency} in flight, "
          f"{args.rounds} rounds, medians")
    results = {}
    for _ in range(args.rounds):
        for design in DESIGNS:
            results.setdefault(design, []).append(run_worker(design, args))
    base = medians(results["per statement"])
    print(f"\n{'design':16}{'units/s':>10}{'× before':>10}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'CPU ms/unit':>13}{'longest stall ms':>18}")
    for design in DESIGNS:
        m = medians(results[design])
        print(f"{design:16}{m['units_per_s']:>10.0f}{m['units_per_s'] / base['units_per_s']:>9.2f}×"
              f"{m['p50_ms']:>9.2f}{m['p99_ms']:>9.2f}{m['cpu_ms_per_unit']:>13.3f}"
              f"{m['stall_ms']:>18.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
