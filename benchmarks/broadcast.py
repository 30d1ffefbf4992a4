"""Broadcast benchmark: one reminder to N subscribers through the real engine and Telegram sender.

    .venv/bin/python benchmarks/broadcast.py [--recipients 100000] [--concurrency 200]

The engine (`bot.broadcast.BroadcastEngine`) sends through the real `TelegramSender` over the real
python-telegram-bot `Bot`; only the wire is fake: a `BaseRequest` whose `do_request` sleeps
`--latency` (50 ms) and answers sendMessage like Telegram. Storage is a real SQLite file (WAL) in
a temporary folder, seeded with N consenting people subscribed to "anniversaries"; each run gets
its own copy and creates one broadcast `topic:anniversaries` (N delivery rows).

Runs, each in a fresh subprocess so that max RSS belongs to one run only (the parent imports
neither the bot nor python-telegram-bot and seeds through a worker too: a Linux child's ru_maxrss
starts from its parent's RSS at spawn):

* baseline   the same wire and Bot, driven by `--concurrency` bare asyncio tasks calling
             `bot.send_message` directly, no storage: the ceiling of wire + python-telegram-bot;
* limited    the engine at `--rate` (1,000) messages a second: the achieved rate over the run;
* unlimited  the engine with rate=None: its own ceiling;
* traced     the unlimited run again under tracemalloc, started before any import (peak traced
             memory; its timings are not used, so it runs alongside the crash run);
* crash      the engine (at `--crash-rate`) in a child that the parent SIGKILLs once about half
             of the recipients are recorded as sent, then a second child over the same file that
             finishes the broadcast. The wire appends each answered chat id to a log (one write(2)
             per send, so it survives SIGKILL); the child writes the engine's in-flight count every
             20 ms to a side file. Afterwards: every recipient must have exactly one delivery row,
             'sent'; duplicates on the wire must not exceed the sends in flight at the kill.

Targets (PASS/FAIL printed; the exit status is 0 whatever they say, non-zero only when the
benchmark itself could not run): >= 90 % of the limit at 1,000/s, peak memory < 200 MB,
exactly-once in storage after the crash, wire duplicates <= in flight at the kill.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import logging
import os
import platform
import pstats
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.storage import Storage

# The parent process imports neither the bot nor python-telegram-bot, and does no seeding itself:
# on Linux a child's ru_maxrss starts from its parent's peak RSS at spawn time, so the parent
# stays small (~20 MB) and each worker's getrusage figure is its own.

TOKEN = "123456:BENCH-token-never-logged"
BOT_ID = 777000
FIRST_CHAT = 100_000_000  # person i (1-based) talks to us in chat FIRST_CHAT + i
TOPIC = "anniversaries"
PARAMS = {
    "vi": "🇻🇳 Ngày 2/9: kỷ niệm Quốc khánh. Hãy kể cho chúng tôi một gương người tốt, việc tốt "
          "ở xã, phường của bạn — gõ /report.",
    "en": "🇻🇳 2 September: National Day. Tell us about a good deed in your commune — send "
          "/report.",
}
TARGET_SHARE = 0.90
TARGET_MEMORY_MB = 200.0


# --- the wire -------------------------------------------------------------------------------


def slow_wire(latency: float, recipients: int, log_path: Path | None = None) -> Any:
    """A Bot API that answers after `latency` seconds (imported here: workers only)."""
    from telegram.request import BaseRequest, RequestData

    class SlowWire(BaseRequest):
        """A Bot API that answers after `latency` seconds, like Telegram, keeping no requests.

        It counts sends per chat in a bytearray (for duplicates), and with `log_path` appends each
        answered chat id to that file with one unbuffered write(2) — the log survives SIGKILL.
        """

        def __init__(self, latency: float, recipients: int, log_path: Path | None = None) -> None:
            self.latency = latency
            self.per_chat = bytearray(recipients + 1)
            self.requests = 0
            self.answered = 0
            self.on_wire = 0
            self.max_on_wire = 0
            self.first_at: float | None = None
            self.last_at = 0.0
            self._next_id = 1000
            self._log = (os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                         if log_path else None)

        async def initialize(self) -> None:
            """Nothing to open."""

        async def shutdown(self) -> None:
            """Nothing to close (the log stays open: it is written until the process dies)."""

        @property
        def read_timeout(self) -> float | None:
            return None

        async def do_request(
            self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
            **kwargs: Any,
        ) -> tuple[int, bytes]:
            name = url.rsplit("/", 1)[-1]
            params = request_data.parameters if request_data else {}
            self.requests += 1
            if self.first_at is None:
                self.first_at = time.perf_counter()
            self.on_wire += 1
            self.max_on_wire = max(self.max_on_wire, self.on_wire)
            try:
                await asyncio.sleep(self.latency)
            finally:
                self.on_wire -= 1
            if name == "getMe":
                result: Any = {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng",
                               "username": "guongsang_bot", "can_join_groups": False,
                               "can_read_all_group_messages": False,
                               "supports_inline_queries": False}
            elif name == "sendMessage":
                chat_id = int(str(params["chat_id"]))
                self._next_id += 1
                result = {"message_id": self._next_id, "date": int(time.time()),
                          "chat": {"id": chat_id, "type": "private"},
                          "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
                          "text": params.get("text", "")}
                markup = params.get("reply_markup")
                if isinstance(markup, str) and markup.startswith("{"):
                    result["reply_markup"] = json.loads(markup)
                index = chat_id - FIRST_CHAT
                if 0 < index < len(self.per_chat) and self.per_chat[index] < 255:
                    self.per_chat[index] += 1
                if self._log is not None:
                    os.write(self._log, b"%d\n" % chat_id)
                self.answered += 1
                self.last_at = time.perf_counter()
            else:
                result = True
            return 200, json.dumps({"ok": True, "result": result}).encode()

        def duplicates(self) -> int:
            """Extra sends: messages to a chat beyond its first."""
            return sum(max(0, c - 1) for c in self.per_chat)

    return SlowWire(latency, recipients, log_path)


# --- setup ----------------------------------------------------------------------------------


def settings_for(db_path: Path) -> Settings:
    from pydantic import SecretStr

    from bot.config import Settings

    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, telegram_bot_token=SecretStr(TOKEN),
    )


async def seed(db_path: Path, recipients: int) -> float:
    """N consenting Telegram people, all subscribed to the topic; returns seconds taken."""
    from bot.storage import open_storage

    started = time.perf_counter()
    storage = await open_storage(db_path)
    try:
        stamp = "2025-08-01T00:00:00+00:00"
        async with storage.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO people (id, channel, external_id, language, consent, consent_at,"
                " created_at) VALUES (?, 'telegram', ?, 'vi', 1, ?, ?)",
                [(i, str(FIRST_CHAT + i), stamp, stamp) for i in range(1, recipients + 1)],
            )
            await tx.executemany(
                "INSERT INTO subscriptions (person_id, topic, created_at) VALUES (?, ?, ?)",
                [(i, TOPIC, stamp) for i in range(1, recipients + 1)],
            )
    finally:
        await storage.close()
    return time.perf_counter() - started


async def create_broadcast(storage: Storage, key: str) -> tuple[int, float]:
    started = time.perf_counter()
    broadcast_id = await storage.broadcasts.create(
        f"topic:{TOPIC}", key=key, topic=TOPIC, params=PARAMS)
    assert broadcast_id is not None
    return broadcast_id, time.perf_counter() - started


def max_rss_mb() -> float:
    """Max RSS of this process, from getrusage (kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def hwm_mb() -> float | None:
    """Peak RSS of this process's own address space (VmHWM), as a cross-check; Linux only."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


class ErrorCount(logging.Handler):
    """Counts ERROR records (the engine logs unexpected send failures, it does not raise)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 3:
            sys.stderr.write(self.format(record) + "\n")


def timed(stats: dict[str, float], name: str,
          fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """Wrap a storage call to add up its calls and wall time (the SQL runs in a thread)."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            stats[f"{name}_calls"] = stats.get(f"{name}_calls", 0) + 1
            ended = time.perf_counter()
            stats[f"{name}_s"] = stats.get(f"{name}_s", 0.0) + ended - started
            stats[f"{name}_last_end"] = ended

    return wrapper


# --- the workers (one subprocess each) ------------------------------------------------------


async def engine_run(db_path: Path, recipients: int, rate: float | None, concurrency: int,
                     latency: float, *, create_key: str | None = None,
                     broadcast_id: int | None = None, wire_log: Path | None = None,
                     status_path: Path | None = None, trace: bool = False,
                     profile: str | None = None) -> dict[str, Any]:
    """Run the engine over the file until the broadcast is done; measure it."""
    from bot.broadcast import BroadcastEngine
    from bot.channels.telegram import build_application
    from bot.dialog import Dialog
    from bot.storage import open_storage

    import_rss = max_rss_mb()
    errors = ErrorCount()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(errors)
    settings = settings_for(db_path)
    storage = await open_storage(db_path)
    wire = slow_wire(latency, recipients, wire_log)
    app = build_application(settings, Dialog(storage, settings), request=wire, rate_limit=False)
    await app.initialize()
    out: dict[str, Any] = {"rate_limit": rate, "concurrency": concurrency,
                           "import_rss_mb": import_rss}
    try:
        if create_key is not None:
            broadcast_id, out["create_s"] = await create_broadcast(storage, create_key)
        assert broadcast_id is not None
        stats: dict[str, float] = {}
        broadcasts = storage.broadcasts
        broadcasts.due = timed(stats, "due", broadcasts.due)  # type: ignore[method-assign,assignment]
        broadcasts.record = timed(stats, "record", broadcasts.record)  # type: ignore[method-assign,assignment]
        engine = BroadcastEngine(storage, {"telegram": app.bot_data["sender"]},
                                 settings.province_code, rate=rate, concurrency=concurrency)
        traced_before = 0
        if trace:
            tracemalloc.reset_peak()
            traced_before = tracemalloc.get_traced_memory()[0]
        stop = asyncio.Event()
        peaks = {"in_flight": 0}

        async def sample() -> None:
            fd = (os.open(status_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                  if status_path else None)
            while True:
                peaks["in_flight"] = max(peaks["in_flight"], engine.in_flight)
                if fd is not None:
                    line = f"{engine.in_flight} {len(engine._results)} {wire.on_wire}\n"
                    os.write(fd, line.encode())
                await asyncio.sleep(0.02)

        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        sampler = asyncio.create_task(sample())
        cpu, loop_cpu = time.process_time(), time.thread_time()
        started = time.perf_counter()
        running = asyncio.create_task(engine.run(stop))
        while True:
            row = await broadcasts.get(broadcast_id)
            if row is None or row["status"] != "active" or running.done():
                break
            await asyncio.sleep(0.1)  # a read costs the loop a hop: poll seldom, time exactly
        # The broadcast is done in the transaction of the last record(): the run ends there.
        done_at = stats.pop("record_last_end", time.perf_counter())
        stats.pop("due_last_end", None)
        cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
        stop.set()
        await running
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
        traced = tracemalloc.get_traced_memory()[1] if trace else None
        counts = await storage.db.fetchall(
            "SELECT status, COUNT(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        out.update({
            "recipients": recipients,
            "wall_s": done_at - started,
            "rate": wire.answered / (done_at - started),
            "wire_requests": wire.requests,
            "wire_answered": wire.answered,
            "wire_span_s": (wire.last_at - wire.first_at) if wire.first_at else 0.0,
            "wire_duplicates": wire.duplicates(),
            "max_on_wire": wire.max_on_wire,
            "max_in_flight": peaks["in_flight"],
            "cpu_us_per_msg": cpu / max(1, wire.answered) * 1e6,
            "loop_cpu_us_per_msg": loop_cpu / max(1, wire.answered) * 1e6,
            "loop_cpu_share": loop_cpu / (done_at - started),
            "statuses": {str(r[0]): int(r[1]) for r in counts},
            "errors_logged": errors.count,
            "max_rss_mb": max_rss_mb(),
            "vm_hwm_mb": hwm_mb(),
            "tracemalloc_peak_mb": traced / 2**20 if traced is not None else None,
            "tracemalloc_start_mb": traced_before / 2**20,
            **stats,
        })
    finally:
        await app.shutdown()
        await storage.close()
    return out


async def baseline_run(recipients: int, concurrency: int, latency: float) -> dict[str, Any]:
    """The same wire and Bot, `concurrency` bare tasks calling send_message; no storage."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup
    from telegram.constants import ParseMode
    from telegram.ext import ApplicationBuilder

    import_rss = max_rss_mb()
    wire = slow_wire(latency, recipients)
    app = ApplicationBuilder().token(TOKEN).request(wire).get_updates_request(wire).build()
    await app.initialize()
    bot = app.bot
    text = PARAMS["vi"] + "\n\n🔕 Không muốn nhận nữa? Bấm nút bên dưới hoặc gõ /unsubscribe."
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton("🔕 Ngừng nhận tin này", callback_data=f"unsub:{TOPIC}")]])
    chats = iter(range(FIRST_CHAT + 1, FIRST_CHAT + recipients + 1))

    async def worker() -> None:
        for chat in chats:
            await bot.send_message(str(chat), text, parse_mode=ParseMode.HTML,
                                   reply_markup=markup, disable_web_page_preview=True)

    cpu, loop_cpu = time.process_time(), time.thread_time()
    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - started
    cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
    await app.shutdown()
    return {"recipients": recipients, "concurrency": concurrency, "wall_s": wall,
            "rate": wire.answered / wall, "wire_answered": wire.answered,
            "wire_duplicates": wire.duplicates(), "max_on_wire": wire.max_on_wire,
            "cpu_us_per_msg": cpu / max(1, wire.answered) * 1e6,
            "loop_cpu_us_per_msg": loop_cpu / max(1, wire.answered) * 1e6,
            "loop_cpu_share": loop_cpu / wall,
            "max_rss_mb": max_rss_mb(), "vm_hwm_mb": hwm_mb(), "import_rss_mb": import_rss}


