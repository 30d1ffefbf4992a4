"""Broadcasts as recipients and admins see them: who gets what, once, and what storage keeps.

The real engine sends through a recording Sender (or the real Telegram adapter over a faked
wire); people act through the dialog core; the SQLite file is read back after each step.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast import BroadcastEngine
from bot.config import Settings
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import DeliveryError
from bot.scheduler import Reminders
from bot.storage import NewStory, Person, Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, TelegramApp
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
from tests.wire import TelegramPerson

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_XUYEN, PHU_QUOC = 30307, 31078
UNSUB = "unsub:anniversaries"
NOT_ADMIN = "Lệnh này chỉ dành cho quản trị viên."
STOPPED_NOW = "Đã ngừng nhận"
TOPIC_LINE = "🔕 Không muốn nhận nữa? Gõ /unsubscribe."
GENERAL_LINE = "🔕 Không muốn nhận những tin như thế này nữa? Gõ /unsubscribe all."


def reminders(storage: Storage) -> Reminders:
    return Reminders(storage, calendar(), TZ, Settings.model_fields["reminder_time"].default, 3)


async def reminder_of(storage: Storage, day: date) -> int:
    """Queue the anniversary reminder of a day; its broadcast id."""
    (created,) = await reminders(storage).send_due(day)
    return created


async def subscribers(storage: Storage, *uids: str, topics: tuple[str, ...] = ("anniversaries",)
                      ) -> list[Person]:
    return [await member(storage, uid, topics=topics) for uid in uids]


async def people_stopped(storage: Storage) -> dict[str, str | None]:
    rows = await storage.db.fetchall("SELECT external_id, stopped_at FROM people")
    return {r["external_id"]: r["stopped_at"] for r in rows}


# --- a recipient who blocked the bot -----------------------------------------------------------


async def test_a_recipient_who_blocked_the_bot_is_skipped_until_they_write_again(
    storage: Storage, dialog: Dialog
) -> None:
    await subscribers(storage, "blocker", "friend")
    sender = RecordingSender()
    sender.failures["blocker"] = [DeliveryError(
        "Forbidden: bot was blocked by the user", permanent=True, stopped=True)]

    first = await reminder_of(storage, date(2026, 4, 30))
    await deliver(engine_for(storage, sender))
    assert await statuses(storage, first) == {"blocker": "stopped", "friend": "sent"}
    assert (await people_stopped(storage))["blocker"] is not None
    assert sender.chats() == ["friend"]

    second = await reminder_of(storage, date(2026, 5, 19))
    assert set(await deliveries(storage, second)) == {"friend"}
    await deliver(engine_for(storage, sender))
    assert sender.chats() == ["friend", "friend"]
    assert [a for a, _ in sender.attempts].count("blocker") == 1

    await FakeChat(dialog, "blocker").says("/start")
    assert (await people_stopped(storage))["blocker"] is None
    assert "anniversaries" in await storage.broadcasts.topics(
        (await deliveries(storage, first))["blocker"]["person_id"])

    third = await reminder_of(storage, date(2026, 6, 11))
    await deliver(engine_for(storage, sender))
    assert await statuses(storage, third) == {"blocker": "sent", "friend": "sent"}
    (back,) = sender.to("blocker")
    assert "78 năm Ngày Chủ tịch Hồ Chí Minh ra Lời kêu gọi Thi đua ái quốc" in back.text


# --- flood control -----------------------------------------------------------------------------


async def test_flood_control_pauses_every_send_and_the_refused_one_is_sent_later(
    storage: Storage,
) -> None:
    await subscribers(storage, "a-flooded", "b", "c", "d")
    sender = RecordingSender()
    sender.failures["a-flooded"] = [DeliveryError("flood control", permanent=False,
                                                  retry_after=2)]
    broadcast = await reminder_of(storage, date(2026, 4, 30))
    engine = engine_for(storage, sender, rate=10.0)

    before = datetime.now(UTC)
    await deliver(engine)
    flooded_at = sender.attempts[0][1]
    assert sender.attempts[0][0] == "a-flooded"

    rows = await deliveries(storage, broadcast)
    refused = rows["a-flooded"]
    assert (refused["status"], refused["attempts"]) == ("pending", 1)
    retry_at = datetime.fromisoformat(refused["next_attempt_at"])
    assert before + timedelta(seconds=0.9) <= retry_at <= before + timedelta(seconds=3.1)
    assert {rows[c]["status"] for c in ("b", "c", "d")} == {"sent"}

    # nothing went out between the 429 and the end of the pause
    early = [(chat, round(at - flooded_at, 3)) for chat, at in sender.attempts[1:]
             if at < flooded_at + 2.0 - 0.05]
    assert early == [], f"sent during the 2 s pause: {early}"

    await deliver(engine, datetime.now(UTC) + timedelta(seconds=3))
    assert await statuses(storage, broadcast) == dict.fromkeys(("a-flooded", "b", "c", "d"),
                                                               "sent")
    assert sorted(sender.chats()) == ["a-flooded", "b", "c", "d"]
    assert sender.to("a-flooded")[0].at >= flooded_at + 2.0 - 0.05


async def test_a_later_pump_waits_out_the_pause_before_its_first_send(storage: Storage) -> None:
    await subscribers(storage, "a-flooded", "b")
    sender = RecordingSender()
    sender.failures["a-flooded"] = [DeliveryError("flood control", permanent=False,
                                                  retry_after=2)]
    broadcast = await reminder_of(storage, date(2026, 4, 30))
    engine = engine_for(storage, sender, batch=1)

    await deliver(engine)
    flooded_at = sender.attempts[0][1]
    assert await statuses(storage, broadcast) == {"a-flooded": "pending", "b": "pending"}
    await deliver(engine)
    assert sender.chats() == ["b"]
    assert sender.sent[0].at >= flooded_at + 2.0 - 0.05
    await deliver(engine, datetime.now(UTC) + timedelta(seconds=3))
    assert await statuses(storage, broadcast) == {"a-flooded": "sent", "b": "sent"}
    assert sender.chats() == ["b", "a-flooded"]


# --- transient and permanent errors ------------------------------------------------------------


async def test_transient_errors_back_off_then_fail_and_a_400_fails_at_once(
    storage: Storage,
) -> None:
    await subscribers(storage, "flaky", "gone", "ok1", "ok2")
    sender = RecordingSender()
    sender.failures["flaky"] = [DeliveryError("Timed out", permanent=False) for _ in range(10)]
    sender.failures["gone"] = [DeliveryError("Bad Request: chat not found", permanent=True)]
    broadcast = await reminder_of(storage, date(2026, 4, 30))
    engine = engine_for(storage, sender, max_attempts=3, base_delay=2.0)

    started = datetime.now(UTC)
    await deliver(engine)
    rows = await deliveries(storage, broadcast)
    assert {c: r["status"] for c, r in rows.items()} == {
        "flaky": "pending", "gone": "failed", "ok1": "sent", "ok2": "sent"}
    assert (rows["gone"]["attempts"], rows["gone"]["error"]) == (1, "Bad Request: chat not found")
    assert rows["flaky"]["attempts"] == 1
    first_retry = datetime.fromisoformat(rows["flaky"]["next_attempt_at"])
    assert started + timedelta(seconds=1) <= first_retry <= started + timedelta(seconds=3.1)

    # not due yet: a pump now leaves it alone
    assert await engine.pump() == 0

    second = datetime.now(UTC)
    await deliver(engine, second + timedelta(seconds=10))
    rows = await deliveries(storage, broadcast)
    assert (rows["flaky"]["status"], rows["flaky"]["attempts"]) == ("pending", 2)
    second_retry = datetime.fromisoformat(rows["flaky"]["next_attempt_at"])
    assert second + timedelta(seconds=3) <= second_retry <= second + timedelta(seconds=5.1)

    await deliver(engine, second + timedelta(seconds=60))
    rows = await deliveries(storage, broadcast)
    assert (rows["flaky"]["status"], rows["flaky"]["attempts"], rows["flaky"]["error"]) == (
        "failed", 3, "Timed out")
    await deliver(engine, second + timedelta(seconds=600))
    attempts = [chat for chat, _ in sender.attempts]
    assert (attempts.count("flaky"), attempts.count("gone")) == (3, 1)
    assert sorted(sender.chats()) == ["ok1", "ok2"]
    (row,) = await broadcast_rows(storage)
    assert row["status"] == "done"
    (progress,) = await storage.broadcasts.progress()
    assert (progress.sent, progress.failed, progress.pending, progress.total) == (2, 2, 0, 4)


# --- resuming after a crash --------------------------------------------------------------------


async def test_after_a_crash_a_new_engine_sends_only_to_those_not_yet_sent(
    settings: Settings,
) -> None:
    path = settings.database_path
    first = await open_storage(path)
    uids = [f"r{i:02d}" for i in range(50)]
    await subscribers(first, *uids)
    broadcast = await reminder_of(first, date(2026, 4, 30))

    crash = asyncio.Event()

    class HangsAfterTwenty(RecordingSender):
        """Delivers the first 20; the next sends hang on the network until the crash."""

        async def send(self, chat_id: str, reply: object) -> str | None:
            if len(self.sent) >= 20:
                self.attempts.append((chat_id, time.monotonic()))
                await crash.wait()
                raise DeliveryError("connection lost", permanent=False)
            return await super().send(chat_id, reply)  # type: ignore[arg-type]

    before_crash = HangsAfterTwenty()
    engine = engine_for(first, before_crash, batch=25)
    await engine.pump()
    deadline = time.monotonic() + 5
    while len(before_crash.sent) < 20 and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    await engine.flush()
    recorded = {c for c, s in (await statuses(first, broadcast)).items() if s == "sent"}
    assert recorded == set(before_crash.chats()) and len(recorded) == 20
    # the process dies: storage is gone, the hanging sends never come back to it
    await first.close()
    crash.set()
    await asyncio.sleep(0.01)

    second = await open_storage(path)
    try:
        after_restart = RecordingSender()
        engine = engine_for(second, after_restart)
        while await deliver(engine):
            pass
        final = await statuses(second, broadcast)
    finally:
        await second.close()
    assert final == dict.fromkeys(uids, "sent")
    assert not recorded & set(after_restart.chats())
    assert sorted(before_crash.chats() + after_restart.chats()) == uids


# --- unsubscribing stops delivery --------------------------------------------------------------


async def test_unsubscribing_by_button_or_command_cancels_what_is_pending(
    storage: Storage, dialog: Dialog
) -> None:
    await subscribers(storage, "presser", "typer", "stayer")
    sender = RecordingSender()
    await reminder_of(storage, date(2026, 4, 30))
    await deliver(engine_for(storage, sender))
    (received,) = sender.to("presser")
    assert received.choices == (("🔕 Ngừng nhận tin này", UNSUB),)

    pending = await reminder_of(storage, date(2026, 5, 19))
    assert await statuses(storage, pending) == dict.fromkeys(("presser", "typer", "stayer"),
                                                             "pending")
    pressed = said(await press(dialog, "presser", received.choices[0][1]))
    assert STOPPED_NOW in pressed and "Nhắc ngày lễ lớn" in pressed
    typed = FakeChat(dialog, "typer")
    await typed.says("/unsubscribe")
    assert STOPPED_NOW in typed.text

    assert await statuses(storage, pending) == {
        "presser": "cancelled", "typer": "cancelled", "stayer": "pending"}
    await deliver(engine_for(storage, sender))
    assert sender.chats()[3:] == ["stayer"]
    assert await statuses(storage, pending) == {
        "presser": "cancelled", "typer": "cancelled", "stayer": "sent"}
    later = await reminders(storage).send_due(date(2026, 6, 11))
    assert set(await deliveries(storage, later[0])) == {"stayer"}


async def test_the_unsubscribe_button_works_even_in_the_middle_of_a_report(
    storage: Storage, dialog: Dialog
) -> None:
    await subscribers(storage, "writer")
    chat = FakeChat(dialog, "writer")
    await chat.says("/report")
    replies = await press(dialog, "writer", UNSUB)
    assert STOPPED_NOW in said(replies)
    assert await storage.broadcasts.topics((await member(storage, "writer")).id) == set()


async def test_a_deleted_person_who_agrees_again_is_not_subscribed_again(
    storage: Storage, dialog: Dialog
) -> None:
    chat = FakeChat(dialog, "eraser")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.picks("Nhận cả hai")
    await chat.says("/deleteme")
    await chat.picks("Xóa dữ liệu của tôi")
    assert "Đã xóa dữ liệu cá nhân của bạn." in chat.text
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    person = await storage.people.find("fake", "eraser")
    assert person is not None and person.consent
    assert await storage.broadcasts.topics(person.id) == set()
    assert await storage.broadcasts.count_audience("topic:anniversaries") == 0


async def test_a_person_who_erases_their_data_gets_nothing_still_pending(
    storage: Storage, dialog: Dialog
) -> None:
    await subscribers(storage, "eraser", "stayer")
    pending = await reminder_of(storage, date(2026, 4, 30))
    eraser = await member(storage, "eraser")
    chat = FakeChat(dialog, "eraser")
    await chat.says("/deleteme")
    await chat.picks("Xóa dữ liệu của tôi")
    assert "Đã xóa dữ liệu cá nhân của bạn." in chat.text
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sender.chats() == ["stayer"]
    rows = await storage.db.fetchall(
        "SELECT status FROM deliveries WHERE broadcast_id = ? AND person_id = ?",
        (pending, eraser.id))
    assert [r["status"] for r in rows] == ["cancelled"]
    assert "eraser" not in await statuses(storage, pending)  # the account is named nowhere


# --- the subscription offer and switches -------------------------------------------------------


async def test_consent_is_followed_by_the_offer_and_both_subscribes_both(
    storage: Storage, dialog: Dialog
) -> None:
    chat = FakeChat(dialog, "lan")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    assert "nhắc các ngày lễ lớn" in chat.text
    assert chat.options() == ["🔔 Nhận cả hai", "Nhắc ngày lễ lớn",
                              "Bản tin gương sáng hằng tuần", "Để sau"]
    await chat.picks("Nhận cả hai")
    assert "Đã đăng ký: Nhắc ngày lễ lớn, Bản tin gương sáng hằng tuần." in chat.text
    person = await storage.people.find("fake", "lan")
    assert person is not None
    assert await storage.broadcasts.topics(person.id) == {"anniversaries", "stories"}


async def test_later_subscribes_nothing(storage: Storage, dialog: Dialog) -> None:
    chat = FakeChat(dialog, "binh")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.picks("Để sau")
    person = await storage.people.find("fake", "binh")
    assert person is not None
    assert await storage.broadcasts.topics(person.id) == set()
    assert await storage.broadcasts.count_audience("topic:anniversaries") == 0


async def test_subscribe_shows_switches_and_two_presses_leave_it_off(
    storage: Storage, dialog: Dialog
) -> None:
    citizen = await member(storage, "citizen")
    chat = FakeChat(dialog, "citizen")
    await chat.says("/subscribe")
    assert chat.options() == ["⬜ Nhắc ngày lễ lớn", "⬜ Bản tin gương sáng hằng tuần", "Xong"]
    await chat.picks("Nhắc ngày lễ lớn")
    assert chat.options()[0] == "✅ Nhắc ngày lễ lớn"
    assert await storage.broadcasts.topics(citizen.id) == {"anniversaries"}
    await chat.picks("Nhắc ngày lễ lớn")
    assert chat.options()[0] == "⬜ Nhắc ngày lễ lớn"
    assert await storage.broadcasts.topics(citizen.id) == set()


async def test_deadlines_are_offered_to_reviewers_and_admins_only(
    storage: Storage, dialog: Dialog
) -> None:
    deadlines = "Nhắc hạn nộp kế hoạch, báo cáo (cán bộ)"
    await member(storage, "citizen")
    reviewer = await member(storage, "reviewer", role="reviewer", communes=(LONG_XUYEN,))
    await member(storage, "admin", role="admin")
    citizen_chat = FakeChat(dialog, "citizen")
    await citizen_chat.says("/subscribe")
    assert not any(deadlines in o for o in citizen_chat.options())
    for uid in ("reviewer", "admin"):
        chat = FakeChat(dialog, uid)
        await chat.says("/subscribe")
        assert f"⬜ {deadlines}" in chat.options(), uid
    chat = FakeChat(dialog, "reviewer")
    await chat.says("/subscribe")
    await chat.picks(deadlines)
    assert await storage.broadcasts.topics(reviewer.id) == {"deadlines"}
    forged = await press(dialog, "citizen", "sub:toggle:deadlines")
    assert forged
    assert await storage.broadcasts.count_audience("topic:deadlines") == 1


# --- the admin's /broadcast --------------------------------------------------------------------


class Town:
    """Who lives where: reporters, reviewers, an admin, and people who must never be reached."""

    def __init__(self, people: dict[str, Person]) -> None:
        self.people = people


async def _file(storage: Storage, reporter: Person, commune: int, key: str) -> None:
    await storage.stories.file(NewStory(
        submission_key=key, reporter_id=reporter.id, channel=reporter.channel,
        campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
        commune_code=commune,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân ấp Mỹ Thạnh",
        title="Sửa cầu khỉ cho bà con ấp Mỹ Thạnh", description=GOOD_DESCRIPTION,
        event_date=date(2025, 9, 2)), notify_reviewers=False)


@pytest.fixture
async def town(storage: Storage) -> Town:
    people = {
        "reporter-lx": await member(storage, "reporter-lx", topics=("anniversaries",)),
        "reporter-pq": await member(storage, "reporter-pq", topics=("stories",)),
        "plain": await member(storage, "plain", topics=("anniversaries", "stories")),
        "reviewer-lx": await member(storage, "reviewer-lx", role="reviewer",
                                    communes=(LONG_XUYEN,), topics=("deadlines",)),
        "reviewer-pq": await member(storage, "reviewer-pq", role="reviewer",
                                    communes=(PHU_QUOC,)),
        "admin": await member(storage, "admin", role="admin"),
        "refused-lx": await member(storage, "refused-lx", consent=False,
                                   topics=("anniversaries", "stories")),
        "stopped-lx": await member(storage, "stopped-lx", topics=("anniversaries", "stories")),
    }
    await _file(storage, people["reporter-lx"], LONG_XUYEN, "k1")
    await _file(storage, people["reporter-pq"], PHU_QUOC, "k2")
    await _file(storage, people["refused-lx"], LONG_XUYEN, "k3")
    await _file(storage, people["stopped-lx"], LONG_XUYEN, "k4")
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE people SET stopped_at = '2026-01-01T00:00:00+00:00'"
                         " WHERE id = ?", (people["stopped-lx"].id,))
    return Town(people)


AUDIENCES = [
    ("Người đăng ký: Nhắc ngày lễ lớn", None, "topic:anniversaries", {"reporter-lx", "plain"}),
    ("Người đăng ký: Bản tin gương sáng", None, "topic:stories", {"reporter-pq", "plain"}),
    ("Người đăng ký: Nhắc hạn nộp", None, "topic:deadlines", {"reviewer-lx"}),
    ("Người dân một xã/phường", "long xuyen", f"commune:{LONG_XUYEN}",
     {"reporter-lx", "reviewer-lx"}),
    ("Tất cả cán bộ thẩm định", None, "reviewers", {"reviewer-lx", "reviewer-pq", "admin"}),
    ("Tất cả người đã đồng ý", None, "everyone",
     {"reporter-lx", "reporter-pq", "plain", "reviewer-lx", "reviewer-pq", "admin"}),
]


@pytest.mark.parametrize(("label", "commune", "audience", "expected"), AUDIENCES)
async def test_each_audience_reaches_exactly_its_people(
    town: Town, storage: Storage, dialog: Dialog, label: str, commune: str | None,
    audience: str, expected: set[str],
) -> None:
    admin = FakeChat(dialog, "admin", name="Quản Trị")
    await admin.says("/broadcast")
    await admin.says("Họp mặt gương sáng tối thứ Bảy tại nhà văn hóa.")
    await admin.picks(label)
    if commune:
        await admin.says(commune)
    assert f": {len(expected)} người." in admin.text
    assert "Họp mặt gương sáng tối thứ Bảy tại nhà văn hóa." in admin.text
    assert await broadcast_rows(storage) == []
    await admin.picks("📣 Gửi")
    (row,) = await broadcast_rows(storage)
    assert (row["audience"], row["total"], row["created_by"]) == (
        audience, len(expected), town.people["admin"].id)
    assert f"📣 Đã tạo đợt gửi #{row['id']} tới {len(expected)} người." in admin.text
    assert set(await deliveries(storage, row["id"])) == expected

    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sorted(sender.chats()) == sorted(expected)
    # Every broadcast can be refused: a topic's by stopping the topic, the others by stopping
    # everything, in one tap or by the command its last line names.
    kind, _, topic = audience.partition(":")
    stop, line = ((("🔕 Ngừng nhận tin này", f"unsub:{topic}"), TOPIC_LINE) if kind == "topic"
                  else (("🔕 Ngừng nhận mọi tin", "unsub:all"), GENERAL_LINE))
    assert all(s.text == f"Họp mặt gương sáng tối thứ Bảy tại nhà văn hóa.\n\n{line}"
               for s in sender.sent)
    assert all(s.choices == (stop,) for s in sender.sent)


async def test_a_citizen_cannot_broadcast_and_nothing_is_queued(
    town: Town, storage: Storage, dialog: Dialog
) -> None:
    citizen = FakeChat(dialog, "plain")
    for command in ("/broadcast", "/broadcasts", "/cancelbroadcast 1"):
        await citizen.says(command)
        assert citizen.text == NOT_ADMIN
    await citizen.says("Gửi cho cả tỉnh!")
    assert await broadcast_rows(storage) == []
    state = await storage.dialogs.load("fake", "plain")
    assert state is None or state.flow != "broadcast"


async def test_an_empty_or_3501_character_text_is_refused_before_anything_is_queued(
    town: Town, storage: Storage, dialog: Dialog
) -> None:
    admin = FakeChat(dialog, "admin")
    await admin.says("/broadcast")
    assert "tối đa 3500 ký tự" in admin.text
    await admin.says("   ")
    assert "Nội dung không được để trống." in admin.text
    await admin.says("a" * 3501)
    assert "Nội dung dài quá: tối đa 3500 ký tự (bạn đã gõ 3501)." in admin.text
    assert await broadcast_rows(storage) == []
    state = await storage.dialogs.load("fake", "admin")
    assert state is not None and (state.flow, state.step) == ("broadcast", "text")
    await admin.says("a" * 3500)
    assert "Gửi cho ai?" in admin.text
    assert await broadcast_rows(storage) == []


async def test_the_admin_journey_preview_send_progress_and_cancel(
    town: Town, storage: Storage, dialog: Dialog
) -> None:
    admin = FakeChat(dialog, "admin")
    await admin.says("/broadcasts")
    assert "Chưa có đợt gửi nào." in admin.text
    await admin.says("/broadcast")
    await admin.says("Mời bà con dự lễ tuyên dương gương sáng <b>năm 2026</b> & giao lưu.")
    await admin.picks("Người dân một xã/phường")
    assert "Gõ tên xã, phường hoặc đặc khu" in admin.text
    await admin.says("long xuyen")
    assert "Xem trước — gửi cho Phường Long Xuyên: 2 người." in admin.text
    await admin.picks("📣 Gửi")
    (row,) = await broadcast_rows(storage)
    first = row["id"]
    assert (row["audience"], row["total"], row["status"]) == (f"commune:{LONG_XUYEN}", 2,
                                                              "active")

    await admin.says("/broadcasts")
    assert f"#{first} · Phường Long Xuyên · đang gửi: 0/2 đã gửi" in admin.text
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sorted(sender.chats()) == ["reporter-lx", "reviewer-lx"]
    assert sender.sent[0].text == (
        f"Mời bà con dự lễ tuyên dương gương sáng <b>năm 2026</b> & giao lưu.\n\n{GENERAL_LINE}")
    await admin.says("/broadcasts")
    assert f"#{first} · Phường Long Xuyên · xong: 2/2 đã gửi, 0 lỗi" in admin.text

    await admin.says("/broadcast")
    await admin.says("Tin thứ hai")
    await admin.picks("Tất cả người đã đồng ý")
    assert ": 6 người." in admin.text
    await admin.picks("📣 Gửi")
    second = (await broadcast_rows(storage))[-1]["id"]
    await admin.says(f"/cancelbroadcast {second}")
    assert f"Đã hủy đợt gửi #{second}." in admin.text
    assert set((await statuses(storage, second)).values()) == {"cancelled"}
    await deliver(engine_for(storage, sender))
    assert len(sender.sent) == 2
    await admin.says("/broadcasts")
    assert f"#{second} · Tất cả người đã đồng ý · đã hủy: 0/6 đã gửi" in admin.text
    await admin.says(f"/cancelbroadcast {first}")
    assert f"Không hủy được đợt gửi #{first}" in admin.text


async def test_an_audience_of_nobody_is_not_created(
    storage: Storage, dialog: Dialog
) -> None:
    await member(storage, "admin", role="admin")
    admin = FakeChat(dialog, "admin")
    await admin.says("/broadcast")
    await admin.says("Xin chào")
    await admin.picks("Người đăng ký: Nhắc ngày lễ lớn")
    assert ": 0 người." in admin.text
    await admin.picks("📣 Gửi")
    assert "Không có ai trong nhóm này." in admin.text
    assert await broadcast_rows(storage) == []


# --- through Telegram --------------------------------------------------------------------------

LAN = 5151


async def test_a_telegram_reminder_carries_the_unsubscribe_button_which_works(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, LAN)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    await lan.presses("🔔 Nhận cả hai")
    person = await storage.people.find("telegram", str(LAN))
    assert person is not None
    assert await storage.broadcasts.topics(person.id) == {"anniversaries", "stories"}

    broadcast = await reminder_of(storage, date(2026, 4, 30))
    engine = engine_for_telegram(storage, app)
    await deliver(engine)
    assert await statuses(storage, broadcast) == {str(LAN): "sent"}
    call = wire.sent("sendMessage", LAN)[-1]
    assert "<b>51 năm Ngày giải phóng miền Nam, thống nhất đất nước</b>" in call.params["text"]
    assert call.params["parse_mode"] == "HTML"
    assert call.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "🔕 Ngừng nhận tin này", "callback_data": UNSUB}]]

    answered = len(wire.sent("answerCallbackQuery"))
    message = {"message_id": 900, "date": int(time.time()),
               "chat": {"id": LAN, "type": "private"},
               "from": {"id": 777000, "is_bot": True, "first_name": "Gương Sáng"},
               "text": call.params["text"], "reply_markup": call.params["reply_markup"]}
    await lan.presses_data(UNSUB, message)
    assert len(wire.sent("answerCallbackQuery")) == answered + 1
    assert wire.last_text(LAN).startswith("Đã ngừng nhận: Nhắc ngày lễ lớn.")
    assert await storage.broadcasts.topics(person.id) == {"stories"}

    later = await reminders(storage).send_due(date(2026, 5, 19))
    assert await deliveries(storage, later[0]) == {}


async def test_a_telegram_user_who_blocked_the_bot_is_stopped(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, LAN)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    await lan.presses("🔔 Nhận cả hai")
    broadcast = await reminder_of(storage, date(2026, 4, 30))
    wire.failures["sendMessage"] = (403, "Forbidden: bot was blocked by the user")
    await deliver(engine_for_telegram(storage, app))
    row = (await deliveries(storage, broadcast))[str(LAN)]
    assert (row["status"], row["error"]) == ("stopped", "Forbidden: bot was blocked by the user")
    assert (await people_stopped(storage))[str(LAN)] is not None

    del wire.failures["sendMessage"]
    await lan.says("/start")
    assert (await people_stopped(storage))[str(LAN)] is None


def engine_for_telegram(storage: Storage, app: Any) -> BroadcastEngine:
    """The engine over the real Telegram adapter (the one the running bot uses)."""
    return BroadcastEngine(storage, {"telegram": app.bot_data["sender"]}, 91, rate=None,
                           per_chat=0.0)
