"""Sending never silently stops: a failing database, channels this process does not run,
a channel whose token is refused, a person whose interaction window has closed.

The real engine and outbox worker send through recording Senders; the SQLite file is read
back after each step; another connection holds the write lock to play a busy database.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.broadcast import BroadcastEngine
from bot.config import Settings
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import DeliveryError, Reply
from bot.scheduler import Reminders
from bot.storage import Person, Storage
from bot.storage.reviews import queue_message
from tests.conftest import FakeChat
from tests.senders import RecordingSender, deliver, member

LOCKED = "database is locked"


async def reminder(storage: Storage, day: date = date(2026, 4, 30)) -> int:
    """Queue the anniversary reminder of a day, as the scheduler does; its broadcast id."""
    reminders = Reminders(storage, calendar(), ZoneInfo("Asia/Ho_Chi_Minh"),
                          Settings.model_fields["reminder_time"].default, 3)
    (created,) = await reminders.send_due(day)
    return created


async def notify(storage: Storage, person: Person, story: int = 7) -> None:
    """Queue a decision notification to a person, as a review does."""
    async with storage.db.transaction() as tx:
        await queue_message(tx, person.id, "notify.status",
                            {"id": story, "title": "Cầu khỉ", "status": "approved", "note": ""})


async def outbox(storage: Storage) -> dict[str, dict[str, Any]]:
    """Outbox rows by chat id."""
    rows = await storage.db.fetchall("SELECT * FROM outbox ORDER BY id")
    return {r["chat_id"]: dict(r) for r in rows}


async def delivery_rows(storage: Storage) -> dict[tuple[str, str], dict[str, Any]]:
    """Delivery rows by (channel, chat id)."""
    rows = await storage.db.fetchall(
        "SELECT p.channel, p.external_id, d.* FROM deliveries d JOIN people p"
        " ON p.id = d.person_id")
    return {(r["channel"], r["external_id"]): dict(r) for r in rows}


async def until(check: Callable[[], Any], seconds: float = 10.0) -> None:
    """Wait (polling) until an async check is true; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.01)


# --- 1. a database error never ends sending -----------------------------------------------


