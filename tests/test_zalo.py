"""Zalo end to end: a fake Zalo Bot API on 127.0.0.1, the real ZaloChannel, Dialog and storage.

Residents' updates go through ZaloChannel.poll (getUpdates, one update per call) or through the
webhook server; every assertion is on what the fake platform received (method, chat, text) or
on what the SQLite file holds afterwards. Reviewers act on Telegram through the real
python-telegram-bot Application over the recording wire, and one BroadcastEngine delivers to
both channels.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import time
import unicodedata
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from datetime import time as clock
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

import bot.channels.zalo as zalo_module
from bot.backup import backup
from bot.broadcast import BroadcastEngine
from bot.channels.zalo import TRAITS, ZaloChannel, ZaloClient, ZaloSender, render
from bot.config import Settings
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import Incoming, Reply
from bot.scheduler import Reminders
from bot.storage import NewStory, Storage, migrations, open_storage
from bot.webhooks import MAX_BODY, build_web_app
from tests.conftest import GOOD_DESCRIPTION, TelegramApp
from tests.fake_zalo import DROPPED, MAX_TEXT, FakeZalo, ZaloPerson, dumps
from tests.wire import Call, TelegramPerson

PROJECT = Path(__file__).resolve().parent.parent
RESIDENT = "6012345678901234567"  # Zalo user ids are long digit strings
NEIGHBOUR = "6098765432109876543"
ADMIN = 9001  # bootstrap admin through ADMIN_IDS (tests/conftest.py settings)
LAN = 5151  # a Telegram subscriber
PHOTO = "https://zalo.example/p1.jpg"
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
PHONE = "0912345678"

# --- what the bot must say on Zalo (bot/content/vi.toml, drawn as plain numbered text) -------

CONSENT_QUESTION = (
    "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?\n\n"
    "1. ✅ Tôi đồng ý\n2. Không, để sau"
)
KIND_QUESTION = (
    "Cảm ơn bạn! Mình sẽ hỏi từng bước ngắn. Gõ số thứ tự để chọn; gõ /back để quay lại,"
    " /cancel để hủy bất cứ lúc nào.\n\nBước 1/12. Bạn muốn kể về điều gì?\n\n"
    "• Gương người tốt, việc tốt: một người làm việc tốt cho người khác, ví dụ sửa cầu khỉ cho"
    " bà con, trả lại của rơi.\n"
    "• Mô hình hay, cách làm hay: một cách làm hay mà nơi khác học theo được, ví dụ tổ góp vốn"
    " xoay vòng giúp nhau làm ăn.\n"
    "• Điển hình tiên tiến: một người hay một tập thể nhiều năm làm tốt, ví dụ chi hội phụ nữ"
    " giúp nhiều hộ thoát nghèo.\n"
    "• Nhân tố mới: một việc làm mới mẻ, mới bắt đầu mà có ích, ví dụ nhóm thanh niên dạy bơi"
    " miễn phí cho trẻ em.\n\n"
    "1. Gương người tốt, việc tốt\n"
    "2. Mô hình hay, cách làm hay\n3. Điển hình tiên tiến\n4. Nhân tố mới\n5. ✖️ Hủy"
)
ASK_PHOTOS = (
    "Bước 9/12. Gửi tối đa 5 ảnh minh họa (không bắt buộc). Gửi xong chọn Xong, hoặc Bỏ qua.\n\n"
    "1. Bỏ qua\n2. ⬅️ Quay lại\n3. ✖️ Hủy"
)
PHOTO_RECEIVED = (
    "Đã nhận ảnh 1/5. Gửi thêm hoặc chọn Xong.\n\n1. Xong\n2. ⬅️ Quay lại\n3. ✖️ Hủy"
)
ASK_LOCATION_TYPED = (
    "Bước 10/12. Bạn có muốn cho biết vị trí nơi diễn ra việc này không? Gõ tọa độ (ví dụ 10.3759, "
    "105.4185) hoặc chọn Bỏ qua.\n\n1. Bỏ qua\n2. ⬅️ Quay lại\n3. ✖️ Hủy"
)
ASK_PHONE_TYPED = (
    "Bước 11/12. Để Ban Thi đua liên hệ xác minh khi cần, bạn có thể gõ số điện thoại (không bắt"
    " buộc, không bao giờ công khai), hoặc chọn Bỏ qua.\n\n1. Bỏ qua\n2. ⬅️ Quay lại\n"
    "3. ✖️ Hủy"
)
ASK_SHOW_NAME = (
    "Bước 12/12. Khi câu chuyện được đăng, có ghi tên bạn (Trần Thị Bình) là người gửi không?\n\n"
    "1. Không, giấu tên tôi\n2. Có, ghi tên tôi\n3. ⬅️ Quay lại\n4. ✖️ Hủy"
)
TYPED_NAV = "\n\nGõ /back để quay lại bước trước, /cancel để hủy."
ASK_HONOREE_ROLE = (
    "Bước 5/12. Người/tập thể đó là ai, làm gì, ở đơn vị nào? Ví dụ: nông dân ấp Mỹ Thạnh,"
    " giáo viên Trường THCS Bình Đức." + TYPED_NAV
)
ASK_TITLE = "Bước 6/12. Đặt một tiêu đề ngắn cho câu chuyện (tối đa 120 ký tự)." + TYPED_NAV
SUBMITTED_1 = (
    "✅ Đã gửi! Câu chuyện của bạn là #1.\n\nBan Thi đua - Khen thưởng sẽ xem xét và bạn sẽ"
    " nhận được thông báo khi có kết quả. Bạn có thể xem lại bằng /mystories."
)
USE_CHOICES = (  # never "bấm nút" on Zalo: there are no buttons
    "Vui lòng chọn một trong các lựa chọn bên dưới: gõ số thứ tự (1, 2, 3…) hoặc gõ"
    " đúng tên lựa chọn."
)
UNSUPPORTED = "Mình chưa đọc được loại tin nhắn này (nhãn dán, ghi âm, tệp…)."
PROTECTED = (
    "Zalo không cho bot xem nội dung tin nhắn này (có thể do cài đặt riêng tư của bạn). Bạn"
    " vui lòng gõ lại bằng chữ nhé."
)
ERROR = "Xin lỗi, đã có lỗi xảy ra."
# No publishing channel is configured: an approval publishes in the bot's gallery at once.
NOTIFY_APPROVED = (f"✅ Câu chuyện #1 “{TITLE}” của bạn đã được duyệt và đăng trong mục Gương sáng"
                   " của bot. Mọi người xem được bằng /story 1 hoặc /stories. Cảm ơn bạn đã chia"
                   " sẻ!")
APPROVED_1 = "✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương sáng (/stories)."
QUEUE_EMPTY = "Không có câu chuyện nào đang chờ duyệt. 🎉"
REMINDER = (
    "🇻🇳 <b>51 năm Ngày giải phóng miền Nam, thống nhất đất nước</b> (30/4/1975 – 30/4/2026)"
    "\n\nHưởng ứng phong trào thi đua yêu nước, lập thành tích chào mừng ngày lễ lớn: hãy kể một"
    " gương người tốt, việc tốt nơi bạn sống — /report"
)
UNSUB_LINE = "\n\n🔕 Không muốn nhận nữa? Gõ /unsubscribe."
UNSUB_BUTTON = [[{"text": "🔕 Ngừng nhận tin này", "callback_data": "unsub:anniversaries"}]]

_HTML_TAG = re.compile(r"</?(?:b|i|u|s|code|a|br|p|pre|span|tg-spoiler)(?:\s[^>]*)?/?>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")
_OPTION = re.compile(r"^\d+\. ", re.MULTILINE)


# --- a resident on the fake platform (zalo, client, polling: tests/platform_fixtures.py) --------


@pytest.fixture
def resident(zalo: FakeZalo, polling: ZaloChannel) -> ZaloPerson:
    return ZaloPerson(zalo, polling, RESIDENT)


def assert_plain(zalo: FakeZalo) -> None:
    """Every message the bot sent on Zalo: at most 2,000 characters, plain text, accepted."""
    for call in zalo.calls("sendMessage"):
        text = str(call.body.get("text"))
        assert len(text) <= MAX_TEXT, (len(text), text[:80])
        assert not _HTML_TAG.search(text), f"HTML on Zalo: {text!r}"
        assert not _ENTITY.search(text), f"an HTML entity on Zalo: {text!r}"
        assert call.ok, (call.status, call.answer)


def options(text: str) -> list[str]:
    """The numbered options at the end of a Zalo message."""
    return [line for line in text.splitlines() if _OPTION.match(line)]


# --- the report over Zalo, step by step --------------------------------------------------------


async def agrees(person: ZaloPerson, subscribe: str = "Để sau") -> None:
    """/start, the privacy notice, consent "1", then the reminder offer."""
    said = await person.says("/start")
    assert len(said) == 3
    assert said[0].startswith("Xin chào, Trần Thị Bình! Đây là Gương Sáng — kênh để người dân")
    assert said[1].startswith("Quyền riêng tư của bạn\n\n• Chúng tôi lưu gì:")
    assert said[2] == CONSENT_QUESTION
    said = await person.says("1")
    assert said[0].startswith("Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng.")
    assert options(said[0]) == ["1. 🔔 Nhận cả hai", "2. Nhắc ngày lễ lớn",
                                "3. Bản tin gương sáng hằng tuần", "4. Để sau"]
    await person.picks(subscribe)


async def reports_to_honoree(person: ZaloPerson) -> None:
    """/report, kind 1, content 1, the commune typed."""
    assert await person.says("/report") == [KIND_QUESTION]
    said = await person.says("1")
    assert said[0].startswith(
        "Bước 2/12. Câu chuyện thuộc nội dung thi đua nào?\n\n1. Chấp hành tốt")
    assert person.option("Chấp hành tốt chủ trương") == "1"
    assert len(options(said[0])) == 8  # five contents, not sure, back, cancel
    assert options(said[0])[5] == "6. ❓ Không rõ — để cán bộ chọn"
    said = await person.says("1")
    assert said[0].startswith("Bước 3/12. Việc này diễn ra ở xã, phường hay đặc khu nào?")
    said = await person.says("long xuyen")
    assert said[0].startswith("📍 Địa bàn: Phường Long Xuyên\n\nBước 4/12. Ai là người")


async def reports_to_photos(person: ZaloPerson) -> None:
    """From the honoree to the photo step."""
    assert await person.says("Nguyễn Văn An") == [ASK_HONOREE_ROLE]
    assert await person.says("nông dân ấp Mỹ Thạnh") == [ASK_TITLE]
    said = await person.says(TITLE)
    assert said[0].startswith("Bước 7/12. Kể lại việc làm đó: đã làm gì, khi nào, kết quả ra sao")
    said = await person.says(GOOD_DESCRIPTION)
    assert said[0].startswith("Bước 8/12. Việc này diễn ra ngày nào?")
    assert await person.says("02/09/2025") == [ASK_PHOTOS]


async def finishes_report(person: ZaloPerson) -> None:
    """A photo, Done, the place and phone typed (no share buttons on Zalo), name hidden, Send."""
    assert await person.sends_photo(PHOTO) == [PHOTO_RECEIVED]
    assert person.option("Xong") == "1"
    assert await person.says("1") == [ASK_LOCATION_TYPED]
    assert await person.says("10.3759, 105.4185") == [ASK_PHONE_TYPED]
    assert await person.says(PHONE) == [ASK_SHOW_NAME]
    (summary,) = await person.says("1")  # Không, giấu tên tôi
    assert summary.startswith("Xem lại câu chuyện của bạn\n\nLoại: Gương người tốt, việc tốt\n")
    for line in (f"Tiêu đề: {TITLE}", f"Mô tả: {GOOD_DESCRIPTION}", "Ảnh: 1 ảnh",
                 "Vị trí: 10.37590, 105.41850", f"Số điện thoại: {PHONE}",
                 "Ghi tên người gửi khi đăng: không"):
        assert f"\n{line}\n" in summary, line
    assert options(summary) == ["1. 📨 Gửi", "2. ✏️ Sửa", "3. ✖️ Hủy"]
    (done,) = await person.says("1")
    assert done.startswith(SUBMITTED_1 + "\n\n1. 📝 Kể một gương sáng\n")


async def files_report(person: ZaloPerson) -> None:
    await agrees(person)
    await reports_to_honoree(person)
    await reports_to_photos(person)
    await finishes_report(person)


# --- 1. the whole /report over Zalo -----------------------------------------------------------


async def test_a_zalo_resident_files_a_whole_report_by_numbers_and_text(
    zalo: FakeZalo, resident: ZaloPerson, storage: Storage
) -> None:
    await files_report(resident)

    assert set(zalo.recipients()) == {RESIDENT}
    assert zalo.calls("sendPhoto") == []
    assert zalo.sent(RESIDENT)[-1].startswith(SUBMITTED_1)
    assert "#1" in zalo.sent(RESIDENT)[-1]
    for text in zalo.sent():  # Zalo cannot ask for a pin or a contact: nothing offers it
        assert "📍 Gửi vị trí" not in text and "📱 Chia sẻ số điện thoại" not in text
    assert_plain(zalo)

    story = await storage.stories.get(1)
    assert story is not None
    assert story.photos == [PHOTO]
    assert (story.channel, story.status, story.kind, story.content) == (
        "zalo", "pending", "good_deed", "policy_law")
    assert (story.honoree_name, story.honoree_role, story.title) == (
        "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh", TITLE)
    assert story.description == GOOD_DESCRIPTION
    assert (story.event_date, story.latitude, story.longitude) == ("2025-09-02", 10.3759, 105.4185)
    assert (story.reporter_phone, story.show_name) == (PHONE, False)
    person = await storage.people.find("zalo", RESIDENT)
    assert person is not None
    assert (person.id, person.consent, person.display_name) == (story.reporter_id, True,
                                                               "Trần Thị Bình")
    assert [(e.action, e.to_status) for e in await storage.reviews.history(1)] == [
        ("submit", "pending")]
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and (state.flow, state.step, state.data) == ("", "", {})
    assert await storage.stories.get(2) is None


# --- 2. a Telegram reviewer approves the Zalo story; the Zalo resident is told -----------------


async def test_a_telegram_reviewer_approves_a_zalo_story_and_the_zalo_reporter_is_notified(
    zalo: FakeZalo, client: ZaloClient, resident: ZaloPerson, storage: Storage, tg: TelegramApp
) -> None:
    app, wire = tg
    await files_report(resident)
    admin = TelegramPerson(app, wire, ADMIN, "Minh", "Trần")

    await admin.says("/pending")
    queue = wire.last_keyboard_message(ADMIN)
    assert [b["text"] for row in queue.params["reply_markup"]["inline_keyboard"]
            for b in row] == [f"#1 · {TITLE}"]
    mark = len(wire.calls)
    await admin.presses(f"#1 · {TITLE}")

    to_admin = [c for c in wire.calls[mark:] if c.method in ("sendPhoto", "sendMediaGroup",
                                                           "sendMessage")]
    assert [c.method for c in to_admin] == ["sendPhoto", "sendMessage"]
    assert all(int(c.params["chat_id"]) == ADMIN for c in to_admin)
    assert to_admin[0].params["photo"] == PHOTO  # the Zalo photo URL, shown to the reviewer
    card = str(to_admin[1].params["text"])
    assert card.startswith(f"<b>#1 · {TITLE}</b>\n⏳ Đang chờ duyệt\n\n")
    assert "(zalo)" in card and PHONE in card
    mark = len(wire.calls)

    await admin.presses("✅ Duyệt")

    assert [c.params["text"] for c in wire.calls[mark:] if c.method == "sendMessage"] == [
        APPROVED_1, QUEUE_EMPTY]
    story = await storage.stories.get(1)
    assert story is not None and story.status == "published"
    outbox = [dict(r) for r in await storage.db.fetchall("SELECT * FROM outbox ORDER BY id")]
    assert [(r["kind"], r["channel"], r["chat_id"], r["template"], r["status"])
            for r in outbox] == [("menu", "telegram", str(ADMIN), "menu", "pending"),
                                 ("message", "zalo", RESIDENT, "notify.in_gallery", "pending")]
    zalo_mark, wire_mark = len(zalo.requests), len(wire.calls)

    engine = BroadcastEngine(
        storage, {"telegram": app.bot_data["sender"], "zalo": ZaloSender(client)}, 91,
        rate=None, per_chat=0.0,
    )
    assert await engine.pump() == 2  # the notice, and the Telegram admin's own menu
    await engine.drain()

    delivered = [(r.method, r.body) for r in zalo.requests[zalo_mark:]
                 if r.method != "getUpdates"]
    assert delivered == [("sendMessage", {"chat_id": RESIDENT, "text": NOTIFY_APPROVED})]
    assert "#1" in NOTIFY_APPROVED and "duyệt và đăng" in NOTIFY_APPROVED
    assert [c for c in wire.calls[wire_mark:] if c.method.startswith("send")] == []
    outbox = [dict(r) for r in await storage.db.fetchall("SELECT * FROM outbox ORDER BY id")]
    assert [(r["status"], r["attempts"]) for r in outbox] == [("sent", 1), ("sent", 1)]
    assert_plain(zalo)


# --- 3. polling: duplicates, 408s, 429 and a dropped connection -------------------------------


class ScaledAsyncio:
    """`asyncio` for bot.channels.zalo only: wait_for records the timeout and waits 1/50 of it."""

    def __init__(self, scale: float = 0.02) -> None:
        self.asked: list[float] = []
        self._scale = scale

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def wait_for(self, awaitable: Any, timeout: float | None = None) -> Any:
        self.asked.append(float(timeout or 0))
        return await asyncio.wait_for(awaitable, timeout=(timeout or 0) * self._scale)


async def _answered(zalo: FakeZalo, status: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(r.method == "getUpdates" and r.status == status for r in zalo.requests):
        assert time.monotonic() < deadline, f"no getUpdates answered {status}"
        await asyncio.sleep(0.002)


async def test_polling_answers_a_repeated_update_once_and_survives_429_and_a_dropped_line(
    zalo: FakeZalo, resident: ZaloPerson, polling: ZaloChannel, storage: Storage,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo")
    clockwork = ScaledAsyncio()
    monkeypatch.setattr(zalo_module, "asyncio", clockwork)
    await agrees(resident)
    await reports_to_honoree(resident)

    # The same update (same message_id) comes twice, with "no update" answers between.
    repeated = resident.update("message.text.received", message_id="dup-1", text="Nguyễn Văn An")
    mark = len(zalo.requests)
    zalo.push(repeated)
    zalo.push_error(408)
    zalo.push_error(408)
    zalo.push(repeated)
    await zalo.settled()
    await polling.drain()

    handed = [r.answer["result"]["message"]["message_id"] for r in zalo.calls("getUpdates")
              if r.ok and r.answer["result"]["message"]["message_id"] == "dup-1"]
    assert handed == ["dup-1", "dup-1"]  # the platform did send it twice
    assert sum(r.status == 408 for r in zalo.requests[mark:]) >= 2
    replies = [(r.method, r.body) for r in zalo.requests[mark:] if r.method != "getUpdates"]
    assert replies == [("sendMessage", {"chat_id": RESIDENT, "text": ASK_HONOREE_ROLE})]
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and (state.flow, state.step) == ("report", "honoree_role")
    assert state.data["honoree"] == "Nguyễn Văn An"
    assert "honoree_role" not in state.data
    assert clockwork.asked == []  # 408 is "nothing new", not an error: no back-off

    # A 429, then a dropped connection, with an update waiting behind them: it is not lost.
    mark = len(zalo.requests)
    queued = resident.update("message.text.received", text="nông dân ấp Mỹ Thạnh")
    zalo.push_error(429)
    zalo.push_drop()
    zalo.push(queued)
    await zalo.settled()
    await polling.drain()

    polled = zalo.calls("getUpdates")
    statuses = [r.status for r in polled]
    first = statuses.index(429)
    assert statuses[first : first + 3] == [429, DROPPED, 200], statuses
    took = polled[first + 2]
    assert took.answer["result"]["message"]["message_id"] == queued["message"]["message_id"]
    assert polled[first + 1].at - polled[first].at >= 1.0 * 0.02  # backed off 1 s (scaled)
    assert polled[first + 2].at - polled[first + 1].at >= 2.0 * 0.02  # then 2 s
    assert clockwork.asked == [1.0, 2.0]
    replies = [(r.method, r.body) for r in zalo.requests[mark:] if r.method != "getUpdates"]
    assert replies == [("sendMessage", {"chat_id": RESIDENT, "text": ASK_TITLE})]
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and state.step == "title"
    assert state.data["honoree_role"] == "nông dân ấp Mỹ Thạnh"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[:3] == [
        "zalo getUpdates failed: ZaloApiError: 429 Quota exceeded; will try again",
        "zalo getUpdates failed: RemoteProtocolError: Server disconnected without sending a"
        " response. (failure 2); will try again",
        "zalo getUpdates works again after 2 failures"]

    # After a success the back-off starts again from 1 s; an update queued during it waits.
    zalo.fail_next("getUpdates", 1, 502)
    await _answered(zalo, 502)
    said = await resident.says(TITLE)
    assert said[0].startswith("Bước 7/12. Kể lại việc làm đó: đã làm gì, khi nào, kết quả ra sao")
    assert clockwork.asked == [1.0, 2.0, 1.0]
    assert polling.state == "polling"
    assert_plain(zalo)


async def test_a_408_between_two_errors_means_the_platform_is_back_and_resets_the_back_off(
    zalo: FakeZalo, resident: ZaloPerson, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A 408 is a long poll that worked; one error hours later waits 1 s, not twice the last."""
    clockwork = ScaledAsyncio()
    monkeypatch.setattr(zalo_module, "asyncio", clockwork)
    zalo.push_error(429)
    zalo.push_error(408)
    zalo.push_error(408)
    zalo.push_error(502)
    said = await resident.says("/help")
    assert len(said) == 1 and said[0].startswith("Các lệnh của Gương Sáng\n\n/report")
    statuses = [r.status for r in zalo.calls("getUpdates")]
    first = statuses.index(429)
    assert statuses[first : first + 5] == [429, 408, 408, 502, 200], statuses
    assert clockwork.asked == [1.0, 1.0], (
        "after a 429 and then healthy 408 answers, the next error waited"
        f" {clockwork.asked[-1]:g} s instead of 1 s: a 408 does not reset the back-off"
    )


