"""The clock of the bot: anniversary, deadline and digest broadcasts, at their hour in TIMEZONE."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.content import LANGUAGES, catalogue
from bot.content.calendar import Calendar
from bot.reminders import due_on, render
from bot.storage import Storage

__all__ = ["Reminders", "build_scheduler"]

log = logging.getLogger(__name__)


class Reminders:
    """Turns what is due into broadcasts, each at most once (its key is unique in storage)."""

    def __init__(self, storage: Storage, cal: Calendar, tz: ZoneInfo, at: time,
                 lead_days: int) -> None:
        self._storage = storage
        self._calendar = cal
        self._tz = tz
        self._at = at
        self._lead_days = lead_days

    async def send_due(self, day: date) -> list[int]:
        """Create the broadcasts due on `day`; return the ids of those newly created."""
        created = []
        for due in due_on(day, self._calendar, self._lead_days):
            params = {lang: render(due, catalogue(lang)) for lang in LANGUAGES}
            broadcast_id = await self._storage.broadcasts.create(
                f"topic:{due.topic}", key=due.key, topic=due.topic, params=params,
            )
            if broadcast_id is not None:
                log.info("reminder %s queued as broadcast #%s", due.key, broadcast_id)
                created.append(broadcast_id)
        return created

    async def send_digest(self, now: datetime) -> int | None:
        """The weekly digest of newly published stories; nothing when nothing is new."""
        since = (now - timedelta(days=7)).isoformat(timespec="seconds")
        lines = await self._storage.stories.published_since(since, limit=20)
        if not lines:
            return None
        local = now.astimezone(self._tz)
        year, week, _ = local.isocalendar()
        params = {}
        for lang in LANGUAGES:
            texts = catalogue(lang)
            body = "\n".join(texts.t("reminder.digest_line", id=s.id, title=s.title) for s in lines)
            params[lang] = texts.t("reminder.digest", count=len(lines), lines=body)
        return await self._storage.broadcasts.create(
            "topic:stories", key=f"digest:{year}-W{week:02d}", topic="stories", params=params,
        )

    async def catch_up(self, now: datetime | None = None) -> list[int]:
        """At start-up: if today's reminder hour has passed, send what is due today (once)."""
        local = (now or datetime.now(UTC)).astimezone(self._tz)
        if local.time() >= self._at:
            return await self.send_due(local.date())
        return []

    async def tick(self) -> None:
        """The daily job."""
        await self.send_due(datetime.now(self._tz).date())

    async def weekly(self) -> None:
        """The Monday job."""
        await self.send_digest(datetime.now(UTC))


def build_scheduler(reminders: Reminders, tz: ZoneInfo, at: time) -> AsyncIOScheduler:
    """An AsyncIOScheduler in TIMEZONE: reminders daily at `at`, the digest Mondays 08:00."""
    scheduler = AsyncIOScheduler(timezone=tz)
    scheduler.add_job(
        reminders.tick, CronTrigger(hour=at.hour, minute=at.minute, timezone=tz),
        id="reminders", misfire_grace_time=12 * 3600, coalesce=True, replace_existing=True,
    )
    scheduler.add_job(
        reminders.weekly, CronTrigger(day_of_week="mon", hour=8, minute=0, timezone=tz),
        id="digest", misfire_grace_time=12 * 3600, coalesce=True, replace_existing=True,
    )
    return scheduler
