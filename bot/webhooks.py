"""The HTTP server: Zalo and Telegram webhooks, answered at once and processed in the background,
and GET /healthz."""

from __future__ import annotations

import hmac
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

__all__ = ["MAX_BODY", "Accept", "Health", "RecentIds", "build_web_app"]

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
Accept = Callable[[dict[str, Any]], Awaitable[None]]
Health = Callable[[], Awaitable[dict[str, Any]]]


def _same_secret(given: str, secret: str) -> bool:
    """Compare in constant time; a header whose bytes are not text is simply not the secret."""
    try:
        raw = given.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(raw, secret.encode())


class RecentIds:
    """The last `size` update ids seen, to take each update once when the platform retries."""

    def __init__(self, size: int = 10_000) -> None:
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._size = size

    def first_time(self, update: dict[str, Any]) -> bool:
        """Whether this update's id is new (an update without an integer id always is)."""
        key = update.get("update_id")
        if not isinstance(key, int):
            return True
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


def _once(accept: Accept) -> Accept:
    """Telegram retries an update until it is answered 200: take each update_id once."""
    recent = RecentIds()

    async def accept_once(update: dict[str, Any]) -> None:
        if recent.first_time(update):
            await accept(update)

    return accept_once


def _guarded(secret: str, header: str, accept: Accept) -> Callable[[web.Request],
                                                                 Awaitable[web.Response]]:
    """Secret (constant time), JSON only, at most 1 MB; then 200 at once."""

    async def handler(request: web.Request) -> web.Response:
        given = request.headers.get(header)
        if not given:
            return web.json_response({"ok": False, "error": "missing secret"}, status=401)
        if not _same_secret(given, secret):
            return web.json_response({"ok": False, "error": "wrong secret"}, status=403)
        if request.content_type != "application/json":
            return web.json_response({"ok": False, "error": "JSON only"}, status=415)
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than Python goes
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(update, dict):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        try:
            await accept(update)
        except Exception as exc:  # answered 200: the platform's retry would fail the same way
            log.warning("webhook %s: update not taken (%s)", request.path, type(exc).__name__)
            return web.json_response({"ok": False, "error": "update not taken"})
        return web.json_response({"ok": True})

    return handler


def build_web_app(
    health: Health, *, zalo: tuple[str, Accept] | None = None,
    telegram: tuple[str, Accept] | None = None,
    zalo_oa: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None,
    gallery: Callable[[web.Application], None] | None = None,
) -> web.Application:
    """Routes: POST /zalo/webhook, POST /telegram/webhook, POST /zalo-oa/webhook (when
    configured; the OA checks its own signature), GET /healthz (503 when storage fails or the
    report lists problems), and the public gallery's pages when `gallery` adds them (last, so
    they never shadow these)."""
    app = web.Application(client_max_size=MAX_BODY)

    async def healthz(_: web.Request) -> web.Response:
        report = await health()
        status = 200 if report.get("storage") == "ok" and not report.get("problems") else 503
        return web.json_response(report, status=status)

    app.router.add_get("/healthz", healthz)
    if zalo is not None:
        app.router.add_post("/zalo/webhook", _guarded(zalo[0], "X-Bot-Api-Secret-Token", zalo[1]))
    if telegram is not None:
        app.router.add_post(
            "/telegram/webhook",
            _guarded(telegram[0], "X-Telegram-Bot-Api-Secret-Token", _once(telegram[1])),
        )
    if zalo_oa is not None:
        app.router.add_post("/zalo-oa/webhook", zalo_oa)
    if gallery is not None:
        gallery(app)
    return app
