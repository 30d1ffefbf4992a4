"""/stories: anyone browses the published stories, by commune and kind, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bot.album import elsewhere_note, story_album
from bot.buttons import Button
from bot.cards import public_card, story_page
from bot.handlers.context import Context
from bot.handlers.listing import (
    Where,
    filter_label,
    page_rows,
    parse_campaign,
    search_list,
    split_words,
)
from bot.messages import Choice, Reply
from bot.storage import Story
from bot.workflow import Status

__all__ = ["StoriesOpen", "StoriesPage", "on_stories", "on_stories_choice", "public_reply"]

PAGE = 5


@dataclass(frozen=True)
class StoriesOpen(Button, tag="st.open"):
    """Read one published story."""

    story_id: int


@dataclass(frozen=True)
class StoriesPage(Button, tag="st.page"):
    """A page of the published stories, with its filter."""

    page: int
    commune: int | None = None
    kind: str | None = None
    campaign: str | None = None


async def _list(ctx: Context, page: int, commune: int | None, kind: str | None,
                edit: bool = False, campaign: str | None = None) -> list[Reply]:
    total, lines = await ctx.storage.stories.published(commune, kind, (page - 1) * PAGE, PAGE,
                                                       campaign=campaign)
    filt = filter_label(ctx, commune, kind, campaign)
    if total == 0:
        clear = (Choice(ctx.t("stories.filter_clear"), StoriesPage(1)),) if filt else ()
        return [Reply(ctx.t("stories.empty", filter=filt), choices=(clear,) if clear else (),
                      edit=edit)]
    pages = (total + PAGE - 1) // PAGE
    page = max(1, min(page, pages))
    header = ctx.t("stories.header", filter=filt, total=total, page=page, pages=pages)
    pager = partial(StoriesPage, commune=commune, kind=kind, campaign=campaign)
    rows = page_rows(ctx, lines, page, pages, StoriesOpen, pager)
    lang = ctx.person.language
    if kind is None:
        rows.extend((Choice(k.label(lang), StoriesPage(1, commune, k.value, campaign)),)
                    for k in ctx.campaigns.kinds())
    else:
        rows.append((Choice(ctx.t("stories.filter_clear"), StoriesPage(1)),))
    return [Reply(header, choices=tuple(rows), edit=edit)]


async def public_reply(ctx: Context, story: Story) -> Reply:
    """A story as anyone may read it, its photos, and its gallery page once published."""
    card: str = public_card(story, ctx.texts, ctx.settings.province_code, ctx.campaigns)
    if ctx.settings.gallery_url and story.status == Status.PUBLISHED:
        card += ctx.t("gallery.story_link", url=story_page(ctx.settings.gallery_url, story.id))
    album = await story_album(ctx.storage.photos, story.id, ctx.archived_photos,
                              ctx.incoming.channel == story.channel)
    card += elsewhere_note(album, ctx.texts, story.channel)
    return Reply(card, photos=album.photos, photo_uploads=album.uploads)


async def on_stories(ctx: Context) -> list[Reply]:
    """/stories [campaign] [commune | kind | words]: words that name no commune or kind are
    searched."""
    campaign, words, problem = parse_campaign(ctx, list(ctx.incoming.args))
    if problem is not None:
        return [Reply(problem)]
    commune, kind, rest = split_words(ctx, words)
    if rest:
        return await search_list(ctx, rest, Where.PUBLISHED, StoriesOpen, commune, kind,
                                 campaign=campaign, maybe_commune=commune is None)
    return await _list(ctx, 1, commune, kind, campaign=campaign)


async def on_stories_choice(ctx: Context) -> list[Reply]:
    """Paging, filtering and opening a published story."""
    choice = ctx.choice
    if isinstance(choice, StoriesOpen):
        story = await ctx.storage.stories.get(choice.story_id)
        if story is None or story.status != Status.PUBLISHED:
            return [Reply(ctx.t("stories.not_public", id=choice.story_id))]
        return [await public_reply(ctx, story)]
    if isinstance(choice, StoriesPage):
        return await _list(ctx, choice.page, choice.commune, choice.kind, edit=True,
                           campaign=choice.campaign)
    return [Reply(ctx.t("dialog.stale_button"))]
