"""Every broadcast can be refused (issue 12, item 9): a topic's in one tap of that topic, the
board's general ones (to everyone, a commune, the reviewers) in one tap of "stop everything" or
by typing /unsubscribe all. Who stopped everything gets only answers to what they write, and
news of their own stories; /subscribe gives the board's messages back."""

from __future__ import annotations

import io
import time
from datetime import date
from typing import Any

import pytest

from bot.broadcast import BroadcastEngine
from bot.channels.console import TRAITS as CONSOLE
from bot.channels.console import ConsoleSender
from bot.dialog import Dialog
from bot.storage import NewStory, Person, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, TelegramApp, file_report
from tests.senders import (
    RecordingSender,
    broadcast_rows,
    deliver,
    deliveries,
    engine_for,
    member,
    press,
    said,
    statuses,
)
from tests.test_broadcast import reminder_of
from tests.wire import TelegramPerson

LONG_XUYEN = 30307
BODY = "Mời bà con dự lễ tuyên dương gương sáng tối thứ Bảy tại nhà văn hóa."
GENERAL_LINE = "🔕 Không muốn nhận những tin như thế này nữa? Gõ /unsubscribe all."
TOPIC_LINE = "🔕 Không muốn nhận nữa? Gõ /unsubscribe."
STOP_ALL = ("🔕 Ngừng nhận mọi tin", "unsub:all")
STOPPED_ALL = (
    "🔕 Đã ngừng mọi tin nhắn tự động: tin nhắc ngày lễ, bản tin và thông báo chung của Ban Thi"
    " đua. Từ nay bot chỉ trả lời khi bạn nhắn, và báo cho bạn kết quả xét duyệt câu chuyện của"
    " chính bạn. Muốn nhận lại: /subscribe."
)
EVERYONE = "Tất cả người đã đồng ý"


@pytest.fixture
async def town(storage: Storage) -> dict[str, Person]:
    people = {
        "admin": await member(storage, "admin", role="admin"),
        "binh": await member(storage, "binh", topics=("anniversaries", "stories")),
        "chi": await member(storage, "chi"),
        "duyet": await member(storage, "duyet", role="reviewer", communes=(LONG_XUYEN,)),
    }
    await storage.stories.file(NewStory(
        submission_key="k-binh", reporter_id=people["binh"].id, channel="fake",
        campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
        commune_code=LONG_XUYEN,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân", title="Sửa cầu khỉ",
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2)), notify_reviewers=False)
    return people


async def broadcast(dialog: Dialog, audience: str, text: str = BODY,
                    commune: str | None = None) -> tuple[int, str]:
    """The admin writes, picks the audience, reads the preview and sends: (id, the preview)."""
    admin = FakeChat(dialog, "admin", name="Quản Trị")
    await admin.says("/broadcast")
    await admin.says(text)
    await admin.picks(audience)
    if commune:
        await admin.says(commune)
    preview = admin.text
    await admin.picks("📣 Gửi")
    return int((await broadcast_rows(dialog.storage))[-1]["id"]), preview


# --- a general announcement ----------------------------------------------------------------------


