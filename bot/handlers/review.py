"""Reviewers: the queue, the card and its actions, and the same actions as commands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial

from bot.album import elsewhere_note, failed_note, story_album
from bot.buttons import Button
from bot.cards import review_card
from bot.handlers.answers import Length, single_line
from bot.handlers.card_extras import card_extras
from bot.handlers.context import Context
from bot.handlers.listing import (
    Where,
    filter_label,
    page_rows,
    parse_campaign,
    search_list,
    split_words,
)
from bot.handlers.undo_card import undo_rows
from bot.messages import Choice, Reply
from bot.storage import Outcome
from bot.workflow import Action, Role, Status

__all__ = [
    "FLOW",
    "NominateStart",
    "ReviewAsk",
    "ReviewDo",
    "ReviewFlow",
    "ReviewNext",
    "ReviewOpen",
    "ReviewPage",
    "act_and_say",
    "on_pending",
    "on_review_choice",
    "review_scope",
]


class Question(StrEnum):
    """What a review action needs to know first."""

    NOTE = "note"
    REASON = "reason"
    CORRECT = "correct"


@dataclass(frozen=True)
class ReviewOpen(Button, tag="rv.open"):
    """Open a story's card."""

    story_id: int


@dataclass(frozen=True)
class ReviewPage(Button, tag="rv.page"):
    """A page of the queue, with its filter."""

    page: int
    commune: int | None = None
    kind: str | None = None
    campaign: str | None = None


@dataclass(frozen=True)
class ReviewNext(Button, tag="rv.next"):
    """Skip to the next story in the queue after this one."""

    after: int


@dataclass(frozen=True)
class ReviewDo(Button, tag="rv.do"):
    """Take an action on the story as the card showed it."""

    action: Action
    story_id: int
    version: int


@dataclass(frozen=True)
class ReviewAsk(Button, tag="rv.ask"):
    """Start an action that needs a note, a reason or a corrected field."""

    question: Question
    story_id: int
    version: int


@dataclass(frozen=True)
class NominateStart(Button, tag="nm.start"):
    """Propose an approved or published story for an award."""

    story_id: int


@dataclass(frozen=True)
class ReviewCancel(Button, tag="rv.cancel"):
    """Leave the note, reason or correction; back to the card."""


@dataclass(frozen=True)
class RejectReason(Button, tag="rv.reason"):
    """One of the listed reasons for a rejection."""

    reason: str



FLOW = "review"
PAGE = 5
NOTE = Length(3, 500)
REASONS = ("duplicate", "unverifiable", "off_topic", "inappropriate")
DONE: dict[str, str] = {
    Status.APPROVED: "review.done_approved",
    Status.PUBLISHED: "review.done_published",
    Status.RECOMMENDED: "review.done_recommended",
    Status.REJECTED: "review.done_rejected",
    Status.NEEDS_CHANGES: "review.done_needs_changes",
}


def is_reviewer(ctx: Context) -> bool:
    """Whether the person reviews anything, as stored now."""
    return ctx.person.role in (Role.REVIEWER, Role.ADMIN)


async def review_scope(ctx: Context) -> frozenset[int] | None:
    """The communes the person reviews; None for the whole province."""
    if ctx.person.role == Role.ADMIN:
        return None
    communes = await ctx.storage.roles.scopes(ctx.person.id)
    return None if 0 in communes else communes


async def _queue(ctx: Context, page: int, commune: int | None, kind: str | None,
                 edit: bool = False, campaign: str | None = None) -> list[Reply]:
    total, lines = await ctx.storage.stories.queue(
        await review_scope(ctx), commune, kind, (page - 1) * PAGE, PAGE, campaign=campaign)
    if total == 0:
        return [Reply(ctx.t("review.queue_empty"), edit=edit)]
    pages = (total + PAGE - 1) // PAGE
    filt = filter_label(ctx, commune, kind, campaign)
    header = ctx.t("review.queue_header", total=total, filter=filt, page=page, pages=pages)
    rows = page_rows(ctx, lines, page, pages, ReviewOpen,
                     partial(ReviewPage, commune=commune, kind=kind, campaign=campaign))
    return [Reply(header, choices=tuple(rows), edit=edit)]