# --- 4. wrong numbers, stickers, protected content, unknown events ----------------------------


async def test_a_number_out_of_range_a_sticker_and_protected_content_re_ask_the_same_step(
    zalo: FakeZalo, resident: ZaloPerson, storage: Storage, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo")
    await agrees(resident)
    await reports_to_honoree(resident)
    await reports_to_photos(resident)
    assert len(options(ASK_PHOTOS)) == 3
    before = await storage.dialogs.load("zalo", RESIDENT)
    assert before is not None and (before.flow, before.step) == ("report", "photos")

    def answers(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if k != "photos"}

    async def five() -> list[str]:
        return await resident.says("5")

    sends: list[tuple[Callable[[], Awaitable[list[str]]], str]] = [
        (five, USE_CHOICES),
        (resident.sends_sticker, UNSUPPORTED),
        (resident.sends_protected, PROTECTED),
    ]
    for send, lead in sends:
        said = await send()
        assert said == [lead, ASK_PHOTOS]
        assert not any(ERROR in text for text in said)
        state = await storage.dialogs.load("zalo", RESIDENT)
        assert state is not None and (state.flow, state.step) == ("report", "photos")
        assert answers(state.data) == answers(before.data)
        assert state.data.get("photos", []) == []

    mark = len(zalo.requests)
    assert await resident.send(
        resident.update("message.reaction.received", reaction="❤️"),
        {"event_name": "user.follow", "follower": {"id": RESIDENT}},
    ) == []
    assert [r for r in zalo.requests[mark:] if r.method != "getUpdates"] == []
    ignored = [r.getMessage() for r in caplog.records if r.name == "bot.channels.zalo"]
    assert "zalo update ignored: event 'message.reaction.received'" in ignored
    assert "zalo update ignored: event 'user.follow'" in ignored

    assert await resident.says("1") == [ASK_LOCATION_TYPED]  # Bỏ qua: the step still works
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and state.step == "location" and state.data["photos"] == []
    assert set(zalo.recipients()) == {RESIDENT}
    assert_plain(zalo)


# --- 5. the webhook server ---------------------------------------------------------------------

ZALO_SECRET = "zalo-webhook-secret-0123456789"
TELEGRAM_SECRET = "telegram-webhook-secret-0123456789"
ROUTES = [
    ("/zalo/webhook", "X-Bot-Api-Secret-Token", ZALO_SECRET),
    ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
]


class Accepting:
    """The `accept` callables given to build_web_app: they record what they were given."""

    def __init__(self, channel: ZaloChannel | None = None) -> None:
        self.zalo: list[dict[str, Any]] = []
        self.telegram: list[dict[str, Any]] = []
        self.channel = channel
        self.taken: list[bool] = []

    async def accept_zalo(self, update: dict[str, Any]) -> None:
        self.zalo.append(update)
        if self.channel is not None:
            self.taken.append(self.channel.accept(update))

    async def accept_telegram(self, update: dict[str, Any]) -> None:
        self.telegram.append(update)


async def healthy() -> dict[str, Any]:
    return {"storage": "ok", "channels": {"zalo": "webhook", "telegram": "webhook"}}


def web_app(accepting: Accepting, health: Any = healthy) -> Any:
    return build_web_app(health, zalo=(ZALO_SECRET, accepting.accept_zalo),
                         telegram=(TELEGRAM_SECRET, accepting.accept_telegram))


def _sized(size: int) -> bytes:
    """A valid JSON object of exactly `size` bytes."""
    head, tail = b'{"event_name": "message.text.received", "pad": "', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize(("path", "header", "secret"), ROUTES)
async def test_a_webhook_refuses_what_is_not_an_authentic_json_update(
    path: str, header: str, secret: str
) -> None:
    accepting = Accepting()
    update = {"event_name": "message.text.received", "message": {"message_id": "w1"}}
    body = json.dumps(update).encode()
    as_json = {"Content-Type": "application/json"}
    other = next(h for _, h, _ in ROUTES if h != header)
    cases: list[tuple[str, dict[str, str], bytes, int]] = [
        ("no secret", as_json, body, 401),
        ("the other platform's header", {**as_json, other: secret}, body, 401),
        ("wrong secret", {**as_json, header: secret + "x"}, body, 403),
        ("a prefix of the secret", {**as_json, header: secret[:-1]}, body, 403),
        ("text/plain", {"Content-Type": "text/plain", header: secret}, body, 415),
        ("1 MB + 1", {**as_json, header: secret}, _sized(MAX_BODY + 1), 413),
        ("bad JSON", {**as_json, header: secret}, b'{"event_name": "message.te', 400),
        ("not an object", {**as_json, header: secret}, b"[1, 2, 3]", 400),
    ]
    async with TestClient(TestServer(web_app(accepting))) as http:
        for name, headers, data, status in cases:
            response = await http.post(path, data=data, headers=headers)
            assert response.status == status, name
            answer = await response.json()
            assert answer["ok"] is False and answer["error"], name
    assert accepting.zalo == [] and accepting.telegram == []


async def test_an_authentic_zalo_update_is_answered_200_at_once_processed_once_and_not_replayed(
    zalo: FakeZalo, client: ZaloClient, dialog: Dialog, storage: Storage,
) -> None:
    gate = asyncio.Event()  # the dialog waits until the webhook has answered

    async def handle(incoming: Incoming) -> list[Reply]:
        await gate.wait()
        return await dialog.handle(incoming)

    channel = ZaloChannel(client, handle)
    accepting = Accepting(channel)
    person = ZaloPerson(zalo, channel, RESIDENT)
    update = person.update("message.text.received", message_id="wh-1", text="/start")
    headers = {"X-Bot-Api-Secret-Token": ZALO_SECRET, "Content-Type": "application/json"}
    async with TestClient(TestServer(web_app(accepting))) as http:
        response = await asyncio.wait_for(
            http.post("/zalo/webhook", data=dumps(update), headers=headers), timeout=2)
        assert response.status == 200
        assert await response.json() == {"ok": True}
        assert accepting.zalo == [update] and accepting.taken == [True]
        assert zalo.sent() == []  # answered before the dialog ran
        gate.set()
        await channel.drain()
        welcome = zalo.sent(RESIDENT)
        assert len(welcome) == 3 and welcome[2] == CONSENT_QUESTION

        replay = await http.post("/zalo/webhook", data=dumps(update), headers=headers)
        assert replay.status == 200
        await channel.drain()
    assert accepting.taken == [True, False]
    assert zalo.sent(RESIDENT) == welcome  # nothing more
    rows = await storage.db.fetchall("SELECT channel, external_id FROM people")
    assert [tuple(r) for r in rows] == [("zalo", RESIDENT)]
    assert accepting.telegram == []
    assert_plain(zalo)


async def test_a_webhook_reads_the_whole_body_of_an_update_sent_in_two_tcp_segments(
    zalo: FakeZalo, client: ZaloClient, dialog: Dialog,
) -> None:
    """Networks split requests; the body is complete only when Content-Length bytes arrived."""
    channel = ZaloChannel(client, dialog.handle)
    accepting = Accepting(channel)
    update = ZaloPerson(zalo, channel, RESIDENT).update(
        "message.text.received", message_id="seg-1", text="/start " + "xin chào " * 40)
    body = dumps(update)
    head = (
        "POST /zalo/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"X-Bot-Api-Secret-Token: {ZALO_SECRET}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    async with TestServer(web_app(accepting), host="127.0.0.1") as server:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(head + body[:120])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(body[120:])
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
        await channel.drain()
    status_line, _, rest = raw.decode().partition("\r\n")
    assert status_line == "HTTP/1.1 200 OK", (
        f"a valid {len(body)}-byte update that arrived in two segments was refused:"
        f" {status_line} {rest.rsplit(chr(10), 1)[-1]}"
    )
    assert accepting.zalo == [update]
    assert len(zalo.sent(RESIDENT)) == 3


async def test_a_chunked_webhook_body_over_1_mb_is_413_and_not_accepted() -> None:
    accepting = Accepting()

    async def chunks() -> AsyncIterator[bytes]:
        data = _sized(MAX_BODY + 1)
        for i in range(0, len(data), 64 * 1024):
            yield data[i : i + 64 * 1024]
            await asyncio.sleep(0)

    headers = {"X-Bot-Api-Secret-Token": ZALO_SECRET, "Content-Type": "application/json"}
    async with TestClient(TestServer(web_app(accepting))) as http:
        response = await http.post("/zalo/webhook", data=chunks(), headers=headers)
        assert response.status == 413, await response.text()
    assert accepting.zalo == []


async def test_healthz_reports_storage_and_channels_and_503_when_storage_fails(
    tmp_path: Path,
) -> None:
    store = await open_storage(tmp_path / "health.sqlite3")
    states = {"zalo": "polling", "telegram": "webhook"}

    async def health() -> dict[str, Any]:  # what bot.app.run_bot reports
        try:
            await store.db.fetchone("SELECT 1")
            ok = "ok"
        except Exception as exc:
            ok = f"error: {type(exc).__name__}"
        return {"storage": ok, "channels": dict(states)}

    async with TestClient(TestServer(web_app(Accepting(), health))) as http:
        response = await http.get("/healthz")
        assert response.status == 200
        assert await response.json() == {"storage": "ok", "channels": states}
        await store.close()
        response = await http.get("/healthz")
        assert response.status == 503
        report = await response.json()
        assert report["storage"].startswith("error: ")
        assert report["channels"] == states


# --- 6. splitting at 2,000 characters -----------------------------------------------------------

SENTENCES = (
    "Ông Nguyễn Văn Dễ ở ấp Mỹ Thạnh đã dành dụm suốt nhiều năm để sửa cây cầu khỉ bắc qua kênh"
    " Xáng. Nhờ vậy, hơn năm mươi hộ dân và các em học sinh đi lại an toàn mỗi ngày! Bà con trong"
    " xóm kể rằng những đêm mưa bão ông vẫn ra kiểm tra từng thanh gỗ, từng sợi dây kẽm. Việc"
    " làm thầm lặng ấy được chính quyền địa phương ghi nhận và biểu dương trước toàn thể nhân"
    " dân? Chị Trần Thị Liễu, giáo viên Trường Tiểu học Bình Đức, dạy bơi miễn phí cho trẻ em"
    " vùng sông nước vào mỗi dịp hè. "
)
RUN_ON = (
    "những người nông dân hiền lành ở xã Phú Quốc đã cùng nhau góp công góp của để nâng cấp"
    " con đường đất lầy lội dẫn vào điểm trường tiểu học, người thì hiến đất, người thì chở đá,"
    " người thì nấu cơm cho thợ, không ai nề hà khó nhọc, "
)

FILLER = "tấm gương ấy được bà con nhắc mãi như niềm tự hào của quê hương"


def _long_text() -> str:
    """About 4,500 characters: sentences, a 2,500-character run-on paragraph, more sentences."""
    first = (SENTENCES * 3).strip()
    words = (RUN_ON * 20).split()
    run_on = ""
    while len(run_on) < 2500:
        run_on = f"{run_on} {words[len(run_on.split())]}".strip()
    run_on = run_on.rstrip(",")
    last = SENTENCES.strip()
    filler = itertools.cycle(FILLER.split(" "))
    while len(f"{first}\n\n{run_on}\n\n{last}") < 4500:
        last = f"{last} {next(filler)}"
    return f"{first}\n\n{run_on}\n\n{last}."


async def test_render_splits_a_long_vietnamese_text_on_word_boundaries_under_2000(
    zalo: FakeZalo, client: ZaloClient,
) -> None:
    text = _long_text()
    paragraphs = text.split("\n\n")
    run_on = paragraphs[1]
    assert 4500 <= len(text) <= 4520, len(text)
    assert len(run_on) >= 2500 and not any(end in run_on for end in ".!?\n")
    assert unicodedata.is_normalized("NFC", text)
    assert "ễ" in text and "ữ" in text and "ộ" in text

    parts = render(Reply(text))

    assert len(parts) >= 3
    position = 0
    for part in parts:
        assert 0 < len(part) <= TRAITS.max_text == 2000
        assert part == part.strip(), "a part starts or ends with white space"
        assert unicodedata.is_normalized("NFC", part)
        assert not unicodedata.combining(part[0]) and not unicodedata.combining(part[-1])
        found = text.find(part, position)
        assert found >= 0, f"a part is not a piece of the text: {part[:60]!r}…"
        skipped = text[position:found]
        assert skipped.strip() == "", f"characters lost between parts: {skipped!r}"
        assert found == 0 or text[found - 1].isspace(), f"starts mid-word: {part[:30]!r}"
        end = found + len(part)
        assert end == len(text) or text[end].isspace(), f"ends mid-word: {part[-30:]!r}"
        position = end
    assert position == len(text)
    assert " ".join(parts).split() == text.split()
    assert re.sub(r"\s", "", "".join(parts)) == re.sub(r"\s", "", text)

    await ZaloSender(client).send(RESIDENT, Reply(text))
    assert [r.status for r in zalo.calls("sendMessage")] == [200] * len(parts)
    assert zalo.sent(RESIDENT) == parts


# --- 7. an online backup while stories are being filed -----------------------------------------


def _story(reporter: int, n: int) -> NewStory:
    return NewStory(
        submission_key=uuid.uuid4().hex, reporter_id=reporter, channel="zalo",
        campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
        commune_code=30307,
        honoree_name=f"Người thứ {n}", honoree_role="nông dân ấp Mỹ Thạnh",
        title=f"Gương sáng số {n}", description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2),
        photos=[f"https://zalo.example/{n}-a.jpg", f"https://zalo.example/{n}-b.jpg"],
    )


def _cli(*args: str, database: Path) -> subprocess.CompletedProcess[str]:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(database), TELEGRAM_BOT_TOKEN="", ZALO_BOT_TOKEN="",
                   PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT, env=environ,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
        timeout=60, check=False,
    )


