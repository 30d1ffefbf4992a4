"""Reviewers and duplicates: two stories side by side, one marked as a duplicate of the other
through the story's one door, and the duplicate's photos given to the story kept."""

from __future__ import annotations

from bot.cards import story_date
from bot.handlers.card_extras import DupCompare, DupMark, DupPhotos, photos_to_give
from bot.handlers.context import Context
from bot.handlers.report_steps import MAX_PHOTOS, voice_length
from bot.handlers.review import ReviewOpen, is_reviewer, open_card, say_outcome
from bot.messages import Choice, Reply
from bot.storage import Change, Story
from bot.workflow import Action, Status

__all__ = ["on_duplicate_choice"]

EXCERPT = 400  # characters of each description shown side by side
_OPEN = (Status.PENDING, Status.RECOMMENDED, Status.NEEDS_CHANGES)
_CLOSED = (Status.REJECTED, Status.WITHDRAWN)


async def _story(ctx: Context, story_id: int) -> tuple[Story | None, Reply | None]:
    """A story the reviewer may act on, or what to tell them."""
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return None, Reply(ctx.t("review.no_story", id=story_id))
    actor = await ctx.storage.reviews.actor(ctx.person.id)
    if actor is None or not actor.covers(story.commune_code):
        return None, Reply(ctx.t("review.not_yours", id=story_id))
    return story, None


def _cut(text: str) -> str:
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def _side_by_side(ctx: Context, a: Story, b: Story) -> str:
    """The key fields of two stories, each field's two values one under the other."""
    none = ctx.t("duplicate.compare_none")

    def field(name: str, left: object, right: object) -> str:
        return ctx.t("duplicate.compare_field", field=name, a=a.id, b=b.id, left=left,
                     right=right)

    def voice(story: Story) -> str:
        if not story.voice_ref:
            return none
        return "1" + voice_length(ctx, story.voice_seconds)

    text: str = ctx.t("duplicate.compare_header", a=a.id, b=b.id)
    text += field(ctx.t("duplicate.compare_status"), ctx.t(f"status.{a.status}"),
                  ctx.t(f"status.{b.status}"))
    text += field(ctx.t("report.field_title"), a.title, b.title)
    text += field(ctx.t("report.field_honoree"), f"{a.honoree_name} — {a.honoree_role}",
                  f"{b.honoree_name} — {b.honoree_role}")
    text += field(ctx.t("report.field_date"), story_date(a), story_date(b))
    text += field(ctx.t("duplicate.compare_filed"), a.created_at[:10], b.created_at[:10])
    text += field(ctx.t("duplicate.compare_reporter"), a.reporter_name or none,
                  b.reporter_name or none)
    text += field(ctx.t("duplicate.compare_photos"), len(a.photos), len(b.photos))
    text += field(ctx.t("duplicate.compare_voice"), voice(a), voice(b))
    text += field(ctx.t("report.field_description"), _cut(a.description), _cut(b.description))
    return text


async def _compare(ctx: Context, choice: DupCompare) -> list[Reply]:
    a, refusal = await _story(ctx, choice.story_id)
    b, other_refusal = await _story(ctx, choice.other_id)
    if a is None or b is None:
        return [refusal or other_refusal or Reply(ctx.t("dialog.stale_button"))]
    text = _side_by_side(ctx, a, b)
    rows: list[tuple[Choice, ...]] = []
    for dup, kept in ((a, b), (b, a)):
        if dup.status in _OPEN and kept.status not in _CLOSED:
            label = ctx.t("duplicate.mark_button", dup=dup.id, kept=kept.id)
            rows.append((Choice(label, DupMark(dup.id, kept.id, dup.version)),))
    if not rows:
        text += ctx.t("duplicate.compare_cannot")
    rows.append((Choice(ctx.t("duplicate.back_button", id=a.id), ReviewOpen(a.id)),))
    return [Reply(text, choices=tuple(rows))]


async def _mark(ctx: Context, choice: DupMark) -> list[Reply]:
    """The duplicate closed through the door; then the card of the story kept (where its photos
    are offered)."""
    outcome = await ctx.storage.reviews.apply(Change(
        Action.MARK_DUPLICATE, choice.story_id, ctx.person.id, version=choice.version,
        duplicate_of=choice.kept_id, note=ctx.t("duplicate.note", kept=choice.kept_id)))
    if not outcome.ok:
        return [Reply(say_outcome(ctx, outcome))]
    done = ctx.t("duplicate.done", dup=choice.story_id, kept=choice.kept_id)
    return [Reply(done), *await open_card(ctx, choice.kept_id)]


async def _photos(ctx: Context, choice: DupPhotos) -> list[Reply]:
    """The duplicate's photos (as many as there is room for) added by a correction."""
    kept, refusal = await _story(ctx, choice.story_id)
    if kept is None:
        return [refusal or Reply(ctx.t("dialog.stale_button"))]
    given = (await photos_to_give(ctx, kept, choice.from_id))[: MAX_PHOTOS - len(kept.photos)]
    if not given:
        return [Reply(ctx.t("duplicate.photos_none", dup=choice.from_id, id=kept.id)),
                *await open_card(ctx, kept.id)]
    outcome = await ctx.storage.reviews.apply(Change(
        Action.CORRECT, kept.id, ctx.person.id, version=choice.version,
        add_photos=tuple(given)))
    if not outcome.ok:
        return [Reply(say_outcome(ctx, outcome))]
    done = ctx.t("duplicate.photos_done", count=len(given), dup=choice.from_id, id=kept.id)
    return [Reply(done), *await open_card(ctx, kept.id)]


async def on_duplicate_choice(ctx: Context) -> list[Reply]:
    """The card's compare button, and the comparison's and the kept card's buttons; the role
    is checked again at every press."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    choice = ctx.choice
    if isinstance(choice, DupCompare):
        return await _compare(ctx, choice)
    if isinstance(choice, DupMark):
        return await _mark(ctx, choice)
    if isinstance(choice, DupPhotos):
        return await _photos(ctx, choice)
    return [Reply(ctx.t("dialog.stale_button"))]
