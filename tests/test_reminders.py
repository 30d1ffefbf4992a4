"""Reminders as a subscriber and an operator see them: the calendar, the clock, the CLI.

What is sent is checked on a recording Sender behind the real broadcast engine; what is kept
is checked in the SQLite file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.content import catalogue, load_library
from bot.content.calendar import DEFAULT_FILE, Calendar, CalendarError, calendar, load_calendar
from bot.dialog import Dialog
from bot.messages import plain_text
from bot.reminders import due_on, render
from bot.scheduler import Reminders, build_scheduler
from bot.storage import NewStory, Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat
from tests.senders import (
    RecordingSender,
    broadcast_rows,
    deliver,
    deliveries,
    engine_for,
    member,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AT = time(7, 30)
PROJECT = Path(__file__).resolve().parent.parent
LIBERATION_51 = (
    "51 năm Ngày giải phóng miền Nam, thống nhất đất nước (30/4/1975 – 30/4/2026)"
)
LIBERATION_51_EN = (
    "51 years of the Liberation of the South and National Reunification"
    " (30/4/1975 – 30/4/2026)"
)
AN_GIANG_193 = "193 năm Ngày truyền thống tỉnh An Giang (22/11/1832 – 22/11/2025)"
UNSUB_ANNIVERSARIES = "unsub:anniversaries"


def whole() -> Calendar:
    """The calendar the bot runs on: the shipped file and the shipped campaigns' deadlines."""
    return load_library(None).calendar


def reminders(storage: Storage, lead_days: int = 3) -> Reminders:
    return Reminders(storage, whole(), TZ, AT, lead_days)


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment on the province's clock."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def texts_on(day: date, lead_days: int = 3, language: str = "vi") -> list[str]:
    """What would be sent on a day, as plain text."""
    return [plain_text(render(d, catalogue(language))) for d in due_on(day, whole(), lead_days)]


# --- the calendar and its ordinals -------------------------------------------------------------


def test_the_ordinals_of_2025_and_2026_are_counted_from_each_base_year() -> None:
    occasions = calendar().occasions
    assert [o.id for o in occasions] == [
        "liberation", "ho_chi_minh_birthday", "emulation_appeal", "august_revolution",
        "ton_duc_thang_birthday", "national_day", "testament", "an_giang_tradition",
    ]
    assert tuple(o.ordinal(2025) for o in occasions) == (50, 135, 77, 80, 137, 80, 56, 193)
    assert tuple(o.ordinal(2026) for o in occasions) == (51, 136, 78, 81, 138, 81, 57, 194)


@pytest.mark.parametrize("year", [2025, 2026])
def test_each_anniversary_day_announces_its_ordinal(year: int) -> None:
    for occasion in calendar().occasions:
        day = date(year, occasion.month, occasion.day)
        expected = (
            f"{occasion.ordinal(year)} năm {occasion.vi} ({occasion.day}/{occasion.month}/"
            f"{occasion.base_year} – {occasion.day}/{occasion.month}/{year})"
        )
        assert any(expected in text for text in texts_on(day)), (occasion.id, texts_on(day))


def test_the_30_4_2026_reminder_reads_51_years_and_ends_with_a_call_to_report() -> None:
    (vi,) = texts_on(date(2026, 4, 30))
    assert LIBERATION_51 in vi
    last = vi.strip().splitlines()[-1]
    assert "/report" in last and "kể một gương người tốt, việc tốt" in last
    assert vi.strip().endswith("/report")
    (en,) = texts_on(date(2026, 4, 30), language="en")
    assert LIBERATION_51_EN in en
    assert "/report" in en.strip().splitlines()[-1]


def test_both_reminders_of_2_september_are_due_the_same_day() -> None:
    due = due_on(date(2025, 9, 2), calendar(), 3)
    assert [(d.entry.id, d.kind, d.entry.ordinal(2025)) for d in due] == [  # type: ignore[union-attr]
        ("national_day", "day", 80), ("testament", "day", 56),
    ]
    assert len({d.key for d in due}) == 2


# --- heads-ups and deadlines -------------------------------------------------------------------


def test_a_heads_up_comes_three_days_before_and_zero_turns_heads_ups_off() -> None:
    (heads_up,) = due_on(date(2026, 4, 27), calendar(), 3)
    assert (heads_up.kind, heads_up.entry.id, heads_up.on, heads_up.days_before) == (
        "heads_up", "liberation", date(2026, 4, 30), 3)
    (text,) = texts_on(date(2026, 4, 27))
    assert text.startswith("📅 Còn 3 ngày nữa là " + LIBERATION_51)
    assert due_on(date(2026, 4, 26), calendar(), 3) == []
    assert due_on(date(2026, 4, 28), calendar(), 3) == []
    assert due_on(date(2026, 4, 27), calendar(), 0) == []
    # with heads-ups off, the day itself is still reminded
    assert [d.kind for d in due_on(date(2026, 4, 30), calendar(), 0)] == ["day"]


