"""Chats that are not one person: in a group the bot says once, politely, to write to it
privately, and keeps nothing about the group's members — on Zalo and on Telegram, messages and
button presses alike."""

from __future__ import annotations

import time
from typing import Any

from telegram import Update

from bot.channels.zalo import ZaloChannel
from bot.storage import Storage
from tests.conftest import TelegramApp
from tests.fake_zalo import FakeZalo, ZaloPerson
from tests.wire import BOT_ID

GROUP_NOTICE = (
    "Xin chào mọi người! Gương Sáng chỉ trò chuyện riêng với từng người để giữ kín thông tin của"
    " bạn. Bạn vui lòng bấm vào tên Gương Sáng và nhắn tin riêng cho bot nhé."
)
ZALO_GROUP = "g-7a1b2c3d4e5f"
TG_GROUP = -1001234567890


async def nothing_kept(storage: Storage) -> None:
    """No person, dialog or story was written for anyone in a group."""
    for table in ("people", "dialogs", "stories", "outbox"):
        row = await storage.db.fetchone(f"SELECT count(*) AS n FROM {table}")
        assert row is not None and row["n"] == 0, table


# --- Zalo -------------------------------------------------------------------------------------


async def test_in_a_zalo_group_the_bot_says_once_to_write_privately_and_keeps_nothing(
    zalo: FakeZalo, polling: ZaloChannel, storage: Storage
) -> None:
    lan = ZaloPerson(zalo, polling, "6011111111111111111", "Lan", group=ZALO_GROUP)
    binh = ZaloPerson(zalo, polling, "6022222222222222222", "Bình", group=ZALO_GROUP)
    assert await lan.says("/start") == [GROUP_NOTICE]
    assert await binh.says("/report") == []
    assert await lan.says("1") == []
    assert await binh.sends_photo("https://photo-stal-1.zdn.vn/x.jpg") == []
    assert await lan.says("/mystories") == []
    assert zalo.recipients() == [ZALO_GROUP]
    await nothing_kept(storage)

    # The same person in a private chat is served as usual.
    alone = ZaloPerson(zalo, polling, "6011111111111111111", "Lan")
    said = await alone.says("/start")
    assert said[0].startswith("Xin chào, Lan! Đây là Gương Sáng")


# --- Telegram ---------------------------------------------------------------------------------


def _group_message(user_id: int, message_id: int, **content: Any) -> dict[str, Any]:
    return {"message_id": message_id, "date": int(time.time()),
            "chat": {"id": TG_GROUP, "type": "supergroup", "title": "Cán bộ xã Mỹ Hòa Hưng"},
            "from": {"id": user_id, "is_bot": False, "first_name": f"P{user_id}"}, **content}


async def process(app: Any, update_id: int, payload: dict[str, Any]) -> None:
    await app.process_update(Update.de_json({"update_id": update_id, **payload}, app.bot))


async def test_in_a_telegram_group_messages_and_button_presses_get_one_notice_and_no_menu(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    command = {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    await process(app, 1, {"message": _group_message(111, 1, **command)})
    await process(app, 2, {"message": _group_message(222, 2, text="/report@guongsang_bot",
                                                     entities=[{"type": "bot_command",
                                                                "offset": 0, "length": 21}])})
    old_menu = {"message_id": 50, "date": int(time.time()),
                "chat": {"id": TG_GROUP, "type": "supergroup", "title": "x"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Gương Sáng"},
                "text": "Bạn muốn làm gì?",
                "reply_markup": {"inline_keyboard": [[{"text": "📝 Kể", "callback_data": "a:0"}]]}}
    query = {"id": "q1", "from": {"id": 333, "is_bot": False, "first_name": "Ba"},
             "chat_instance": "ci", "data": "menu:report", "message": old_menu}
    await process(app, 3, {"callback_query": query})

    texts = [(c.params["chat_id"], c.params["text"]) for c in wire.sent("sendMessage")]
    assert texts == [(str(TG_GROUP), GROUP_NOTICE)]
    assert [c.params for c in wire.sent("answerCallbackQuery")] == [{"callback_query_id": "q1"}]
    await nothing_kept(storage)
