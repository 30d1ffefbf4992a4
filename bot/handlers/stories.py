"""/stories: anyone browses the published stories, by commune and kind, a page at a time."""

from __future__ import annotations

from bot.cards import public_card
from bot.handlers.context import Context
from bot.handlers.listing import filter_key, filter_label, page_rows, parse_filter
from bot.messages import Choice, Reply

__all__ = ["on_stories", "on_stories_choice"]

PAGE = 5


async def _list(ctx: Context, page: int, commune: int | None, kind: str | None,
                edit: bool = False) -> list[Reply]:
    total, lines = await ctx.storage.stories.published(commune, kind, (page - 1) * PAGE, PAGE)
    filt = filter_label(ctx, commune, kind)
    if total == 0:
        clear = (Choice(ctx.t("stories.filter_clear"), "st:page:1:-:-"),) if filt else ()
        return [Reply(ctx.t("stories.empty", filter=filt), choices=(clear,) if clear else (),
                      edit=edit)]
    pages = (total + PAGE - 1) // PAGE
    page = max(1, min(page, pages))
    header = ctx.t("stories.header", filter=filt, total=total, page=page, pages=pages)
    key = filter_key(commune, kind)
    rows = page_rows(ctx, "st", lines, page, pages, key)
    lang = ctx.person.language
    if kind is None:
        rows.extend((Choice(k.label(lang), f"st:page:1:{key.split(':')[0]}:{k.value}"),)
                    for k in ctx.campaigns.kinds())
    else:
        rows.append((Choice(ctx.t("stories.filter_clear"), "st:page:1:-:-"),))
    return [Reply(header, choices=tuple(rows), edit=edit)]


async def on_stories(ctx: Context) -> list[Reply]:
    """/stories [commune | kind]."""
    commune, kind = parse_filter(ctx, list(ctx.incoming.args))
    if commune == -1:
        return [Reply(ctx.t("roles.bad_commune", name=" ".join(ctx.incoming.args)[:40]))]
    return await _list(ctx, 1, commune, kind)


async def on_stories_choice(ctx: Context) -> list[Reply]:
    """Paging, filtering and opening a published story."""
    parts = (ctx.choice or "").split(":")
    if len(parts) == 3 and parts[1] == "open" and parts[2].isdecimal():
        story = await ctx.storage.stories.get(int(parts[2]))
        if story is None or story.status != "published":
            return [Reply(ctx.t("stories.not_public", id=parts[2]))]
        card = public_card(story, ctx.texts, ctx.settings.province_code, ctx.campaigns)
        return [Reply(card, photos=tuple(story.photos))]
    if len(parts) == 5 and parts[1] == "page" and parts[2].isdecimal():
        commune = None if parts[3] == "-" else int(parts[3])
        kind = None if parts[4] == "-" else parts[4]
        return await _list(ctx, int(parts[2]), commune, kind, edit=True)
    return [Reply(ctx.t("dialog.stale_button"))]
