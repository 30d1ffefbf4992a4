"""One person flooding the bot does not delay anyone else's answers.

The real python-telegram-bot Application runs (concurrent updates, as in production) over a
recording wire; one chat forwards a hundred messages at once, then another person types /start.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.dialog import FLOOD_BACKLOG, Dialog
from bot.messages import Incoming
from tests.conftest import NUMBERED, start_telegram
from tests.wire import RecordingRequest

FLOODER, NEWCOMER = 6001, 6002
FLOOD_NOTE = "Bạn gửi nhiều tin nhắn quá nhanh"
CONSENT_QUESTION = "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?"


def _message(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "A"},
        "from": {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "vi"},
        **content}}


async def test_a_flood_from_one_chat_gets_one_note_and_does_not_hold_back_another_start(
    dialog: Dialog, settings: Settings,
) -> None:
    from telegram import Update

    app, wire = await start_telegram(settings, dialog)
    assert isinstance(wire, RecordingRequest)
    await app.start()
    try:
        updates = [_message(10_000 + i, FLOODER, f"Tin chuyển tiếp số {i}") for i in range(100)]
        updates.append(_message(20_000, NEWCOMER, "/start"))
        for data in updates:
            await app.update_queue.put(Update.de_json(data, app.bot))
        deadline = time.monotonic() + 20
        while app.update_queue.qsize() or not wire.sent("sendMessage", NEWCOMER):
            assert time.monotonic() < deadline, "the newcomer was never answered"
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # let the flooder's last kept messages be answered
    finally:
        await app.stop()
        await app.shutdown()

    to_flooder = [str(c.params["text"]) for c in wire.sent("sendMessage", FLOODER)]
    notes = [text for text in to_flooder if FLOOD_NOTE in text]
    assert len(notes) == 1, to_flooder
    answered = sum(CONSENT_QUESTION in text for text in to_flooder)  # one per message read
    assert 1 <= answered <= FLOOD_BACKLOG + 1, answered  # the surplus is dropped, not queued
    messages = wire.sent("sendMessage")
    first_to_newcomer = next(i for i, c in enumerate(messages)
                             if int(c.params["chat_id"]) == NEWCOMER)
    before = [c for c in messages[:first_to_newcomer] if int(c.params["chat_id"]) == FLOODER
              and CONSENT_QUESTION in str(c.params["text"])]
    assert len(before) <= FLOOD_BACKLOG + 1, len(before)
    assert CONSENT_QUESTION in wire.last_text(NEWCOMER)


async def test_a_person_who_writes_one_message_at_a_time_is_never_throttled(
    dialog: Dialog,
) -> None:
    """Any channel: messages answered one after another never count as a flood."""
    for i in range(3 * FLOOD_BACKLOG):
        incoming = Incoming("fake", "steady", "steady", NUMBERED, display_name="Bình",
                            text=f"tin {i}")
        replies = await dialog.handle(incoming, datetime.now(UTC))
        assert replies and all(FLOOD_NOTE not in r.text for r in replies), i


async def test_a_flood_on_any_channel_is_cut_to_the_backlog_with_one_note_in_english(
    dialog: Dialog,
) -> None:
    """The dialog core does it for every channel: a burst of 60 at once from a Zalo chat."""
    first = Incoming("zalo", "z-flood", "z-flood", NUMBERED, display_name="Ann", command="start")
    await dialog.handle(first)
    person = await dialog.storage.people.find("zalo", "z-flood")
    assert person is not None
    await dialog.storage.people.set_language(person, "en")
    burst = [Incoming("zalo", "z-flood", "z-flood", NUMBERED, display_name="Ann", text=f"m{i}")
             for i in range(60)]
    answers = await asyncio.gather(*(dialog.handle(m) for m in burst))
    notes = [r.text for replies in answers for r in replies if "too many messages" in r.text]
    answered = [replies for replies in answers
                if replies and not any("too many messages" in r.text for r in replies)]
    assert len(notes) == 1, notes
    assert len(answered) <= FLOOD_BACKLOG + 1
    assert sum(1 for replies in answers if not replies) == 60 - 1 - len(answered)


class FloodWire(RecordingRequest):
    """Telegram answers 429 (retry after 30 s) to the first message to one chat."""

    def __init__(self, flooded: int) -> None:
        super().__init__()
        self.flooded = flooded
        self.refused = 0

    async def do_request(self, url: str, method: str, request_data: Any = None, *args: Any,
                         **kwargs: Any) -> tuple[int, bytes]:
        status, body = await super().do_request(url, method, request_data, *args, **kwargs)
        call = self.calls[-1]
        if (call.method == "sendMessage" and int(call.params["chat_id"]) == self.flooded
                and not self.refused):
            self.refused += 1
            return 429, json.dumps({"ok": False, "error_code": 429,
                                    "description": "Too Many Requests: retry after 30",
                                    "parameters": {"retry_after": 30}}).encode()
        return status, body


async def test_a_429_in_one_chat_pauses_that_chat_only(
    dialog: Dialog, settings: Settings,
) -> None:
    """Telegram's flood control answers one chat 429: the others are answered meanwhile."""
    from pydantic import SecretStr
    from telegram import Update

    from bot.channels.telegram import build_application
    from tests.wire import TOKEN

    wire = FloodWire(FLOODER)
    tg_settings = settings.model_copy(update={"telegram_bot_token": SecretStr(TOKEN)})
    app = build_application(tg_settings, dialog, request=wire, rate_limit=True)
    await app.initialize()
    try:
        flooder = asyncio.create_task(app.process_update(
            Update.de_json(_message(30_001, FLOODER, "/start"), app.bot)))
        deadline = time.monotonic() + 10
        while not wire.refused:
            assert time.monotonic() < deadline, "the flooder's answer never went out"
            await asyncio.sleep(0.01)

        await asyncio.wait_for(app.process_update(
            Update.de_json(_message(30_002, NEWCOMER, "/start"), app.bot)), timeout=10)

        assert CONSENT_QUESTION in wire.last_text(NEWCOMER)
        assert len(wire.sent("sendMessage", FLOODER)) == 1  # still waiting out its 30 s
        flooder.cancel()
    finally:
        await app.shutdown()
