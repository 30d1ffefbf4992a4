"""The sender's own Bot API calls (answers used raw, never parsed into Messages) go out exactly as
python-telegram-bot's methods would send them, and fail the same way."""

from __future__ import annotations

import gc
import time
from typing import Any

import pytest
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode

from bot.messages import Choice, DeliveryError, Reply
from tests.conftest import TelegramApp
from tests.wire import BOT_ID

CHAT = 4242
BUTTONS = ((Choice("Một", "n1:0"), Choice("Hai", "n1:1")), (Choice("Ba <b>", "n1:2"),))


def _library_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton("Một", callback_data="n1:0"),
         InlineKeyboardButton("Hai", callback_data="n1:1")],
        [InlineKeyboardButton("Ba <b>", callback_data="n1:2")],
    ])


def _pressed(app: Any, message_id: int = 77) -> CallbackQuery:
    message = {"message_id": message_id, "date": int(time.time()), "text": "Hỏi?",
               "chat": {"id": CHAT, "type": "private"},
               "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
               "reply_markup": _library_keyboard().to_dict()}
    query = {"id": "q-1", "chat_instance": "ci", "data": "n1:0", "message": message,
             "from": {"id": CHAT, "is_bot": False, "first_name": "Lan"}}
    found = CallbackQuery.de_json(query, app.bot)
    assert found is not None
    return found


def _calls(wire: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(c.method, c.params) for c in wire.calls if c.method != "getMe"]


async def test_a_text_with_buttons_goes_out_as_the_librarys_send_message_sends_it(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    sender = app.bot_data["sender"]
    sent = await sender.answer(str(CHAT), Reply("<b>Hỏi</b> gì?", choices=BUTTONS))
    await sender.answer(str(CHAT), Reply("Không nút."))
    ours = _calls(wire)
    wire.calls.clear()
    await app.bot.send_message(str(CHAT), "<b>Hỏi</b> gì?", parse_mode=ParseMode.HTML,
                               reply_markup=_library_keyboard(), disable_web_page_preview=True)
    await app.bot.send_message(str(CHAT), "Không nút.", parse_mode=ParseMode.HTML,
                               disable_web_page_preview=True)
    assert ours == _calls(wire)
    assert sent == str(wire.next_message_id - 3)  # the id Telegram gave the first message


async def test_a_request_keyboard_taken_away_goes_out_as_the_library_sends_it(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    sender = app.bot_data["sender"]
    await sender.answer(str(CHAT), Reply("Vị trí?", request="location", request_label="📍"))
    await sender.answer(str(CHAT), Reply("Đã lưu."))
    removal = _calls(wire)[-1]
    wire.calls.clear()
    await app.bot.send_message(str(CHAT), "Đã lưu.", parse_mode=ParseMode.HTML,
                               reply_markup=ReplyKeyboardRemove(), disable_web_page_preview=True)
    assert [removal] == _calls(wire)


async def test_a_press_is_answered_and_edited_as_the_librarys_methods_do_it(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    sender = app.bot_data["sender"]
    query = _pressed(app)
    await sender.settle_button(query)
    assert await sender.edit(query.message, Reply("Trang <i>2</i>", choices=BUTTONS))
    await sender.follow_press(query, [Reply("Cảm ơn.")])  # no buttons next: the old ones go
    ours = _calls(wire)
    wire.calls.clear()
    message = query.message
    assert isinstance(message, Message)
    await query.answer()
    await message.edit_text("Trang <i>2</i>", parse_mode=ParseMode.HTML,
                            reply_markup=_library_keyboard(), disable_web_page_preview=True)
    await message.edit_reply_markup(reply_markup=None)
    assert ours == _calls(wire)


@pytest.mark.parametrize(
    ("status", "description", "stopped", "permanent"),
    [
        (403, "Forbidden: bot was blocked by the user", True, True),
        (400, "Bad Request: chat not found", False, True),
        (500, "Internal Server Error", False, False),
    ],
)
async def test_a_refused_send_raises_the_same_delivery_error_as_before(
    tg: TelegramApp, status: int, description: str, stopped: bool, permanent: bool,
) -> None:
    app, wire = tg
    wire.failures["sendMessage"] = (status, description)
    with pytest.raises(DeliveryError) as raised:
        await app.bot_data["sender"].send(str(CHAT), Reply("Nhắc lịch.", choices=BUTTONS))
    assert (raised.value.stopped, raised.value.permanent) == (stopped, permanent)


async def test_a_refused_edit_is_reported_as_refused(tg: TelegramApp) -> None:
    app, wire = tg
    wire.failures["editMessageText"] = (400, "Bad Request: message can't be edited")
    assert not await app.bot_data["sender"].edit(_pressed(app).message, Reply("Trang 2"))


async def test_the_collector_runs_less_often_while_the_app_runs_and_as_before_after(
    dialog: Any, settings: Any,
) -> None:
    from bot.channels.telegram_app import GC_THRESHOLDS
    from tests.conftest import start_telegram

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    try:
        app, _ = await start_telegram(settings, dialog)
        assert gc.get_threshold() == GC_THRESHOLDS
        await app.shutdown()
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


async def test_a_press_writes_the_answer_under_the_question_as_it_was_drawn(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    sender = app.bot_data["sender"]
    question = 'Ông <b>"Tư"</b> làm gì?'
    sent = await sender.answer(str(CHAT), Reply(question, choices=BUTTONS))
    query = _pressed(app, int(sent))  # Telegram's copy: plain text "Hỏi?" with no entities
    await sender.follow_press(query, [Reply("Tiếp?", choices=BUTTONS)])
    assert wire.calls[-1].params["text"] == f"{question}\n\n➜ <b>Một</b>\n\nTiếp?"

    await sender.replace_text(str(CHAT), sent, "Đã đổi")  # changed since: Telegram's copy
    await sender.follow_press(query, [Reply("Tiếp?", choices=BUTTONS)])
    assert wire.calls[-1].params["text"] == "Hỏi?\n\n➜ <b>Một</b>\n\nTiếp?"
