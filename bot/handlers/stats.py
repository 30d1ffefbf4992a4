"""/stats and /export for reviewers (their communes) and admins (the province)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.content import Campaigns, Catalogue, localities
from bot.handlers.answers import EARLIEST_YEAR, parse_date
from bot.handlers.context import Context
from bot.handlers.listing import parse_campaign
from bot.handlers.review import is_reviewer, review_scope
from bot.messages import Attachment, Reply
from bot.stats import gather
from bot.storage import Storage

if TYPE_CHECKING:
    from bot.export import ExportRange, Period

__all__ = ["export_workbook", "on_export", "on_stats", "parse_range", "write_export"]


def _items(pairs: list[tuple[str, int]]) -> str:
    return " · ".join(f"{label}: {n}" for label, n in pairs)


# How many places /stats names, in its text and in its chart alike.
TOP = 10


def content_items(campaigns: Campaigns, counts: Counter[tuple[str, str | None]], language: str,
                  none: str) -> list[tuple[str, int]]:
    """Counts by content, named by the number a reader sees and its short name; by campaign
    too when the campaigns counted give the same number to different contents (or the
    reverse)."""
    numbers: dict[tuple[str, str | None], str] = {}
    names: dict[tuple[str, str | None], str] = {}
    for campaign, key in sorted(counts, key=lambda ck: (ck[0], ck[1] or "")):
        content = campaigns.content(campaign, key)
        numbers[(campaign, key)] = str(content.number) if content else (key or none)
        names[(campaign, key)] = (f"{content.number}. {content.short(language)}" if content
                                  else (key or none))
    keys_of: dict[str, set[str | None]] = {}
    numbers_of: dict[str | None, set[str]] = {}
    for (_, key), number in numbers.items():
        keys_of.setdefault(number, set()).add(key)
        numbers_of.setdefault(key, set()).add(number)
    same = all(len(v) == 1 for v in keys_of.values()) and all(
        len(v) == 1 for v in numbers_of.values())
    named: dict[str, str] = {}  # one name for a number counted in several campaigns
    out: Counter[str] = Counter()
    order: dict[str, tuple[str, int, str]] = {}
    for (campaign, key), number in numbers.items():
        found = campaigns.get(campaign)
        prefix = "" if same else f"{found.short(language) if found else campaign} "
        label = prefix + named.setdefault(prefix + number, names[(campaign, key)])
        out[label] += counts[(campaign, key)]
        order[label] = (prefix, len(number), number)
    return sorted(out.items(), key=lambda kv: order[kv[0]])


async def on_stats(ctx: Context) -> list[Reply]:
    """/stats [campaign]: counts as a short text, and two chart images."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    campaign, _, problem = parse_campaign(ctx, list(ctx.incoming.args))
    if problem is not None:
        return [Reply(problem)]
    scope = await review_scope(ctx)
    units = localities(ctx.settings.province_code)
    size = len(units.units) if scope is None else len(scope)
    stats = await gather(ctx.storage, scope, size, ctx.settings.tz, ctx.now, campaign=campaign)
    if stats.total == 0:
        return [Reply(ctx.t("stats.none"))]
    lang, campaigns = ctx.person.language, ctx.campaigns
    where = (ctx.t("stats.scope_province") if scope is None
             else ctx.t("stats.scope_mine", count=len(scope)))

    def kind_name(value: str) -> str:
        kind = next((k for k in campaigns.kinds() if k.value == value), None)
        return kind.label(lang) if kind else value

    def place(code: int) -> str:
        unit = units.get(code)
        return unit.name if unit else str(code)

    top = stats.by_commune.most_common(TOP)
    header: str = ctx.t("stats.header", scope=where, total=stats.total)
    chosen = campaigns.get(campaign or "")
    if chosen is not None:
        header += "\n" + ctx.t("campaign_words.stats_campaign", name=chosen.short(lang))
    lines = [
        header,
        ctx.t("stats.by_status", items=_items(
            [(ctx.t(f"status.{s}"), n) for s, n in stats.by_status.most_common()])),
        ctx.t("stats.counted", counted=stats.counted, left_out=stats.left_out),
        ctx.t("stats.by_kind", items=_items(
            [(kind_name(k), n) for k, n in stats.by_kind.most_common()])),
        ctx.t("stats.by_content", items="\n".join(f"{label}: {n}" for label, n in content_items(
            campaigns, stats.by_content, lang, ctx.t("campaign_words.content_none")))),
        ctx.t("stats.top", count=TOP, items="\n".join(
            f"{i}. {place(code)}: {n}" for i, (code, n) in enumerate(top, start=1))),
        ctx.t("stats.without", count=stats.communes_without),
        ctx.t("stats.weeks", this=stats.this_week, last=stats.last_week),
    ]
    if not stats.counted:
        return [Reply("\n\n".join(lines))]
    from bot.charts import bar_chart, stacked_weeks  # matplotlib loads only when drawing

    weeks = [w.strftime("%d/%m") for w in stats.weeks]
    weekly = await asyncio.to_thread(
        stacked_weeks, ctx.t("stats.chart_weekly"), weeks,
        {kind_name(k): v for k, v in stats.weekly.items()}, ctx.t("stats.axis_stories"))
    communes = await asyncio.to_thread(
        bar_chart, ctx.t("stats.chart_communes", count=TOP), [place(code) for code, _ in top],
        [n for _, n in top], ctx.t("stats.axis_stories"))
    files = (Attachment("stats-weekly.png", weekly, "photo"),
             Attachment("stats-communes.png", communes, "photo"))
    return [Reply("\n\n".join(lines), files=files)]


