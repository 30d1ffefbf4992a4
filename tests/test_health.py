"""GET /healthz tells an operator the truth: each background task, each channel, and 503 when
sending cannot go on (a task died, storage refuses writes, a channel's token is refused).

The whole bot runs (`run_bot`) against the fake Zalo platform with its HTTP server on a free
port; storage faults are played by making the bot's write transactions fail.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import health_report, run_bot
from bot.config import Settings
from bot.health import Outages, Supervisor
from bot.storage import Storage, open_storage
from bot.storage.database import Database
from bot.webhooks import build_web_app
from tests.fake_zalo import TOKEN, FakeZalo
from tests.ports import unused_port

FULL = "database or disk is full"




async def until(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "the condition never came true"
        await asyncio.sleep(0.02)


# --- the supervisor notices a task that dies -----------------------------------------------


async def test_a_background_task_that_dies_is_reported_at_once_and_healthz_answers_503(
    storage: Storage, caplog: pytest.LogCaptureFixture,
) -> None:
    supervisor = Supervisor()
    broken = asyncio.Event()

    async def poller() -> None:
        await broken.wait()
        raise RuntimeError("the poller's connection pool is closed")

    async def engine() -> None:
        await asyncio.Event().wait()

    polling, sending = asyncio.create_task(poller()), asyncio.create_task(engine())
    supervisor.watch("zalo", polling)
    supervisor.watch("engine", sending)
    health = health_report(storage, {"zalo": "polling"}, supervisor)
    try:
        async with TestClient(TestServer(build_web_app(health))) as http:
            response = await http.get("/healthz")
            assert response.status == 200
            assert await response.json() == {
                "storage": "ok", "channels": {"zalo": "polling"},
                "tasks": {"zalo": "running", "engine": "running"}}

            broken.set()
            await asyncio.gather(polling, return_exceptions=True)
            dead = "dead: RuntimeError: the poller's connection pool is closed"
            assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
                f"background task zalo died: {dead.removeprefix('dead: ')}"]

            response = await http.get("/healthz")
            assert response.status == 503
            report = await response.json()
            assert report["tasks"] == {"zalo": dead, "engine": "running"}
            assert report["problems"] == [f"zalo: {dead}"]
    finally:
        sending.cancel()


async def test_a_channel_down_is_shown_in_healthz_with_its_reason_and_answers_503(
    storage: Storage,
) -> None:
    supervisor = Supervisor()
    supervisor.outages = Outages()
    health = health_report(storage, {"telegram": "polling", "zalo": "polling"}, supervisor)
    async with TestClient(TestServer(build_web_app(health))) as http:
        assert (await http.get("/healthz")).status == 200
        supervisor.outages.down("zalo", "token refused", datetime.now(UTC))
        response = await http.get("/healthz")
        assert response.status == 503
        report = await response.json()
        assert report["channels"] == {"telegram": "polling", "zalo": "down: token refused"}
        assert report["problems"] == ["zalo: down: token refused"]
        supervisor.outages.works("zalo")
        assert (await http.get("/healthz")).status == 200


# --- the running bot: storage refuses writes, then answers again ---------------------------


class FullDisk:
    """Every write transaction of the bot fails, as on a full disk, while `full` is set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.full = False
        real = Database.transaction

        def transaction(db: Database) -> Any:
            if self.full:
                raise sqlite3.OperationalError(FULL)
            return real(db)

        monkeypatch.setattr(Database, "transaction", transaction)


