"""/mystories: the person's own stories; edit and resubmit when changes are asked, or withdraw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.buttons import Button
from bot.cards import public_card
from bot.handlers.context import Context
from bot.handlers.report import open_amendment
from bot.handlers.review import say_outcome
from bot.messages import Choice, Reply
from bot.workflow import Action, Status

__all__ = [
    "PAGE_SIZE",
    "MineAct",
    "MineAmend",
    "MineOpen",
    "MinePage",
    "on_mine_choice",
    "on_mystories",
    "on_mystories_page",
]

PAGE_SIZE = 5


@dataclass(frozen=True)
class MinePage(Button, tag="mine.page"):
    """A page of one's own stories."""

    page: int


@dataclass(frozen=True)
class MineOpen(Button, tag="mine.open"):
    """One's own story, with what one may do with it."""

    story_id: int


@dataclass(frozen=True)
class MineAct(Button, tag="mine.act"):
    """Resubmit or withdraw one's own story."""

    action: Action
    story_id: int


@dataclass(frozen=True)
class MineAmend(Button, tag="mine.amend"):
    """Edit one's own story (every field, photos, phone) while changes are asked, and resend."""

    story_id: int


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
        (Choice(ctx.t("mine.open", id=s.id), MineOpen(s.id)),) for s in lines
    ]
    nav: list[Choice] = []
    if page > 1:
        nav.append(Choice(ctx.t("nav.prev_page"), MinePage(page - 1)))
    if page < pages:
        nav.append(Choice(ctx.t("nav.next_page"), MinePage(page + 1)))
    if nav:
        rows.append(tuple(nav))
    return [Reply(f"{header}\n\n{body}", choices=tuple(rows), edit=edit)]


async def on_mystories(ctx: Context) -> list[Reply]:
    """The first page."""
    return await _page(ctx, 1, edit=False)


async def on_mystories_page(ctx: Context) -> list[Reply]:
    """Another page, replacing the one shown."""
    page = ctx.choice.page if isinstance(ctx.choice, MinePage) else 1
    return await _page(ctx, page, edit=True)


async def _own_card(ctx: Context, story_id: int) -> list[Reply]:
    story = await ctx.storage.stories.get(story_id)
    if story is None or story.reporter_id != ctx.person.id:
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    card: str = public_card(story, ctx.texts, ctx.settings.province_code,
                            ctx.campaigns)
    if story.review_note:
        card += ctx.t("review.card_note", note=story.review_note)
    rows: list[tuple[Choice, ...]] = []
    if story.status == Status.NEEDS_CHANGES:
        rows += [
            (Choice(ctx.t("amend.open"), MineAmend(story_id)),),
            (Choice(ctx.t("mine.resubmit"), MineAct(Action.RESUBMIT, story_id)),),
        ]
    if story.status in (Status.PENDING, Status.RECOMMENDED, Status.NEEDS_CHANGES):
        rows.append((Choice(ctx.t("mine.withdraw"), MineAct(Action.WITHDRAW, story_id)),))
    rows.append((Choice(ctx.t("mine.back"), MinePage(1)),))
    return [Reply(card, photos=tuple(story.photos)),
            Reply(ctx.t("mine.card_actions", id=story_id), choices=tuple(rows))]


async def on_mine_choice(ctx: Context) -> list[Reply]:
    """Open one's own story, start an edit, resubmit or withdraw."""
    choice = ctx.choice
    if isinstance(choice, MineOpen):
        return await _own_card(ctx, choice.story_id)
    if isinstance(choice, MineAct) and choice.action in (Action.RESUBMIT, Action.WITHDRAW):
        outcome = await ctx.storage.reviews.act(choice.story_id, choice.action, ctx.person.id)
        if not outcome.ok:
            return [Reply(say_outcome(ctx, outcome))]
        done = "mine.resubmitted" if choice.action == Action.RESUBMIT else "mine.withdrawn"
        return [Reply(ctx.t(done, id=choice.story_id))]
    if isinstance(choice, MineAmend):
        story = await ctx.storage.stories.get(choice.story_id)
        mine = story is not None and story.reporter_id == ctx.person.id
        if story is None or not mine or story.status != Status.NEEDS_CHANGES:
            return [Reply(ctx.t("mine.not_editable"))]
        return open_amendment(ctx, story)
    return [Reply(ctx.t("dialog.stale_button"))]