def _date(raw: str) -> date | None:
    """A date from 2000 to 2100 (ISO or dd/mm/yyyy); None for anything else."""
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        answer = parse_date(raw, date(2100, 1, 1))
        return answer.value if answer.problem is None else None
    return value if EARLIEST_YEAR <= value.year < 2100 else None


def parse_range(args: tuple[str, ...]) -> tuple[date | None, date | None] | tuple[str, str]:
    """'[from] [to]' as dates, or ('bad_date', value) / ('bad_order', '')."""
    found: list[date] = []
    for raw in args[:2]:
        value = _date(raw)
        if value is None:
            return "bad_date", raw
        found.append(value)
    start = found[0] if found else None
    end = found[1] if len(found) > 1 else None
    if start and end and start > end:
        return "bad_order", ""
    return start, end


def _utc(day: date | None, tz: ZoneInfo) -> str | None:
    if day is None:
        return None
    return datetime.combine(day, time(), tz).astimezone(UTC).isoformat(timespec="seconds")


async def write_export(storage: Storage, texts: Catalogue, out: Path, rng: ExportRange,
                       period: Period) -> int:
    """Write the workbook for a period to a file; return the stories listed.

    An open end stops at this second (the next one excluded), so that the counts and the list
    see the same stories.
    """
    from bot.export_child import Tally, write_xlsx

    reports = storage.reports
    since = _utc(period.start, rng.tz)
    until = (_utc(period.end + timedelta(days=1), rng.tz) if period.end
             else (datetime.now(UTC) + timedelta(seconds=1)).isoformat(timespec="seconds"))
    scope, campaign = period.scope, period.campaign

    async def tally() -> Tally:
        return (await reports.counts(scope, since, until, campaign=campaign),
                await reports.nominations(scope, since, until, campaign=campaign))

    return await write_xlsx(
        out, rng, texts, period, await reports.count(scope, since, until, campaign=campaign),
        reports.stories(scope, since, until, campaign=campaign), tally)


async def export_workbook(
    storage: Storage, texts: Catalogue, scope: frozenset[int] | None, start: date | None,
    end: date | None, rng: ExportRange, campaign: str | None = None,
    now: datetime | None = None,
) -> tuple[bytes, int]:
    """The workbook for a scope, a campaign (None: all) and an inclusive date range, as bytes
    to send; `now` dates it (the clock's now by default)."""
    from bot.export import Period

    made = (now or datetime.now(UTC)).astimezone(rng.tz).date()
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="guongsang-export-"))
    try:
        out = folder / "export.xlsx"
        listed = await write_export(storage, texts, out, rng,
                                    Period(start, end, scope, made, campaign))
        return await asyncio.to_thread(out.read_bytes), listed
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)


async def on_export(ctx: Context) -> list[Reply]:
    """/export [campaign] [from] [to]: the workbook, as a document."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    campaign, words, wrong = parse_campaign(ctx, list(ctx.incoming.args))
    if wrong is not None:
        return [Reply(wrong)]
    parsed = parse_range(tuple(words))
    if isinstance(parsed[0], str):
        problem, value = parsed
        if problem == "bad_date":
            return [Reply(ctx.t("export.bad_date", value=str(value)[:20]))]
        return [Reply(ctx.t("export.bad_order", start=words[0], end=words[1]))]
    start, end = parsed
    assert not isinstance(start, str) and not isinstance(end, str)
    from bot.export import ExportRange, range_text

    rng = ExportRange(ctx.settings.province_code, ctx.settings.tz, ctx.settings.publish_chat_id,
                      ctx.campaigns)
    scope = await review_scope(ctx)
    data, listed = await export_workbook(ctx.storage, ctx.texts, scope, start, end, rng,
                                         campaign, ctx.now)
    shown = range_text(ctx.texts, start, end)
    chosen = ctx.campaigns.get(campaign or "")
    starts = [c.start for c in ([chosen] if chosen else ctx.campaigns.all) if c.start]
    first = (start or min(starts, default=ctx.today.date())).isoformat()
    last = (end or (chosen.end if chosen and chosen.end else None) or ctx.today.date()).isoformat()
    name = f"guongsang-{chosen.key + '-' if chosen else ''}{first}-{last}.xlsx"
    text = ctx.t("export.caption" if listed else "export.empty", range=shown, count=listed)
    return [Reply(text, files=(Attachment(name, data, "document"),))]
