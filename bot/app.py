"""Composition: open storage, build the channels, run until a stop signal, shut down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import secrets
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.background import start_background
from bot.channels.console import ConsoleSender, run_console
from bot.config import Settings
from bot.content import Campaigns, ContentError, Library, catalogue, load_library, localities
from bot.dialog import Dialog
from bot.health import State, Supervisor
from bot.messages import Sender
from bot.startup import refused_by_telegram, until_reached, zalo_ready
from bot.storage import Storage, open_storage
from bot.webhooks import Accept, Health, build_web_app

__all__ = ["configured_channels", "export", "health_report", "open_checked", "run_bot",
           "run_console_app"]

log = logging.getLogger(__name__)


async def open_storage_for(settings: Settings) -> Storage:
    """Open storage with the review settings."""
    return await open_storage(
        settings.database_path,
        review_levels=settings.review_levels,
        notify_reviewers=settings.notify_reviewers,
        publish_chat=settings.publish_chat_id,
    )


async def open_checked(settings: Settings, library: Library) -> Storage:
    """Open storage and refuse, in one line, a campaign or content key that stories use and no
    loaded campaign file defines any more (a file removed, a key renamed)."""
    storage = await open_storage_for(settings)
    try:
        problems = library.campaigns.unknown(await storage.stories.keys_in_use())
        # Search finds a story by its commune's name too: give it the province's names.
        units = localities(settings.province_code).units
        await storage.search.use_communes({unit.code: unit.name for unit in units})
    except BaseException:
        await storage.close()
        raise
    if problems:
        await storage.close()
        raise ContentError(problems[0])
    return storage


def _library(settings: Settings, library: Library | None) -> Library:
    return library or load_library(settings.content_folder, settings.campaign)


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
    if settings.zalo_oa_app_id:
        found.append("zalo_oa")
    return found


def health_report(storage: Storage, states: dict[str, str], supervisor: Supervisor) -> Health:
    """What GET /healthz answers: storage, each channel, each background task, and the
    problems (a dead task, a channel down, sending retrying) that make it answer 503."""

    async def health() -> dict[str, object]:
        try:
            await storage.db.fetchone("SELECT 1")
            ok = "ok"
        except Exception as exc:
            ok = f"error: {type(exc).__name__}"
        tasks, problems = supervisor.report()
        report: dict[str, object] = {"storage": ok, "channels": supervisor.channels(states),
                                     "tasks": tasks}
        if problems:
            report["problems"] = problems
        return report

    return health


async def run_bot(settings: Settings, stop: asyncio.Event | None = None,
                  library: Library | None = None) -> None:
    """Run every configured channel until SIGINT/SIGTERM (or `stop`), finish in-flight work,
    close storage."""
    library = _library(settings, library)
    storage = await open_checked(settings, library)
    stop = stop or _stop_event()
    stack = contextlib.AsyncExitStack()
    states: dict[str, str] = {}
    senders: dict[str, Sender] = {}
    routes: dict[str, tuple[str, Accept]] = {}
    supervisor = Supervisor(stop)
    try:
        stack.push_async_callback(storage.close)
        dialog = Dialog(storage, settings, library.campaigns)
        if settings.telegram_bot_token and not await _start_telegram(
                settings, dialog, stack, states, senders, routes, stop, supervisor):
            return
        if settings.zalo_bot_token and not await _start_zalo(
                settings, dialog, stack, states, senders, routes, stop, supervisor):
            return
        oa_webhook = None
        if settings.zalo_oa_app_id:
            oa_webhook = await _start_zalo_oa(settings, dialog, stack, states, senders, stop,
                                              supervisor)
        health = health_report(storage, states, supervisor)
        if routes or oa_webhook or settings.http_port or settings.gallery_url:
            web_app = build_web_app(health, zalo=routes.get("zalo"),
                                    telegram=routes.get("telegram"), zalo_oa=oa_webhook,
                                    gallery=_gallery(settings, storage, library.campaigns))
            runner = web.AppRunner(web_app)
            await runner.setup()
            port = settings.http_port or 8080
            await web.TCPSite(runner, settings.http_host, port).start()
            stack.push_async_callback(runner.cleanup)
            log.info("HTTP server on %s:%s (webhooks, /healthz)", settings.http_host, port)
        delivering = await start_background(settings, storage, senders, stop, supervisor,
                                            library)
        archiving = await _start_archive(storage, senders, stack, stop, supervisor)
        finding = _start_duplicates(storage, stop, supervisor)
        # What start-up built lives as long as the bot: out of the collector's sight, so that a
        # full collection (set off by any burst of objects, such as a small export's rows) walks
        # only what was made since, not the tens of thousands of start-up objects (~50 ms).
        gc.collect()
        gc.freeze()
        await stop.wait()
        log.info("stopping: finishing in-flight updates and sends")
        await delivering
        await archiving
        await finding
    finally:
        await stack.aclose()
        log.info("stopped")


def _gallery(settings: Settings, storage: Storage,
             campaigns: Campaigns) -> Callable[[web.Application], None] | None:
    """The public site's routes, when GALLERY_URL is set: the links to files kept for Zalo
    users, then the gallery (whose catch-all page comes last)."""
    site = settings.gallery_url
    if not site:
        return None
    from bot import file_links
    from bot.gallery import Gallery

    gallery = Gallery(storage, settings, campaigns)

    def install(app: web.Application) -> None:
        file_links.install(app, storage, site, catalogue(settings.language))
        gallery.install(app)

    return install


async def _start_archive(storage: Storage, senders: dict[str, Sender],
                         stack: contextlib.AsyncExitStack, stop: asyncio.Event,
                         supervisor: Supervisor) -> asyncio.Task[None]:
    """The photo archive's worker: downloads through the running channels and the web;
    watched, so /healthz says when it fails or dies."""
    from bot.archive import ArchiveWorker
    from bot.channels.downloads import HttpDownloads, downloads_for

    http = HttpDownloads()
    stack.push_async_callback(http.close)
    worker = ArchiveWorker(storage.photos, downloads_for(senders), http)
    task = asyncio.create_task(worker.run(stop))
    supervisor.watch("archive", task, worker.state)
    return task


def _start_duplicates(storage: Storage, stop: asyncio.Event,
                      supervisor: Supervisor) -> asyncio.Task[None]:
    """The duplicate finder: compares each filed story with its commune's recent ones in the
    background; watched, so /healthz says when it fails or dies."""
    from bot.duplicates import DuplicateFinder

    finder = DuplicateFinder(storage.duplicates)
    task = asyncio.create_task(finder.run(stop))
    supervisor.watch("duplicates", task, finder.state)
    return task


async def _start_telegram(
    settings: Settings, dialog: Dialog, stack: contextlib.AsyncExitStack,
    states: dict[str, str], senders: dict[str, Sender], routes: dict[str, tuple[str, Accept]],
    stop: asyncio.Event, supervisor: Supervisor,
) -> bool:
    """Telegram: polling by default, webhook when TELEGRAM_WEBHOOK_URL is set; False when told
    to stop while Telegram could not be reached."""
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.channels.telegram import build_application, set_commands

    app = build_application(settings, dialog)
    stack.push_async_callback(app.bot.shutdown)
    try:
        if not await until_reached("Telegram", app.initialize, stop, (NetworkError,)):
            return False
    except InvalidToken as exc:
        raise refused_by_telegram(exc) from None
    stack.push_async_callback(app.shutdown)
    await app.start()
    stack.push_async_callback(app.stop)
    await set_commands(app)
    await dialog.storage.staff.queue_menus()  # reviewers' and admins' own menus, as they are now
    senders["telegram"] = app.bot_data["sender"]
    if settings.telegram_webhook_url:
        secret = (settings.telegram_webhook_secret.get_secret_value()
                  if settings.telegram_webhook_secret else secrets.token_urlsafe(32))

        async def accept(data: dict[str, object]) -> None:
            await app.update_queue.put(Update.de_json(data, app.bot))

        await app.bot.set_webhook(settings.telegram_webhook_url, secret_token=secret)
        routes["telegram"] = (secret, accept)
        states["telegram"] = "webhook"
        supervisor.probe("telegram", lambda: State("webhook") if app.running
                         else State("dead: stopped", ok=False))
        return True
    updater = app.updater
    assert updater is not None
    await updater.start_polling(drop_pending_updates=False)
    stack.push_async_callback(updater.stop)
    states["telegram"] = "polling"
    supervisor.probe("telegram", lambda: State("polling") if updater.running
                     else State("dead: polling stopped", ok=False))
    return True


async def _start_zalo(
    settings: Settings, dialog: Dialog, stack: contextlib.AsyncExitStack,
    states: dict[str, str], senders: dict[str, Sender], routes: dict[str, tuple[str, Accept]],
    stop: asyncio.Event, supervisor: Supervisor,
) -> bool:
    """Zalo: long polling by default, webhook when ZALO_WEBHOOK_URL is set; False when told to
    stop while Zalo could not be reached."""
    from bot.channels.zalo import ZaloChannel, ZaloClient

    assert settings.zalo_bot_token is not None
    client = ZaloClient(settings.zalo_api_url, settings.zalo_bot_token.get_secret_value())
    stack.push_async_callback(client.close)
    if not await zalo_ready(client, stop, "getMe", None,
                             "check ZALO_BOT_TOKEN and ZALO_API_URL"):
        return False
    channel = ZaloChannel(client, dialog.handle, language=settings.language)
    stack.push_async_callback(channel.drain)
    senders["zalo"] = channel.sender
    if settings.zalo_webhook_url:
        secret = (settings.zalo_webhook_secret.get_secret_value()
                  if settings.zalo_webhook_secret else secrets.token_urlsafe(32))

        async def accept(update: dict[str, object]) -> None:
            channel.accept(update)

        if not await zalo_ready(client, stop, "setWebhook",
                                 {"url": settings.zalo_webhook_url, "secret_token": secret},
                                 "check ZALO_WEBHOOK_URL and ZALO_WEBHOOK_SECRET"):
            return False
        routes["zalo"] = (secret, accept)
        states["zalo"] = channel.state = "webhook"
        return True
    with contextlib.suppress(Exception):
        await client.call("deleteWebhook")
    polling = asyncio.create_task(channel.poll(stop))
    supervisor.watch("zalo", polling, channel.poll_state)

    async def finish() -> None:
        await polling

    stack.push_async_callback(finish)
    states["zalo"] = "polling"
    return True


async def _start_zalo_oa(
    settings: Settings, dialog: Dialog, stack: contextlib.AsyncExitStack,
    states: dict[str, str], senders: dict[str, Sender], stop: asyncio.Event,
    supervisor: Supervisor,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Zalo OA: tokens from the database (seeded once), events kept before they are answered;
    returns the webhook handler for POST /zalo-oa/webhook."""
    from bot.channels.zalo_oa_app import build_zalo_oa
    from bot.channels.zalo_oa_tokens import NEEDS_REAUTH

    channel, handler = build_zalo_oa(settings, dialog.storage.db, dialog.handle,
                                     on_state=lambda state: states.__setitem__("zalo_oa", state))
    stack.push_async_callback(channel.close)
    stack.push_async_callback(channel.drain)
    seed = settings.zalo_oa_refresh_token
    await channel.keeper.seed(seed.get_secret_value() if seed else None)
    states["zalo_oa"] = channel.state
    senders["zalo_oa"] = channel.sender
    replayed = await channel.replay()
    if replayed:
        log.info("zalo_oa: answering %d event(s) kept before the last stop", replayed)
    maintaining = asyncio.create_task(channel.maintain(stop))
    supervisor.watch("zalo_oa", maintaining,
                     lambda: State(channel.state, ok=channel.state != NEEDS_REAUTH))

    async def finish() -> None:
        await maintaining

    stack.push_async_callback(finish)
    log.info("Zalo OA: webhook expected at %s (%s)", settings.zalo_oa_webhook_url, channel.state)
    return handler


