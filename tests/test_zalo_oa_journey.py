"""Zalo OA end to end: the fake platform signs webhooks, enforces windows and token expiry; the
real channel, Dialog and storage answer; a reviewer acts on Telegram through the real
python-telegram-bot Application over the recording wire; the BroadcastEngine delivers.

Assertions are on what the fake platform accepted (path, recipient, text, buttons) and on what
the SQLite file holds.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.broadcast import BroadcastEngine
from bot.config import Settings
from bot.dialog import Dialog
from bot.messages import DeliveryError, Notice, Reply
from bot.storage import Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, TelegramApp
from tests.fake_zalo_oa import FakeOa
from tests.oa_harness import OaBot, OaPerson, start_oa
from tests.wire import TelegramPerson

RESIDENT = "6012345678901234567"
ADMIN = 9001  # the bootstrap admin (tests/conftest.py settings)
PHOTO = "https://zalo.example/oa/p1.jpg"
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
PHONE = "0912345678"
CONSENT = "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?"
KIND = ("Cảm ơn bạn! Mình sẽ hỏi từng bước ngắn. Gõ số thứ tự để chọn; gõ /back để quay lại,"
        " /cancel để hủy bất cứ lúc nào.\n\nBước 1/12. Bạn muốn kể về điều gì?")
KINDS = ["1. Gương người tốt, việc tốt", "2. Mô hình hay, cách làm hay", "3. Điển hình tiên tiến",
         "4. Nhân tố mới", "5. ✖️ Hủy"]
SUBMITTED = ("✅ Đã gửi! Câu chuyện của bạn là #1.\n\nBan Thi đua - Khen thưởng sẽ xem xét và bạn"
             " sẽ nhận được thông báo khi có kết quả. Bạn có thể xem lại bằng /mystories.")
# No publishing channel is configured: the approval publishes #1 in the bot's gallery at once.
NOTIFY_APPROVED = (f"✅ Câu chuyện #1 “{TITLE}” của bạn đã được duyệt và đăng trong mục Gương sáng"
                   " của bot. Mọi người xem được bằng /story 1 hoặc /stories. Cảm ơn bạn đã chia"
                   " sẻ!")
APPROVED_1 = "✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương sáng (/stories)."


@pytest.fixture
def resident(oa: FakeOa, bot: OaBot) -> OaPerson:
    return OaPerson(oa, bot, RESIDENT)


async def agrees(person: OaPerson) -> None:
    """Follow the OA: /start, the privacy notice, the consent buttons; agree; no reminders."""
    said = await person.follows()
    assert len(said) == 3 and said[2] == CONSENT
    assert said[0].startswith("Xin chào, Trần Thị Bình! Đây là Gương Sáng")  # name from profile
    assert person.titles() == ["1. ✅ Tôi đồng ý", "2. Không, để sau"]
    said = await person.taps("Tôi đồng ý")
    assert said[0].startswith("Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng.")
    assert person.titles() == ["1. 🔔 Nhận cả hai", "2. Nhắc ngày lễ lớn",
                               "3. Bản tin gương sáng hằng tuần", "4. Để sau"]
    await person.taps("Để sau")


async def reports_up_to_photos(person: OaPerson) -> None:
    """/report: a kind by button, a content by number (eight options do not fit), the rest."""
    (kind,) = await person.says("/report")
    assert kind.startswith(KIND)
    assert person.titles() == KINDS
    said = await person.taps("Gương người tốt")
    assert said[0].startswith(
        "Bước 2/12. Câu chuyện thuộc nội dung thi đua nào?\n\n1. Chấp hành tốt")
    assert person.buttons() == []  # 5 contents + not sure + back + cancel: numbered lines
    assert person.option("❓ Không rõ — để cán bộ chọn") == "6"
    assert person.option("⬅️ Quay lại") == "7"
    said = await person.picks("Chấp hành tốt chủ trương")
    assert said[0].startswith("Bước 3/12. Việc này diễn ra ở xã, phường hay đặc khu nào?")
    assert said[0].endswith("Gõ /back để quay lại bước trước, /cancel để hủy.")
    assert person.buttons() == []  # a typed commune is free text: no Back or Cancel to hit
    said = await person.says("long xuyen")
    assert said[0].startswith("📍 Địa bàn: Phường Long Xuyên\n\nBước 4/12.")
    await person.says("Nguyễn Văn An")
    await person.says("nông dân ấp Mỹ Thạnh")
    await person.says(TITLE)
    await person.says(GOOD_DESCRIPTION)
    said = await person.says("02/09/2025")
    assert said[0].startswith("Bước 9/12. Gửi tối đa 5 ảnh minh họa")


async def finishes_report(person: OaPerson) -> None:
    """A photo, Done, a map pin, the phone through the info form, name hidden (typed), Send."""
    assert (await person.sends_photo(PHOTO))[0].startswith("Đã nhận ảnh 1/5.")
    assert person.titles() == ["1. Xong", "2. ⬅️ Quay lại", "3. ✖️ Hủy"]
    said = await person.taps("Xong")
    assert said[0].startswith("Bước 10/12. Bạn có muốn cho biết vị trí nơi diễn ra việc này")
    said = await person.sends_location(10.3759, 105.4185)
    assert said[0].startswith("Bước 11/12. Để Ban Thi đua liên hệ xác minh khi cần")
    said = await person.submits_info(PHONE)
    assert said[0].startswith(
        "Bước 12/12. Khi câu chuyện được đăng, có ghi tên bạn (Trần Thị Bình)")
    # The platform may send a button's title instead of its payload: the label is an answer too.
    (summary,) = await person.says("Không, giấu tên tôi")
    assert summary.startswith("Xem lại câu chuyện của bạn\n\nLoại: Gương người tốt, việc tốt\n")
    assert f"\nSố điện thoại: {PHONE}\n" in summary and "\nẢnh: 1 ảnh\n" in summary
    assert person.titles() == ["1. 📨 Gửi", "2. ✏️ Sửa", "3. ✖️ Hủy"]
    (done,) = await person.taps("Gửi")
    assert done == SUBMITTED


async def files_report(person: OaPerson) -> None:
    await agrees(person)
    await reports_up_to_photos(person)
    await finishes_report(person)


# The admin's first message on Telegram also queues their own command menu (test_staff_menus).
MENU = 1


async def approves_on_telegram(tg: TelegramApp) -> None:
    app, wire = tg
    admin = TelegramPerson(app, wire, ADMIN, "Minh", "Trần")
    await admin.says("/pending")
    await admin.presses(f"#1 · {TITLE}")
    photo = next(c for c in reversed(wire.calls) if c.method == "sendPhoto")
    assert photo.params["photo"] == PHOTO  # the OA photo URL, shown to the reviewer
    await admin.presses("✅ Duyệt")
    assert any(c.params.get("text") == APPROVED_1 for c in wire.calls
               if c.method == "sendMessage")


def engine(storage: Storage, tg: TelegramApp, bot: OaBot) -> BroadcastEngine:
    return BroadcastEngine(storage, {"telegram": tg[0].bot_data["sender"],
                                     "zalo_oa": bot.channel.sender}, 91, rate=None, per_chat=0.0)


async def outbox(storage: Storage) -> list[dict[str, Any]]:
    """The messages queued (the Telegram admin's own command menu is queued too, when they first
    write: MENU)."""
    return [dict(r) for r in await storage.db.fetchall(
        "SELECT * FROM outbox WHERE kind != 'menu' ORDER BY id")]


# --- 1. a resident follows the OA, files a story with its buttons; approved on Telegram ---------


async def test_a_resident_follows_files_a_story_by_buttons_and_is_told_of_the_approval(
    oa: FakeOa, resident: OaPerson, bot: OaBot, storage: Storage, tg: TelegramApp,
) -> None:
    await files_report(resident)

    story = await storage.stories.get(1)
    assert story is not None
    assert (story.channel, story.status, story.kind, story.content) == (
        "zalo_oa", "pending", "good_deed", "policy_law")
    assert (story.title, story.photos, story.reporter_phone, story.show_name) == (
        TITLE, [PHOTO], PHONE, False)
    assert (story.latitude, story.longitude) == (10.3759, 105.4185)
    person = await storage.people.find("zalo_oa", RESIDENT)
    assert person is not None and person.id == story.reporter_id
    assert (person.consent, person.display_name) == (True, "Trần Thị Bình")
    # Every message went to the resident, inside the limits, as documented bodies.
    for call in oa.calls("message/cs"):
        assert call.error == 0, call.answer
        assert call.body["recipient"] == {"user_id": RESIDENT}
        assert len(call.body["message"].get("text", "")) <= 2000
        assert "<b>" not in call.body["message"].get("text", "")

    await approves_on_telegram(tg)
    assert [(r["channel"], r["chat_id"], r["template"], r["status"])
            for r in await outbox(storage)] == [
                ("zalo_oa", RESIDENT, "notify.in_gallery", "pending")]
    mark = len(oa.requests)

    sender = engine(storage, tg, bot)
    assert await sender.pump() == 1 + MENU
    await sender.drain()

    sent = [(r.path, r.body) for r in oa.requests[mark:]]
    assert sent == [("/v3.0/oa/message/cs", {"recipient": {"user_id": RESIDENT},
                                             "message": {"text": NOTIFY_APPROVED}})]
    assert [(r["status"], r["attempts"]) for r in await outbox(storage)] == [("sent", 1)]


# --- 2. the window closed before the decision: nothing is sent; told at the next message --------


async def test_a_decision_after_the_window_closed_is_not_sent_until_the_resident_writes_again(
    oa: FakeOa, resident: OaPerson, bot: OaBot, storage: Storage, tg: TelegramApp,
) -> None:
    await files_report(resident)
    await approves_on_telegram(tg)
    oa.clock.travel(days=8)  # past the platform's 7 days
    mark = len(oa.requests)

    with pytest.raises(DeliveryError) as raised:
        await bot.channel.sender.send(RESIDENT, Reply(NOTIFY_APPROVED,
                                                      notice=Notice("notify.in_gallery")))
    assert raised.value.window_closed and not raised.value.permanent
    sender = engine(storage, tg, bot)
    assert await sender.pump() == 1 + MENU
    await sender.drain()

    assert oa.requests[mark:] == []  # checked locally: nothing was posted to the platform
    (row,) = await outbox(storage)
    assert row["status"] == "held" and "interaction window" in row["last_error"]
    assert await sender.pump(datetime.now(UTC) + timedelta(days=30)) == 0  # held, not retried

    # The resident writes again: the window is open, the decision is released and goes out.
    said = await resident.says("/mystories")
    assert any("#1" in text and "Đã đăng" in text for text in said), said
    assert await sender.pump() == 1
    await sender.drain()
    assert oa.texts(RESIDENT)[-1] == NOTIFY_APPROVED
    assert [r["status"] for r in await outbox(storage)] == ["sent"]


async def test_a_decision_outside_the_window_goes_as_the_configured_template(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog, tg: TelegramApp,
) -> None:
    bot = await start_oa(settings, storage, dialog, oa, oa.grant(),
                         zalo_oa_templates={"notify.in_gallery": "tpl-gallery"})
    try:
        await files_report(OaPerson(oa, bot, RESIDENT))
        await approves_on_telegram(tg)
        oa.clock.travel(days=8)
        oa.templates["tpl-gallery"] = ("id", "title", "status")
        mark = len(oa.requests)
        sender = engine(storage, tg, bot)
        assert await sender.pump() == 1 + MENU
        await sender.drain()
    finally:
        await bot.stop()

    (call,) = [r for r in oa.requests[mark:] if r.path.endswith("message/template")]
    assert call.error == 0
    assert call.body == {"template_id": "tpl-gallery", "user_id": RESIDENT, "template_data": {
        "id": "1", "title": TITLE, "status": "📢 Đã đăng"}}
    assert [r["status"] for r in await outbox(storage)] == ["sent"]
    assert [r["status"] for r in await outbox(storage)] == ["sent"]


# --- 3. token refresh survives a restart in the middle of the journey -------------------------


async def test_the_token_refreshes_itself_and_survives_a_restart_in_the_middle_of_a_report(
    oa: FakeOa, settings: Settings, tg: TelegramApp,
) -> None:
    seed = oa.grant()
    async with contextlib.AsyncExitStack() as running:
        bot, storage = await process(running, settings, oa, seed)
        resident = OaPerson(oa, bot, RESIDENT)
        await agrees(resident)
        assert len(oa.refreshes()) == 1  # the seed, traded once for the first pair
        oa.clock.travel(hours=24, minutes=30)  # within the hour before the 25 h expiry
        await reports_up_to_photos(resident)
        assert [r.error for r in oa.refreshes()] == [0, 0]  # refreshed ahead of expiry

    # The process stopped mid-report; it starts again, the old seed still in the settings.
    async with contextlib.AsyncExitStack() as running:
        bot, storage = await process(running, settings, oa, seed)
        assert bot.states == {"zalo_oa": "webhook"}
        resident = OaPerson(oa, bot, RESIDENT)
        oa.revoke_access()  # the platform drops the access token: refreshed once, sent again
        await finishes_report(resident)
        assert [r.error for r in oa.refreshes()] == [0, 0, 0]
        assert seed not in [r.body["refresh_token"] for r in oa.refreshes()[1:]]

        await approves_on_telegram(tg)  # the reviewer's process: its own connection to the file
        await deliver(engine(storage, tg, bot))
        assert oa.texts(RESIDENT)[-1] == NOTIFY_APPROVED
        tokens = await bot.channel.store.tokens()
        assert tokens is not None and tokens.refresh_token in oa.refresh  # the live one


async def process(running: contextlib.AsyncExitStack, settings: Settings, oa: FakeOa,
                  seed: str) -> tuple[OaBot, Storage]:
    """What `python -m bot run` starts for the OA: storage, dialog, channel; closed on exit."""
    storage = await open_storage(settings.database_path)
    running.push_async_callback(storage.close)
    bot = await start_oa(settings, storage, Dialog(storage, settings), oa, seed)
    running.push_async_callback(bot.stop)
    return bot, storage


async def deliver(sender: BroadcastEngine, now: datetime | None = None) -> None:
    """One pass of the engine: everything due is sent and recorded."""
    await sender.pump(now)
    await sender.drain()
