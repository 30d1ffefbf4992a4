"""Statistics for reviewers and admins: counts by status, kind, content, commune, week."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.storage import Storage

__all__ = ["Stats", "gather", "week_start"]


def week_start(day: date) -> date:
    """The Monday of a day's week."""
    return day - timedelta(days=day.weekday())


@dataclass(slots=True)
class Stats:
    """What /stats shows, and what the charts draw."""

    total: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_content: Counter[tuple[str, str | None]] = field(default_factory=Counter)
    by_commune: Counter[int] = field(default_factory=Counter)
    communes_in_scope: int = 0
    this_week: int = 0
    last_week: int = 0
    weeks: list[date] = field(default_factory=list)
    weekly: dict[str, list[int]] = field(default_factory=dict)

    @property
    def communes_without(self) -> int:
        """Communes in scope with no story yet."""
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
    for c in await reports.counts(communes, campaign=campaign):
        stats.total += c.n
        stats.by_status[c.status] += c.n
        stats.by_kind[c.kind] += c.n
        stats.by_content[(c.campaign, c.content)] += c.n
        stats.by_commune[c.commune] += c.n
    monday = week_start(now.astimezone(tz).date())
    stats.this_week = await reports.filed_between(
        communes, _utc(monday, tz), _utc(monday + timedelta(days=7), tz), campaign)
    stats.last_week = await reports.filed_between(
        communes, _utc(monday - timedelta(days=7), tz), _utc(monday, tz), campaign)
    first = monday - timedelta(weeks=weeks - 1)
    stats.weeks = [first + timedelta(weeks=i) for i in range(weeks)]
    offset = int((now.astimezone(tz).utcoffset() or timedelta()).total_seconds() // 60)
    index = {w: i for i, w in enumerate(stats.weeks)}
    for day, kind, n in await reports.daily(communes, _utc(first, tz), offset, campaign):
        i = index.get(week_start(date.fromisoformat(day)))
        if i is not None:
            stats.weekly.setdefault(kind, [0] * weeks)[i] += n
    return stats
