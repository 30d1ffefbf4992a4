"""/stats and /export for reviewers (their communes) and admins (the province)."""

from __future__ import annotations

import asyncio
import io
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.content import Catalogue, campaign, localities
from bot.handlers.answers import parse_date
from bot.handlers.context import Context
from bot.handlers.review import is_reviewer
from bot.messages import Attachment, Reply
from bot.stats import gather
from bot.storage import Storage

if TYPE_CHECKING:
    from bot.export import ExportRange

__all__ = ["export_workbook", "on_export", "on_stats", "parse_range"]


async def _scope(ctx: Context) -> frozenset[int] | None:
    if ctx.person.role == "admin":
        return None
    communes = await ctx.storage.roles.scopes(ctx.person.id)
    return None if 0 in communes else communes


def _items(pairs: list[tuple[str, int]]) -> str:
    return " · ".join(f"{label}: {n}" for label, n in pairs)


# How many places /stats names, in its text and in its chart alike.
TOP = 10


async def on_stats(ctx: Context) -> list[Reply]:
    """Counts as a short text, and two chart images."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    scope = await _scope(ctx)
    units = localities(ctx.settings.province_code)
    size = len(units.units) if scope is None else len(scope)
    stats = await gather(ctx.storage, scope, size, ctx.settings.tz, ctx.now)
    if stats.total == 0:
        return [Reply(ctx.t("stats.none"))]
    lang, c = ctx.person.language, campaign()
    where = (ctx.t("stats.scope_province") if scope is None
             else ctx.t("stats.scope_mine", count=len(scope)))

    def kind_name(value: str) -> str:
        kind = c.kind(value)
        return kind.label(lang) if kind else value

    def content_name(number: int) -> str:
        content = c.content(number)
        return f"{number}. {content.short(lang)}" if content else str(number)

    def place(code: int) -> str:
        unit = units.get(code)
        return unit.name if unit else str(code)

    top = stats.by_commune.most_common(TOP)
    lines = [
        ctx.t("stats.header", scope=where, total=stats.total),
        ctx.t("stats.by_status", items=_items(
            [(ctx.t(f"status.{s}"), n) for s, n in stats.by_status.most_common()])),
        ctx.t("stats.counted", counted=stats.counted, left_out=stats.left_out),
        ctx.t("stats.by_kind", items=_items(
            [(kind_name(k), n) for k, n in stats.by_kind.most_common()])),
        ctx.t("stats.by_content", items="\n".join(
            f"{content_name(n_)}: {n}" for n_, n in sorted(stats.by_content.items()))),
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
    try:
        return date.fromisoformat(raw)
    except ValueError:
        answer = parse_date(raw, date(2100, 1, 1))
        return answer.value if answer.problem is None else None


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
    return datetime.combine(day, time(), tz).astimezone(ZoneInfo("UTC")).isoformat(
        timespec="seconds")


async def export_workbook(
    storage: Storage, texts: Catalogue, scope: frozenset[int] | None, start: date | None,
    end: date | None, rng: ExportRange,
) -> tuple[bytes, int]:
    """The workbook for a scope and an inclusive date range, in memory."""
    from bot.export import write_xlsx  # openpyxl loads only when exporting

    reports = storage.reports
    since = _utc(start, rng.tz)
    until = _utc(end + timedelta(days=1), rng.tz) if end else None
    out = io.BytesIO()
    listed = await write_xlsx(out, rng, texts, await reports.counts(scope, since, until),
                              reports.stories(scope, since, until),
                              await reports.nominations(scope, since, until))
    return out.getvalue(), listed


async def on_export(ctx: Context) -> list[Reply]:
    """/export [from] [to]: the workbook, as a document."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    parsed = parse_range(ctx.incoming.args)
    if isinstance(parsed[0], str):
        problem, value = parsed
        if problem == "bad_date":
            return [Reply(ctx.t("export.bad_date", value=str(value)[:20]))]
        return [Reply(ctx.t("export.bad_order", start=ctx.incoming.args[0],
                            end=ctx.incoming.args[1]))]
    start, end = parsed
    assert not isinstance(start, str) and not isinstance(end, str)
    from bot.export import ExportRange

    rng = ExportRange(ctx.settings.province_code, ctx.settings.tz, ctx.settings.publish_chat_id)
    data, listed = await export_workbook(ctx.storage, ctx.texts, await _scope(ctx), start, end, rng)
    shown = ctx.t("export.range_all")
    if start or end:
        shown = ctx.t("export.range", start=start.strftime("%d/%m/%Y") if start else "…",
                      end=end.strftime("%d/%m/%Y") if end else "…")
    first = (start or campaign().start or ctx.today.date()).isoformat()
    name = f"guongsang-{first}-{(end or ctx.today.date()).isoformat()}.xlsx"
    text = ctx.t("export.caption" if listed else "export.empty", range=shown, count=listed)
    return [Reply(text, files=(Attachment(name, data, "document"),))]