async def run_console_app(
    settings: Settings, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout,
    library: Library | None = None, notice: str = "", user: str | None = None,
) -> None:
    """Chat with the bot in the terminal over the same database, as console:`user` (default the
    login); `notice` goes to stderr once the database and the content files are known fine."""
    library = _library(settings, library)
    storage = await open_checked(settings, library)
    if notice:
        print(notice, file=sys.stderr)
    stop = asyncio.Event()
    supervisor = Supervisor(stop)
    delivering = await start_background(settings, storage,
                                        {"console": ConsoleSender(stdout, user)},
                                        stop, supervisor, library, poll=0.2)
    try:
        await run_console(Dialog(storage, settings, library.campaigns), stdin, stdout,
                          user=user, files=settings.database_path.parent / "exports")
    finally:
        stop.set()
        await delivering
        await storage.close()


async def export(settings: Settings, out: Path, start: date | None, end: date | None,
                 fmt: str, library: Library | None = None, campaign: str | None = None) -> int:
    """Write the province's workbook (or the CSV list) to a file; return the stories listed."""
    from bot.export import ExportRange, Period, write_csv
    from bot.handlers.stats import write_export

    library = _library(settings, library)
    storage = await open_checked(settings, library)
    try:
        rng = ExportRange(settings.province_code, settings.tz, settings.publish_chat_id,
                          library.campaigns)
        texts = catalogue(settings.language)
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            since = _utc_start(start, settings)
            until = _utc_start(end + timedelta(days=1), settings) if end else None
            with out.open("wb") as fh:
                return await write_csv(fh, rng, texts, storage.reports.stories(
                    None, since, until, campaign=campaign))
        made = datetime.now(settings.tz).date()
        return await write_export(storage, texts, out, rng,
                                  Period(start, end, None, made, campaign))
    finally:
        await storage.close()


def _utc_start(day: date | None, settings: Settings) -> str | None:
    if day is None:
        return None
    moment = datetime.combine(day, time(), settings.tz).astimezone(UTC)
    return moment.isoformat(timespec="seconds")
