"""Reviewers: the queue, the card and its actions, and the same actions as commands."""

from __future__ import annotations

from bot.cards import review_card
from bot.handlers.answers import Length, single_line
from bot.handlers.context import Context
from bot.handlers.listing import filter_key, filter_label, page_rows, parse_filter
from bot.handlers.report_steps import DESCRIPTION, TITLE
from bot.messages import Choice, Reply
from bot.storage import Outcome

__all__ = [
    "FLOW",
    "ReviewFlow",
    "act_and_say",
    "on_pending",
    "on_review_choice",
]

FLOW = "review"
PAGE = 5
NOTE = Length(3, 500)
REASONS = ("duplicate", "unverifiable", "off_topic", "inappropriate")
DONE = {"approved": "review.done_approved", "recommended": "review.done_recommended",
        "rejected": "review.done_rejected", "needs_changes": "review.done_needs_changes"}


def is_reviewer(ctx: Context) -> bool:
    """Whether the person reviews anything, as stored now."""
    return ctx.person.role in ("reviewer", "admin")


async def _scope(ctx: Context) -> frozenset[int] | None:
    """The communes the person reviews; None for the whole province."""
    if ctx.person.role == "admin":
        return None
    communes = await ctx.storage.roles.scopes(ctx.person.id)
    return None if 0 in communes else communes


async def _queue(ctx: Context, page: int, commune: int | None, kind: str | None,
                 edit: bool = False) -> list[Reply]:
    total, lines = await ctx.storage.stories.queue(
        await _scope(ctx), commune, kind, (page - 1) * PAGE, PAGE)
    if total == 0:
        return [Reply(ctx.t("review.queue_empty"), edit=edit)]
    pages = (total + PAGE - 1) // PAGE
    filt = filter_label(ctx, commune, kind)
    header = ctx.t("review.queue_header", total=total, filter=filt, page=page, pages=pages)
    rows = page_rows(ctx, "rv", lines, page, pages, filter_key(commune, kind))
    return [Reply(header, choices=tuple(rows), edit=edit)]


async def on_pending(ctx: Context) -> list[Reply]:
    """/pending [commune | kind]: the stories waiting, oldest first."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    commune, kind = parse_filter(ctx, list(ctx.incoming.args))
    if commune == -1:
        return [Reply(ctx.t("roles.bad_commune", name=" ".join(ctx.incoming.args)))]
    return await _queue(ctx, 1, commune, kind)


async def open_card(ctx: Context, story_id: int) -> list[Reply]:
    """The whole story with the actions a reviewer may take."""
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    actor = await ctx.storage.reviews.actor(ctx.person.id)
    if actor is None or not actor.covers(story.commune_code):
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    text = review_card(story, ctx.texts, ctx.settings.province_code, ctx.campaigns)
    rows: tuple[tuple[Choice, ...], ...] = ()
    if story.status in ("pending", "recommended"):
        v = f"{story.id}:{story.version}"
        two_level = ctx.settings.review_levels == 2 and actor.role != "admin"
        approve = ctx.t("review.recommend" if two_level else "review.approve")
        rows = (
            (Choice(approve, f"rv:do:approve:{v}"),
             Choice(ctx.t("review.changes"), f"rv:ask:note:{v}")),
            (Choice(ctx.t("review.reject"), f"rv:ask:reason:{v}"),
             Choice(ctx.t("review.correct"), f"rv:ask:correct:{v}")),
            (Choice(ctx.t("review.skip"), f"rv:next:{story.id}"),),
        )
    elif story.status in ("approved", "published"):
        rows = ((Choice(ctx.t("nominate.button"), f"nm:start:{story.id}"),),)
    return [Reply(text, choices=rows, photos=tuple(story.photos))]


async def _next_after(ctx: Context, story_id: int) -> list[Reply]:
    _, lines = await ctx.storage.stories.queue(await _scope(ctx), None, None, 0, 1000)
    later = [s.id for s in lines if s.id > story_id] or [s.id for s in lines if s.id != story_id]
    if not later:
        return [Reply(ctx.t("review.queue_empty"))]
    return await open_card(ctx, later[0])


def say_outcome(ctx: Context, outcome: Outcome) -> str:
    """One line on what an action did, or why it did not."""
    if outcome.ok:
        if outcome.to_status == outcome.from_status:
            return ctx.t("review.done_corrected", id=outcome.story_id)
        return ctx.t(DONE.get(outcome.to_status or "", "review.done_approved"), id=outcome.story_id)
    status = ctx.t(f"status.{outcome.from_status}") if outcome.from_status else ""
    return ctx.t(outcome.refusal or "review.wrong_status", id=outcome.story_id, status=status)


async def act_and_say(ctx: Context, story_id: int, action: str, *, version: int | None = None,
                      note: str | None = None, title: str | None = None,
                      description: str | None = None) -> tuple[Outcome, str]:
    """Take the action through the one transition function and word the result."""
    outcome = await ctx.storage.reviews.act(story_id, action, ctx.person.id, version=version,
                                            note=note, title=title, description=description)
    return outcome, say_outcome(ctx, outcome)


async def on_review_choice(ctx: Context) -> list[Reply]:
    """Buttons of the queue and the card; the role is checked again at every press."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    parts = (ctx.choice or "").split(":")
    what = parts[1] if len(parts) > 1 else ""
    if what == "open" and len(parts) == 3:
        return await open_card(ctx, int(parts[2]))
    if what == "page" and len(parts) == 5:
        commune = None if parts[3] == "-" else int(parts[3])
        kind = None if parts[4] == "-" else parts[4]
        return await _queue(ctx, int(parts[2]), commune, kind, edit=True)
    if what == "next" and len(parts) == 3:
        return await _next_after(ctx, int(parts[2]))
    if what == "do" and len(parts) == 5:
        story_id, version = int(parts[3]), int(parts[4])
        outcome, line = await act_and_say(ctx, story_id, parts[2], version=version)
        if not outcome.ok:
            return [Reply(line)]
        return [Reply(line), *await _next_after(ctx, story_id)]
    if what == "ask" and len(parts) == 5:
        return _ask(ctx, parts[2], int(parts[3]), int(parts[4]))
    return [Reply(ctx.t("dialog.stale_button"))]


