"""A small Telegram Bot API server for running the real `python -m bot run` against: what the
process sends arrives here over HTTP, as it would at api.telegram.org.

It answers the calls the bot makes with the documented shapes (https://core.telegram.org/bots/api):
`getMe` a User, `getUpdates` the queued Updates from `offset` on (long polling up to `timeout`
seconds), `sendMessage` / `editMessageText` a Message, `answerCallbackQuery`,
`editMessageReplyMarkup`, `setMyCommands`, `deleteWebhook` and the rest `true`. A wrong token is
401 Unauthorized. Every call is recorded with its method and parameters; `text_to(chat)` and
`buttons(chat)` read what a person was last shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

_ENTITIES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
             "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
             "del": "strikethrough", "code": "code", "pre": "pre", "a": "text_link",
             "blockquote": "blockquote", "tg-spoiler": "spoiler"}


def _units(text: str) -> int:
    """A length in UTF-16 code units, as Telegram counts entity offsets."""
    return len(text.encode("utf-16-le")) // 2


class _Html(HTMLParser):
    """parse_mode HTML as Telegram reads it: the text without tags, and its entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int, dict[str, Any]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _ENTITIES:
            raise ValueError(f"Bad Request: can't parse entities: unsupported start tag {tag!r}")
        extra = {"url": dict(attrs).get("href") or ""} if tag == "a" else {}
        self._open.append((tag, _units(self.text), extra))

    def handle_endtag(self, tag: str) -> None:
        if not self._open or self._open[-1][0] != tag:
            raise ValueError(f"Bad Request: can't parse entities: unexpected end tag {tag!r}")
        _, start, extra = self._open.pop()
        length = _units(self.text) - start
        if length:
            self.entities.append({"type": _ENTITIES[tag], "offset": start, "length": length,
                                  **extra})

    def handle_data(self, data: str) -> None:
        self.text += data


def parse_html(markup: str) -> tuple[str, list[dict[str, Any]]]:
    """The text a person reads and its entities; ValueError as Telegram's 400 for bad markup."""
    parser = _Html()
    parser.feed(markup)
    parser.close()
    if parser._open:
        raise ValueError("Bad Request: can't parse entities: unclosed start tag")
    return parser.text, sorted(parser.entities, key=lambda e: (e["offset"], -e["length"]))


BOT_ID = 7000005555
TOKEN = f"{BOT_ID}:AAF-emulated-token-for-tests-0123456789"


@dataclass
class Call:
    """One request the bot made: its method and parameters (JSON values decoded)."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    """The emulator; `async with FakeTelegram() as api:` starts it on a free local port."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update: int = 1
    _next_message: int = 100
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _messages: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    _server: TestServer | None = None

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            await self._server.close()

    @property
    def api_url(self) -> str:
        """What TELEGRAM_API_URL is set to: the token and method are appended to it."""
        assert self._server is not None
        return str(self._server.make_url("/bot"))

    # --- what people do ------------------------------------------------------------------------

    def _person(self, user: int, name: str) -> dict[str, Any]:
        return {"id": user, "is_bot": False, "first_name": name, "language_code": "vi"}

    def says(self, user: int, text: str, name: str = "Lan") -> None:
        """A private message from `user` (a command gets its bot_command entity)."""
        message: dict[str, Any] = {
            "message_id": self._message_id(), "date": int(time.time()),
            "chat": {"id": user, "type": "private", "first_name": name},
            "from": self._person(user, name), "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": len(text.split()[0])}]
        self._queue({"message": message})

    def presses(self, user: int, label: str, name: str = "Lan") -> None:
        """A tap on the button whose label holds `label`, on the latest keyboard that has one:
        an inline button sends its callback query; a reply-keyboard button sends its label as a
        message, as the Telegram app does."""
        for call in reversed(self.sent(user)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("keyboard", []):
                for button in row:
                    text = button.get("text", "") if isinstance(button, dict) else str(button)
                    if label in text:
                        self.says(user, text, name)
                        return
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if label in button.get("text", "") and "callback_data" in button:
                        message = self._messages[(str(user), int(call.params["message_id"]))]
                        self._queue({"callback_query": {
                            "id": f"cq{self._next_update}", "from": self._person(user, name),
                            "chat_instance": f"ci{user}", "data": button["callback_data"],
                            "message": message}})
                        return
        raise AssertionError(f"no button {label!r} was shown to {user}")

    def _queue(self, body: dict[str, Any]) -> None:
        self._updates.append({"update_id": self._next_update, **body})
        self._next_update += 1
        self._arrived.set()

    def _message_id(self) -> int:
        self._next_message += 1
        return self._next_message

    # --- what the bot did ----------------------------------------------------------------------

    def sent(self, user: int) -> list[Call]:
        """Every sendMessage and editMessageText to `user`, in order."""
        return [c for c in self.calls if c.method in ("sendMessage", "editMessageText")
                and c.params.get("chat_id") == str(user)]

    def text_to(self, user: int) -> str:
        """The last message sent to or edited for `user`, as they read it (without markup)."""
        sent = self.sent(user)
        if not sent:
            return ""
        text = str(sent[-1].params.get("text", ""))
        return parse_html(text)[0] if sent[-1].params.get("parse_mode") == "HTML" else text

    def buttons(self, user: int) -> list[str]:
        """The labels of the last keyboard `user` was shown (inline or reply keyboard)."""
        for call in reversed(self.sent(user)):
            markup = call.params.get("reply_markup") or {}
            rows = markup.get("inline_keyboard") or markup.get("keyboard")
            if rows:
                return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]
        return []

    async def until(self, check: Any, seconds: float = 30.0) -> None:
        """Wait for `check()` to be true (the running bot answers in its own time)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if check():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the running bot never got there; last calls:\n" + "\n".join(
            f"{c.method} {json.dumps(c.params, ensure_ascii=False)[:400]}"
            for c in self.calls[-6:]))

    # --- the server ----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401,
                                      "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        method = request.match_info["method"]
        if method != "getUpdates":
            self.calls.append(Call(method, params))
        if method == "getMe":
            return _ok({"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng",
                        "username": "guongsang_test_bot", "can_join_groups": True,
                        "can_read_all_group_messages": False, "supports_inline_queries": False})
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method in ("sendMessage", "editMessageText"):
            try:
                return _ok(self._message(method, params))
            except ValueError as exc:
                return web.json_response({"ok": False, "error_code": 400,
                                          "description": str(exc)}, status=400)
        return _ok(True)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            raw: dict[str, Any] = await request.json()
        else:
            raw = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and value[:1] in "{[":
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[key] = str(value) if key == "chat_id" else value
        return params

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            self._arrived.clear()
            wait = min(float(params.get("timeout") or 0), 1.0)
            try:
                await asyncio.wait_for(self._arrived.wait(), wait)
            except TimeoutError:
                return []
        return list(self._updates)

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The Message as Telegram returns it: with parse_mode HTML, the text without its tags
        and the formatting as entities (a keyboard stays only if one is sent with the edit)."""
        markup = str(params.get("text", ""))
        text, entities = parse_html(markup) if params.get("parse_mode") == "HTML" else (markup,
                                                                                         [])
        message_id = int(params.get("message_id") or 0) or self._message_id()
        params.setdefault("message_id", message_id)
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"}, "text": text}
        if entities:
            message["entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:  # a Message carries only
            message["reply_markup"] = markup  # an inline keyboard, never a reply keyboard
        if method == "editMessageText":
            message["edit_date"] = int(time.time())
        self._messages[(str(params["chat_id"]), message_id)] = message
        return message


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})
