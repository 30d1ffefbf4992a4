"""POST /zalo-oa/webhook: the signature checked in constant time, old events refused, the event
kept and answered 200 at once (the platform waits 2 seconds), handled in the background.

The signature is `X-ZEvent-Signature: mac=<hex>`, hex = SHA-256 of id + raw body + the body's
`timestamp` + secret. Sources agree on the shape but not on which id and which secret, so
`ZALO_OA_SIGNATURE` lists the readings accepted; the first one that matches is logged once so
the operator can keep only that one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from aiohttp import web

from bot.channels.zalo_oa import EVENTS, event_time
from bot.channels.zalo_oa_tokens import Clock, utcnow

__all__ = ["HEADER", "Signature", "webhook"]

log = logging.getLogger(__name__)

HEADER = "X-ZEvent-Signature"
MAX_BODY = 1024 * 1024
FUTURE = timedelta(minutes=10)  # clock skew tolerated for a timestamp ahead of ours
Receive = Callable[[dict[str, Any]], Awaitable[bool]]


def _oa_id(event: dict[str, Any]) -> str:
    recipient = event.get("recipient")
    inner = recipient.get("id") if isinstance(recipient, dict) else None
    return str(event.get("oa_id") or inner or "")


class Signature:
    """The accepted readings of the signature: `app_id|oa_id` + `secret_key|app_secret`."""

    def __init__(self, app_id: str, secret_key: str, app_secret: str,
                 readings: Iterable[str]) -> None:
        self._app_id = app_id
        self._secrets = {"secret_key": secret_key, "app_secret": app_secret}
        self._readings = tuple(readings)
        self.confirmed: str | None = None

    def expected(self, reading: str, raw: bytes, event: dict[str, Any]) -> str:
        """The hex digest one reading gives for this body."""
        ident, _, secret = reading.partition("+")
        first = self._app_id if ident == "app_id" else _oa_id(event)
        timestamp = str(event.get("timestamp", ""))
        data = first.encode() + raw + timestamp.encode() + self._secrets[secret].encode()
        return hashlib.sha256(data).hexdigest()

    def check(self, header: str, raw: bytes, event: dict[str, Any]) -> str | None:
        """The reading the header matches (every reading is compared), or None."""
        text = header.strip()
        given = (text[4:] if text.lower().startswith("mac=") else text).lower().encode()
        matched = None
        for reading in self._readings:
            if hmac.compare_digest(self.expected(reading, raw, event).encode(), given):
                matched = matched or reading
        if matched and self.confirmed is None:
            self.confirmed = matched
            if len(self._readings) > 1:
                log.info("zalo_oa webhook signature matched the reading %s;"
                         " ZALO_OA_SIGNATURE=%s accepts only it", matched, matched)
        return matched


def _refuse(status: int, error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error}, status=status)


def webhook(signature: Signature, receive: Receive, *, max_age: timedelta,
            clock: Clock = utcnow) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The aiohttp handler for the OA's webhook."""

    async def handler(request: web.Request) -> web.Response:
        header = request.headers.get(HEADER)
        if not header:
            return _refuse(401, "missing signature")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, "too large")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, "too large")
        try:
            event = json.loads(raw)
        except ValueError:
            return _refuse(400, "not JSON")
        if not isinstance(event, dict):
            return _refuse(400, "not an event")
        if signature.check(header, raw, event) is None:
            return _refuse(403, "wrong signature")
        happened = event_time(event)
        if happened is None:
            return _refuse(400, "no timestamp")
        now = clock()
        if now - happened > max_age:
            return _refuse(403, "too old")
        if happened - now > FUTURE:
            return _refuse(403, "timestamp in the future")
        name = event.get("event_name")
        if name not in EVENTS:
            # Authentic but not for the bot (echoes of the OA's own sends, seen receipts …):
            # acknowledged so the platform does not retry it, and nothing changes.
            log.info("zalo_oa event ignored: %r", name)
            return web.json_response({"ok": True, "ignored": str(name)[:60]})
        try:
            await receive(event)
        except Exception:
            # Not kept, so not acknowledged: the platform sends it again later.
            log.exception("zalo_oa event could not be kept")
            return _refuse(503, "not kept, send again")
        return web.json_response({"ok": True})

    return handler