def worker_main(args: argparse.Namespace) -> int:
    if args.worker == "traced":
        tracemalloc.start()  # before any thread exists
    try:
        if args.worker == "seed":
            result = {"seconds": asyncio.run(seed(Path(args.db), args.recipients))}
        elif args.worker == "create":
            broadcast_id, seconds = asyncio.run(create_in(Path(args.db), args.create_key))
            result = {"broadcast_id": broadcast_id, "seconds": seconds}
        elif args.worker == "baseline":
            result = asyncio.run(baseline_run(args.recipients, args.concurrency, args.latency))
        else:
            rate = args.worker_rate or None
            result = asyncio.run(engine_run(
                Path(args.db), args.recipients, rate, args.concurrency, args.latency,
                create_key=args.create_key, broadcast_id=args.broadcast_id,
                wire_log=Path(args.wire_log) if args.wire_log else None,
                status_path=Path(args.status) if args.status else None,
                trace=args.worker == "traced"))
    except BaseException:
        # An aiosqlite connection left open keeps a non-daemon thread alive: leave at once.
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    print(json.dumps(result))
    return 0


# --- the parent -----------------------------------------------------------------------------


def worker_command(args: argparse.Namespace, which: str, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", which,
            "--recipients", str(args.recipients), "--concurrency", str(args.concurrency),
            "--latency", str(args.latency), *extra]