def _consistent_copy(path: Path) -> int:
    """Open a copy, check it, and return how many stories it holds."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA user_version").fetchone() == (len(migrations()),)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        stories = conn.execute("SELECT id FROM stories ORDER BY id").fetchall()
        photos = dict(conn.execute(
            "SELECT story_id, COUNT(*) FROM story_photos GROUP BY story_id").fetchall())
        submits = dict(conn.execute(
            "SELECT story_id, COUNT(*) FROM story_events WHERE action = 'submit'"
            " GROUP BY story_id").fetchall())
        for (story_id,) in stories:
            assert photos.get(story_id) == 2, f"story {story_id} lost its photos in the copy"
            assert submits.get(story_id) == 1, f"story {story_id} has no 'submit' event"
        assert set(photos) <= {s for (s,) in stories}
        assert set(submits) <= {s for (s,) in stories}
        return len(stories)
    finally:
        conn.close()


async def test_an_online_backup_while_stories_are_filed_is_a_consistent_database(
    storage: Storage, db_path: Path, tmp_path: Path
) -> None:
    person = await storage.people.get_or_create("zalo", RESIDENT, "vi")
    for n in range(20):
        await storage.stories.file(_story(person.id, n), notify_reviewers=False)
    filed = 20
    stop = asyncio.Event()

    async def keep_filing() -> None:
        nonlocal filed
        started = time.monotonic()
        while not stop.is_set() and time.monotonic() - started < 1.0:
            await storage.stories.file(_story(person.id, filed), notify_reviewers=False)
            filed += 1

    out = tmp_path / "backups" / "copy.sqlite3"
    writer = asyncio.create_task(keep_filing())
    await asyncio.sleep(0.1)
    during = filed
    version = await asyncio.to_thread(backup, db_path, out)
    await writer
    assert version == len(migrations())
    assert filed > during, "nothing was filed while the backup ran"
    assert not out.with_name(out.name + ".partial").exists()
    assert not Path(f"{out}-wal").exists()
    copied = _consistent_copy(out)
    assert during <= copied <= filed

    cli_out = tmp_path / "cli" / "gs-backup.sqlite3"
    done = await asyncio.to_thread(_cli, "backup", "--out", str(cli_out), database=db_path)
    assert done.returncode == 0, done.stderr
    assert str(cli_out) in done.stdout
    assert f"(schema version {len(migrations())})" in done.stdout
    assert _consistent_copy(cli_out) == filed


def test_backup_of_a_missing_database_fails_with_one_clear_line(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "gs.sqlite3"
    out = tmp_path / "copy.sqlite3"
    done = _cli("backup", "--out", str(out), database=missing)
    assert done.returncode != 0
    assert not out.exists() and not missing.exists()
    assert "Traceback" not in done.stderr, (
        f"`python -m bot backup` with no database prints a traceback:\n{done.stderr}"
    )
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0], done.stderr


# --- 8. one engine, two channels -----------------------------------------------------------------


async def test_one_engine_delivers_an_anniversary_to_a_telegram_and_a_zalo_subscriber(
    zalo: FakeZalo, client: ZaloClient, resident: ZaloPerson, storage: Storage, tg: TelegramApp,
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, LAN)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    await lan.presses("🔔 Nhận cả hai")
    await agrees(resident, subscribe="Nhận cả hai")
    for channel, who in (("telegram", str(LAN)), ("zalo", RESIDENT)):
        person = await storage.people.find(channel, who)
        assert person is not None
        assert await storage.broadcasts.topics(person.id) == {"anniversaries", "stories"}
    reminders = Reminders(storage, calendar(), ZoneInfo("Asia/Ho_Chi_Minh"), clock(7, 30), 3)
    (broadcast,) = await reminders.send_due(date(2026, 4, 30))
    zalo_mark, wire_mark = len(zalo.requests), len(wire.calls)

    engine = BroadcastEngine(
        storage, {"telegram": app.bot_data["sender"], "zalo": ZaloSender(client)}, 91,
        rate=None, per_chat=0.0,
    )
    assert await engine.pump() == 2
    await engine.drain()

    rows = await storage.db.fetchall(
        "SELECT p.channel, p.external_id, d.status, d.attempts FROM deliveries d"
        " JOIN people p ON p.id = d.person_id WHERE d.broadcast_id = ? ORDER BY p.channel",
        (broadcast,),
    )
    assert [tuple(r) for r in rows] == [("telegram", str(LAN), "sent", 1),
                                        ("zalo", RESIDENT, "sent", 1)]
    to_telegram: list[Call] = [c for c in wire.calls[wire_mark:] if c.method.startswith("send")]
    assert [(c.method, int(c.params["chat_id"])) for c in to_telegram] == [("sendMessage", LAN)]
    assert to_telegram[0].params["text"] == REMINDER + UNSUB_LINE
    assert to_telegram[0].params["parse_mode"] == "HTML"
    assert to_telegram[0].params["reply_markup"]["inline_keyboard"] == UNSUB_BUTTON
    to_zalo = [r for r in zalo.requests[zalo_mark:] if r.method != "getUpdates"]
    assert [(r.method, r.body["chat_id"]) for r in to_zalo] == [("sendMessage", RESIDENT)]
    text = str(to_zalo[0].body["text"])
    assert text.startswith(re.sub(r"</?b>", "", REMINDER) + "\n\n🔕 ")
    assert "/unsubscribe" in text
    assert_plain(zalo)

    # What the Zalo message says to type works.
    resident_person = await storage.people.find("zalo", RESIDENT)
    assert resident_person is not None
    assert await resident.says("/unsubscribe") == [
        "Bạn đang nhận: Nhắc ngày lễ lớn, Bản tin gương sáng hằng tuần. Bạn muốn ngừng loại tin"
        " nào?\n\n1. 🔕 Ngừng: Nhắc ngày lễ lớn\n2. 🔕 Ngừng: Bản tin gương sáng hằng tuần\n"
        "3. 🔕 Ngừng tất cả\n4. Giữ nguyên"]
    assert await resident.says("1") == [
        "Đã ngừng nhận: Nhắc ngày lễ lớn. Bạn vẫn nhận: Bản tin gương sáng hằng tuần."]
    assert await storage.broadcasts.topics(resident_person.id) == {"stories"}

    assert options(text) == [], (
        "the Zalo reminder offers a numbered option although Zalo has no buttons; a number"
        " typed on Zalo answers the person's open dialog question instead (after the menu it"
        f" starts /report), so this option cannot work: {options(text)}"
    )