def _ask(ctx: Context, step: str, story_id: int, version: int) -> list[Reply]:
    ctx.state.flow, ctx.state.step = FLOW, step
    ctx.state.data = {"id": story_id, "version": version}
    return [_question(ctx)]


def _question(ctx: Context) -> Reply:
    step, story_id = ctx.state.step, ctx.state.data.get("id", 0)
    cancel = (Choice(ctx.t("nav.cancel"), "rf:cancel"),)
    if step == "reason":
        rows = tuple((Choice(ctx.t(f"review.reason_{r}"), f"rf:reason:{r}"),) for r in REASONS)
        return Reply(ctx.t("review.ask_reason", id=story_id), choices=(*rows, cancel))
    if step == "correct":
        fields = (Choice(ctx.t("review.correct_title"), "rf:field:title"),
                  Choice(ctx.t("review.correct_description"), "rf:field:description"))
        return Reply(ctx.t("review.ask_correct", id=story_id), choices=(fields, cancel))
    if step == "title":
        return Reply(ctx.t("review.ask_new_title", id=story_id), choices=(cancel,))
    if step == "description":
        return Reply(ctx.t("review.ask_new_description", id=story_id), choices=(cancel,))
    return Reply(ctx.t("review.ask_note", id=story_id, max=NOTE.high), choices=(cancel,))


class ReviewFlow:
    """The short dialogs of a review: a note, a reason, a correction."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the pending question again."""
        return [_question(ctx)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the note, reason or corrected text, and act."""
        state, choice = ctx.state, ctx.choice or ""
        story_id, version = int(state.data.get("id", 0)), int(state.data.get("version", 0))
        if not is_reviewer(ctx):
            state.reset()
            return [Reply(ctx.t("roles.not_reviewer"))]
        if choice == "rf:cancel":
            state.reset()
            return await open_card(ctx, story_id)
        if state.step == "correct":
            field = choice.removeprefix("rf:field:")
            if field not in ("title", "description"):
                return [Reply(ctx.t("dialog.use_choices")), _question(ctx)]
            state.step = field
            return [_question(ctx)]
        text: str | None = None
        if state.step == "reason" and choice.startswith("rf:reason:"):
            reason = choice.removeprefix("rf:reason:")
            text = ctx.t(f"review.reason_{reason}") if reason in REASONS else None
        elif ctx.text is not None:
            text = single_line(ctx.text) if state.step != "description" else ctx.text.strip()
        bounds = {"title": TITLE, "description": DESCRIPTION}.get(state.step, NOTE)
        if text is None or bounds.problem(text):
            bad = ctx.t("review.note_bad", min=bounds.low, max=bounds.high)
            return [Reply(bad), _question(ctx)]
        action = {"note": "request_changes", "reason": "reject"}.get(state.step, "correct")
        kwargs: dict[str, str] = {"note": text} if action != "correct" else {state.step: text}
        outcome, line = await act_and_say(ctx, story_id, action, version=version, **kwargs)
        state.reset()
        if action == "correct" and outcome.ok:
            return [Reply(line), *await open_card(ctx, story_id)]
        if not outcome.ok:
            return [Reply(line)]
        return [Reply(line), *await _next_after(ctx, story_id)]
