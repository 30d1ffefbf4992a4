"""Load benchmark: N people walk the whole /report dialog at once through the real Telegram app.

    .venv/bin/python benchmarks/dialog.py [--people 2000] [--concurrency 64]

Every person sends the 16 updates of a full report (/start, consent, /report … "📨 Gửi") as real
python-telegram-bot Update objects through `Application.process_update`, over a real SQLite file
in a temporary folder; the Bot API wire is faked locally (counts calls, keeps only the last inline
keyboard per chat so people can press buttons by label).

The baseline is a bare python-telegram-bot Application on the same fake wire and concurrency whose
one handler inserts a row with aiosqlite (WAL) and answers with one send_message; it gets the same
updates per person.

Each measurement runs in a fresh subprocess so peak RSS belongs to one app only: a timed run
(throughput, latency, max RSS) and a separate run under tracemalloc (peak traced memory), since
tracemalloc slows every allocation and would distort the timings. Updates go through the
application's update processor, as under polling, so at most `--concurrency` updates are in
flight; latency is timed around `app.process_update` ("service") and, for information, from the
moment the update was offered to the processor ("with queueing").

The report always exits 0 on a missed target; it exits non-zero only if the run itself is wrong
(a person could not finish, the database does not hold exactly N stories, a handler failed).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import tracemalloc
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiosqlite  # noqa: E402
from pydantic import SecretStr  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import RequestData  # noqa: E402

from bot.channels.telegram import build_application  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.dialog import Dialog  # noqa: E402
from bot.storage import Storage, open_storage  # noqa: E402
from tests.wire import TOKEN, Call, RecordingRequest, TelegramPerson  # noqa: E402

TARGET_RATIO = 0.50
TARGET_P99_MS = 50.0
TARGET_MEMORY_MB = 150.0
FIRST_USER_ID = 10_000_000
DESCRIPTION = (
    "Ông Nguyễn Văn An đã tự bỏ tiền và công sức sửa cây cầu khỉ bắc qua kênh Xáng, "
    "giúp hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày."
)
App = Application[Any, Any, Any, Any, Any, Any]

# The report, step by step: ("say", text) is typed, ("press", label) presses an inline button.
# Location and phone are reply-keyboard steps on Telegram, so "Bỏ qua" is typed there.
REPORT: tuple[tuple[str, str], ...] = (
    ("say", "/start"),
    ("press", "✅ Tôi đồng ý"),
    ("say", "/report"),
    ("press", "Gương người tốt, việc tốt"),
    ("press", "1. "),
    ("say", "long xuyen"),
    ("say", "Nguyễn Văn An"),
    ("say", "nông dân ấp Mỹ Thạnh"),
    ("say", "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"),
    ("say", DESCRIPTION),
    ("say", "02/09/2025"),
    ("press", "Bỏ qua"),
    ("say", "Bỏ qua"),
    ("say", "Bỏ qua"),
    ("press", "Không, giấu tên tôi"),
    ("press", "📨 Gửi"),
)


# --- the wire -------------------------------------------------------------------------------


@dataclass
class LightWire(RecordingRequest):
    """RecordingRequest's answers, not its memory: a count per method, last keyboard per chat."""

    counts: Counter[str] = field(default_factory=Counter)
    keyboards: dict[int, Call] = field(default_factory=dict)

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """Count the call, remember a message's inline keyboard, answer like Telegram."""
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.counts[name] += 1
        markup = params.get("reply_markup")
        if isinstance(markup, str) and markup[:1] == "{":
            markup = params["reply_markup"] = json.loads(markup)
        if (
            name in ("sendMessage", "editMessageText")
            and isinstance(markup, dict)
            and "inline_keyboard" in markup
        ):
            chat_id = int(params["chat_id"])
            self.keyboards[chat_id] = Call(name, {"text": params.get("text", ""),
                                                  "reply_markup": markup}, "")
        body = {"ok": True, "result": self._result(name, params)}
        return 200, json.dumps(body).encode()

    def last_keyboard_message(self, chat_id: int) -> Call:
        """The last message to a chat that carried inline buttons."""
        try:
            return self.keyboards[chat_id]
        except KeyError:
            raise AssertionError(f"no message with buttons was sent to {chat_id}") from None


# --- timing ---------------------------------------------------------------------------------


@dataclass
class Meter:
    """Feeds updates through the app's update processor and times each one."""

    app: App
    service: list[float] = field(default_factory=list)
    queued: list[float] = field(default_factory=list)

    async def feed(self, update: Update) -> None:
        offered = time.perf_counter()

        async def timed() -> None:
            start = time.perf_counter()
            await self.app.process_update(update)
            end = time.perf_counter()
            self.service.append(end - start)
            self.queued.append(end - offered)

        await self.app.update_processor.process_update(update, timed())


