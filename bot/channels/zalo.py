"""Zalo Bot Platform: a Telegram-like HTTP API without buttons, 2,000-character messages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

import httpx

from bot.channels.photo_sends import send_photos
from bot.content import Safe
from bot.health import State, Trouble
from bot.messages import (
    ChannelTraits,
    DeliveryError,
    Incoming,
    Reply,
    Voice,
    plain_text,
    split_text,
)

__all__ = ["CHANNEL", "TRAITS", "ZaloApiError", "ZaloChannel", "ZaloClient", "delivery_error",
           "to_incoming", "unwrap"]

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TRAITS = ChannelTraits(
    buttons=False, max_text=2000, max_caption=2000, can_request_contact=False,
    can_request_location=False, voice=True, files=False, takes_files=False,
)
EVENTS = ("message.text.received", "message.image.received", "message.sticker.received",
          "message.voice.received", "message.unsupported.received")
QUOTA_BACKOFF = 5.0  # seconds to wait after a 429: Zalo documents a quota, not a retry time


class ZaloApiError(Exception):
    """The platform answered ok=false."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description


class ZaloClient:
    """Calls `<ZALO_API_URL><token>/<method>` with JSON and unwraps {ok, result}."""

    def __init__(self, api_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 40.0) -> None:
        self._base = f"{api_url}{token}/"
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """One API call; raises ZaloApiError or httpx.HTTPError."""
        response = await self._http.post(self._base + method, json=payload or {})
        try:
            body = response.json()
        except ValueError:
            raise ZaloApiError(response.status_code, "not JSON") from None
        if not isinstance(body, dict) or not body.get("ok"):
            code = int(body.get("error_code") or response.status_code) if isinstance(body, dict) \
                else response.status_code
            description = str(body.get("description", "")) if isinstance(body, dict) else ""
            raise ZaloApiError(code, description)
        return body.get("result")

    async def close(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()


def unwrap(body: dict[str, Any]) -> dict[str, Any]:
    """The update itself: webhooks come documented as {"ok": true, "result": update}, or bare."""
    result = body.get("result")
    if "event_name" not in body and isinstance(result, dict):
        return result
    return body


def _table(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _photo(message: dict[str, Any]) -> str | None:
    """The picture's URL: `photo_url` as Zalo sends it, `photo` as older payloads did."""
    for key in ("photo_url", "photo"):
        value = message.get(key)
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value
    return None


def to_incoming(update: dict[str, Any]) -> Incoming | None:
    """Translate one update into Incoming; None for what the bot does not answer."""
    event = update.get("event_name")
    message = update.get("message")
    if not isinstance(event, str) or event not in EVENTS or not isinstance(message, dict):
        return None
    sender, chat = _table(message.get("from")), _table(message.get("chat"))
    if sender.get("is_bot") is True or not sender.get("id") or not chat.get("id"):
        return None
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return Incoming(CHANNEL, str(chat["id"]), "", TRAITS, group=True)
    base: dict[str, Any] = {
        "channel": CHANNEL, "chat_id": str(chat["id"]), "user_id": str(sender["id"]),
        "traits": TRAITS,
        "display_name": str(sender.get("display_name") or sender.get("name") or "")[:100],
    }
    if event == "message.text.received":
        text = str(message.get("text") or "")
        if text.startswith("/") and len(text) > 1:
            head, *args = text.split()
            return Incoming(**base, command=head[1:].lower(), args=tuple(args))
        return Incoming(**base, text=text)
    photo = _photo(message) if event == "message.image.received" else None
    if photo:
        return Incoming(**base, photos=(photo,))
    if event == "message.sticker.received":
        return Incoming(**base, unsupported="sticker")
    if event == "message.voice.received":
        # The note's address in `voice_url` (an .aac file); the platform does not say its length.
        url = message.get("voice_url")
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return Incoming(**base, voice=Voice(url))
        return Incoming(**base, unsupported="voice")
    return Incoming(**base, unsupported="protected")


def render(reply: Reply) -> list[str]:
    """A reply as Zalo messages: plain text split under 2,000 characters, options numbered."""
    text = reply.text
    options = reply.flat_choices()
    if options:
        lines = "\n".join(f"{n}. {plain_text(c.label)}" for n, c in enumerate(options, start=1))
        text = f"{text}\n\n{lines}" if text else lines
    return [plain_text(part) for part in split_text(text, TRAITS.max_text)] if text else []


class ZaloSender:
    """Sends Replies through the Zalo API; errors become DeliveryError."""

    channel = CHANNEL

    def __init__(self, client: ZaloClient, language: str = "vi") -> None:
        self._client = client
        self._language = language

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver a message outside the conversation: numbered options would answer the open
        question instead, so none are drawn (the text says what to type)."""
        return await self._deliver(chat_id, replace(reply, choices=()))

    async def answer(self, chat_id: str, reply: Reply) -> str | None:
        """Answer the person in the conversation, options numbered."""
        return await self._deliver(chat_id, reply)

    async def _deliver(self, chat_id: str, reply: Reply) -> str | None:
        """Deliver a reply; return the last message id. A photo Zalo refuses (it could not
        fetch the address) is named in a line added to the text, which still goes."""

        async def photo(url: str) -> str | None:
            try:
                return _message_id(await self._client.call(
                    "sendPhoto", {"chat_id": chat_id, "photo": url}))
            except ZaloApiError as exc:
                raise delivery_error(exc) from exc

        try:
            last, note = await send_photos(chat_id, reply.photos, photo, self._language)
            if note:
                reply = replace(reply, text=Safe(reply.text + note))
            for part in render(reply):
                result = await self._client.call("sendMessage", {"chat_id": chat_id,
                                                                 "text": part})
                last = _message_id(result) or last
        except ZaloApiError as exc:
            raise delivery_error(exc) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(type(exc).__name__, permanent=False) from exc
        return last


def delivery_error(exc: ZaloApiError) -> DeliveryError:
    """What a Zalo error code means for a send, as the platform documents the codes.

    401: the token is invalid or expired, so nothing sent on Zalo can go through until an
    operator acts (the channel is down, the message waits). 429: a quota, back off. 403 is
    Zalo's internal server error and 408 a timeout: both pass, retry. Other 4xx: this request
    itself is refused.
    """
    reason = exc.description or str(exc.code)
    if exc.code == 401:
        return DeliveryError(reason, permanent=False, channel_down=True)
    if exc.code == 429:
        return DeliveryError(reason, permanent=False, retry_after=QUOTA_BACKOFF)
    if exc.code in (403, 408) or exc.code >= 500:
        return DeliveryError(reason, permanent=False)
    return DeliveryError(reason, permanent=True)


def _message_id(result: Any) -> str | None:
    if isinstance(result, dict) and result.get("message_id") is not None:
        return str(result["message_id"])
    return None


Handle = Callable[[Incoming], Awaitable[list[Reply]]]


class ZaloChannel:
    """Long polling or webhook updates in; each answered through the dialog core."""

    def __init__(self, client: ZaloClient, handle: Handle, *, seen: int = 10_000,
                 first_wait: float = 1.0, language: str = "vi") -> None:
        self.client = client
        self.sender = ZaloSender(client, language)
        self._handle = handle
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_max = seen
        self._tasks: set[asyncio.Task[None]] = set()
        self.state = "stopped"
        self._trouble = Trouble("zalo getUpdates", first_wait=first_wait, max_wait=60.0)

    def _first_time(self, update: dict[str, Any]) -> bool:
        """De-duplicate by message id: getUpdates has no offset, so repeats happen."""
        key = str(_table(update.get("message")).get("message_id") or "")
        if not key:
            return True
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > self._seen_max:
            self._seen.popitem(last=False)
        return True

    def accept(self, update: dict[str, Any]) -> bool:
        """Take one update (from polling or a webhook) and answer it in the background."""
        update = unwrap(update)
        if not self._first_time(update):
            return False
        incoming = to_incoming(update)
        if incoming is None:
            log.info("zalo update ignored: event %r", update.get("event_name"))
            return False
        task = asyncio.create_task(self._answer(incoming))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _answer(self, incoming: Incoming) -> None:
        try:
            for reply in await self._handle(incoming):
                await self.sender.answer(incoming.chat_id, reply)
        except DeliveryError as exc:
            log.warning("zalo reply to %s failed: %s", incoming.chat_id, exc.reason)
        except Exception:
            log.exception("zalo update from %s failed", incoming.chat_id)

    async def poll(self, stop: asyncio.Event, timeout: int = 30) -> None:
        """Long-poll until told to stop; 408 means no update. A failure (a refused token, the
        platform unreachable) is logged once, retried with growing pauses and shown by
        `poll_state` (so /healthz answers 503 while it lasts)."""
        self.state = "polling"
        while not stop.is_set():
            try:
                result = await self.client.call("getUpdates", {"timeout": timeout})
            except ZaloApiError as exc:
                if exc.code == 408:
                    self._trouble.succeeded()
                    continue
                delay = self._trouble.failed(exc)
            except httpx.HTTPError as exc:
                delay = self._trouble.failed(exc)
            else:
                self._trouble.succeeded()
                for update in result if isinstance(result, list) else [result]:
                    if isinstance(update, dict):
                        self.accept(update)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
        self.state = "stopped"

    def poll_state(self) -> State:
        """Polling, or retrying and why (not healthy: no message from Zalo arrives meanwhile)."""
        trouble = self._trouble.state()
        return State("polling") if trouble.ok else trouble

    async def drain(self) -> None:
        """Finish the updates being answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
