"""Composition: open storage, build the channels, run until a stop signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.broadcast import BroadcastEngine
from bot.channels.console import ConsoleSender, run_console
from bot.config import Settings
from bot.content import catalogue
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import Sender
from bot.scheduler import Reminders, build_scheduler
from bot.storage import Storage, open_storage
from bot.webhooks import Accept, build_web_app

__all__ = ["configured_channels", "export", "run_bot", "run_console_app"]

log = logging.getLogger(__name__)


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
                             rates={"zalo": settings.zalo_broadcast_rate}, poll=poll)

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


def configured_channels(settings: Settings) -> list[str]:
    """The channels that have what they need to run."""
    found = []
    if settings.telegram_bot_token:
        found.append("telegram")
    if settings.zalo_bot_token:
        found.append("zalo")
    return found


async def run_bot(settings: Settings) -> None:
    """Run every configured channel until SIGINT/SIGTERM, finish in-flight work, close storage."""
    storage = await open_storage_for(settings)
    stop = _stop_event()
    stack = contextlib.AsyncExitStack()
    states: dict[str, str] = {}
    senders: dict[str, Sender] = {}
    routes: dict[str, tuple[str, Accept]] = {}
    try:
        stack.push_async_callback(storage.close)
        dialog = Dialog(storage, settings)
        if settings.telegram_bot_token:
            await _start_telegram(settings, dialog, stack, states, senders, routes)
        if settings.zalo_bot_token:
            await _start_zalo(settings, dialog, stack, states, senders, routes, stop)

        async def health() -> dict[str, object]:
            try:
                await storage.db.fetchone("SELECT 1")
                ok = "ok"
            except Exception as exc:
                ok = f"error: {type(exc).__name__}"
            return {"storage": ok, "channels": dict(states)}

        if routes or settings.http_port:
            web_app = build_web_app(health, zalo=routes.get("zalo"),
                                    telegram=routes.get("telegram"))
            runner = web.AppRunner(web_app)
            await runner.setup()
            port = settings.http_port or 8080
            await web.TCPSite(runner, settings.http_host, port).start()
            stack.push_async_callback(runner.cleanup)
            log.info("HTTP server on %s:%s (webhooks, /healthz)", settings.http_host, port)
        delivering = await _start_background(settings, storage, senders, stop)
        await stop.wait()
        log.info("stopping: finishing in-flight updates and sends")
        await delivering
    finally:
        await stack.aclose()
        log.info("stopped")


async def _start_telegram(
    settings: Settings, dialog: Dialog, stack: contextlib.AsyncExitStack,
    states: dict[str, str], senders: dict[str, Sender], routes: dict[str, tuple[str, Accept]],
) -> None:
    """Telegram: polling by default, webhook when TELEGRAM_WEBHOOK_URL is set."""
    from telegram import Update

    from bot.channels.telegram import build_application, set_commands

    app = build_application(settings, dialog)
    await app.initialize()
    stack.push_async_callback(app.shutdown)
    await app.start()
    stack.push_async_callback(app.stop)
    await set_commands(app)
    senders["telegram"] = app.bot_data["sender"]
    if settings.telegram_webhook_url:
        secret = (settings.telegram_webhook_secret.get_secret_value()
                  if settings.telegram_webhook_secret else secrets.token_urlsafe(32))

        async def accept(data: dict[str, object]) -> None:
            await app.update_queue.put(Update.de_json(data, app.bot))

        await app.bot.set_webhook(settings.telegram_webhook_url, secret_token=secret)
        routes["telegram"] = (secret, accept)
        states["telegram"] = "webhook"
        return
    assert app.updater is not None
    await app.updater.start_polling(drop_pending_updates=False)
    stack.push_async_callback(app.updater.stop)
    states["telegram"] = "polling"


async def _start_zalo(
    settings: Settings, dialog: Dialog, stack: contextlib.AsyncExitStack,
    states: dict[str, str], senders: dict[str, Sender], routes: dict[str, tuple[str, Accept]],
    stop: asyncio.Event,
) -> None:
    """Zalo: long polling by default, webhook when ZALO_WEBHOOK_URL is set."""
    from bot.channels.zalo import ZaloChannel, ZaloClient

    assert settings.zalo_bot_token is not None
    client = ZaloClient(settings.zalo_api_url, settings.zalo_bot_token.get_secret_value())
    stack.push_async_callback(client.close)
    channel = ZaloChannel(client, dialog.handle)
    stack.push_async_callback(channel.drain)
    senders["zalo"] = channel.sender
    if settings.zalo_webhook_url:
        secret = (settings.zalo_webhook_secret.get_secret_value()
                  if settings.zalo_webhook_secret else secrets.token_urlsafe(32))

        async def accept(update: dict[str, object]) -> None:
            channel.accept(update)

        await client.call("setWebhook", {"url": settings.zalo_webhook_url, "secret_token": secret})
        routes["zalo"] = (secret, accept)
        states["zalo"] = channel.state = "webhook"
        return
    with contextlib.suppress(Exception):
        await client.call("deleteWebhook")
    polling = asyncio.create_task(channel.poll(stop))

    async def finish() -> None:
        await polling

    stack.push_async_callback(finish)
    states["zalo"] = "polling"


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
    from bot.export import ExportRange, Period, write_csv
    from bot.handlers.stats import write_export

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
        now = datetime.now(UTC)
        period = Period(start, end, None, now.astimezone(settings.tz).date())
        return await write_export(storage, texts, out, rng, period, now)
    finally:
        await storage.close()


def _utc_start(day: date | None, settings: Settings) -> str | None:
    if day is None:
        return None
    moment = datetime.combine(day, time(), settings.tz).astimezone(UTC)
    return moment.isoformat(timespec="seconds")