class Person(TelegramPerson):
    """TelegramPerson whose updates go through the meter; presses by label prefix for content."""

    def __init__(self, app: App, wire: LightWire, user_id: int, meter: Meter | None) -> None:
        super().__init__(app, wire, user_id)
        self.meter = meter
        self.pressed: list[tuple[str, dict[str, Any]]] = []

    async def presses_data(self, data: str, message: dict[str, Any] | None = None) -> None:
        if self.meter is None and message is not None:
            self.pressed.append((data, message))
        await super().presses_data(data, message)

    async def _process(self, payload: dict[str, Any]) -> None:
        update = Update.de_json({"update_id": self._next_update_id(), **payload}, self.bot)
        if self.meter is None:
            await self.app.process_update(update)
        else:
            await self.meter.feed(update)

    async def presses(self, label: str) -> None:
        """Press the button with this label (or, for a label ending in a space, this prefix)."""
        if label.endswith(" "):
            matches = [b for b in self.buttons() if b.startswith(label)]
            if len(matches) != 1:
                raise AssertionError(f"no single button starting {label!r}: {self.buttons()}")
            label = matches[0]
        await super().presses(label)

    async def report(self) -> None:
        for action, value in REPORT:
            if action == "say":
                await self.says(value)
            else:
                await self.presses(value)

    async def baseline(self, presses: list[tuple[str, dict[str, Any]]]) -> None:
        """The same updates for the bare app: its button presses carry the messages ours got."""
        pending = iter(presses)
        for action, value in REPORT:
            if action == "say":
                await self.says(value)
            else:
                data, message = next(pending)
                chat = {**message["chat"], "id": self.user_id}
                await self.presses_data(data, {**message, "chat": chat})


# --- the two applications -------------------------------------------------------------------


def settings_for(db_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, telegram_bot_token=SecretStr(TOKEN),
    )


async def open_ours(folder: Path, concurrency: int) -> tuple[App, LightWire, Storage]:
    settings = settings_for(folder / "guongsang.sqlite3")
    storage = await open_storage(settings.database_path)
    wire = LightWire()
    app = build_application(settings, Dialog(storage, settings), request=wire, rate_limit=False,
                            concurrent_updates=concurrency)
    await app.initialize()
    return app, wire, storage


async def open_baseline(
    folder: Path, concurrency: int
) -> tuple[App, LightWire, aiosqlite.Connection]:
    db = await aiosqlite.connect(folder / "baseline.sqlite3", isolation_level=None)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute(
        "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,"
        " kind TEXT NOT NULL, body TEXT, at REAL NOT NULL)"
    )
    wire = LightWire()
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .concurrent_updates(concurrency)
        .request(wire)
        .get_updates_request(wire)
        .build()
    )

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None
        query = update.callback_query
        kind, body = ("button", query.data) if query else ("message", update.effective_message.text)
        await db.execute("INSERT INTO hits (chat_id, kind, body, at) VALUES (?, ?, ?, ?)",
                         (chat.id, kind, body, time.time()))
        await context.bot.send_message(chat.id, "Đã nhận.")

    private = filters.ChatType.PRIVATE & ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(private, on_update))
    app.add_handler(CallbackQueryHandler(on_update))
    await app.initialize()
    return app, wire, db


# --- one measured run (in a subprocess) -----------------------------------------------------


