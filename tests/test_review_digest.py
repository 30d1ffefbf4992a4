"""Nothing lets the queue sleep (issue 12, item 7): each morning every reviewer is told which
stories in their communes have waited more than REVIEW_REMIND_DAYS; admins are told of every
such story and of the communes with stories but no reviewer (also under /reviewers). Through the
outbox, once a person a day whatever restarts, and nothing when there is nothing to say."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import background
from bot.config import Settings
from bot.content import load_library
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.digest import ReviewDigest
from bot.health import Supervisor
from bot.storage import NewStory, Person, Policy, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, TelegramApp
from tests.senders import RecordingSender, deliver, engine_for, member
from tests.wire import TelegramPerson

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LONG_XUYEN, PHU_QUOC, CHAU_DOC = 30307, 31078, 30316
HELLO = "☀️ Bản tin buổi sáng cho cán bộ thẩm định"
PENDING_HINT = "Gõ /pending để xem và duyệt."
GAPS = ("⚠️ Địa bàn có câu chuyện chờ duyệt nhưng chưa có người thẩm định: Phường Châu Đốc (1)."
        "\nGiao người thẩm định: /grant <người dùng> reviewer <xã>")


async def file(storage: Storage, reporter: Person, commune: int, title: str) -> int:
    return await storage.stories.file(NewStory(
        submission_key=title, reporter_id=reporter.id, channel=reporter.channel,
        campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
        commune_code=commune,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân", title=title,
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2)), notify_reviewers=False)


async def backdate(storage: Storage, story_id: int, days: int) -> None:
    """The story was filed `days` ago (its row and its events)."""
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE stories SET created_at = ?, updated_at = ? WHERE id = ?",
                         (then, then, story_id))
        await tx.execute("UPDATE story_events SET created_at = ? WHERE story_id = ?",
                         (then, story_id))


@pytest.fixture
async def town(storage: Storage) -> dict[str, Person]:
    people = {
        "lx": await member(storage, "lx", role="reviewer", communes=(LONG_XUYEN,)),
        "pq": await member(storage, "pq", role="reviewer", communes=(PHU_QUOC,)),
        "admin": await member(storage, "admin", role="admin"),
        "dan": await member(storage, "dan"),
    }
    await file(storage, people["dan"], LONG_XUYEN, "Sửa cầu khỉ <ấp> Mỹ Thạnh")
    await file(storage, people["dan"], PHU_QUOC, "Nhặt rác bãi biển")
    await file(storage, people["dan"], CHAU_DOC, "Bếp ăn từ thiện")
    return people


def digest(storage: Storage, days: int = 3) -> ReviewDigest:
    return ReviewDigest(storage, TZ, time(8, 0), days)


def later(days: int) -> datetime:
    """Just over some days from now."""
    return datetime.now(UTC) + timedelta(days=days, minutes=1)


def morning(days_from_now: int, hour: int = 8, minute: int = 0) -> datetime:
    """A moment in An Giang time, some days from now."""
    day = (datetime.now(TZ) + timedelta(days=days_from_now)).date()
    return datetime.combine(day, time(hour, minute), TZ)


async def digests(storage: Storage) -> list[dict[str, Any]]:
    rows = await storage.db.fetchall(
        "SELECT o.*, p.external_id FROM outbox o JOIN people p ON p.id = o.person_id"
        " WHERE o.template = 'digest.review' ORDER BY o.id")
    return [dict(r) for r in rows]


# --- who is told what ----------------------------------------------------------------------------


async def test_each_reviewer_reads_their_own_late_stories_and_admins_every_one_and_the_gaps(
    town: dict[str, Person], storage: Storage
) -> None:
    assert await digest(storage).send(later(5)) == 3
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))

    (lx,) = sender.to("lx")
    assert lx.text == (f"{HELLO}\n\nCâu chuyện chờ duyệt quá 3 ngày: 1\n\n"
                       "• #1 “Sửa cầu khỉ <ấp> Mỹ Thạnh” — Phường Long Xuyên, đã chờ 5 ngày\n\n"
                       f"{PENDING_HINT}")
    (pq,) = sender.to("pq")
    assert "• #2 “Nhặt rác bãi biển” — Đặc khu Phú Quốc, đã chờ 5 ngày" in pq.text
    assert "#1" not in pq.text and "#3" not in pq.text and "⚠️" not in pq.text
    (admin,) = sender.to("admin")
    assert admin.text == (
        f"{HELLO}\n\nCâu chuyện chờ duyệt quá 3 ngày: 3\n\n"
        "• #1 “Sửa cầu khỉ <ấp> Mỹ Thạnh” — Phường Long Xuyên, đã chờ 5 ngày\n"
        "• #2 “Nhặt rác bãi biển” — Đặc khu Phú Quốc, đã chờ 5 ngày\n"
        "• #3 “Bếp ăn từ thiện” — Phường Châu Đốc, đã chờ 5 ngày\n\n"
        f"{PENDING_HINT}\n\n{GAPS}")
    assert sender.to("dan") == []


async def test_stories_not_yet_late_are_not_listed_and_a_reviewer_with_none_is_not_written_to(
    town: dict[str, Person], storage: Storage
) -> None:
    assert await digest(storage).send(morning(2)) == 1  # the admin, for the commune without one
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    assert sender.chats() == ["admin"]
    assert sender.sent[0].text == f"{HELLO}\n\n{GAPS}"


async def test_with_nothing_to_say_nothing_is_sent(storage: Storage) -> None:
    await member(storage, "lx", role="reviewer", communes=(LONG_XUYEN,))
    await member(storage, "admin", role="admin")
    dan = await member(storage, "dan")
    assert await digest(storage).send(morning(9)) == 0  # no story at all
    story = await file(storage, dan, LONG_XUYEN, "Sửa cầu khỉ")
    outcome = await storage.reviews.act(story, "approve", (await member(storage, "lx")).id)
    assert outcome.ok
    assert await digest(storage).send(morning(9)) == 0  # nothing waiting
    assert await digests(storage) == []


async def test_once_a_day_in_an_giang_time_whatever_restarts(
    town: dict[str, Person], storage: Storage
) -> None:
    assert await digest(storage).send(morning(5, 8)) == 3
    assert await digest(storage).send(morning(5, 8, 1)) == 0  # a new process, the same morning
    assert await digest(storage).send(morning(5, 23, 59)) == 0
    assert len(await digests(storage)) == 3
    assert await digest(storage).send(morning(6, 0, 1)) == 3  # the next day in An Giang
    assert sorted(r["external_id"] for r in await digests(storage)) == [
        "admin", "admin", "lx", "lx", "pq", "pq"]


async def test_remind_days_zero_turns_the_digest_off(
    town: dict[str, Person], storage: Storage
) -> None:
    assert await digest(storage, days=0).send(morning(30)) == 0
    assert await digests(storage) == []


async def test_a_story_waits_from_when_it_was_last_sent_for_review(
    storage: Storage,
) -> None:
    lx = await member(storage, "lx", role="reviewer", communes=(LONG_XUYEN,))
    dan = await member(storage, "dan")
    corrected = await file(storage, dan, LONG_XUYEN, "Sửa cầu khỉ")
    resent = await file(storage, dan, LONG_XUYEN, "Bếp ăn từ thiện")
    await backdate(storage, corrected, 10)
    await backdate(storage, resent, 10)
    assert (await storage.reviews.act(corrected, "correct", lx.id, title="Sửa cầu khỉ ấp 3")).ok
    assert (await storage.reviews.act(resent, "request_changes", lx.id, note="Thêm ảnh")).ok
    assert (await storage.reviews.act(resent, "resubmit", dan.id)).ok

    await digest(storage).send(later(1))
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))

    (told,) = [s for s in sender.to("lx") if s.text.startswith(HELLO)]
    assert "Câu chuyện chờ duyệt quá 3 ngày: 1" in told.text
    assert "#1 “Sửa cầu khỉ ấp 3” — Phường Long Xuyên, đã chờ 11 ngày" in told.text
    assert "#2" not in told.text  # sent again yesterday: one day of waiting


async def test_a_recommendation_waits_for_the_admins_not_the_commune_reviewer(
    storage: Storage,
) -> None:
    storage.reviews.policy = Policy(levels=2)
    lx = await member(storage, "lx", role="reviewer", communes=(LONG_XUYEN,))
    await member(storage, "admin", role="admin")
    story = await file(storage, await member(storage, "dan"), LONG_XUYEN, "Sửa cầu khỉ")
    await backdate(storage, story, 10)
    assert (await storage.reviews.act(story, "approve", lx.id)).to_status == "recommended"

    assert await digest(storage).send(morning(5)) == 1
    assert [r["external_id"] for r in await digests(storage)] == ["admin"]


async def test_a_reviewer_who_stopped_everything_gets_no_digest(
    town: dict[str, Person], storage: Storage, dialog: Dialog
) -> None:
    await FakeChat(dialog, "lx").says("/unsubscribe all")
    assert await digest(storage).send(morning(5)) == 2
    assert sorted(r["external_id"] for r in await digests(storage)) == ["admin", "pq"]


# --- /reviewers ----------------------------------------------------------------------------------


async def test_reviewers_names_the_communes_whose_stories_nobody_reviews(
    town: dict[str, Person], dialog: Dialog, storage: Storage
) -> None:
    admin = FakeChat(dialog, "admin")
    await admin.says("/reviewers")
    assert admin.text.startswith("Người thẩm định và quản trị\n")
    assert admin.text.endswith(f"\n\n{GAPS}")

    await storage.roles.grant(town["pq"].id, "reviewer", (PHU_QUOC, CHAU_DOC))
    await admin.says("/reviewers")
    assert "⚠️" not in admin.text and "Châu Đốc (1)" not in admin.text
    assert "Phường Châu Đốc, Đặc khu Phú Quốc" in admin.text


async def test_reviewers_with_nobody_appointed_still_names_the_communes_waiting(
    storage: Storage, dialog: Dialog
) -> None:
    dan = await member(storage, "dan")
    await file(storage, dan, CHAU_DOC, "Bếp ăn từ thiện")
    await file(storage, dan, LONG_XUYEN, "Sửa cầu khỉ")
    await file(storage, dan, LONG_XUYEN, "Nhặt rác")
    chat = FakeChat(dialog, "9001", channel="telegram")  # the bootstrap admin (ADMIN_IDS)
    await chat.says("/reviewers")
    assert chat.text.startswith("Người thẩm định và quản trị\n• ")  # the admin alone
    assert ("chưa có người thẩm định: Phường Long Xuyên (2), Phường Châu Đốc (1).") in chat.text
    await storage.roles.grant((await member(storage, "tinh")).id, "reviewer", (0,))
    await chat.says("/reviewers")
    assert "⚠️" not in chat.text  # a reviewer of the whole province covers every commune


# --- on Telegram, and at its hour ----------------------------------------------------------------


async def test_a_telegram_reviewer_reads_the_digest_with_the_titles_escaped(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    reviewer = TelegramPerson(app, wire, 6161, "Duyệt", "Lê")
    await reviewer.says("/start")
    person = await storage.people.find("telegram", "6161")
    assert person is not None
    await storage.roles.grant(person.id, "reviewer", (LONG_XUYEN,))
    await file(storage, await member(storage, "dan"), LONG_XUYEN, "Sửa cầu <b>khỉ</b> & đường")

    assert await digest(storage).send(later(4)) == 1
    await OutboxWorker(storage, {"telegram": app.bot_data["sender"]}, 91).run_once()

    call = wire.sent("sendMessage", 6161)[-1]
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"] == (
        "☀️ <b>Bản tin buổi sáng cho cán bộ thẩm định</b>\n\n"
        "<b>Câu chuyện chờ duyệt quá 3 ngày</b>: 1\n\n"
        "• <b>#1</b> “Sửa cầu &lt;b&gt;khỉ&lt;/b&gt; &amp; đường” — Phường Long Xuyên,"
        " đã chờ 4 ngày\n\nGõ /pending để xem và duyệt.")


async def test_the_running_bot_sends_the_digest_at_its_hour_and_once_across_a_restart(
    town: dict[str, Person], storage: Storage, settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for story in (1, 2, 3):
        await backdate(storage, story, 4)
    scheduled: list[str] = []
    real = background.retry_failed_jobs

    def watch(scheduler: Any, supervisor: Supervisor, **kwargs: Any) -> None:
        job = scheduler.get_job("review_digest")
        scheduled.append(str(job.trigger))
        real(scheduler, supervisor, **kwargs)

    monkeypatch.setattr(background, "retry_failed_jobs", watch)
    hour = (datetime.now(TZ) - timedelta(minutes=1)).time().replace(second=0, microsecond=0)
    if hour > datetime.now(TZ).time():  # just after midnight: today's hour is 00:00
        hour = time(0, 0)
    running = settings.model_copy(update={"review_digest_time": hour})
    sender = RecordingSender()

    for _ in range(2):  # a start, a stop, and a start again the same day
        stop = asyncio.Event()
        task = await background.start_background(running, storage, {"fake": sender}, stop,
                                                 Supervisor(stop), load_library(None), poll=0.02)
        for _ in range(100):
            if len(sender.sent) >= 3:
                break
            await asyncio.sleep(0.02)
        stop.set()
        await task

    assert sorted(sender.chats()) == ["admin", "lx", "pq"]
    assert scheduled == [f"cron[hour='{hour.hour}', minute='{hour.minute}']"] * 2