@pytest.mark.parametrize(
    ("day", "deadline", "days", "text"),
    [
        (date(2025, 2, 18), "campaign_plan", 7, "⏰ Còn 7 ngày nữa (hạn 25/2/2025): gửi kế hoạch"),
        (date(2025, 2, 24), "campaign_plan", 1, "⏰ Còn 1 ngày nữa (hạn 25/2/2025): gửi kế hoạch"),
        (date(2025, 7, 24), "summary_report", 7,
         "⏰ Còn 7 ngày nữa (hạn 31/7/2025): gửi báo cáo tổng kết phong trào thi đua."),
        (date(2025, 7, 30), "summary_report", 1,
         "⏰ Còn 1 ngày nữa (hạn 31/7/2025): gửi báo cáo tổng kết phong trào thi đua."),
    ],
)
def test_deadlines_are_reminded_seven_days_and_one_day_before(
    day: date, deadline: str, days: int, text: str
) -> None:
    (due,) = due_on(day, whole(), 3)
    assert (due.kind, due.entry.id, due.days_before, due.topic) == (
        "deadline", f"an-giang-2025:{deadline}", days, "deadlines")
    assert texts_on(day)[0].startswith(text)


@pytest.mark.parametrize("day", [date(2026, 2, 18), date(2026, 2, 24), date(2026, 7, 24),
                                 date(2026, 7, 30), date(2027, 2, 18)])
def test_the_2025_campaign_deadlines_are_not_reminded_in_later_years(day: date) -> None:
    assert due_on(day, whole(), 3) == []


def test_no_deadline_reminder_on_other_days_before_a_deadline() -> None:
    for offset in (2, 3, 6, 8, 0):
        assert due_on(date(2025, 2, 25) - timedelta(days=offset), whole(), 3) == []


async def test_deadline_reminders_reach_only_deadline_subscribers(storage: Storage) -> None:
    await member(storage, "officer", role="reviewer", communes=(30307,), topics=("deadlines",))
    await member(storage, "citizen", topics=("anniversaries", "stories"))
    (first,) = await reminders(storage).send_due(date(2025, 2, 18))
    (second,) = await reminders(storage).send_due(date(2025, 2, 24))
    assert set(await deliveries(storage, first)) == {"officer"}
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sender.chats() == ["officer", "officer"]
    assert "Còn 7 ngày nữa (hạn 25/2/2025)" in sender.sent[0].text
    assert "Còn 1 ngày nữa (hạn 25/2/2025)" in sender.sent[1].text
    assert sender.sent[0].choices[-1][1] == "unsub:deadlines"
    assert second != first


async def test_the_heads_up_is_queued_once_and_not_when_heads_ups_are_off(
    storage: Storage,
) -> None:
    await member(storage, "lan", topics=("anniversaries",))
    assert await reminders(storage, lead_days=0).send_due(date(2026, 4, 27)) == []
    assert await broadcast_rows(storage) == []
    (created,) = await reminders(storage).send_due(date(2026, 4, 27))
    assert await reminders(storage).send_due(date(2026, 4, 27)) == []
    rows = await broadcast_rows(storage)
    assert [(r["id"], r["key"], r["audience"], r["total"]) for r in rows] == [
        (created, "liberation:2026:heads_up", "topic:anniversaries", 1)]


# --- the clock ---------------------------------------------------------------------------------


def test_reminders_fire_at_0730_hanoi_time_which_is_0030_utc(storage: Storage) -> None:
    scheduler = build_scheduler(reminders(storage), TZ, AT)
    trigger = scheduler.get_job("reminders").trigger
    fire = trigger.get_next_fire_time(None, datetime(2026, 4, 29, 12, 0, tzinfo=UTC))
    assert fire == datetime(2026, 4, 30, 0, 30, tzinfo=UTC)
    assert fire.astimezone(TZ).date() == date(2026, 4, 30)
    # just after 07:30 local, the next one is tomorrow's
    after = trigger.get_next_fire_time(None, datetime(2026, 4, 30, 0, 31, tzinfo=UTC))
    assert after == datetime(2026, 5, 1, 0, 30, tzinfo=UTC)


def test_the_digest_fires_on_monday_at_0800_local(storage: Storage) -> None:
    scheduler = build_scheduler(reminders(storage), TZ, AT)
    trigger = scheduler.get_job("digest").trigger
    fire = trigger.get_next_fire_time(None, datetime(2026, 4, 29, 12, 0, tzinfo=UTC))
    assert fire == datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    assert fire.astimezone(TZ).weekday() == 0
    assert (fire.astimezone(TZ).hour, fire.astimezone(TZ).minute) == (8, 0)