class TakesTheLockAfterSending(RecordingSender):
    """Delivers; after the first delivery, another connection takes the write lock."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        sent = await super().send(chat_id, reply)
        if len(self.sent) == 1:
            self.blocker.execute("BEGIN IMMEDIATE")
        return sent

    def release(self) -> None:
        self.blocker.execute("ROLLBACK")
        self.blocker.close()


async def test_a_locked_database_delays_sending_and_a_message_sent_is_recorded_once(
    storage: Storage, settings: Settings, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lan, binh = await member(storage, "lan"), await member(storage, "binh")
    await member(storage, "chi", topics=("anniversaries",))
    await notify(storage, lan)
    await notify(storage, binh)
    broadcast = await reminder(storage)
    # A busy database answers fast: a locked statement waits (off the loop) 50 ms, not 5 s.
    monkeypatch.setattr("bot.storage.loop.PATIENCE_S", 0.05)
    sender = TakesTheLockAfterSending(str(settings.database_path))
    engine = BroadcastEngine(storage, {"fake": sender}, 91, rate=None, per_chat=0.0, poll=0.01)
    stop = asyncio.Event()
    caplog.set_level(logging.INFO)
    running = asyncio.create_task(engine.run(stop))
    try:
        await until(lambda: _true(len(sender.sent) >= 1))
        await asyncio.sleep(0.5)  # the lock is held: every write fails for a while
        assert not running.done(), f"the engine stopped: {running.exception()!r}"
        assert not engine.state().ok
        assert LOCKED in engine.state().text
        assert sender.chats() == ["lan"]  # nothing more is sent while nothing can be recorded
        assert (await outbox(storage))["lan"]["status"] == "pending"
        failures = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert 1 <= len(failures) <= 4, [r.getMessage() for r in failures]
        assert all(r.exc_info is None for r in failures)  # one line each, no traceback
        assert all("\n" not in r.getMessage() for r in failures)

        sender.release()

        async def all_sent() -> bool:
            rows = await outbox(storage)
            delivered = await delivery_rows(storage)
            return ({r["status"] for r in rows.values()} == {"sent"}
                    and delivered[("fake", "chi")]["status"] == "sent")

        await until(all_sent)
        assert engine.state().ok
    finally:
        stop.set()
        await running
    assert sorted(sender.chats()) == ["binh", "chi", "lan"]  # once each: lan is not sent again
    rows = await outbox(storage)
    assert (rows["lan"]["status"], rows["lan"]["attempts"]) == ("sent", 1)
    assert (await storage.broadcasts.get(broadcast) or {})["status"] == "done"


async def _true(value: bool) -> bool:
    return value


class FailsToRecord:
    """Makes every write transaction fail, as a full disk does, until `heal()`."""

    def __init__(self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        self.failing = True
        real = storage.db.transaction

        def transaction() -> Any:
            if self.failing:
                raise sqlite3.OperationalError("database or disk is full")
            return real()

        monkeypatch.setattr(storage.db, "transaction", transaction)

    def heal(self) -> None:
        self.failing = False


async def test_a_full_disk_while_broadcasting_keeps_results_and_records_them_later(
    storage: Storage, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for uid in ("a", "b", "c"):
        await member(storage, uid, topics=("anniversaries",))
    broadcast = await reminder(storage)
    sender = RecordingSender()
    engine = BroadcastEngine(storage, {"fake": sender}, 91, rate=None, per_chat=0.0, poll=0.01)
    disk = FailsToRecord(storage, monkeypatch)
    stop = asyncio.Event()
    running = asyncio.create_task(engine.run(stop))
    try:
        await until(lambda: _true(len(sender.sent) == 3))
        await asyncio.sleep(0.3)
        assert not running.done(), f"the engine stopped: {running.exception()!r}"
        assert "database or disk is full" in engine.state().text
        statuses = {k[1]: r["status"] for k, r in (await delivery_rows(storage)).items()}
        assert statuses == {"a": "pending", "b": "pending", "c": "pending"}
        disk.heal()

        async def recorded() -> bool:
            rows = await delivery_rows(storage)
            return {r["status"] for r in rows.values()} == {"sent"}

        await until(recorded)
    finally:
        stop.set()
        await running
    assert sorted(sender.chats()) == ["a", "b", "c"]
    assert (await storage.broadcasts.get(broadcast) or {})["status"] == "done"


# --- 2. a process claims only the channels it runs ----------------------------------------


async def test_an_engine_leaves_alone_what_belongs_to_channels_it_does_not_run(
    storage: Storage,
) -> None:
    people = {
        ch: await member(storage, f"{ch}-1", channel=ch, topics=("anniversaries",))
        for ch in ("console", "telegram", "zalo")
    }
    for person in people.values():
        await notify(storage, person)
    await reminder(storage)
    before_outbox = await outbox(storage)
    before_deliveries = await delivery_rows(storage)
    console = RecordingSender("console")
    engine = BroadcastEngine(storage, {"console": console}, 91, rate=None, per_chat=0.0)

    await deliver(engine)
    await deliver(engine, datetime.now(UTC) + timedelta(hours=1))

    assert sorted(s.chat_id for s in console.sent) == ["console-1", "console-1"]
    after_outbox = await outbox(storage)
    after_deliveries = await delivery_rows(storage)
    for ch in ("telegram", "zalo"):
        assert after_outbox[f"{ch}-1"] == before_outbox[f"{ch}-1"], ch
        assert after_deliveries[(ch, f"{ch}-1")] == before_deliveries[(ch, f"{ch}-1")], ch
        assert after_deliveries[(ch, f"{ch}-1")]["status"] == "pending"
    assert after_outbox["console-1"]["status"] == "sent"
    assert after_deliveries[("console", "console-1")]["status"] == "sent"


class SlowInput:
    """A terminal where the person types /start after a moment, then closes the input."""

    def __init__(self) -> None:
        self.lines = ["/start\n", ""]

    def readline(self) -> str:
        if len(self.lines) == 2:
            time.sleep(0.3)  # read in a worker thread, as the console does
        return self.lines.pop(0)


async def test_opening_the_console_on_the_live_database_leaves_telegram_and_zalo_pending(
    storage: Storage, settings: Settings,
) -> None:
    import io

    from bot.app import run_console_app

    tg = await member(storage, "5151", channel="telegram", topics=("anniversaries",))
    zl = await member(storage, "z-77", channel="zalo", topics=("anniversaries",))
    await notify(storage, tg)
    await notify(storage, zl)
    await reminder(storage)
    before = (await outbox(storage), await delivery_rows(storage))

    await run_console_app(settings, stdin=SlowInput(), stdout=io.StringIO())  # type: ignore[arg-type]

    assert (await outbox(storage), await delivery_rows(storage)) == before


# --- 5. a channel whose token is refused ----------------------------------------------------


class ChannelSender(RecordingSender):
    """A channel's Sender whose token can be refused (every send raises channel_down)."""

    def __init__(self, channel: str) -> None:
        super().__init__(channel)
        self.refused = False

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        if self.refused:
            self.attempts.append((chat_id, time.monotonic()))
            raise DeliveryError("token refused", permanent=True, channel_down=True)
        return await super().send(chat_id, reply)


