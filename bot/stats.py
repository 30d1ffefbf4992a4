"""Statistics for reviewers and admins: counts by status, kind, content, commune, week.

Every story filed is in the total and the count by status. Everything else — kinds, contents,
places, weeks and both charts — counts only the stories still in play or accepted, leaving out
those not approved and those withdrawn, as /stats says.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.storage import Storage
from bot.workflow import Status

__all__ = ["LEFT_OUT", "Stats", "gather", "week_start"]

# Statuses that /stats shows by status only, and leaves out of every other figure.
LEFT_OUT = frozenset({Status.REJECTED, Status.WITHDRAWN})


def week_start(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


@dataclass(slots=True)
class Stats:
    """What /stats shows, and what the charts draw."""

    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    counted: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_content: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    by_commune: Counter[int] = field(default_factory=Counter)
    communes_in_scope: int = 0
    this_week: int = 0
    last_week: int = 0
    weeks: list[date] = field(default_factory=list)
    weekly: dict[str, list[int]] = field(default_factory=dict)

    @property
    def left_out(self) -> int:
        """Stories in the total but in no other figure (not approved, withdrawn)."""
        return self.total - self.counted

    @property
    def communes_without(self) -> int:
        """Communes in scope with no story counted."""
        return max(0, self.communes_in_scope - len(self.by_commune))


def _utc(day: date, tz: ZoneInfo) -> str:
    return datetime.combine(day, time(), tz).astimezone(ZoneInfo("UTC")).isoformat(
        timespec="seconds")


async def gather(storage: Storage, communes: frozenset[int] | None, scope_size: int,
                 tz: ZoneInfo, now: datetime, weeks: int = 12,
                 campaign: str | None = None) -> Stats:
    """Count everything in scope (None = the whole province, every campaign) as of `now`."""
    reports = storage.reports
    stats = Stats(communes_in_scope=scope_size)
    monday = week_start(now.astimezone(tz).date())
    first = monday - timedelta(weeks=weeks - 1)
    stats.weeks = [first + timedelta(weeks=i) for i in range(weeks)]
    bounds = [_utc(w, tz) for w in [*stats.weeks, monday + timedelta(weeks=1)]]
    # Two long reads, each on its own reader thread, at the same time.
    totals, weekly = await asyncio.gather(
        reports.totals(communes, LEFT_OUT, campaign),
        reports.weekly(communes, bounds, LEFT_OUT, campaign))
    stats.by_status.update(totals.by_status)
    stats.by_kind.update(totals.by_kind)
    stats.by_content.update(totals.by_content)
    stats.by_commune.update(totals.by_commune)
    stats.total = stats.by_status.total()
    stats.counted = stats.by_kind.total()
    for week, kind, n in weekly:
        stats.weekly.setdefault(kind, [0] * weeks)[week] += n
    stats.this_week = sum(series[-1] for series in stats.weekly.values())
    stats.last_week = sum(series[-2] for series in stats.weekly.values()) if weeks > 1 else 0
    return stats
