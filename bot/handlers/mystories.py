"""/mystories: the person's own stories; edit and resubmit when changes are asked, or withdraw."""

from __future__ import annotations

from datetime import datetime

from bot.cards import public_card
from bot.handlers.answers import single_line
from bot.handlers.context import Context
from bot.handlers.report_steps import DESCRIPTION, TITLE
from bot.handlers.review import say_outcome
from bot.messages import Choice, Reply

__all__ = ["FLOW", "PAGE_SIZE", "MineFlow", "on_mine_choice", "on_mystories", "on_mystories_page"]

PAGE_SIZE = 5
FLOW = "mine"


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
    rows: list[tuple[Choice, ...]] = [
        (Choice(ctx.t("mine.open", id=s.id), f"mine:open:{s.id}"),) for s in lines
    ]
    nav: list[Choice] = []
    if page > 1:
        nav.append(Choice(ctx.t("nav.prev_page"), f"mystories:{page - 1}"))
    if page < pages:
        nav.append(Choice(ctx.t("nav.next_page"), f"mystories:{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    return [Reply(f"{header}\n\n{body}", choices=tuple(rows), edit=edit)]


async def on_mystories(ctx: Context) -> list[Reply]:
    """The first page."""
    return await _page(ctx, 1, edit=False)


async def on_mystories_page(ctx: Context) -> list[Reply]:
    """Another page, replacing the one shown."""
    raw = (ctx.choice or "").removeprefix("mystories:")
    return await _page(ctx, int(raw) if raw.isdecimal() else 1, edit=True)


async def _own_card(ctx: Context, story_id: int) -> list[Reply]:
    story = await ctx.storage.stories.get(story_id)
    if story is None or story.reporter_id != ctx.person.id:
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    card: str = public_card(story, ctx.texts, ctx.settings.province_code,
                            ctx.campaigns)
    if story.review_note:
        card += ctx.t("review.card_note", note=story.review_note)
    rows: list[tuple[Choice, ...]] = []
    if story.status == "needs_changes":
        rows += [
            (Choice(ctx.t("mine.edit_title"), f"mine:edit:title:{story_id}"),),
            (Choice(ctx.t("mine.edit_description"), f"mine:edit:description:{story_id}"),),
            (Choice(ctx.t("mine.resubmit"), f"mine:resubmit:{story_id}"),),
        ]
    if story.status in ("pending", "recommended", "needs_changes"):
        rows.append((Choice(ctx.t("mine.withdraw"), f"mine:withdraw:{story_id}"),))
    rows.append((Choice(ctx.t("mine.back"), "mystories:1"),))
    return [Reply(card, photos=tuple(story.photos)),
            Reply(ctx.t("mine.card_actions", id=story_id), choices=tuple(rows))]


async def on_mine_choice(ctx: Context) -> list[Reply]:
    """Open one's own story, start an edit, resubmit or withdraw."""
    parts = (ctx.choice or "").split(":")
    if len(parts) == 3 and parts[1] == "open":
        return await _own_card(ctx, int(parts[2]))
    if len(parts) == 3 and parts[1] in ("resubmit", "withdraw"):
        story_id = int(parts[2])
        outcome = await ctx.storage.reviews.act(story_id, parts[1], ctx.person.id)
        if not outcome.ok:
            return [Reply(say_outcome(ctx, outcome))]
        done = {"resubmit": "mine.resubmitted", "withdraw": "mine.withdrawn"}[parts[1]]
        return [Reply(ctx.t(done, id=story_id))]
    if len(parts) == 4 and parts[1] == "edit" and parts[2] in ("title", "description"):
        story = await ctx.storage.stories.get(int(parts[3]))
        if story is None or story.reporter_id != ctx.person.id or story.status != "needs_changes":
            return [Reply(ctx.t("mine.not_editable"))]
        ctx.state.flow, ctx.state.step = FLOW, parts[2]
        ctx.state.data = {"id": story.id}
        return await MineFlow().reask(ctx)
    return [Reply(ctx.t("dialog.stale_button"))]


class MineFlow:
    """Typing a corrected title or description of one's own story."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask for the new text."""
        story_id = ctx.state.data.get("id", 0)
        key = "review.ask_new_title" if ctx.state.step == "title" else "review.ask_new_description"
        cancel = (Choice(ctx.t("nav.cancel"), f"mine:open:{story_id}"),)
        return [Reply(ctx.t(key, id=story_id), choices=(cancel,))]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Store the corrected text while the story still awaits changes."""
        story_id = int(ctx.state.data.get("id", 0))
        if ctx.text is None:
            return [Reply(ctx.t("report.need_text")), *await self.reask(ctx)]
        title = ctx.state.step == "title"
        text = single_line(ctx.text) if title else ctx.text.strip()
        bounds = TITLE if title else DESCRIPTION
        problem = bounds.problem(text)
        if problem:
            which, limit = problem
            bound = {"min": limit} if which == "too_short" else {"max": limit}
            return [Reply(ctx.t(f"report.{which}", length=len(text), **bound)),
                    *await self.reask(ctx)]
        changed = await ctx.storage.stories.amend(
            story_id, ctx.person.id, text if title else None, None if title else text)
        ctx.state.reset()
        if not changed:
            return [Reply(ctx.t("mine.not_editable"))]
        return [Reply(ctx.t("mine.amended", id=story_id)), *(await _own_card(ctx, story_id))[1:]]