async def test_a_refused_token_stops_that_channel_tells_the_admins_once_and_resumes(
    storage: Storage,
) -> None:
    zalo_people = [await member(storage, f"z{i}", channel="zalo", topics=("anniversaries",))
                   for i in range(5)]
    await member(storage, "admin-tg", channel="telegram", role="admin")
    await member(storage, "admin-zl", channel="zalo", role="admin")
    await member(storage, "t1", channel="telegram", topics=("anniversaries",))
    for person in zalo_people[:3]:
        await notify(storage, person)
    broadcast = await reminder(storage)
    zalo, telegram = ChannelSender("zalo"), ChannelSender("telegram")
    zalo.refused = True
    engine = BroadcastEngine(storage, {"zalo": zalo, "telegram": telegram}, 91, rate=None,
                             per_chat=0.0, concurrency=1)
    now = datetime.now(UTC)

    await deliver(engine, now)
    await deliver(engine, now + timedelta(seconds=5))
    await deliver(engine, now + timedelta(seconds=10))

    assert len(zalo.attempts) == 1  # the first refusal stops the channel
    rows = await outbox(storage)
    for person in zalo_people[:3]:
        row = rows[person.external_id]
        assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 0, None)
    delivered = await delivery_rows(storage)
    for person in zalo_people:
        assert (delivered[("zalo", person.external_id)]["status"],
                delivered[("zalo", person.external_id)]["attempts"]) == ("pending", 0)
    assert delivered[("telegram", "t1")]["status"] == "sent"
    alerts = [s for s in telegram.sent if s.chat_id == "admin-tg"]
    assert len(alerts) == 1, telegram.sent
    assert "Zalo" in alerts[0].text and "token refused" in alerts[0].text
    assert "admin-zl" not in rows  # not told on the channel that is down
    assert engine.channels() == {"zalo": "down: token refused"}
    assert not engine.state().ok or engine.channels()

    zalo.refused = False
    await deliver(engine, now + timedelta(seconds=30))  # not yet time to try again
    assert len(zalo.attempts) == 1
    await deliver(engine, now + timedelta(seconds=75))
    await deliver(engine, now + timedelta(seconds=80))

    assert engine.channels() == {}
    assert sorted(s.chat_id for s in zalo.sent) == sorted(
        [p.external_id for p in zalo_people] + [p.external_id for p in zalo_people[:3]])
    assert {r["status"] for r in (await outbox(storage)).values()} == {"sent"}
    assert (await storage.broadcasts.get(broadcast) or {})["status"] == "done"
    back = [s for s in telegram.sent if s.chat_id == "admin-tg"]
    assert len(back) == 2 and "Zalo" in back[1].text  # and told it works again


# --- 6. a person whose interaction window has closed --------------------------------------


