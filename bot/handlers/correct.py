"""A reviewer corrects any field of a story before deciding: the question of /report for that
field, checked the same way, then one audited correction through the story's one door."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.handlers.context import Context
from bot.handlers.drafts import CORRECTABLE_STEPS, changed_fields, draft_of
from bot.handlers.report_steps import STEPS, Move, applies, moved
from bot.handlers.review import is_reviewer, open_card, say_outcome
from bot.messages import Choice, Reply
from bot.storage import Change
from bot.workflow import Action, Status

__all__ = ["FLOW", "CorrectFlow", "CorrectPick", "DropPhoto", "start_correction"]

FLOW = "correct"
# The story columns each correctable question answers (the report's keys for them).
_ANSWERS: dict[str, tuple[str, ...]] = {
    "kind": ("kind",), "content": ("content", "movement"), "movement": ("content", "movement"),
    "commune": ("commune",), "honoree": ("honoree",), "honoree_role": ("honoree_role",),
    "title": ("title",), "description": ("description",), "date": ("date",),
    "location": ("lat", "lon"),
}


@dataclass(frozen=True)
class CorrectPick(Button, tag="cr.pick"):
    """The field to correct ('photos': take a photo out)."""

    step: str


@dataclass(frozen=True)
class DropPhoto(Button, tag="cr.drop"):
    """Take this photo (by its place in the album) out of the story."""

    index: int


@dataclass(frozen=True)
class CorrectDone(Button, tag="cr.done"):
    """Back to the card, nothing more to correct."""


async def start_correction(ctx: Context, story_id: int, version: int) -> list[Reply]:
    """The card's edit button: which field? (only while the story is under review, in scope)."""
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    actor = await ctx.storage.reviews.actor(ctx.person.id)
    if actor is None or not actor.covers(story.commune_code):
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    if story.status not in (Status.PENDING, Status.RECOMMENDED):
        status = ctx.t(f"status.{story.status}")
        return [Reply(ctx.t("review.wrong_status", id=story_id, status=status))]
    if story.version != version:
        status = ctx.t(f"status.{story.status}")
        return [Reply(ctx.t("review.changed", id=story_id, status=status)),
                *await open_card(ctx, story_id)]
    ctx.state.flow, ctx.state.step = FLOW, "pick"
    ctx.state.data = {**draft_of(story), "id": story.id, "version": story.version,
                      "editing": True}
    return [_picker(ctx)]


def _picker(ctx: Context) -> Reply:
    choices = [Choice(ctx.t(f"report.field_{step}"), CorrectPick(step))
               for step in CORRECTABLE_STEPS]
    if ctx.state.data.get("photos"):
        choices.append(Choice(ctx.t("correct.drop_photo"), CorrectPick("photos")))
    rows = tuple(tuple(choices[i: i + 2]) for i in range(0, len(choices), 2))
    done = (Choice(ctx.t("correct.done"), CorrectDone()),)
    return Reply(ctx.t("correct.ask_field", id=ctx.state.data.get("id", 0)), choices=(*rows, done))


def _photos(ctx: Context) -> Reply:
    photos = tuple(str(p) for p in ctx.state.data.get("photos", []))
    rows = tuple((Choice(ctx.t("correct.drop_this", n=i + 1, count=len(photos)), DropPhoto(i)),)
                 for i in range(len(photos)))
    back = (Choice(ctx.t("nav.back"), CorrectPick("")),)
    return Reply(ctx.t("correct.ask_photo", count=len(photos)), choices=(*rows, back),
                 photos=photos)


class CorrectFlow:
    """pick a field → the report's question for it → corrected, audited, back to the card."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask the current question again."""
        step = ctx.state.step
        if step == "photos":
            return [_photos(ctx)]
        if step in STEPS:
            return [STEPS[step].ask(ctx)]
        ctx.state.step = "pick"
        return [_picker(ctx)]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the field, the corrected answer, or the photo to take out."""
        state, choice = ctx.state, ctx.choice
        story_id = int(state.data.get("id", 0))
        if not is_reviewer(ctx):
            state.reset()
            return [Reply(ctx.t("roles.not_reviewer"))]
        if isinstance(choice, CorrectDone) or moved(ctx, Move.CANCEL):
            state.reset()
            return await open_card(ctx, story_id)
        if moved(ctx, Move.BACK) or (isinstance(choice, CorrectPick) and not choice.step):
            state.step = "pick"
            return [_picker(ctx)]
        if state.step == "pick":
            return self._pick(ctx)
        if state.step == "photos":
            return await self._drop(ctx)
        if state.step not in STEPS:
            return await self.reask(ctx)
        stay = await STEPS[state.step].answer(ctx)
        if stay is not None:
            return stay
        if state.step == "content" and applies(ctx, "movement") and "movement" not in state.data:
            state.step = "movement"
            return [STEPS["movement"].ask(ctx)]
        return await self._correct(ctx, _ANSWERS.get(state.step, ()))

    def _pick(self, ctx: Context) -> list[Reply]:
        choice = ctx.choice
        step = choice.step if isinstance(choice, CorrectPick) else ""
        if step == "photos" and ctx.state.data.get("photos"):
            ctx.state.step = "photos"
            return [_photos(ctx)]
        if step not in CORRECTABLE_STEPS:
            return [Reply(ctx.t("dialog.use_choices")), _picker(ctx)]
        if step == "content":
            ctx.state.data.pop("movement", None)
        ctx.state.step = step
        return [STEPS[step].ask(ctx)]

    async def _drop(self, ctx: Context) -> list[Reply]:
        photos = [str(p) for p in ctx.state.data.get("photos", [])]
        choice = ctx.choice
        if not isinstance(choice, DropPhoto) or not 0 <= choice.index < len(photos):
            return [Reply(ctx.t("dialog.use_choices")), _photos(ctx)]
        return await self._correct(ctx, (), drop=photos[choice.index])

    async def _correct(self, ctx: Context, answers: tuple[str, ...],
                       drop: str | None = None) -> list[Reply]:
        state = ctx.state
        story_id, version = int(state.data.get("id", 0)), int(state.data.get("version", 0))
        story = await ctx.storage.stories.get(story_id)
        fields = changed_fields(story, state.data, answers) if story else {}
        state.reset()
        if story is None:
            return [Reply(ctx.t("review.no_story", id=story_id))]
        if not fields and drop is None:
            return [Reply(ctx.t("correct.unchanged")), *await open_card(ctx, story_id)]
        outcome = await ctx.storage.reviews.apply(Change(
            Action.CORRECT, story_id, ctx.person.id, version=version, fields=fields,
            remove_photos=(drop,) if drop else ()))
        return [Reply(say_outcome(ctx, outcome)), *await open_card(ctx, story_id)]

