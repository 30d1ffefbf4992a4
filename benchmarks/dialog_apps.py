"""The two applications of benchmarks/dialog.py, their fake wire, the people, one measured run."""

from __future__ import annotations

import asyncio
import cProfile
import functools
import json
import logging
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite
from pydantic import SecretStr
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import RequestData

from benchmarks.measure import StallMeter, percentile
from bot.channels.telegram import build_application
from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import open_storage
from tests.wire import BOT_ID, TOKEN, Call, RecordingRequest, TelegramPerson, as_telegram_shows

FIRST_USER_ID = 10_000_000
DESCRIPTION = (
    "Ông Nguyễn Văn An đã tự bỏ tiền và công sức sửa cây cầu khỉ bắc qua kênh Xáng, "
    "giúp hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày."
)
App = Application[Any, Any, Any, Any, Any, Any]
Presses = list[tuple[str, dict[str, Any]]]

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


@dataclass
class LightWire(RecordingRequest):
    """RecordingRequest's answers, not its memory: a count per method, last keyboard per chat.

    A keyboard is kept as JSON text, not as the dicts it came in: thousands of kept dicts would
    make every full garbage collection of the app that sends keyboards (ours) slower than the
    baseline's for the wire's sake, not the app's.
    """

    counts: Counter[str] = field(default_factory=Counter)
    keyboards: dict[int, tuple[str, str]] = field(default_factory=dict)  # chat: (text, markup)

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """Count the call, remember a message's inline keyboard, answer like Telegram."""
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        self.counts[name] += 1
        markup = params.pop("reply_markup", None)
        body = json.dumps({"ok": True, "result": self._result(name, params)})
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            keyboard = json.dumps(markup)
            if name in ("sendMessage", "editMessageText"):
                self.keyboards[int(params["chat_id"])] = (params.get("text", ""), keyboard)
            body = f'{body[:-2]}, "reply_markup": {keyboard}}}}}'  # Telegram returns it too
        return 200, body.encode()

    def last_keyboard_message(self, chat_id: int) -> Call:
        """The last message to a chat that carried inline buttons."""
        try:
            text, markup = self.keyboards[chat_id]
        except KeyError:
            raise AssertionError(f"no message with buttons was sent to {chat_id}") from None
        return Call("sendMessage", {"text": text, "reply_markup": json.loads(markup)}, "")


@functools.lru_cache(maxsize=256)
def _shown(text: str) -> str:
    """as_telegram_shows, once per distinct text (kept out of the per-update cost), as JSON."""
    return json.dumps(as_telegram_shows(text))


@dataclass
class Meter:
    """Feeds updates through the app's update processor and times each one."""

    app: App
    window: tuple[float, float] = (0.0, float("inf"))  # only updates offered in it are timed
    service: list[float] = field(default_factory=list)
    queued: list[float] = field(default_factory=list)
    processed: int = 0

    async def feed(self, update: Update) -> None:
        offered = time.perf_counter()

        async def timed() -> None:
            start = time.perf_counter()
            await self.app.process_update(update)
            end = time.perf_counter()
            self.processed += 1
            if self.window[0] <= offered <= self.window[1]:
                self.service.append(end - start)
                self.queued.append(end - offered)

        await self.app.update_processor.process_update(update, timed())