async def test_an_announcement_to_everyone_ends_with_how_to_stop_and_one_tap_stops_everything(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    first, preview = await broadcast(dialog, EVERYONE)
    assert ": 4 người." in preview
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    (received,) = sender.to("binh")
    assert received.text == f"{BODY}\n\n{GENERAL_LINE}"
    assert received.choices == (STOP_ALL,)

    assert said(await press(dialog, "binh", received.choices[0][1])) == STOPPED_ALL

    assert await storage.broadcasts.topics(town["binh"].id) == set()
    _, preview = await broadcast(dialog, EVERYONE, "Tin thứ hai")
    assert ": 3 người." in preview
    second = int((await broadcast_rows(storage))[-1]["id"])
    _, preview = await broadcast(dialog, "Người dân một xã/phường", "Tin cho Long Xuyên",
                                 commune="long xuyen")
    assert ": 1 người." in preview  # the reviewer of Long Xuyên, not its reporter Bình
    anniversary = await reminder_of(storage, date(2026, 4, 30))
    for later in (second, anniversary):
        assert "binh" not in await deliveries(storage, later)
    await deliver(engine_for(storage, sender))
    assert [s.text for s in sender.to("binh")] == [received.text]  # nothing after the tap
    assert await statuses(storage, first) == dict.fromkeys(("admin", "binh", "chi", "duyet"),
                                                           "sent")


async def test_a_reviewer_who_stops_everything_still_hears_of_new_stories(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    await broadcast(dialog, EVERYONE)
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    replies = await press(dialog, "duyet", "unsub:all")
    assert said(replies) == STOPPED_ALL + (
        "\n\nLà cán bộ thẩm định, bạn vẫn được báo khi có câu chuyện mới cần duyệt, nhưng không"
        " nhận bản tin buổi sáng nữa.")
    _, preview = await broadcast(dialog, "Tất cả cán bộ thẩm định", "Họp giao ban")
    assert ": 1 người." in preview  # the admin only

    await file_report(FakeChat(dialog, "moi"))  # a new story in Long Xuyên
    await deliver(engine_for(storage, sender))
    assert [s.text for s in sender.to("duyet")][-1].startswith("📥 Câu chuyện mới #2")


async def test_who_stopped_everything_still_hears_how_their_own_story_was_judged(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    reporter = FakeChat(dialog, "u1")
    await file_report(reporter)
    await reporter.says("/unsubscribe all")
    assert reporter.text == STOPPED_ALL
    await FakeChat(dialog, "duyet").says("/reject 2 Không xác minh được thông tin")
    await broadcast(dialog, EVERYONE, "Tin chung")

    sender = RecordingSender()
    await deliver(engine_for(storage, sender))

    (told,) = sender.to("u1")
    assert told.text.startswith("Cảm ơn bạn đã gửi câu chuyện #2")
    assert "Lý do: Không xác minh được thông tin" in told.text


# --- typed, where there are no buttons -----------------------------------------------------------


async def test_unsubscribe_without_topics_offers_to_stop_everything_and_subscribe_undoes_it(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    chi = FakeChat(dialog, "chi")
    await chi.says("/unsubscribe")
    assert chi.text == (
        "Bạn chưa đăng ký tin nhắc nào. Bạn vẫn có thể nhận thông báo chung của Ban Thi đua"
        " (gửi tới mọi người, hoặc theo xã, phường). Muốn ngừng cả những tin đó, chọn “Ngừng tất"
        " cả” (hoặc gõ /unsubscribe all).")
    assert chi.options() == ["🔕 Ngừng tất cả"]
    await chi.picks("Ngừng tất cả")
    assert chi.text == STOPPED_ALL
    await chi.says("/unsubscribe")
    assert chi.text == "Bạn đã ngừng mọi tin nhắn tự động. Muốn nhận lại: /subscribe."
    _, preview = await broadcast(dialog, EVERYONE)
    assert ": 3 người." in preview

    await chi.says("/subscribe")
    assert "Bạn đang ngừng nhận thông báo chung của Ban Thi đua." in chi.text
    assert "🔔 Nhận lại thông báo chung" in chi.options()
    await chi.picks("Nhận lại thông báo chung")
    assert chi.text.startswith("Bạn sẽ lại nhận thông báo chung của Ban Thi đua.")
    assert "🔔 Nhận lại thông báo chung" not in chi.options()
    assert "Bạn đang ngừng" not in chi.text
    _, preview = await broadcast(dialog, EVERYONE, "Tin mới")
    assert ": 4 người." in preview


@pytest.mark.parametrize("typed", ["/unsubscribe all", "/unsubscribe tất cả",
                                   "/unsubscribe Tat Ca"])
async def test_unsubscribe_all_is_understood_as_typed(
    town: dict[str, Person], dialog: Dialog, storage: Storage, typed: str
) -> None:
    binh = FakeChat(dialog, "binh")
    await binh.says(typed)
    assert binh.text == STOPPED_ALL
    assert await storage.broadcasts.topics(town["binh"].id) == set()
    assert await storage.broadcasts.count_audience("everyone") == 3


async def test_stop_everything_in_the_unsubscribe_list_also_stops_announcements_already_queued(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    queued, _ = await broadcast(dialog, EVERYONE)
    binh = FakeChat(dialog, "binh")
    await binh.says("/unsubscribe")
    await binh.picks("Ngừng tất cả")
    assert binh.text == STOPPED_ALL
    assert (await statuses(storage, queued))["binh"] == "cancelled"
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sender.to("binh") == []
    assert sorted(sender.chats()) == ["admin", "chi", "duyet"]


# --- a topic's broadcast -------------------------------------------------------------------------


async def test_an_admins_broadcast_to_a_topic_carries_the_topics_one_tap_opt_out(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    first, _ = await broadcast(dialog, "Người đăng ký: Bản tin gương sáng")
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    (received,) = sender.to("binh")
    assert received.text == f"{BODY}\n\n{TOPIC_LINE}"
    assert received.choices == (("🔕 Ngừng nhận tin này", "unsub:stories"),)
    second, _ = await broadcast(dialog, "Người đăng ký: Bản tin gương sáng", "Bản tin số 2")

    pressed = said(await press(dialog, "binh", "unsub:stories"))

    assert pressed == "Đã ngừng nhận: Bản tin gương sáng hằng tuần."
    assert await storage.broadcasts.topics(town["binh"].id) == {"anniversaries"}
    assert (await statuses(storage, second))["binh"] == "cancelled"
    assert (await broadcast_rows(storage))[first - 1]["topic"] == "stories"
    assert await storage.broadcasts.count_audience("everyone") == 4  # announcements still come


# --- on Telegram and in the terminal -------------------------------------------------------------


async def test_a_telegram_resident_stops_everything_from_an_announcement(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, 5151)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    await lan.presses("🔔 Nhận cả hai")
    person = await storage.people.find("telegram", "5151")
    assert person is not None
    await storage.broadcasts.create("everyone", body="Mời bà con <dự lễ> & giao lưu")
    engine = BroadcastEngine(storage, {"telegram": app.bot_data["sender"]}, 91, rate=None,
                             per_chat=0.0)
    await deliver(engine)

    call = wire.sent("sendMessage", 5151)[-1]
    assert call.params["text"] == ("Mời bà con &lt;dự lễ&gt; &amp; giao lưu\n\n🔕 Không muốn nhận"
                                   " những tin như thế này nữa? Gõ /unsubscribe all.")
    assert call.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "🔕 Ngừng nhận mọi tin", "callback_data": "unsub:all"}]]
    message: dict[str, Any] = {
        "message_id": 901, "date": int(time.time()), "chat": {"id": 5151, "type": "private"},
        "from": {"id": 777000, "is_bot": True, "first_name": "Gương Sáng"},
        "text": call.params["text"], "reply_markup": call.params["reply_markup"]}
    await lan.presses_data("unsub:all", message)

    assert wire.last_text(5151) == STOPPED_ALL
    assert await storage.broadcasts.topics(person.id) == set()
    later = await reminder_of(storage, date(2026, 4, 30))
    assert await deliveries(storage, later) == {}
    assert await storage.broadcasts.count_audience("everyone") == 0


async def test_the_console_shows_what_to_type_and_no_option_it_cannot_take(
    dialog: Dialog, storage: Storage
) -> None:
    await member(storage, "lan", channel="console")
    out = io.StringIO()
    await storage.broadcasts.create("everyone", body=BODY)
    await deliver(BroadcastEngine(storage, {"console": ConsoleSender(out, "lan")}, 91,
                                  rate=None, per_chat=0.0))
    printed = out.getvalue()
    assert printed == f"\n🔔 {BODY}\n\n{GENERAL_LINE}\n\n"

    chat = FakeChat(dialog, "lan", channel="console", traits=CONSOLE)
    await chat.says("/unsubscribe all")
    assert chat.text == STOPPED_ALL
    assert await storage.broadcasts.count_audience("everyone") == 0