# --- a misfire within the day sends once -------------------------------------------------------


async def test_a_start_after_0730_catches_up_once_even_across_a_restart(
    settings: Settings, dialog: Dialog, storage: Storage
) -> None:
    """The bot was down at 07:30 on 30/4: at 09:00 it sends the day's reminder, once."""
    for uid in ("sub1", "sub2"):
        chat = FakeChat(dialog, uid)
        await chat.says("/start")
        await chat.picks("Tôi đồng ý")
        await chat.picks("Nhận cả hai")
    english = await member(storage, "sub-en", language="en", topics=("anniversaries",))
    await member(storage, "stories-only", topics=("stories",))
    await member(storage, "not-subscribed")
    await member(storage, "refused", consent=False, topics=("anniversaries",))
    await member(storage, "undecided", consent=None, topics=("anniversaries",))

    created = await reminders(storage).catch_up(local(2026, 4, 30, 9, 0))
    assert len(created) == 1
    assert await reminders(storage).catch_up(local(2026, 4, 30, 9, 5)) == []

    restarted = await open_storage(settings.database_path)
    try:
        assert await reminders(restarted).catch_up(local(2026, 4, 30, 10, 0)) == []
        assert await reminders(restarted).catch_up(local(2026, 4, 30, 23, 59)) == []
        rows = await broadcast_rows(restarted)
        assert [(r["key"], r["topic"], r["total"]) for r in rows] == [
            ("liberation:2026:day", "anniversaries", 3)]

        sender = RecordingSender()
        await deliver(engine_for(restarted, sender))
    finally:
        await restarted.close()

    assert sorted(sender.chats()) == ["sub-en", "sub1", "sub2"]
    for message in sender.sent:
        assert message.choices == (
            (message.choices[0][0], UNSUB_ANNIVERSARIES),), message
    vi = sender.to("sub1")[0]
    assert LIBERATION_51 in vi.text
    assert "/unsubscribe" in vi.text
    assert vi.choices[0][0] == "🔕 Ngừng nhận tin này"
    en = sender.to("sub-en")[0]
    assert LIBERATION_51_EN in en.text
    assert en.choices[0][0] == "🔕 Stop these messages"
    sent = await deliveries(storage, created[0])
    assert {chat: row["status"] for chat, row in sent.items()} == {
        "sub1": "sent", "sub2": "sent", "sub-en": "sent"}
    assert english.id == sent["sub-en"]["person_id"]


@pytest.mark.parametrize(
    ("hour", "minute", "created"),
    [(7, 29, 0), (7, 30, 1), (0, 0, 0), (23, 59, 1)],
)
async def test_catch_up_sends_only_once_the_reminder_hour_has_passed(
    storage: Storage, hour: int, minute: int, created: int
) -> None:
    await member(storage, "lan", topics=("anniversaries",))
    found = await reminders(storage).catch_up(local(2026, 4, 30, hour, minute))
    assert len(found) == created
    assert len(await broadcast_rows(storage)) == created


async def test_catch_up_takes_the_day_on_the_province_clock_not_utc(storage: Storage) -> None:
    """23:00 UTC on 29/4 is 06:00 on 30/4 in An Giang: too early; 01:00 UTC is 08:00: due."""
    await member(storage, "lan", topics=("anniversaries",))
    assert await reminders(storage).catch_up(datetime(2026, 4, 29, 23, 0, tzinfo=UTC)) == []
    found = await reminders(storage).catch_up(datetime(2026, 4, 30, 1, 0, tzinfo=UTC))
    assert len(found) == 1
    assert (await broadcast_rows(storage))[0]["key"] == "liberation:2026:day"


# --- the weekly digest -------------------------------------------------------------------------


async def _publish(storage: Storage, reporter_id: int, admin_id: int, title: str,
                   key: str) -> int:
    """File, approve and post a story the way the bot does (the outbox posts it)."""
    story_id = await storage.stories.file(NewStory(
        submission_key=key, reporter_id=reporter_id, channel="fake", campaign="thuong-xuyen",
        kind="good_deed", content="policy_law", movement=None, commune_code=30307,
        honoree_name="Nguyễn Văn An",
        honoree_role="nông dân ấp Mỹ Thạnh", title=title, description=GOOD_DESCRIPTION,
        event_date=date(2025, 9, 2)), notify_reviewers=False)
    outcome = await storage.reviews.act(story_id, "approve", admin_id)
    assert outcome.ok, outcome
    poster = RecordingSender("telegram")
    await deliver(engine_for(storage, poster))
    story = await storage.stories.get(story_id)
    assert story is not None and story.status == "published"
    return story_id


