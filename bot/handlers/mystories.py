"""/mystories: the person's own stories, newest first, a page at a time."""

from __future__ import annotations

from datetime import datetime

from bot.handlers.context import Context
from bot.messages import Choice, Reply

__all__ = ["PAGE_SIZE", "on_mystories", "on_mystories_page"]

PAGE_SIZE = 5


async def _page(ctx: Context, page: int, edit: bool) -> list[Reply]:
    stories = ctx.storage.stories
    total = await stories.count_by_reporter(ctx.person.id)
    if total == 0:
        return [Reply(ctx.t("mystories.empty"))]
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    page = max(1, min(page, pages))
    lines = await stories.by_reporter(ctx.person.id, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    tz = ctx.settings.tz
    body = "\n\n".join(
        ctx.t(
            "mystories.line",
            id=s.id,
            title=s.title,
            status=ctx.t(f"status.{s.status}"),
            date=datetime.fromisoformat(s.created_at).astimezone(tz).strftime("%d/%m/%Y"),
        )
        for s in lines
    )
    header = ctx.t("mystories.header", total=total, page=page, pages=pages)
    row: list[Choice] = []
    if page > 1:
        row.append(Choice(ctx.t("nav.prev_page"), f"mystories:{page - 1}"))
    if page < pages:
        row.append(Choice(ctx.t("nav.next_page"), f"mystories:{page + 1}"))
    return [Reply(f"{header}\n\n{body}", choices=(tuple(row),) if row else (), edit=edit)]


async def on_mystories(ctx: Context) -> list[Reply]:
    """The first page."""
    return await _page(ctx, 1, edit=False)


async def on_mystories_page(ctx: Context) -> list[Reply]:
    """Another page, replacing the one shown."""
    raw = (ctx.choice or "").removeprefix("mystories:")
    return await _page(ctx, int(raw) if raw.isdigit() else 1, edit=True)
