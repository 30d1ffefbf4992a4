"""/search: stories by words, with or without accents. Reviewers search every story of their
communes, whatever its status; everyone else the published ones."""

from __future__ import annotations

from bot.handlers.context import Context
from bot.handlers.listing import SearchPage, Where, search_list
from bot.handlers.review import ReviewOpen, is_reviewer
from bot.handlers.stories import StoriesOpen
from bot.messages import Reply

__all__ = ["on_search", "on_search_choice"]


async def on_search(ctx: Context) -> list[Reply]:
    """/search <words>."""
    words = " ".join(ctx.incoming.args)[:200]
    if not words.strip():
        return [Reply(ctx.t("search.usage"))]
    if is_reviewer(ctx):
        return await search_list(ctx, words, Where.SCOPE, ReviewOpen)
    return await search_list(ctx, words, Where.PUBLISHED, StoriesOpen)


async def on_search_choice(ctx: Context) -> list[Reply]:
    """Turning a page of results; a reviewer's search checks the role again."""
    choice = ctx.choice
    if not isinstance(choice, SearchPage):
        return [Reply(ctx.t("dialog.stale_button"))]
    if choice.where == Where.PUBLISHED:
        opener: type[ReviewOpen] | type[StoriesOpen] = StoriesOpen
    elif is_reviewer(ctx):
        opener = ReviewOpen
    else:
        return [Reply(ctx.t("roles.not_reviewer"))]
    return await search_list(ctx, choice.words, choice.where, opener, choice.commune,
                             choice.kind, choice.page, campaign=choice.campaign, edit=True)