class ErrorCount(logging.Handler):
    """Counts ERROR records (handler failures are logged, not raised, by both apps)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 3:
            sys.stderr.write(self.format(record) + "\n")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


async def start_ours(
    stack: AsyncExitStack, folder: Path, concurrency: int
) -> tuple[App, LightWire]:
    """Our application over a fresh database; closed by the stack whatever happens."""
    app, wire, storage = await open_ours(folder, concurrency)
    stack.push_async_callback(storage.close)  # runs after the app's shutdown (last in, first out)
    stack.push_async_callback(app.shutdown)
    return app, wire


async def start_baseline(
    stack: AsyncExitStack, folder: Path, concurrency: int
) -> tuple[App, LightWire]:
    """The bare application over its own database; closed by the stack whatever happens."""
    app, wire, db = await open_baseline(folder, concurrency)
    stack.push_async_callback(db.close)
    stack.push_async_callback(app.shutdown)
    return app, wire


async def count_rows(folder: Path, which: str) -> tuple[int, int]:
    """Rows written and distinct people behind them, read from the file after both apps closed."""
    name, sql = (
        ("guongsang.sqlite3", "SELECT COUNT(*), COUNT(DISTINCT reporter_id) FROM stories")
        if which == "ours"
        else ("baseline.sqlite3", "SELECT COUNT(*), COUNT(DISTINCT chat_id) FROM hits")
    )
    async with aiosqlite.connect(folder / name) as db, db.execute(sql) as cur:
        row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def warm_up(which: str, concurrency: int) -> list[tuple[str, dict[str, Any]]]:
    """One person first, on throwaway databases: imports, caches, and the button presses' shape.

    Both apps are warmed the same way; the presses (callback data and the message with its
    keyboard, as Telegram sends them) are reused by the baseline so both parse equal updates.
    """
    with tempfile.TemporaryDirectory(prefix="gs-warm-") as tmp:
        async with AsyncExitStack() as stack:
            app, wire = await start_ours(stack, Path(tmp), concurrency)
            scout = Person(app, wire, FIRST_USER_ID - 1, None)
            await scout.report()
        if which == "baseline":
            async with AsyncExitStack() as stack:
                app, wire = await start_baseline(stack, Path(tmp), concurrency)
                await Person(app, wire, FIRST_USER_ID - 1, None).baseline(scout.pressed)
    return scout.pressed


async def measure(which: str, people: int, concurrency: int, trace: bool,
                  profile: str | None) -> dict[str, Any]:
    errors = ErrorCount()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(errors)
    presses = await warm_up(which, concurrency)
    if trace:
        tracemalloc.reset_peak()  # started before any thread existed, see main()
    with tempfile.TemporaryDirectory(prefix=f"gs-bench-{which}-") as tmp:
        folder = Path(tmp)
        async with AsyncExitStack() as stack:
            start = start_ours if which == "ours" else start_baseline
            app, wire = await start(stack, folder, concurrency)
            meter = Meter(app)
            crowd = [Person(app, wire, FIRST_USER_ID + i, meter) for i in range(people)]
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            walks = (p.report() if which == "ours" else p.baseline(presses) for p in crowd)
            outcomes = await asyncio.gather(*walks, return_exceptions=True)
            wall = time.perf_counter() - started
            if profiler:
                profiler.disable()
                profiler.dump_stats(profile)
            traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        stored, distinct = await count_rows(folder, which)
    return {
        "app": which,
        "people": people,
        "updates": len(meter.service),
        "wall_s": wall,
        "updates_per_s": len(meter.service) / wall if wall else 0.0,
        "p50_ms": percentile(meter.service, 50) * 1000,
        "p99_ms": percentile(meter.service, 99) * 1000,
        "max_ms": max(meter.service) * 1000,
        "q_p50_ms": percentile(meter.queued, 50) * 1000,
        "q_p99_ms": percentile(meter.queued, 99) * 1000,
        "bot_api_calls": sum(wire.counts.values()),
        "calls_by_method": dict(wire.counts.most_common()),
        "rows": stored,
        "distinct_people": distinct,
        "failed_people": len(failed),
        "first_failure": repr(failed[0]) if failed else None,
        "errors_logged": errors.count,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tracemalloc_peak_mb": traced_peak / 2**20 if traced_peak is not None else None,
    }


# --- the report (parent process) ------------------------------------------------------------


def run_worker(which: str, people: int, concurrency: int, trace: bool) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", which,
               "--people", str(people), "--concurrency", str(concurrency)]
    if trace:
        command.append("--trace")
    limit = 600 + people  # seconds; a worker that hangs should fail the report, not stall it
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        message = f"benchmark worker {which!r} (trace={trace}) took over {limit} s"
        raise SystemExit(message) from None
    if done.returncode != 0 or not done.stdout.strip():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker {which!r} (trace={trace}) failed: "
                         f"exit {done.returncode}")
    if done.stderr.strip():
        sys.stderr.write(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def code_version() -> str:
    """The commit measured (read-only git), or '?' outside a checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=ROOT, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip() or "?"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(people: int, concurrency: int) -> int:
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
          f"{platform.python_implementation()} {platform.python_version()}, "
          f"load average {load_average()}")
    print(f"code: commit {code_version()} plus any uncommitted changes in the tree")
    print(f"load: {people} people × {len(REPORT)} updates, all at once; "
          f"concurrent_updates={concurrency}, rate limiter off, fake wire, "
          "SQLite WAL in a temp dir")
    print("running: baseline timed, ours timed, baseline traced, ours traced (one subprocess each)")
    base = run_worker("baseline", people, concurrency, trace=False)
    ours = run_worker("ours", people, concurrency, trace=False)
    base["tracemalloc_peak_mb"] = run_worker("baseline", people, concurrency, True)[
        "tracemalloc_peak_mb"]
    traced_ours = run_worker("ours", people, concurrency, trace=True)
    ours["tracemalloc_peak_mb"] = traced_ours["tracemalloc_peak_mb"]

    rows = [
        ("updates processed", "updates", "{:.0f}"),
        ("Bot API calls", "bot_api_calls", "{:.0f}"),
        ("wall time (s)", "wall_s", "{:.2f}"),
        ("throughput (updates/s)", "updates_per_s", "{:.0f}"),
        ("latency p50 (ms)", "p50_ms", "{:.2f}"),
        ("latency p99 (ms)", "p99_ms", "{:.2f}"),
        ("latency max (ms)", "max_ms", "{:.2f}"),
        ("with queueing p50 (ms)", "q_p50_ms", "{:.1f}"),
        ("with queueing p99 (ms)", "q_p99_ms", "{:.1f}"),
        ("peak tracemalloc (MB)", "tracemalloc_peak_mb", "{:.1f}"),
        ("max RSS (MB)", "max_rss_mb", "{:.1f}"),
    ]
    print()
    print(f"{'':26}{'baseline':>12}{'Gương Sáng':>12}{'ours/base':>11}")
    for label, key, fmt in rows:
        b, o = base[key], ours[key]
        ratio = f"{o / b:.2f}×" if b else "-"
        print(f"{label:26}{fmt.format(b):>12}{fmt.format(o):>12}{ratio:>11}")
    print(f"\nour Bot API calls by method: {ours['calls_by_method']}")
    print(f"load average after the runs: {load_average()} "
          "(other work on the machine skews the timings)")
    print("latency = time around app.process_update; 'with queueing' adds the wait for one of "
          f"the {concurrency} update slots")

    ratio = ours["updates_per_s"] / base["updates_per_s"]
    memory = max(ours["max_rss_mb"], ours["tracemalloc_peak_mb"])
    print("\ntargets:")
    print(f"  throughput >= {TARGET_RATIO:.0%} of baseline: {ratio:.1%}  "
          f"{verdict(ratio >= TARGET_RATIO)}")
    print(f"  p99 < {TARGET_P99_MS:.0f} ms: {ours['p99_ms']:.2f} ms  "
          f"{verdict(ours['p99_ms'] < TARGET_P99_MS)}")
    print(f"  peak memory < {TARGET_MEMORY_MB:.0f} MB: max RSS {ours['max_rss_mb']:.1f} MB, "
          f"tracemalloc {ours['tracemalloc_peak_mb']:.1f} MB  {verdict(memory < TARGET_MEMORY_MB)}")

    problems = []
    for run in (base, ours, traced_ours):
        if run["failed_people"]:
            problems.append(f"{run['app']}: {run['failed_people']} people could not finish, "
                            f"first: {run['first_failure']}")
        if run["errors_logged"]:
            problems.append(f"{run['app']}: {run['errors_logged']} errors logged")
    for run in (ours, traced_ours):
        if run["rows"] != people or run["distinct_people"] != people:
            problems.append(f"the database holds {run['rows']} stories from "
                            f"{run['distinct_people']} people, expected exactly {people}")
    if base["rows"] != people * len(REPORT) or base["distinct_people"] != people:
        expected = people * len(REPORT)
        problems.append(f"baseline table holds {base['rows']} rows, expected {expected}")
    print(f"\ncheck: database holds {ours['rows']} stories for {people} people  "
          f"{'OK' if not problems else 'WRONG'}")
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--people", type=int, default=2000, help="people reporting at once")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="concurrent_updates of both applications (default 64, as in the bot)")
    parser.add_argument("--worker", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="FILE",
                        help="run ours once in this process under cProfile, save stats to FILE")
    args = parser.parse_args()
    if args.people < 1:
        parser.error("--people must be at least 1")
    if args.profile:
        result = asyncio.run(measure("ours", args.people, args.concurrency, False, args.profile))
        print(json.dumps({k: v for k, v in result.items() if k != "calls_by_method"}, indent=1))
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
        return 0
    if args.worker:
        if args.trace:
            tracemalloc.start()  # before any thread exists; the peak is reset after the warm-up
        try:
            result = asyncio.run(
                measure(args.worker, args.people, args.concurrency, args.trace, None)
            )
        except BaseException:
            # An aiosqlite connection left open keeps a non-daemon thread alive, and the
            # interpreter would wait for it forever at exit: report and leave at once.
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(1)
        print(json.dumps(result))
        return 0
    return report(args.people, args.concurrency)


if __name__ == "__main__":
    sys.exit(main())