async def test_the_running_bot_reports_its_tasks_and_503_while_storage_refuses_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "bot.sqlite3"
    setup = await open_storage(path)
    person = await setup.people.get_or_create("zalo", "z-42", "vi")
    await setup.close()
    disk = FullDisk(monkeypatch)
    port = unused_port()
    async with FakeZalo() as zalo:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_path=path, zalo_bot_token=SecretStr(TOKEN),
            zalo_api_url=zalo.api_url, http_port=port)
        stop = asyncio.Event()
        bot = asyncio.create_task(run_bot(settings, stop))
        url = f"http://127.0.0.1:{port}/healthz"
        async with aiohttp.ClientSession() as http:

            async def healthz() -> tuple[int, dict[str, Any]]:
                try:
                    async with http.get(url) as response:
                        return response.status, await response.json()
                except aiohttp.ClientConnectionError:
                    return 0, {}

            async def answers(status: int) -> bool:
                return (await healthz())[0] == status

            try:
                await until(lambda: answers(200))
                assert (await healthz())[1] == {
                    "storage": "ok", "channels": {"zalo": "polling"},
                    "tasks": {"zalo": "polling", "scheduler": "running", "engine": "running",
                              "archive": "running", "duplicates": "running"}}

                disk.full = True
                raw = sqlite3.connect(path)
                with raw:
                    raw.execute(
                        "INSERT INTO outbox (person_id, channel, chat_id, template, params,"
                        " next_attempt_at, created_at) VALUES (?, 'zalo', 'z-42', 'notify.status',"
                        " ?, '2000-01-01T00:00:00+00:00', '2000-01-01T00:00:00+00:00')",
                        (person.id, '{"id": 1, "title": "Cầu", "status": "approved", "note": ""}'))
                raw.close()
                await until(lambda: answers(503))
                status, report = await healthz()
                assert status == 503
                assert report["tasks"]["engine"] == f"retrying: OperationalError: {FULL}"
                assert report["problems"] == [f"engine: retrying: OperationalError: {FULL}"]
                assert not bot.done()

                disk.full = False
                await until(lambda: answers(200), seconds=15)
            finally:
                stop.set()
                await bot
    assert zalo.recipients() == ["z-42"]  # sent once, although it was recorded only later
    assert not [r for r in caplog.records if "died" in r.getMessage()]  # a clean stop
    check = sqlite3.connect(path)
    try:
        assert check.execute("SELECT status, attempts FROM outbox").fetchall() == [("sent", 1)]
    finally:
        check.close()


# --- a scheduled job that fails is tried again ---------------------------------------------


async def test_a_reminder_job_that_fails_is_retried_and_healthz_shows_it_meanwhile(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from bot.background import retry_failed_jobs
    from bot.scheduler import build_scheduler

    class Jobs:
        """The daily reminders fail twice (storage locked at the hour), then go through."""

        def __init__(self) -> None:
            self.ticks = 0

        async def tick(self) -> None:
            self.ticks += 1
            if self.ticks <= 2:
                raise sqlite3.OperationalError("database is locked")

        async def weekly(self) -> None:
            """Not run here."""

    jobs = Jobs()
    scheduler = build_scheduler(jobs, ZoneInfo("Asia/Ho_Chi_Minh"), clock(7, 30))  # type: ignore[arg-type]
    supervisor = Supervisor()
    retry_failed_jobs(scheduler, supervisor, first_wait=0.05, max_wait=0.2)
    scheduler.start()
    try:
        assert supervisor.report() == ({"scheduler": "running"}, [])
        job = scheduler.get_job("reminders")
        assert job is not None
        job.modify(next_run_time=datetime.now(UTC))

        async def failed_once() -> bool:
            return jobs.ticks >= 1

        await until(failed_once)
        await asyncio.sleep(0)
        states, problems = supervisor.report()
        assert states["scheduler"].startswith("retrying: OperationalError: database is locked")
        assert problems

        async def went_through() -> bool:
            return jobs.ticks == 3 and supervisor.report() == ({"scheduler": "running"}, [])

        await until(went_through)
    finally:
        scheduler.shutdown(wait=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.health"]
    assert lines[0] == (
        "scheduled job reminders failed: OperationalError: database is locked; will try again")
    assert lines[-1] == "scheduled job reminders works again after 2 failures"
