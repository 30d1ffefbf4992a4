"""A fake Zalo Bot API on 127.0.0.1: answers like the platform would and records every request.

The bot's ZaloClient calls `<api_url><token>/<method>` with a JSON body; this server answers
`/bot<TOKEN>/<method>` with `{ok, result}` or `{ok: false, error_code, description}`:

* getMe, setWebhook, deleteWebhook, getWebhookInfo;
* getUpdates {timeout}: ONE queued update per call (there is no offset, as on Zalo), or
  error 408 "no update" when the queue stays empty for `empty_wait` seconds;
* sendMessage {chat_id, text}: refused (400) over 2,000 characters; sendPhoto {chat_id, photo}.

Errors follow the platform's documented meanings, each as HTTP status and body
`{ok: false, error_code, description}`: 400 bad request, 401 invalid or expired token, 403
internal server error (not "blocked"), 404 not found, 408 timeout, 429 quota exceeded.
Updates follow the documented shapes: `message.chat.chat_type` "PRIVATE" or "GROUP"; a picture
in `message.photo_url` (with `caption` and `message_type` "CHAT_PHOTO"); a voice note in
`message.voice_url`; a webhook body wrapped as `{"ok": true, "result": update}` (`webhook_body`).

Tests script it: `push(update)` queues an update, `push_error(code)` / `push_drop()` queue a
one-off getUpdates answer in the same order, `fail_next(method, n, code)` and
`drop_next(method, n)` fail the next n calls of a method (before anything is taken from the
queue). `requests` holds every call in order with the answer given.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

__all__ = ["BOT_ID", "DROPPED", "MAX_TEXT", "TOKEN", "FakeZalo", "ZaloPerson", "ZaloRequest",
           "dumps", "webhook_body"]

TOKEN = "3081466926118347201:FakeZaloTokenNeverReal"
BOT_ID = "3081466926118347201"
MAX_TEXT = 2000
DROPPED = -1  # the status recorded for a call whose connection was dropped


@dataclass
class ZaloRequest:
    """One call the bot made: the method, its JSON body, when, and what it was answered."""

    method: str
    body: dict[str, Any]
    at: float
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.answer.get("ok"))


@dataclass(frozen=True)
class _Fault:
    """A scripted failure: an error answer, or the connection closed without one."""

    code: int = 0
    description: str = ""
    drop: bool = False


class FakeZalo:
    """The Zalo Bot API, local. Use `async with FakeZalo() as zalo:`; `zalo.api_url` is the base."""

    def __init__(self, token: str = TOKEN, *, empty_wait: float = 0.05) -> None:
        self.token = token
        self.empty_wait = empty_wait
        self.requests: list[ZaloRequest] = []
        self.webhook: dict[str, Any] | None = None
        self._queue: deque[dict[str, Any] | _Fault] = deque()
        self._failures: dict[str, deque[_Fault]] = {}
        self._arrived: asyncio.Event | None = None
        self._ids = itertools.count(1)
        self._last_pop = -1  # index in `requests` of the getUpdates that last took an update
        self._server: TestServer | None = None

    # --- life -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1, on a free port."""
        self._arrived = asyncio.Event()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def close(self) -> None:
        """Stop listening."""
        if self._server is not None:
            await self._server.close()

    async def __aenter__(self) -> FakeZalo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def api_url(self) -> str:
        """What ZALO_API_URL would be: the token and method are appended to it."""
        assert self._server is not None, "start() first"
        return str(self._server.make_url("/bot"))

    # --- scripting --------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        self._queue.append(update)
        self._wake()

    def push_error(self, code: int, description: str = "") -> None:
        """Queue one getUpdates error answer, in order with the updates."""
        self._queue.append(_Fault(code, description or _DESCRIPTIONS.get(code, "error")))
        self._wake()

    def push_drop(self) -> None:
        """Queue one getUpdates call whose connection is closed without an answer."""
        self._queue.append(_Fault(drop=True))
        self._wake()

    def fail_next(self, method: str, times: int = 1, code: int = 429,
                  description: str = "") -> None:
        """The next `times` calls of `method` get this error (nothing is taken from the queue)."""
        text = description or _DESCRIPTIONS.get(code, "error")
        self._failures.setdefault(method, deque()).extend(_Fault(code, text) for _ in range(times))

    def drop_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` have their connection closed without an answer."""
        self._failures.setdefault(method, deque()).extend(_Fault(drop=True) for _ in range(times))

    def _wake(self) -> None:
        if self._arrived is not None:
            self._arrived.set()

    @property
    def queued(self) -> int:
        """Updates and scripted answers not yet given out."""
        return len(self._queue)

    # --- reading ----------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[ZaloRequest]:
        """Every request (of one method), in order."""
        return [r for r in self.requests if method is None or r.method == method]

    def sent(self, chat_id: str | None = None) -> list[str]:
        """Texts of the messages the platform accepted (to one chat), in order."""
        return [str(r.body["text"]) for r in self.calls("sendMessage")
                if r.ok and (chat_id is None or str(r.body.get("chat_id")) == chat_id)]

    def photos(self, chat_id: str | None = None) -> list[str]:
        """Photos the platform accepted (to one chat), in order."""
        return [str(r.body["photo"]) for r in self.calls("sendPhoto")
                if r.ok and (chat_id is None or str(r.body.get("chat_id")) == chat_id)]

    def recipients(self) -> list[str]:
        """The chat of every sendMessage and sendPhoto call, in order."""
        return [str(r.body.get("chat_id")) for r in self.requests
                if r.method in ("sendMessage", "sendPhoto")]

    async def settled(self, timeout: float = 5.0) -> None:
        """Wait until the queue is empty and the poller asked again after taking the last item.

        ZaloChannel.poll hands an update to `accept` before its next getUpdates, so once that
        next call has arrived every update given out has been accepted (or ignored).
        """
        deadline = time.monotonic() + timeout
        while self._queue or not any(
            r.method == "getUpdates" for r in self.requests[self._last_pop + 1 :]
        ):
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the poller did not take the queue in {timeout}s ({len(self._queue)} left)"
                )
            await asyncio.sleep(0.005)

    # --- the API ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        try:
            body = await request.json()
        except ValueError:
            body = None
        call = ZaloRequest(method, body if isinstance(body, dict) else {}, time.monotonic())
        self.requests.append(call)
        if request.match_info["token"] != self.token:
            return self._error(call, 401, "Unauthorized")
        if body is not None and not isinstance(body, dict):
            return self._error(call, 400, "Bad Request: body must be a JSON object")
        queued = self._failures.get(method)
        if queued:
            return self._fault(call, queued.popleft(), request)
        handler = _METHODS.get(method)
        if handler is None:
            return self._error(call, 404, f"Not Found: method {method}")
        return await handler(self, call, request)

    def _fault(self, call: ZaloRequest, fault: _Fault, request: web.Request
               ) -> web.StreamResponse:
        if fault.drop:
            call.status = DROPPED
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        return self._error(call, fault.code, fault.description)

    @staticmethod
    def _ok(call: ZaloRequest, result: Any) -> web.Response:
        call.status, call.answer = 200, {"ok": True, "result": result}
        return web.json_response(call.answer)

    @staticmethod
    def _error(call: ZaloRequest, code: int, description: str) -> web.Response:
        call.status = code
        call.answer = {"ok": False, "error_code": code, "description": description}
        return web.json_response(call.answer, status=code)

    async def _get_me(self, call: ZaloRequest, _: web.Request) -> web.Response:
        return self._ok(call, {"id": BOT_ID, "account_name": "bot.guongsang",
                               "account_type": "BASIC", "can_join_groups": False,
                               "display_name": "Gương Sáng"})

    async def _get_updates(self, call: ZaloRequest, request: web.Request) -> web.StreamResponse:
        assert self._arrived is not None
        if not self._queue:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout=self.empty_wait)
        if not self._queue:
            return self._error(call, 408, "Request timeout: no update")
        item = self._queue.popleft()
        self._last_pop = next(i for i in range(len(self.requests) - 1, -1, -1)
                              if self.requests[i] is call)
        if isinstance(item, _Fault):
            return self._fault(call, item, request)
        return self._ok(call, item)

    def _message(self, chat_id: str) -> dict[str, Any]:
        return {"message_id": f"bot-{next(self._ids)}", "date": int(time.time() * 1000),
                "chat": {"id": chat_id, "chat_type": "PRIVATE"}}

    async def _send_message(self, call: ZaloRequest, _: web.Request) -> web.Response:
        chat_id, text = call.body.get("chat_id"), call.body.get("text")
        if not chat_id:
            return self._error(call, 400, "Bad Request: chat_id is required")
        if not isinstance(text, str) or not text:
            return self._error(call, 400, "Bad Request: text is required")
        if len(text) > MAX_TEXT:
            return self._error(call, 400, f"Bad Request: text is longer than {MAX_TEXT}")
        return self._ok(call, self._message(str(chat_id)))

    async def _send_photo(self, call: ZaloRequest, _: web.Request) -> web.Response:
        chat_id, photo = call.body.get("chat_id"), call.body.get("photo")
        if not chat_id:
            return self._error(call, 400, "Bad Request: chat_id is required")
        if not isinstance(photo, str) or not photo.startswith(("http://", "https://")):
            return self._error(call, 400, "Bad Request: photo must be a URL")
        caption = call.body.get("caption")
        if isinstance(caption, str) and len(caption) > MAX_TEXT:
            return self._error(call, 400, f"Bad Request: caption is longer than {MAX_TEXT}")
        return self._ok(call, self._message(str(chat_id)))

    async def _set_webhook(self, call: ZaloRequest, _: web.Request) -> web.Response:
        url, secret = call.body.get("url"), call.body.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return self._error(call, 400, "Bad Request: url must be https")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return self._error(call, 400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": int(time.time() * 1000)}
        return self._ok(call, {"url": url, "updated_at": self.webhook["updated_at"]})

    async def _delete_webhook(self, call: ZaloRequest, _: web.Request) -> web.Response:
        old, self.webhook = self.webhook, None
        return self._ok(call, {"url": old["url"] if old else "",
                               "updated_at": int(time.time() * 1000)})

    async def _get_webhook_info(self, call: ZaloRequest, _: web.Request) -> web.Response:
        if self.webhook is None:
            return self._ok(call, {"url": "", "updated_at": 0})
        return self._ok(call, {"url": self.webhook["url"],
                               "updated_at": self.webhook["updated_at"]})


_DESCRIPTIONS = {  # the meanings Zalo documents for each error code
    400: "Bad Request",
    401: "Unauthorized: invalid or expired token",
    403: "Internal Server Error",
    404: "Not Found",
    408: "Request timeout: no update",
    429: "Quota exceeded",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
_METHODS: dict[
    str, Callable[[FakeZalo, ZaloRequest, web.Request], Awaitable[web.StreamResponse]]
] = {
    "getMe": FakeZalo._get_me,
    "getUpdates": FakeZalo._get_updates,
    "sendMessage": FakeZalo._send_message,
    "sendPhoto": FakeZalo._send_photo,
    "setWebhook": FakeZalo._set_webhook,
    "deleteWebhook": FakeZalo._delete_webhook,
    "getWebhookInfo": FakeZalo._get_webhook_info,
}


# --- a person on Zalo -------------------------------------------------------------------------


class ZaloPerson:
    """A Zalo user in a private chat with the bot, whose updates go through getUpdates.

    `await person.says("…")` queues the update, waits until the polling channel took it and
    finished answering, and returns the texts the bot sent to this chat meanwhile.
    """

    _ids = itertools.count(1)

    def __init__(self, zalo: FakeZalo, channel: Any, user_id: str,
                 display_name: str = "Trần Thị Bình", *, group: str | None = None) -> None:
        self.zalo, self.channel = zalo, channel
        self.user_id, self.display_name = user_id, display_name
        self.chat_id = group or user_id
        self.chat_type = "GROUP" if group else "PRIVATE"
        self.last: list[str] = []

    def update(self, event: str, message_id: str | None = None, **content: Any) -> dict[str, Any]:
        """An update from this person, as the platform sends it (in their group, if one)."""
        message = {
            "from": {"id": self.user_id, "display_name": self.display_name, "is_bot": False},
            "chat": {"id": self.chat_id, "chat_type": self.chat_type},
            "message_id": message_id or f"m{next(ZaloPerson._ids)}-{self.user_id}",
            "date": int(time.time() * 1000),
            **content,
        }
        return {"event_name": event, "message": message}

    async def send(self, *updates: dict[str, Any]) -> list[str]:
        """Queue updates; wait until they were polled and answered; what this chat received."""
        before = len(self.zalo.sent(self.chat_id))
        for update in updates:
            self.zalo.push(update)
        await self.zalo.settled()
        await self.channel.drain()
        self.last = self.zalo.sent(self.chat_id)[before:]
        return self.last

    async def says(self, text: str) -> list[str]:
        """Type a message (a command if it starts with /)."""
        return await self.send(self.update("message.text.received", text=text))

    async def sends_photo(self, url: str, caption: str = "") -> list[str]:
        """Send a picture: Zalo gives the bot its URL in `photo_url`."""
        return await self.send(self.update("message.image.received", photo_url=url,
                                           caption=caption, message_type="CHAT_PHOTO"))

    async def sends_voice(self, url: str = "https://zalo.example/v1.aac") -> list[str]:
        """Send a voice note: Zalo gives the bot its URL in `voice_url`."""
        return await self.send(self.update("message.voice.received", voice_url=url,
                                           message_type="CHAT_VOICE"))

    async def sends_sticker(self) -> list[str]:
        """Send a sticker."""
        return await self.send(self.update("message.sticker.received", sticker="stk-1",
                                           url="https://zalo.example/stk-1.webp"))

    async def sends_protected(self) -> list[str]:
        """Something Zalo does not show the bot (its privacy settings)."""
        return await self.send(self.update("message.unsupported.received"))

    def option(self, label: str) -> str:
        """The number of the listed option whose text contains `label`, in the last message."""
        for text in reversed(self.last):
            for line in text.splitlines():
                number, dot, rest = line.partition(". ")
                if dot and number.isdecimal() and label in rest:
                    return number
        raise AssertionError(f"no numbered option {label!r} in {self.last!r}")

    async def picks(self, label: str) -> list[str]:
        """Type the number of the option whose text contains `label`."""
        return await self.says(self.option(label))


def dumps(update: dict[str, Any]) -> bytes:
    """An update as JSON bytes (as posted to a webhook)."""
    return json.dumps(update, ensure_ascii=False).encode()


def webhook_body(update: dict[str, Any]) -> bytes:
    """An update as the documented webhook body: wrapped in {"ok": true, "result": …}."""
    return dumps({"ok": True, "result": update})
