"""Paged, filtered lists of stories (the review queue, the published stories)."""

from __future__ import annotations

from collections.abc import Callable

from bot.buttons import Button
from bot.content import fold, localities
from bot.handlers.context import Context
from bot.messages import Choice
from bot.storage import StoryLine

__all__ = ["filter_label", "page_rows", "parse_campaign", "parse_filter"]

Row = tuple[Choice, ...]


def parse_campaign(ctx: Context, words: list[str]) -> tuple[str | None, list[str], str | None]:
    """A leading campaign key or year ('/stats 2025'): (its key, the other words, problem).

    A year that names no campaign, or several, is a problem said in one line; a first word
    that is neither a key nor a year is left for the other filters.
    """
    if not words:
        return None, words, None
    word = words[0][:40]
    found = ctx.campaigns.find(word)
    if len(found) == 1:
        return found[0].key, words[1:], None
    if len(found) > 1:
        keys = [c.key for c in found]
        return None, words, ctx.t("campaign_words.ambiguous", word=word, keys=", ".join(keys),
                                  first=keys[0])
    if word.isdecimal() and len(word) == 4:
        return None, words, ctx.t("campaign_words.no_such", word=word)
    return None, words, None


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


def filter_label(ctx: Context, commune: int | None, kind: str | None,
                 campaign: str | None = None) -> str:
    """' (<campaign>, <commune>, <kind>)' naming the filter, or '' without one."""
    what: list[str] = []
    chosen = ctx.campaigns.get(campaign or "")
    if chosen is not None:
        what.append(ctx.t("campaign_words.filter_campaign", name=chosen.short(ctx.person.language)))
    if commune is not None:
        unit = localities(ctx.settings.province_code).get(commune)
        what.append(unit.name if unit else str(commune))
    if kind is not None:
        found = next((k for k in ctx.campaigns.kinds() if k.value == kind), None)
        what.append(found.label(ctx.person.language) if found else kind)
    return ctx.t("review.queue_filter", what=", ".join(what)) if what else ""


def page_rows(ctx: Context, lines: list[StoryLine], page: int, pages: int,
              opener: Callable[[int], Button], pager: Callable[[int], Button]) -> list[Row]:
    """One button per story (`opener(id)`) and a row to turn pages (`pager(page)`)."""
    rows: list[Row] = [(Choice(f"#{s.id} · {s.title}"[:60], opener(s.id)),) for s in lines]
    nav = []
    if page > 1:
        nav.append(Choice(ctx.t("nav.prev_page"), pager(page - 1)))
    if page < pages:
        nav.append(Choice(ctx.t("nav.next_page"), pager(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return rows
