"""The background work of a running bot: the scheduler and the broadcast engine, watched by the
supervisor that /healthz reads; a scheduled job that fails is logged and tried again later."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.broadcast import BroadcastEngine
from bot.config import Settings
from bot.content import Library
from bot.digest import ReviewDigest
from bot.health import State, Supervisor, Trouble
from bot.messages import Sender
from bot.scheduler import Reminders, build_scheduler
from bot.storage import Storage

__all__ = ["retry_failed_jobs", "start_background"]

log = logging.getLogger(__name__)
RETRY = ":retry"


def retry_failed_jobs(scheduler: AsyncIOScheduler, supervisor: Supervisor, *,
                      first_wait: float = 60.0, max_wait: float = 1800.0) -> None:
    """A job that raises (storage locked at the reminder hour) runs again after a growing pause
    until it succeeds; the jobs are idempotent. /healthz shows the scheduler retrying meanwhile."""
    jobs = {job.id: job.func for job in scheduler.get_jobs()}
    troubles = {name: Trouble(f"scheduled job {name}", first_wait=first_wait, max_wait=max_wait)
                for name in jobs}

    def on_event(event: JobExecutionEvent) -> None:
        name = event.job_id.removesuffix(RETRY)
        if name not in troubles:
            return
        if event.exception is None:
            troubles[name].succeeded()
            return
        wait = troubles[name].failed(event.exception)
        scheduler.add_job(jobs[name], "date", id=name + RETRY, replace_existing=True,
                          run_date=datetime.now(UTC) + timedelta(seconds=wait))

    def state() -> State:
        if not scheduler.running:
            return State("stopped", ok=False)
        failing = [t.state().text for t in troubles.values() if t.reason is not None]
        return State("; ".join(failing), ok=False) if failing else State("running")

    scheduler.add_listener(on_event, EVENT_JOB_ERROR | EVENT_JOB_EXECUTED)
    supervisor.probe("scheduler", state)


async def start_background(
    settings: Settings, storage: Storage, senders: Mapping[str, Sender], stop: asyncio.Event,
    supervisor: Supervisor, library: Library, poll: float = 1.0,
) -> asyncio.Task[None]:
    """The scheduler (catching up on today's reminders, from the whole calendar the content
    files make, and on today's review digest) and the broadcast engine, watched."""
    reminders = Reminders(storage, library.calendar, settings.tz, settings.reminder_time,
                          settings.reminder_lead_days)
    scheduler = build_scheduler(reminders, settings.tz, settings.reminder_time)
    digest = ReviewDigest(storage, settings.tz, settings.review_digest_time,
                          settings.review_remind_days)
    at = settings.review_digest_time
    scheduler.add_job(
        digest.tick, CronTrigger(hour=at.hour, minute=at.minute, timezone=settings.tz),
        id="review_digest", misfire_grace_time=12 * 3600, coalesce=True, replace_existing=True,
    )
    retry_failed_jobs(scheduler, supervisor)
    scheduler.start()
    await reminders.catch_up()
    await digest.catch_up()
    engine = BroadcastEngine(storage, senders, settings.province_code,
                             rate=settings.broadcast_rate, per_chat=settings.broadcast_per_chat,
                             rates={"zalo": settings.zalo_broadcast_rate}, poll=poll,
                             campaigns=library.campaigns, gallery_url=settings.gallery_url)
    supervisor.outages = engine.outages

    async def run() -> None:
        try:
            await engine.run(stop)
        finally:
            scheduler.shutdown(wait=False)

    task = asyncio.create_task(run())
    supervisor.watch("engine", task, engine.state)
    return task