def parse_result(which: str, done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    if done.returncode != 0 or not done.stdout.strip():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker {which!r} failed: exit {done.returncode}")
    if done.stderr.strip():
        sys.stderr.write(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_worker(args: argparse.Namespace, which: str, *extra: str) -> dict[str, Any]:
    limit = 600 + args.recipients / 100
    try:
        done = subprocess.run(worker_command(args, which, *extra), capture_output=True, text=True,
                              cwd=ROOT, check=False, timeout=limit)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"benchmark worker {which!r} took over {limit:.0f} s") from None
    return parse_result(which, done)


def fresh_copy(template: Path, folder: Path, name: str) -> Path:
    target = folder / f"{name}.sqlite3"
    shutil.copyfile(template, target)
    return target


async def create_in(db_path: Path, key: str) -> tuple[int, float]:
    from bot.storage import open_storage

    storage = await open_storage(db_path)
    try:
        return await create_broadcast(storage, key)
    finally:
        await storage.close()


def sent_count(conn: sqlite3.Connection, broadcast_id: int) -> int:
    row = conn.execute("SELECT COUNT(*) FROM deliveries WHERE broadcast_id = ? AND status ="
                       " 'sent'", (broadcast_id,)).fetchone()
    return int(row[0])


def crash_run(args: argparse.Namespace, template: Path, folder: Path) -> dict[str, Any]:
    """SIGKILL a child at half-sent, finish with a second child, check exactly-once."""
    db_path = fresh_copy(template, folder, "crash")
    created = run_worker(args, "create", "--db", str(db_path), "--create-key", "bench-crash")
    broadcast_id = int(created["broadcast_id"])
    wire_log, status = folder / "wire.log", folder / "in_flight.log"
    extra = ("--db", str(db_path), "--broadcast-id", str(broadcast_id), "--worker-rate",
             str(args.crash_rate), "--wire-log", str(wire_log))
    half = args.recipients // 2
    out: dict[str, Any] = {"broadcast_id": broadcast_id, "half": half}
    with tempfile.TemporaryFile("w+") as err:
        first = subprocess.Popen(worker_command(args, "crash", *extra, "--status", str(status)),
                                 cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
        conn = sqlite3.connect(db_path, timeout=30)
        try:
            sent = 0
            line = len(f"{FIRST_CHAT + 1}\n")  # the wire log's lines are all this long
            while first.poll() is None:
                # Counting in SQLite reads ~N/2 index entries: only near the mark, the wire log's
                # size (sends answered) tells when that is.
                answered = wire_log.stat().st_size // line if wire_log.exists() else 0
                if answered < half * 0.95:
                    time.sleep(0.01)
                    continue
                sent = sent_count(conn, broadcast_id)
                if sent >= half:
                    break
                time.sleep(0.005)
            if first.poll() is not None:
                err.seek(0)
                sys.stderr.write(err.read())
                raise SystemExit(f"the first crash child ended by itself (exit "
                                 f"{first.returncode}) with {sent} sent; nothing was killed")
            os.kill(first.pid, signal.SIGKILL)
            first.wait()
            out["sent_seen_before_kill"] = sent
            out["sent_at_kill"] = sent_count(conn, broadcast_id)
        finally:
            conn.close()
    lines = [ln.split() for ln in status.read_text().splitlines() if ln.strip()]
    last = next(ln for ln in reversed(lines) if len(ln) == 3)
    out["in_flight_at_kill"], out["unflushed_at_kill"], out["on_wire_at_kill"] = map(int, last)
    out["max_in_flight_sampled"] = max(int(ln[0]) for ln in lines if len(ln) == 3)
    out["wire_lines_at_kill"] = sum(1 for _ in wire_log.open())
    second = run_worker(args, "crash", *extra)
    out["second"] = second

    conn = sqlite3.connect(db_path)
    try:
        statuses = dict(conn.execute(
            "SELECT status, COUNT(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,)).fetchall())
        rows, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT person_id) FROM deliveries WHERE broadcast_id = ?",
            (broadcast_id,)).fetchone()
        missing_rows = conn.execute(
            "SELECT COUNT(*) FROM subscriptions s WHERE s.topic = ? AND NOT EXISTS (SELECT 1"
            " FROM deliveries d WHERE d.broadcast_id = ? AND d.person_id = s.person_id)",
            (TOPIC, broadcast_id)).fetchone()[0]
        finished = conn.execute("SELECT status FROM broadcasts WHERE id = ?",
                                (broadcast_id,)).fetchone()[0]
    finally:
        conn.close()
    per_chat = Counter(int(ln) for ln in wire_log.read_text().split())
    expected = set(range(FIRST_CHAT + 1, FIRST_CHAT + args.recipients + 1))
    out.update({
        "statuses": statuses, "rows": rows, "distinct_people": distinct,
        "recipients_without_row": missing_rows, "broadcast_status": finished,
        "wire_sends": sum(per_chat.values()),
        "wire_duplicates": sum(c - 1 for c in per_chat.values() if c > 1),
        "chats_twice": sum(1 for c in per_chat.values() if c > 1),
        "never_on_wire": len(expected - per_chat.keys()),
        "unexpected_chats": len(per_chat.keys() - expected),
    })
    return out


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def show(label: str, run: dict[str, Any]) -> None:
    rss = f"{run['max_rss_mb']:.1f}"
    line = (f"  {label:<22}{run['rate']:>9.0f} msg/s  {run['wall_s']:>7.2f} s  "
            f"max RSS {rss:>6} MB  wire dups {run['wire_duplicates']}  "
            f"max on wire {run['max_on_wire']}")
    print(line)
    print(f"  {'':<22}CPU per message: {run['cpu_us_per_msg']:.0f} µs in all threads, "
          f"{run['loop_cpu_us_per_msg']:.0f} µs in the event loop's thread (that thread got "
          f"{run['loop_cpu_share']:.0%} of a CPU; on a whole CPU it could do "
          f"{1e6 / run['loop_cpu_us_per_msg']:.0f} msg/s)")
    if "due_calls" in run:
        print(f"  {'':<22}create() {run.get('create_s', 0):.2f} s; due() {run['due_calls']:.0f}"
              f" calls, {run['due_s']:.2f} s; record() {run['record_calls']:.0f} calls, "
              f"{run['record_s']:.2f} s; max in flight {run['max_in_flight']}; "
              f"statuses {run['statuses']}; errors logged {run['errors_logged']}")


def report(args: argparse.Namespace) -> int:
    n = args.recipients
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
          f"{platform.python_implementation()} {platform.python_version()}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at start")
    print(f"load: one broadcast to {n} subscribed people; fake Bot API wire answering after "
          f"{args.latency * 1000:.0f} ms; real TelegramSender + python-telegram-bot Bot; "
          f"SQLite WAL file in a temp dir; engine concurrency {args.concurrency}")
    with tempfile.TemporaryDirectory(prefix="gs-broadcast-") as tmp:
        folder = Path(tmp)
        template = folder / "template.sqlite3"
        seeded = run_worker(args, "seed", "--db", str(template))["seconds"]
        print(f"seeded {n} people + subscriptions in {seeded:.2f} s")

        print("running: baseline, limited, unlimited, then traced alongside crash (one subprocess"
              " each, two for crash) ...", flush=True)
        base = run_worker(args, "baseline")
        limited = run_worker(args, "limited", "--db", str(fresh_copy(template, folder, "a")),
                             "--create-key", "bench-a", "--worker-rate", str(args.rate))
        unlimited = run_worker(args, "unlimited", "--db", str(fresh_copy(template, folder, "b")),
                               "--create-key", "bench-b", "--worker-rate", "0")
        # The traced run's timings are not used, nor do the crash run's checks depend on speed:
        # the two run side by side to save time.
        traced_db = fresh_copy(template, folder, "c")
        tracing = subprocess.Popen(
            worker_command(args, "traced", "--db", str(traced_db), "--create-key", "bench-c",
                           "--worker-rate", "0"),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            crash = crash_run(args, template, folder)
            out, err = tracing.communicate(timeout=600 + n / 50)
        finally:
            if tracing.poll() is None:
                tracing.kill()
                tracing.wait()
        traced = parse_result("traced", subprocess.CompletedProcess(
            tracing.args, tracing.returncode, out, err))

    print("\nthroughput (messages answered by the wire / wall time until the broadcast is done):")
    show(f"baseline (bare PTB, c={args.concurrency})", base)
    show(f"engine, limit {args.rate:g}/s", limited)
    show("engine, no limit", unlimited)
    print(f"  latency bound at concurrency {args.concurrency}: "
          f"{args.concurrency / args.latency:.0f} msg/s")

    runs = {"baseline": base, "limited": limited, "no limit": unlimited, "traced": traced,
            "crash restart": crash["second"]}
    rss = max(r["max_rss_mb"] for name, r in runs.items() if name != "baseline")
    peak = traced["tracemalloc_peak_mb"]
    print("\nmemory (each run in its own process; the parent stays small so getrusage is theirs):")
    print(f"  tracemalloc peak (no-limit run, traced from process start): {peak:.1f} MB, of "
          f"which {traced['tracemalloc_start_mb']:.1f} MB were allocated before the broadcast "
          f"started (imports, app, storage) and {peak - traced['tracemalloc_start_mb']:.1f} MB "
          f"by the broadcast (that run took {traced['wall_s']:.1f} s under tracemalloc)")
    print("  max RSS, getrusage (VmHWM): " + ", ".join(
        f"{name} {r['max_rss_mb']:.1f} ({r['vm_hwm_mb'] or 0:.1f}) MB" for name, r in runs.items()))
    print(f"  RSS after imports alone: python-telegram-bot {base['import_rss_mb']:.1f} MB "
          f"(baseline worker); with the bot's engine and Telegram channel "
          f"{limited['import_rss_mb']:.1f} MB (engine worker)")

    second = crash["second"]
    print(f"\ncrash (engine limit {args.crash_rate or 'none'}/s):")
    print(f"  SIGKILL after {crash['sent_seen_before_kill']} of {n} recorded as sent "
          f"(at kill: {crash['sent_at_kill']} sent in SQLite, {crash['wire_lines_at_kill']} "
          "answered on the wire)")
    print(f"  in flight just before the kill (last 20 ms sample): {crash['in_flight_at_kill']}"
          f" = {crash['on_wire_at_kill']} on the wire + {crash['unflushed_at_kill']} unflushed"
          f" results + the rest (results being written, sends about to start); max sampled "
          f"{crash['max_in_flight_sampled']}")
    print(f"  restart finished in {second['wall_s']:.2f} s, {second['wire_answered']} sends; "
          f"broadcast {crash['broadcast_status']}; deliveries {crash['statuses']}, "
          f"{crash['rows']} rows for {crash['distinct_people']} people, "
          f"{crash['recipients_without_row']} recipients without a row")
    print(f"  wire: {crash['wire_sends']} sends to {n} chats, {crash['wire_duplicates']} "
          f"duplicates ({crash['chats_twice']} chats twice), {crash['never_on_wire']} chats never"
          f" sent, {crash['unexpected_chats']} unexpected")

    share = limited["rate"] / args.rate
    exactly_once = (crash["rows"] == n and crash["distinct_people"] == n
                    and crash["statuses"] == {"sent": n} and crash["recipients_without_row"] == 0
                    and crash["never_on_wire"] == 0 and crash["broadcast_status"] == "done")
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          "(other processes on the machine compete for its CPUs)")
    print("\ntargets:")
    print(f"  >= {TARGET_SHARE * args.rate:.0f} msg/s at limit {args.rate:g}/s: "
          f"{limited['rate']:.0f} msg/s ({share:.1%})  {verdict(share >= TARGET_SHARE)}")
    print(f"  peak memory < {TARGET_MEMORY_MB:.0f} MB: tracemalloc {peak:.1f} MB, max RSS "
          f"{rss:.1f} MB  {verdict(max(peak, rss) < TARGET_MEMORY_MB)}")
    print(f"  exactly once in storage after SIGKILL: {crash['statuses']} for {n} recipients  "
          f"{verdict(exactly_once)}")
    print(f"  wire duplicates <= in flight at kill: {crash['wire_duplicates']} <= "
          f"{crash['in_flight_at_kill']}  "
          f"{verdict(crash['wire_duplicates'] <= crash['in_flight_at_kill'])}")
    print(f"  (informational) duplicates without a crash: limited {limited['wire_duplicates']}, "
          f"no limit {unlimited['wire_duplicates']}, traced {traced['wire_duplicates']}")
    problems = [f"{name}: {run['errors_logged']} errors logged"
                for name, run in (("limited", limited), ("unlimited", unlimited),
                                  ("restart", second)) if run["errors_logged"]]
    for problem in problems:
        print(f"WARNING: {problem}", file=sys.stderr)
    return 0


def profile_run(args: argparse.Namespace) -> int:
    """The no-limit run in this process under cProfile."""
    with tempfile.TemporaryDirectory(prefix="gs-broadcast-prof-") as tmp:
        db_path = Path(tmp) / "profile.sqlite3"
        asyncio.run(seed(db_path, args.recipients))
        rate = args.rate if args.profile_limited else None
        result = asyncio.run(engine_run(db_path, args.recipients, rate, args.concurrency,
                                        args.latency, create_key="bench-prof",
                                        profile=args.profile))
    print(json.dumps(result, indent=1))
    pstats.Stats(args.profile).sort_stats("tottime").print_stats(30)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--recipients", type=int, default=100_000,
                        help="subscribed people (default 100000)")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="the engine's limit in the limited run, msg/s (default 1000)")
    parser.add_argument("--crash-rate", type=float, default=1000.0,
                        help="the engine's limit in the crash run, 0 for none (default 1000)")
    parser.add_argument("--concurrency", type=int, default=200,
                        help="sends in flight, engine and baseline (default 200, the engine's)")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="the fake Bot API's answer delay in seconds (default 0.05)")
    parser.add_argument("--profile", metavar="FILE",
                        help="only run the engine without limit here under cProfile, stats to FILE")
    parser.add_argument("--profile-limited", action="store_true",
                        help="with --profile: profile the run at --rate instead")
    parser.add_argument("--worker", choices=("seed", "create", "baseline", "limited", "unlimited",
                                             "traced", "crash"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--create-key", help=argparse.SUPPRESS)
    parser.add_argument("--broadcast-id", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-rate", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--wire-log", help=argparse.SUPPRESS)
    parser.add_argument("--status", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.recipients < 2:
        parser.error("--recipients must be at least 2")
    if args.worker:
        return worker_main(args)
    if args.profile:
        return profile_run(args)
    return report(args)


if __name__ == "__main__":
    sys.exit(main())
