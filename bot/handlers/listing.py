"""Paged, filtered lists of stories (the review queue, the published stories)."""

from __future__ import annotations

from bot.content import fold, localities
from bot.handlers.context import Context
from bot.messages import Choice
from bot.storage import StoryLine

__all__ = ["filter_key", "filter_label", "page_rows", "parse_filter"]

Row = tuple[Choice, ...]


def parse_filter(ctx: Context, words: list[str]) -> tuple[int | None, str | None]:
    """'/pending long xuyen' or '/stories good_deed': (commune code | -1 unknown, kind)."""
    query = " ".join(words).strip()
    if not query:
        return None, None
    folded = fold(query)
    for kind in ctx.campaigns.kinds():
        if folded in (kind.value.replace("_", " "), fold(kind.vi), fold(kind.en)):
            return None, kind.value
    found, sure = localities(ctx.settings.province_code).search(query)
    return (found[0].code if found and (sure or len(found) == 1) else -1), None


def filter_label(ctx: Context, commune: int | None, kind: str | None) -> str:
    """' (<commune>, <kind>)' naming the filter, or '' without one."""
    what = []
    if commune is not None:
        unit = localities(ctx.settings.province_code).get(commune)
        what.append(unit.name if unit else str(commune))
    if kind is not None:
        found = next((k for k in ctx.campaigns.kinds() if k.value == kind), None)
        what.append(found.label(ctx.person.language) if found else kind)
    return ctx.t("review.queue_filter", what=", ".join(what)) if what else ""


def filter_key(commune: int | None, kind: str | None) -> str:
    """The filter as it rides in a button's value: 'commune:kind' with '-' for none."""
    return f"{commune if commune is not None else '-'}:{kind or '-'}"


def page_rows(ctx: Context, prefix: str, lines: list[StoryLine], page: int, pages: int,
              key: str) -> list[Row]:
    """One button per story ('<prefix>:open:<id>') and a row to turn pages."""
    rows: list[Row] = [
        (Choice(f"#{s.id} · {s.title}"[:60], f"{prefix}:open:{s.id}"),) for s in lines
    ]
    nav = []
    if page > 1:
        nav.append(Choice(ctx.t("nav.prev_page"), f"{prefix}:page:{page - 1}:{key}"))
    if page < pages:
        nav.append(Choice(ctx.t("nav.next_page"), f"{prefix}:page:{page + 1}:{key}"))
    if nav:
        rows.append(tuple(nav))
    return rows
