"""Admins undo a decision: /revert <id> <reason> (an approval), /unpublish <id> <reason> (a
publication), or the same from the review card. The reporter is told; the channel post comes
down through the outbox and the admin hears how that went."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.handlers.answers import single_line
from bot.handlers.context import Context
from bot.handlers.review import NOTE, open_card, say_outcome
from bot.handlers.undo_card import UndoAsk
from bot.messages import Choice, Reply
from bot.storage import Change
from bot.workflow import ACTIONS, Action, Role, Status

__all__ = ["FLOW", "UndoCancel", "UndoFlow", "on_revert", "on_undo_choice", "on_unpublish"]

FLOW = "undo"
# The statuses each undo applies to, named in the refusal.
SOURCE = {Action.REVERT: (Status.APPROVED, Status.PUBLISHED), Action.UNPUBLISH: (Status.PUBLISHED,)}


@dataclass(frozen=True)
class UndoCancel(Button, tag="undo.cancel"):
    """Leave the reason; back to the card."""

    story_id: int


def _asked(ctx: Context) -> Action | None:
    """The undo the open question is about, if it is one."""
    raw = str(ctx.state.data.get("action"))
    action = Action(raw) if raw in ACTIONS else None
    return action if action in SOURCE else None


def _where(ctx: Context, action: Action) -> str:
    """Without a channel, taking a story down takes it out of the bot's own gallery."""
    return "_gallery" if action is Action.UNPUBLISH and not ctx.settings.publish_chat_id else ""


def _number(raw: str) -> int | None:
    value = raw.removeprefix("#")
    return int(value) if value.isdecimal() and len(value) <= 9 else None


async def undo(ctx: Context, action: Action, story_id: int, reason: str,
               version: int | None = None) -> str:
    """Take the undo through the door and say what happened, or why not (naming the status)."""
    outcome = await ctx.storage.reviews.apply(
        Change(action, story_id, ctx.person.id, note=reason, version=version))
    if outcome.ok:
        return ctx.t(f"undo.done_{action}{_where(ctx, action)}", id=story_id)
    if outcome.refusal == "review.wrong_status" and outcome.from_status:
        labels = [ctx.t(f"status.{status}") for status in SOURCE[action]]
        needed = ctx.t("undo.needed_revert", approved=labels[0], published=labels[-1]) \
            if len(labels) > 1 else labels[0]
        return ctx.t(f"undo.wrong_status_{action}", id=story_id,
                     status=ctx.t(f"status.{outcome.from_status}"), needed=needed)
    if outcome.refusal == "review.not_yours":
        return ctx.t("roles.not_admin")
    return say_outcome(ctx, outcome)


async def _command(ctx: Context, action: Action) -> list[Reply]:
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    args = ctx.incoming.args
    if len(args) < 2:
        return [Reply(ctx.t(f"undo.usage_{action}"))]
    story_id = _number(args[0])
    if story_id is None:
        return [Reply(ctx.t("review.bad_id", value=args[0][:20]))]
    reason = single_line(" ".join(args[1:]))
    if NOTE.problem(reason):
        return [Reply(ctx.t("review.note_bad", min=NOTE.low, max=NOTE.high))]
    return [Reply(await undo(ctx, action, story_id, reason))]


async def on_revert(ctx: Context) -> list[Reply]:
    """/revert <id> <reason>: an approved story goes back to review (admins)."""
    return await _command(ctx, Action.REVERT)


async def on_unpublish(ctx: Context) -> list[Reply]:
    """/unpublish <id> <reason>: a published story is taken down, approved still (admins)."""
    return await _command(ctx, Action.UNPUBLISH)


async def on_undo_choice(ctx: Context) -> list[Reply]:
    """The card's undo button: ask the reason (the role is checked again at the press)."""
    choice = ctx.choice
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    if not isinstance(choice, UndoAsk) or choice.action not in SOURCE:
        return [Reply(ctx.t("dialog.stale_button"))]
    ctx.state.flow, ctx.state.step = FLOW, "reason"
    ctx.state.data = {"id": choice.story_id, "version": choice.version,
                      "action": str(choice.action)}
    return await UndoFlow().reask(ctx)


class UndoFlow:
    """The reason for an undo started from the card, then the undo."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Ask why."""
        story_id, action = int(ctx.state.data.get("id", 0)), _asked(ctx)
        if action is None:
            ctx.state.reset()
            return [Reply(ctx.t("dialog.stale_button"))]
        cancel = (Choice(ctx.t("nav.cancel"), UndoCancel(story_id)),)
        return [Reply(ctx.t(f"undo.ask_{action}{_where(ctx, action)}", id=story_id,
                            max=NOTE.high),
                      choices=(cancel,))]

    async def handle(self, ctx: Context) -> list[Reply]:
        """Take the reason and undo, or go back to the card."""
        state = ctx.state
        story_id, version = int(state.data.get("id", 0)), int(state.data.get("version", 0))
        action = _asked(ctx)
        if ctx.person.role != Role.ADMIN or action is None:
            state.reset()
            return [Reply(ctx.t("roles.not_admin"))]
        if isinstance(ctx.choice, UndoCancel):
            state.reset()
            return await open_card(ctx, story_id)
        reason = single_line(ctx.text or "")
        if NOTE.problem(reason):
            return [Reply(ctx.t("review.note_bad", min=NOTE.low, max=NOTE.high)),
                    *await self.reask(ctx)]
        line = await undo(ctx, action, story_id, reason, version)
        state.reset()
        return [Reply(line), *await open_card(ctx, story_id)]
