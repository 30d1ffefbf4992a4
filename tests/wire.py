"""A fake Bot API wire: answers every call like Telegram would and records every request."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

from bot.messages import esc

BOT_ID = 777000
TOKEN = "123456:TEST-token-never-logged"


@dataclass
class Call:
    """One request the bot made: the Bot API method and its parameters."""

    method: str
    params: dict[str, Any]
    url: str
    uploads: dict[str, bytes] = field(default_factory=dict)


_ENTITY_TYPES = {"b": "bold", "i": "italic", "u": "underline", "s": "strikethrough",
                 "code": "code"}


class _Entities(HTMLParser):
    """Telegram's reading of an HTML-parse-mode text: the plain text and its entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text = ""
        self.entities: list[dict[str, Any]] = []
        self._open: list[tuple[str, int]] = []

    def _offset(self) -> int:
        return len(self.text.encode("utf-16-le")) // 2  # Telegram counts UTF-16 code units

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append((tag, self._offset()))

    def handle_endtag(self, tag: str) -> None:
        name, start = self._open.pop()
        if self._offset() > start and name in _ENTITY_TYPES:
            self.entities.append({"type": _ENTITY_TYPES[name], "offset": start,
                                  "length": self._offset() - start})

    def handle_data(self, data: str) -> None:
        self.text += data


def as_telegram_shows(markup: str) -> dict[str, Any]:
    """A message text sent in HTML parse mode as Telegram hands it back: text and entities."""
    parser = _Entities()
    parser.feed(markup)
    parser.close()
    shown: dict[str, Any] = {"text": parser.text}
    if parser.entities:
        shown["entities"] = sorted(parser.entities, key=lambda e: e["offset"])
    return shown


def after_press(text: str, label: str) -> str:
    """The words a button press wrote into the pressed message, below the question it kept and
    the label pressed (the assertion fails when the text is not such a message)."""
    question, mark, then = text.rpartition(f"\n\n➜ <b>{esc(label)}</b>\n\n")
    assert mark and question, f"not an answer to {label!r}: {text!r}"
    return then


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


@dataclass
class RecordingRequest(BaseRequest):
    """Answers Bot API calls locally; `calls` holds each one, `failures` forces error answers."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    next_message_id: int = 100
    files: dict[str, bytes] = field(default_factory=dict)  # file_id -> the file's bytes

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    @property
    def read_timeout(self) -> float | None:
        """No network, no timeout."""
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        """Record the call and answer it."""
        if "/file/bot" in url:
            return self._download(url)
        name = url.rsplit("/", 1)[-1]
        raw = request_data.parameters if request_data else {}
        params = {k: _decode(v) for k, v in raw.items()}
        parts = (request_data.multipart_data or {}) if request_data else {}
        uploads = {k: bytes(v[1]) for k, v in parts.items()}
        self.calls.append(Call(name, params, url, uploads))
        if name == "getFile" and str(params.get("file_id")) not in self.files:
            body = {"ok": False, "error_code": 400,
                    "description": "Bad Request: wrong file_id or the file is temporarily"
                                   " unavailable"}
            return 400, json.dumps(body).encode()
        if name in self.failures:
            status, description = self.failures[name]
            body = {"ok": False, "error_code": status, "description": description}
            return status, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        self.next_message_id += 1
        chat_id = int(params.get("chat_id", 0))
        msg: dict[str, Any] = {
            "message_id": params.get("message_id", self.next_message_id),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
        }
        if "text" in params:
            msg["text"] = params["text"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        msg.update(extra)
        return msg

    def _result(self, name: str, params: dict[str, Any]) -> Any:
        if name == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng",
                    "username": "guongsang_bot", "can_join_groups": False,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        if name in ("sendMessage", "editMessageText", "editMessageReplyMarkup"):
            return self._message(params)
        if name == "sendPhoto":
            photo = {"file_id": params.get("photo"), "file_unique_id": "u", "width": 1,
                     "height": 1}
            return self._message(params, photo=[photo])
        if name in ("sendVoice", "sendAudio"):
            voice = {"file_id": params.get("voice") or "uploaded", "file_unique_id": "v",
                     "duration": 1}
            return self._message(params, voice=voice)
        if name == "sendMediaGroup":
            return [self._message(params) for _ in params.get("media", [])]
        if name == "getUpdates":
            return []
        if name == "getFile":
            file_id = str(params["file_id"])
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                    "file_size": len(self.files[file_id]), "file_path": f"photos/{file_id}.jpg"}
        return True

    def _download(self, url: str) -> tuple[int, bytes]:
        """A file's bytes at its download address, as Telegram serves them."""
        file_id = url.rsplit("/", 1)[-1].removesuffix(".jpg")
        self.calls.append(Call("download", {"file_id": file_id}, url))
        if file_id not in self.files:
            return 404, b"Not Found"
        return 200, self.files[file_id]

    # --- what tests ask --------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Calls of one method, optionally to one chat."""
        return [c for c in self.calls if c.method == method
                and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)]

    def drawn(self, chat_id: int) -> list[Call]:
        """Every message text sent to a chat or written into one of its messages, in order."""
        return [c for c in self.calls if c.method in ("sendMessage", "editMessageText")
                and int(c.params.get("chat_id", 0)) == chat_id]

    def last_text(self, chat_id: int) -> str:
        """The text last sent to a chat, or written into one of its messages."""
        return str(self.drawn(chat_id)[-1].params["text"])

    def last_keyboard_message(self, chat_id: int) -> Call:
        """The last message to a chat that carried inline buttons (sent or edited in)."""
        for call in reversed(self.drawn(chat_id)):
            if "inline_keyboard" in (call.params.get("reply_markup") or {}):
                return call
        raise AssertionError(f"no message with buttons was sent to {chat_id}")