async def on_pending(ctx: Context) -> list[Reply]:
    """/pending [campaign] [commune | kind | words]: the stories waiting, oldest first; words
    that name no commune or kind are searched among them."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    campaign, words, problem = parse_campaign(ctx, list(ctx.incoming.args))
    if problem is not None:
        return [Reply(problem)]
    commune, kind, rest = split_words(ctx, words)
    if rest:
        return await search_list(ctx, rest, Where.QUEUE, ReviewOpen, commune, kind,
                                 campaign=campaign, maybe_commune=commune is None)
    return await _queue(ctx, 1, commune, kind, campaign=campaign)


async def open_card(ctx: Context, story_id: int) -> list[Reply]:
    """The whole story with the actions a reviewer may take."""
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    actor = await ctx.storage.reviews.actor(ctx.person.id)
    if actor is None or not actor.covers(story.commune_code):
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    album = await story_album(ctx.storage.photos, story.id, ctx.archived_photos,
                              ctx.incoming.channel == story.channel)
    text = review_card(story, ctx.texts, ctx.settings.province_code, ctx.campaigns) \
        + failed_note(album, ctx.texts) + elsewhere_note(album, ctx.texts, story.channel)
    rows: tuple[tuple[Choice, ...], ...] = ()
    if story.status in (Status.PENDING, Status.RECOMMENDED):
        v = (story.id, story.version)
        two_level = ctx.settings.review_levels == 2 and actor.role != Role.ADMIN
        approve = ctx.t("review.recommend" if two_level else "review.approve")
        rows = (
            (Choice(approve, ReviewDo(Action.APPROVE, *v)),
             Choice(ctx.t("review.changes"), ReviewAsk(Question.NOTE, *v))),
            (Choice(ctx.t("review.reject"), ReviewAsk(Question.REASON, *v)),
             Choice(ctx.t("review.correct"), ReviewAsk(Question.CORRECT, *v))),
            (Choice(ctx.t("review.skip"), ReviewNext(story.id)),),
        )
    elif story.status in (Status.APPROVED, Status.PUBLISHED):
        rows = ((Choice(ctx.t("nominate.button"), NominateStart(story.id)),),
                *undo_rows(ctx, story))
    extra = await card_extras(ctx, story)  # the voice note, duplicates, a duplicate's photos
    return [Reply(text + extra.text, choices=(*extra.rows, *rows), photos=album.photos,
                  photo_uploads=album.uploads, audio=extra.audio)]


async def _next_after(ctx: Context, story_id: int) -> list[Reply]:
    _, lines = await ctx.storage.stories.queue(await review_scope(ctx), None, None, 0, 1000)
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


async def act_and_say(ctx: Context, story_id: int, action: Action, *, version: int | None = None,
                      note: str | None = None) -> tuple[Outcome, str]:
    """Take the action through the one transition function and word the result."""
    outcome = await ctx.storage.reviews.act(story_id, action, ctx.person.id, version=version,
                                            note=note)
    return outcome, say_outcome(ctx, outcome)


async def on_review_choice(ctx: Context) -> list[Reply]:
    """Buttons of the queue and the card; the role is checked again at every press."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    choice = ctx.choice
    if isinstance(choice, ReviewOpen):
        return await open_card(ctx, choice.story_id)
    if isinstance(choice, ReviewPage):
        return await _queue(ctx, choice.page, choice.commune, choice.kind, edit=True,
                            campaign=choice.campaign)
    if isinstance(choice, ReviewNext):
        return await _next_after(ctx, choice.after)
    if isinstance(choice, ReviewDo):
        outcome, line = await act_and_say(ctx, choice.story_id, choice.action,
                                          version=choice.version)
        if not outcome.ok:
            return [Reply(line)]
        return [Reply(line), *await _next_after(ctx, choice.story_id)]
    if isinstance(choice, ReviewAsk):
        return _ask(ctx, choice.question, choice.story_id, choice.version)
    return [Reply(ctx.t("dialog.stale_button"))]


def _ask(ctx: Context, step: Question, story_id: int, version: int) -> list[Reply]:
    ctx.state.flow, ctx.state.step = FLOW, str(step)
    ctx.state.data = {"id": story_id, "version": version}
    return [_question(ctx)]


def _question(ctx: Context) -> Reply:
    step, story_id = ctx.state.step, ctx.state.data.get("id", 0)
    cancel = (Choice(ctx.t("nav.cancel"), ReviewCancel()),)
    if step == "reason":
        rows = tuple((Choice(ctx.t(f"review.reason_{r}"), RejectReason(r)),) for r in REASONS)
        return Reply(ctx.t("review.ask_reason", id=story_id), choices=(*rows, cancel))
    return Reply(ctx.t("review.ask_note", id=story_id, max=NOTE.high), choices=(cancel,))


class ReviewFlow:
    """The short dialogs of a review: a note for changes asked, a reason for a rejection."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the pending question again."""
        return [_question(ctx)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the note, reason or corrected text, and act."""
        state, choice = ctx.state, ctx.choice
        story_id, version = int(state.data.get("id", 0)), int(state.data.get("version", 0))
        if not is_reviewer(ctx):
            state.reset()
            return [Reply(ctx.t("roles.not_reviewer"))]
        if isinstance(choice, ReviewCancel):
            state.reset()
            return await open_card(ctx, story_id)
        text: str | None = None
        if state.step == "reason" and isinstance(choice, RejectReason):
            text = ctx.t(f"review.reason_{choice.reason}") if choice.reason in REASONS else None
        elif ctx.text is not None:
            text = single_line(ctx.text)
        if text is None or NOTE.problem(text):
            bad = ctx.t("review.note_bad", min=NOTE.low, max=NOTE.high)
            return [Reply(bad), _question(ctx)]
        action = Action.REJECT if state.step == "reason" else Action.REQUEST_CHANGES
        outcome, line = await act_and_say(ctx, story_id, action, version=version, note=text)
        state.reset()
        if not outcome.ok:
            return [Reply(line)]
        return [Reply(line), *await _next_after(ctx, story_id)]
