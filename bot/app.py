"""Composition: open storage, build the channels, run until a stop signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from bot.broadcast import BroadcastEngine
from bot.channels.console import ConsoleSender, run_console
from bot.config import Settings
from bot.content import catalogue
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import Sender
from bot.scheduler import Reminders, build_scheduler
from bot.storage import Storage, open_storage

__all__ = ["configured_channels", "export", "run_bot", "run_console_app"]

log = logging.getLogger(__name__)


def configured_channels(settings: Settings) -> list[str]:
    """The channels that have what they need to run."""
    return ["telegram"] if settings.telegram_bot_token else []


async def open_storage_for(settings: Settings) -> Storage:
    """Open storage with the review settings."""
    return await open_storage(
        settings.database_path,
        review_levels=settings.review_levels,
        notify_reviewers=settings.notify_reviewers,
        publish_chat=settings.publish_chat_id,
    )


async def _start_background(
    settings: Settings, storage: Storage, senders: dict[str, Sender], stop: asyncio.Event,
    poll: float = 1.0,
) -> asyncio.Task[None]:
    """The scheduler (catching up on today's reminders) and the broadcast engine."""
    reminders = Reminders(storage, calendar(), settings.tz, settings.reminder_time,
                          settings.reminder_lead_days)
    scheduler = build_scheduler(reminders, settings.tz, settings.reminder_time)
    scheduler.start()
    await reminders.catch_up()
    engine = BroadcastEngine(storage, senders, settings.province_code,
                             rate=settings.broadcast_rate, per_chat=settings.broadcast_per_chat,
                             poll=poll)

    async def run() -> None:
        try:
            await engine.run(stop)
        finally:
            scheduler.shutdown(wait=False)

    return asyncio.create_task(run())


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def run_bot(settings: Settings) -> None:
    """Run every configured channel until SIGINT/SIGTERM, finish in-flight work, close storage."""
    from bot.channels.telegram import build_application, set_commands

    storage = await open_storage_for(settings)
    try:
        dialog = Dialog(storage, settings)
        app = build_application(settings, dialog)
        stop = _stop_event()
        async with app:
            await app.start()
            await set_commands(app)
            assert app.updater is not None
            await app.updater.start_polling(drop_pending_updates=False)
            log.info("Telegram polling started; database %s", settings.database_path)
            delivering = await _start_background(settings, storage,
                                                 {"telegram": app.bot_data["sender"]}, stop)
            await stop.wait()
            log.info("stopping: finishing in-flight updates and sends")
            await app.updater.stop()
            await app.stop()
            await delivering
    finally:
        await storage.close()
        log.info("stopped")


async def run_console_app(
    settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout
) -> None:
    """Chat with the bot in the terminal over the same database."""
    storage = await open_storage_for(settings)
    stop = asyncio.Event()
    delivering = await _start_background(settings, storage, {"console": ConsoleSender(stdout)},
                                         stop, poll=0.2)
    try:
        await run_console(Dialog(storage, settings), stdin, stdout,
                          files=settings.database_path.parent / "exports")
    finally:
        stop.set()
        await delivering
        await storage.close()


async def export(settings: Settings, out: Path, start: date | None, end: date | None,
                 fmt: str) -> int:
    """Write the province's workbook (or the CSV list) to a file; return the stories listed."""
    from bot.export import ExportRange, write_csv
    from bot.handlers.stats import export_workbook

    storage = await open_storage_for(settings)
    try:
        rng = ExportRange(settings.province_code, settings.tz, settings.publish_chat_id)
        texts = catalogue(settings.language)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            since = _utc_start(start, settings)
            until = _utc_start(end + timedelta(days=1), settings) if end else None
            with out.open("wb") as fh:
                return await write_csv(fh, rng, texts, storage.reports.stories(None, since, until))
        data, listed = await export_workbook(storage, texts, None, start, end, rng)
        out.write_bytes(data)
        return listed
    finally:
        await storage.close()


def _utc_start(day: date | None, settings: Settings) -> str | None:
    if day is None:
        return None
    moment = datetime.combine(day, time(), settings.tz).astimezone(UTC)
    return moment.isoformat(timespec="seconds")