async def test_the_weekly_digest_lists_what_was_published_this_week_once_per_week(
    settings: Settings,
) -> None:
    storage = await open_storage(settings.database_path, publish_chat="-100777")
    try:
        reporter = await member(storage, "reporter")
        admin = await member(storage, "admin", role="admin", communes=(0,))
        await member(storage, "reader", topics=("stories",))
        await member(storage, "anniversaries-only", topics=("anniversaries",))
        now = datetime.now(UTC)

        assert await reminders(storage).send_digest(now) is None
        old = await _publish(storage, reporter.id, admin.id, "Chuyện tháng trước", "k-old")
        async with storage.db.transaction() as tx:
            await tx.execute("UPDATE stories SET published_at = ? WHERE id = ?",
                             ((now - timedelta(days=8)).isoformat(timespec="seconds"), old))
        assert await reminders(storage).send_digest(now) is None
        assert await broadcast_rows(storage) == []

        new = await _publish(storage, reporter.id, admin.id, "Sửa cầu khỉ ấp Mỹ Thạnh", "k-new")
        now = datetime.now(UTC)
        digest = await reminders(storage).send_digest(now)
        assert digest is not None
        assert await reminders(storage).send_digest(now + timedelta(seconds=1)) is None
        year, week, _ = now.astimezone(TZ).isocalendar()
        rows = await broadcast_rows(storage)
        assert [(r["key"], r["topic"], r["audience"], r["total"]) for r in rows] == [
            (f"digest:{year}-W{week:02d}", "stories", "topic:stories", 1)]

        sender = RecordingSender()
        await deliver(engine_for(storage, sender))
        (message,) = sender.to("reader")
        assert sender.to("anniversaries-only") == []
        assert "Gương sáng mới trong tuần: 1 câu chuyện" in message.text
        assert f"#{new} Sửa cầu khỉ ấp Mỹ Thạnh" in message.text
        assert f"#{old} " not in message.text
        assert message.choices[0][1] == "unsub:stories"
    finally:
        await storage.close()


# --- the command line and the calendar file ----------------------------------------------------


CLI_DATES = ("2026-04-30", "2025-11-22", "2026-04-27")


@pytest.fixture(scope="module")
def cli_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, str]]:
    """`python -m bot reminders --date D` for each date, run side by side: (code, out, err)."""
    tmp = tmp_path_factory.mktemp("cli")
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(tmp / "data" / "cli.sqlite3"), TELEGRAM_BOT_TOKEN="",
                   PYTHONIOENCODING="utf-8")
    running = {
        day: subprocess.Popen(
            [sys.executable, "-m", "bot", "reminders", "--date", day], cwd=PROJECT, env=environ,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True, encoding="utf-8",
        )
        for day in CLI_DATES
    }
    outputs = {}
    for day, process in running.items():
        out, err = process.communicate(timeout=60)
        outputs[day] = (process.returncode, out, err)
    return outputs


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-04-30", ["30/04/2026: 1 reminder(s)", "[liberation:2026:day]", LIBERATION_51,
                        "/report"]),
        ("2025-11-22", ["22/11/2025: 1 reminder(s)", "[an_giang_tradition:2025:day]",
                        AN_GIANG_193]),
        ("2026-04-27", ["27/04/2026: 1 reminder(s)", "[liberation:2026:heads_up]",
                        "Còn 3 ngày nữa là " + LIBERATION_51]),
    ],
)
def test_the_cli_prints_the_reminders_of_a_date(
    cli_outputs: dict[str, tuple[int, str, str]], day: str, expected: list[str]
) -> None:
    code, out, err = cli_outputs[day]
    assert code == 0, err
    for line in expected:
        assert line in out, out


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "calendar.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "entry"),
    [
        ('day = 30\nmonth = 4', 'day = 31\nmonth = 4', "liberation"),
        ('vi = "Ngày sinh Chủ tịch Hồ Chí Minh"\n', "", "ho_chi_minh_birthday"),
        ("base_year = 1832\n", "", "an_giang_tradition"),
        ('day = 22\nmonth = 11', 'day = 22\nmonth = 13', "an_giang_tradition"),
    ],
)
def test_a_bad_calendar_entry_is_named_in_one_line(
    tmp_path: Path, old: str, new: str, entry: str
) -> None:
    path = _broken_copy(tmp_path, old, new)
    with pytest.raises(CalendarError) as caught:
        load_calendar(path)
    message = str(caught.value)
    assert entry in message
    assert "\n" not in message
    assert load_calendar(DEFAULT_FILE).occasions[0].id == "liberation"