class WindowSender(RecordingSender):
    """A Zalo OA-like Sender: chats in `closed` refuse every message until they write again."""

    def __init__(self) -> None:
        super().__init__()
        self.closed: set[str] = set()

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        if chat_id in self.closed:
            self.attempts.append((chat_id, time.monotonic()))
            raise DeliveryError("interaction window closed", permanent=True, window_closed=True)
        return await super().send(chat_id, reply)


async def test_a_message_outside_the_window_is_held_until_the_person_writes_again(
    storage: Storage, dialog: Dialog,
) -> None:
    quiet, other = await member(storage, "quiet"), await member(storage, "other")
    await notify(storage, quiet, story=1)
    await notify(storage, quiet, story=2)
    await notify(storage, other, story=3)
    sender = WindowSender()
    sender.closed.add("quiet")
    engine = BroadcastEngine(storage, {"fake": sender}, 91, rate=None, per_chat=0.0)
    now = datetime.now(UTC)

    await deliver(engine, now)
    for later in (timedelta(hours=1), timedelta(days=3)):
        await deliver(engine, now + later)

    rows = await storage.db.fetchall("SELECT chat_id, status FROM outbox ORDER BY id")
    assert [(r["chat_id"], r["status"]) for r in rows] == [
        ("quiet", "held"), ("quiet", "held"), ("other", "sent")]
    assert [a for a, _ in sender.attempts].count("quiet") == 2  # each tried once, then held
    assert sender.chats() == ["other"]

    sender.closed.discard("quiet")
    await FakeChat(dialog, "quiet").says("/help")
    await deliver(engine, datetime.now(UTC))

    rows = await storage.db.fetchall("SELECT chat_id, status FROM outbox ORDER BY id")
    assert [r["status"] for r in rows] == ["sent", "sent", "sent"]
    assert [s.text.split("”")[0] for s in sender.to("quiet")] == [
        "Câu chuyện #1 “Cầu khỉ", "Câu chuyện #2 “Cầu khỉ"]


async def test_a_broadcast_outside_the_window_is_counted_apart_in_broadcasts(
    storage: Storage, dialog: Dialog,
) -> None:
    await member(storage, "admin", role="admin")
    for uid in ("quiet", "a", "b"):
        await member(storage, uid, topics=("anniversaries",))
    broadcast = await reminder(storage)
    sender = WindowSender()
    sender.closed.add("quiet")

    await deliver(BroadcastEngine(storage, {"fake": sender}, 91, rate=None, per_chat=0.0))

    rows = await delivery_rows(storage)
    assert {k[1]: r["status"] for k, r in rows.items()} == {
        "quiet": "out_of_window", "a": "sent", "b": "sent"}
    assert (await storage.broadcasts.get(broadcast) or {})["status"] == "done"
    (progress,) = await storage.broadcasts.progress()
    assert (progress.sent, progress.failed, progress.stopped, progress.out_of_window) == (
        2, 0, 0, 1)
    admin = FakeChat(dialog, "admin")
    await admin.says("/broadcasts")
    assert "2/3 đã gửi, 0 lỗi, 0 đã chặn bot · 1 ngoài thời hạn tương tác" in admin.text


async def test_a_commit_that_fails_leaves_no_transaction_open_and_the_next_write_works(
    storage: Storage, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite may or may not roll back by itself when COMMIT fails (disk full, I/O error)."""
    import aiosqlite

    person = await member(storage, "lan")
    real = aiosqlite.Connection.execute
    failures = ["COMMIT"]

    async def execute(conn: aiosqlite.Connection, sql: str, *args: Any) -> Any:
        if failures and sql == failures[0]:
            failures.pop()
            raise sqlite3.OperationalError("disk I/O error")
        return await real(conn, sql, *args)

    monkeypatch.setattr(aiosqlite.Connection, "execute", execute)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O error"):
        await notify(storage, person, story=1)
    await notify(storage, person, story=2)
    rows = await storage.db.fetchall("SELECT params FROM outbox")
    assert ['"id": 2' in r["params"] for r in rows] == [True]
