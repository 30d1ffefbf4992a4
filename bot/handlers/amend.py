"""The reporter's amendment: what the summary editor changed, through the story's one door, then
the story sent for review again."""

from __future__ import annotations

from bot.handlers.context import Context, menu_choices
from bot.handlers.drafts import changed_fields
from bot.handlers.notices import banned_notice
from bot.messages import Reply
from bot.storage import Change
from bot.workflow import BANNED, Action, Status

__all__ = ["AMENDABLE_ANSWERS", "resubmit"]

# Every answer of the report the reporter may change while changes are asked.
AMENDABLE_ANSWERS = ("kind", "content", "movement", "commune", "honoree", "honoree_role",
                     "title", "description", "date", "lat", "lon", "phone", "show_name",
                     "voice")


async def resubmit(ctx: Context) -> list[Reply]:
    """Amend the story with the draft (fields and photos) and send it for review again."""
    data = ctx.state.data
    story_id, version = int(data.get("amend", 0)), int(data.get("version", 0))
    story = await ctx.storage.stories.get(story_id)
    if story is None or story.reporter_id != ctx.person.id or (
            story.status != Status.NEEDS_CHANGES):
        ctx.state.reset()
        return [Reply(ctx.t("mine.not_editable"), choices=menu_choices(ctx))]
    fields = changed_fields(story, data, AMENDABLE_ANSWERS)
    photos = [str(p) for p in data.get("photos", [])]
    added = tuple(p for p in photos if p not in story.photos)
    removed = tuple(p for p in story.photos if p not in photos)
    reviews = ctx.storage.reviews
    if fields or added or removed:
        amended = await reviews.apply(Change(
            Action.AMEND, story_id, ctx.person.id, version=version, fields=fields,
            add_photos=added, remove_photos=removed))
        if not amended.ok:
            ctx.state.reset()
            return [Reply(_refused(ctx, amended.refusal, story_id), choices=menu_choices(ctx))]
    again = await reviews.apply(Change(Action.RESUBMIT, story_id, ctx.person.id))
    ctx.state.reset()
    if not again.ok:
        return [Reply(_refused(ctx, again.refusal, story_id), choices=menu_choices(ctx))]
    return [Reply(ctx.t("mine.resubmitted", id=story_id), choices=menu_choices(ctx))]


def _refused(ctx: Context, refusal: str | None, story_id: int) -> str:
    if refusal == BANNED:
        return banned_notice(ctx)
    if refusal == "review.changed":
        return ctx.t("amend.changed", id=story_id)
    return ctx.t("mine.not_editable")
