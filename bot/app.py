"""Composition: open storage, build the channels, run until a stop signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import TextIO

from bot.channels.console import ConsoleSender, run_console
from bot.config import Settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.storage import Storage, open_storage

__all__ = ["configured_channels", "run_bot", "run_console_app"]

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
            worker = OutboxWorker(storage, {"telegram": app.bot_data["sender"]},
                                  settings.province_code)
            delivering = asyncio.create_task(worker.run(stop))
            await stop.wait()
            log.info("stopping: finishing in-flight updates")
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
    worker = OutboxWorker(storage, {"console": ConsoleSender(stdout)}, settings.province_code,
                          poll=0.2)
    delivering = asyncio.create_task(worker.run(stop))
    try:
        await run_console(Dialog(storage, settings), stdin, stdout)
    finally:
        stop.set()
        await delivering
        await storage.close()