class Person(TelegramPerson):
    """A TelegramPerson whose updates go through the meter, one every `think` seconds.

    With a think time, the person's updates are due at a random phase in [0, think) and then
    every `think` seconds (sooner if an answer came late), so N people offer a steady N/think
    updates a second.
    """

    def __init__(self, app: App, wire: LightWire, user_id: int, meter: Meter | None,
                 think: float = 0.0, start: float = 0.0) -> None:
        super().__init__(app, wire, user_id)
        self.meter = meter
        self.think = think
        self.due = start + random.Random(user_id).uniform(0, think)
        self.pressed: Presses = []

    async def _process(self, payload: dict[str, Any]) -> None:
        if self.think:
            await asyncio.sleep(max(0.0, self.due - time.perf_counter()))
            self.due += self.think
        update = Update.de_json({"update_id": self._next_update_id(), **payload}, self.bot)
        if self.meter is None:
            await self.app.process_update(update)
        else:
            await self.meter.feed(update)

    async def presses(self, label: str) -> None:
        """Press the button with this label (or, for a label ending in a space, this prefix)."""
        call = self.wire.last_keyboard_message(self.user_id)
        buttons = [b for row in call.params["reply_markup"]["inline_keyboard"] for b in row]
        found = [b for b in buttons if b["text"] == label
                 or (label.endswith(" ") and b["text"].startswith(label))]
        if len(found) != 1:
            raise AssertionError(f"no single button {label!r}: {[b['text'] for b in buttons]}")
        message = {"message_id": 555, "date": int(time.time()),
                   "chat": {"id": self.user_id, "type": "private"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
                   **json.loads(_shown(call.params.get("text", ""))),
                   "reply_markup": call.params["reply_markup"]}
        if self.meter is None:
            self.pressed.append((found[0]["callback_data"], message))
        await self.presses_data(found[0]["callback_data"], message)

    async def report(self) -> None:
        for action, value in REPORT:
            if action == "say":
                await self.says(value)
            else:
                await self.presses(value)

    async def baseline(self, presses: Presses) -> None:
        """The same updates for the bare app: its button presses carry the messages ours got."""
        pending = iter(presses)
        for action, value in REPORT:
            if action == "say":
                await self.says(value)
            else:
                data, message = next(pending)
                chat = {**message["chat"], "id": self.user_id}
                await self.presses_data(data, {**message, "chat": chat})


async def start_ours(stack: AsyncExitStack, folder: Path,
                     concurrency: int) -> tuple[App, LightWire]:
    """Our application over a fresh database; closed by the stack whatever happens."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=folder / "guongsang.sqlite3",
        telegram_bot_token=SecretStr(TOKEN),
    )
    storage = await open_storage(settings.database_path)
    stack.push_async_callback(storage.close)  # runs after the app's shutdown (last in, first out)
    wire = LightWire()
    app = build_application(settings, Dialog(storage, settings), request=wire, rate_limit=False,
                            concurrent_updates=concurrency)
    await app.initialize()
    stack.push_async_callback(app.shutdown)
    return app, wire


async def start_baseline(stack: AsyncExitStack, folder: Path,
                         concurrency: int) -> tuple[App, LightWire]:
    """A bare python-telegram-bot app: one aiosqlite insert and one send_message an update."""
    db = await aiosqlite.connect(folder / "baseline.sqlite3", isolation_level=None)
    stack.push_async_callback(db.close)
    await db.execute("PRAGMA journal_mode = WAL")
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute(
        "CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL,"
        " kind TEXT NOT NULL, body TEXT, at REAL NOT NULL)"
    )
    wire = LightWire()
    app = (ApplicationBuilder().token(TOKEN).concurrent_updates(concurrency).request(wire)
           .get_updates_request(wire).build())

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
    stack.push_async_callback(app.shutdown)
    return app, wire


class ErrorCount(logging.Handler):
    """Counts ERROR records (handler failures are logged, not raised, by both apps)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.count <= 3:
            sys.stderr.write(self.format(record) + "\n")


async def count_rows(folder: Path, which: str) -> tuple[int, int]:
    """Rows written and distinct people behind them, read from the file after the app closed."""
    name, sql = (
        ("guongsang.sqlite3", "SELECT COUNT(*), COUNT(DISTINCT reporter_id) FROM stories")
        if which == "ours"
        else ("baseline.sqlite3", "SELECT COUNT(*), COUNT(DISTINCT chat_id) FROM hits")
    )
    async with aiosqlite.connect(folder / name) as db, db.execute(sql) as cur:
        row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def warm_up(which: str, concurrency: int) -> Presses:
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


async def measure(which: str, people: int, concurrency: int, *, think: float = 0.0,
                  trace: bool = False, profile: str | None = None) -> dict[str, Any]:
    """One run of one app: every person walks the report once; figures as a dict."""
    errors = ErrorCount()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(errors)
    presses = await warm_up(which, concurrency)
    if trace:
        tracemalloc.reset_peak()  # started before any thread existed, see the worker's main
    with tempfile.TemporaryDirectory(prefix=f"gs-bench-{which}-") as tmp:
        folder = Path(tmp)
        async with AsyncExitStack() as stack:
            start = start_ours if which == "ours" else start_baseline
            app, wire = await start(stack, folder, concurrency)
            now = time.perf_counter()
            # Steady: time only what is offered while every person is under way.
            meter = Meter(app, (now + think, now + (len(REPORT) - 1) * think) if think
                          else (0.0, float("inf")))
            crowd = [Person(app, wire, FIRST_USER_ID + i, meter, think, now)
                     for i in range(people)]
            profiler = cProfile.Profile() if profile else None
            with StallMeter() as stalls:
                if profiler:
                    profiler.enable()
                cpu, started = time.process_time(), time.perf_counter()
                walks = (p.report() if which == "ours" else p.baseline(presses) for p in crowd)
                outcomes = await asyncio.gather(*walks, return_exceptions=True)
                wall, cpu = time.perf_counter() - started, time.process_time() - cpu
                if profiler:
                    profiler.disable()
                    profiler.dump_stats(profile)
            traced_peak = tracemalloc.get_traced_memory()[1] if trace else None
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        stored, distinct = await count_rows(folder, which)
    updates = meter.processed
    calls = sum(wire.counts.values()) - wire.counts["getMe"]
    timed = len(meter.service)
    span = min(wall, meter.window[1] - meter.window[0])
    return {
        "app": which, "people": people, "updates": updates, "timed": timed, "wall_s": wall,
        "updates_per_s": (timed if think else updates) / span if span else 0.0,
        "p50_ms": percentile(meter.service, 50) * 1000,
        "p99_ms": percentile(meter.service, 99) * 1000,
        "max_ms": max(meter.service, default=0.0) * 1000,
        "q_p50_ms": percentile(meter.queued, 50) * 1000,
        "q_p99_ms": percentile(meter.queued, 99) * 1000,
        "cpu_ms_per_update": cpu / updates * 1000 if updates else 0.0,
        "calls_per_update": calls / updates if updates else 0.0,
        "calls_by_method": dict(wire.counts.most_common()),
        "stall_ms": stalls.longest * 1000,
        "rows": stored, "distinct_people": distinct, "failed_people": len(failed),
        "first_failure": repr(failed[0]) if failed else None, "errors_logged": errors.count,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "tracemalloc_peak_mb": traced_peak / 2**20 if traced_peak is not None else None,
    }