class TelegramPerson:
    """A person in a private chat, sending real Update objects through the real Application."""

    _update_id = 1000

    def __init__(self, app: Any, wire: RecordingRequest, user_id: int, first_name: str = "Lan",
                 last_name: str = "Nguyễn", language_code: str = "vi") -> None:
        self.app, self.wire, self.user_id = app, wire, user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name,
                     "last_name": last_name, "language_code": language_code}
        self._message_id = 1

    @property
    def bot(self) -> Bot:
        return self.app.bot  # type: ignore[no-any-return]

    def _next_update_id(self) -> int:
        TelegramPerson._update_id += 1
        return TelegramPerson._update_id

    def _message(self, **content: Any) -> dict[str, Any]:
        self._message_id += 1
        return {"message_id": self._message_id, "date": int(time.time()),
                "chat": {"id": self.user_id, "type": "private",
                         "first_name": self.user["first_name"]},
                "from": self.user, **content}

    async def _process(self, payload: dict[str, Any]) -> None:
        update = Update.de_json({"update_id": self._next_update_id(), **payload}, self.bot)
        await self.app.process_update(update)

    async def says(self, text: str) -> None:
        """Type a message (a command if it starts with /)."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self._process({"message": self._message(**content)})

    async def sends_photo(self, file_id: str) -> None:
        """Send a photo."""
        sizes = [{"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}s", "width": 90,
                  "height": 90},
                 {"file_id": file_id, "file_unique_id": f"{file_id}l", "width": 1280,
                  "height": 960}]
        await self._process({"message": self._message(photo=sizes)})

    async def sends_location(self, latitude: float, longitude: float) -> None:
        """Share a location pin."""
        pin = {"latitude": latitude, "longitude": longitude}
        await self._process({"message": self._message(location=pin)})

    async def sends_contact(self, phone: str, own: bool = True) -> None:
        """Share a contact (their own by default)."""
        contact = {"phone_number": phone, "first_name": "X", "user_id": self.user_id if own else 1}
        await self._process({"message": self._message(contact=contact)})

    async def sends_document(self, file_id: str, name: str, size: int | None = None) -> None:
        """Send a file (a spreadsheet) as a document; its bytes are the wire's `files[file_id]`."""
        document: dict[str, Any] = {"file_id": file_id, "file_unique_id": f"u-{file_id}",
                                    "file_name": name}
        if size is not None:
            document["file_size"] = size
        await self._process({"message": self._message(document=document)})

    async def sends_voice(self, file_id: str, duration: int) -> None:
        """Send a voice note (Opus in Ogg, as Telegram records them)."""
        voice = {"file_id": file_id, "file_unique_id": f"{file_id}u", "duration": duration,
                 "mime_type": "audio/ogg", "file_size": 9000}
        await self._process({"message": self._message(voice=voice)})

    async def sends_sticker(self) -> None:
        """Send a sticker."""
        sticker = {"file_id": "stk", "file_unique_id": "stk", "type": "regular", "width": 512,
                   "height": 512, "is_animated": False, "is_video": False}
        await self._process({"message": self._message(sticker=sticker)})

    async def presses_data(self, data: str, message: dict[str, Any] | None = None) -> None:
        """Press a button carrying exactly this callback data (forged or old data included)."""
        msg = message or {"message_id": 1, "date": int(time.time()),
                          "chat": {"id": self.user_id, "type": "private"},
                          "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
                          "text": "old"}
        query = {"id": f"q{self._next_update_id()}", "from": self.user, "chat_instance": "ci",
                 "data": data, "message": msg}
        await self._process({"callback_query": query})

    async def presses(self, label: str) -> None:
        """Press the inline button with this label on the last message that had buttons."""
        call = self.wire.last_keyboard_message(self.user_id)
        rows = call.params["reply_markup"]["inline_keyboard"]
        for row in rows:
            for button in row:
                if button["text"] == label:
                    message = {"message_id": 555, "date": int(time.time()),
                               "chat": {"id": self.user_id, "type": "private"},
                               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
                               **as_telegram_shows(call.params.get("text", "")),
                               "reply_markup": call.params["reply_markup"]}
                    await self.presses_data(button["callback_data"], message)
                    return
        labels = [b["text"] for row in rows for b in row]
        raise AssertionError(f"no button {label!r}; the buttons are {labels}")

    def buttons(self) -> list[str]:
        """Labels of the buttons on the last message that had buttons."""
        call = self.wire.last_keyboard_message(self.user_id)
        rows = call.params["reply_markup"]["inline_keyboard"]
        return [b["text"] for row in rows for b in row]
