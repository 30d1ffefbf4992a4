"""Paged, filtered lists of stories (the review queue, the published stories, search results)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from bot.buttons import Button
from bot.content import fold, localities
from bot.handlers.context import Context
from bot.messages import Choice, Reply
from bot.storage import StoryFilter, StoryLine
from bot.storage.search import match_query
from bot.workflow import Role, Status

__all__ = [
    "SearchPage",
    "Where",
    "filter_label",
    "page_rows",
    "parse_campaign",
    "parse_filter",
    "search_list",
    "split_words",
]

SEARCH_PAGE = 5


class Where(StrEnum):
    """Which stories a search covers: published ones, a reviewer's, a reviewer's queue."""

    PUBLISHED = "published"
    SCOPE = "scope"
    QUEUE = "queue"


@dataclass(frozen=True)
class SearchPage(Button, tag="sr.page"):
    """A page of search results, with the words and filters searched."""

    page: int
    words: str
    where: Where
    commune: int | None = None
    kind: str | None = None
    campaign: str | None = None

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
    kind = _kind(ctx, query)
    if kind is not None:
        return None, kind
    found, sure = localities(ctx.settings.province_code).search(query)
    return (found[0].code if found and (sure or len(found) == 1) else -1), None


def split_words(ctx: Context, words: list[str]) -> tuple[int | None, str | None, str]:
    """'/stories long xuyen cau khi': the commune and kind named, and the other words to search.

    The whole line is tried first as one commune or kind (as `parse_filter`); otherwise each run
    of up to four words that names a kind, or exactly one commune, is taken as a filter.
    """
    commune, kind = parse_filter(ctx, words)
    if commune != -1:
        return commune, kind, ""
    commune = None
    units = localities(ctx.settings.province_code)
    rest: list[str] = []
    i = 0
    while i < len(words):
        for span in range(min(4, len(words) - i), 0, -1):
            phrase = " ".join(words[i : i + span])
            named = _kind(ctx, phrase)
            if named is not None and kind is None:
                kind = named
                break
            found, sure = units.search(phrase) if commune is None else ([], False)
            if sure:
                commune = found[0].code
                break
        else:
            rest.append(words[i])
            i += 1
            continue
        i += span
    return commune, kind, " ".join(rest)


def _kind(ctx: Context, phrase: str) -> str | None:
    """The kind of story a phrase names (its key, or its words in either language)."""
    folded = fold(phrase)
    for kind in ctx.campaigns.kinds():
        if folded in (kind.value.replace("_", " "), fold(kind.vi), fold(kind.en)):
            return kind.value
    return None


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


async def _covering(ctx: Context, where: Where, commune: int | None, kind: str | None,
                    campaign: str | None) -> StoryFilter:
    """The stories this person may find: a reviewer's communes, or the published ones."""
    if where == Where.PUBLISHED:
        return StoryFilter((Status.PUBLISHED,), None, commune, kind, campaign=campaign)
    scope = None
    if ctx.person.role != Role.ADMIN:
        communes = await ctx.storage.roles.scopes(ctx.person.id)
        scope = None if 0 in communes else communes
    statuses = (Status.PENDING, Status.RECOMMENDED) if where == Where.QUEUE else None
    return StoryFilter(statuses, scope, commune, kind, campaign=campaign)


async def search_list(ctx: Context, words: str, where: Where, opener: Callable[[int], Button],
                      commune: int | None = None, kind: str | None = None, page: int = 1, *,
                      campaign: str | None = None, edit: bool = False,
                      maybe_commune: bool = False) -> list[Reply]:
    """A page of the stories holding every word, best first, each a button (`opener`).

    `maybe_commune`: the words were typed where a commune fits, so an empty result also says
    that no commune has that name.
    """
    shown = " ".join(words.split())[:60]
    if match_query(words) is None:
        return [Reply(ctx.t("search.no_words"))]
    covering = await _covering(ctx, where, commune, kind, campaign)
    offset = (page - 1) * SEARCH_PAGE
    total, lines = await ctx.storage.search.find(words, covering, offset, SEARCH_PAGE)
    label = filter_label(ctx, commune, kind, campaign)
    if total == 0:
        key = "search.nothing_filter" if maybe_commune else "search.nothing"
        return [Reply(ctx.t(key, words=shown, filter=label), edit=edit)]
    pages = (total + SEARCH_PAGE - 1) // SEARCH_PAGE
    page = max(1, min(page, pages))
    header = ctx.t("search.header", words=shown, filter=label, total=total, page=page,
                   pages=pages)
    pager = partial(SearchPage, words=words, where=where, commune=commune, kind=kind,
                    campaign=campaign)
    return [Reply(header, choices=tuple(page_rows(ctx, lines, page, pages, opener, pager)),
                  edit=edit)]
