"""The review card's undo buttons for admins: revert an approval, take a publication down."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.handlers.context import Context
from bot.messages import Choice
from bot.storage import Story
from bot.workflow import Action, Role, Status

__all__ = ["UndoAsk", "undo_rows"]

UNDO = {Status.APPROVED: (Action.REVERT,), Status.PUBLISHED: (Action.UNPUBLISH, Action.REVERT)}


@dataclass(frozen=True)
class UndoAsk(Button, tag="undo.ask"):
    """Undo a decision on the card as it was shown; the reason is asked first."""

    action: Action
    story_id: int
    version: int


def undo_rows(ctx: Context, story: Story) -> tuple[tuple[Choice, ...], ...]:
    """The undo buttons a story's card offers an admin, for its status."""
    actions = UNDO.get(Status(story.status), ()) if story.status in UNDO else ()
    if ctx.person.role != Role.ADMIN:
        return ()
    return tuple((Choice(ctx.t(f"undo.button_{action}"),
                         UndoAsk(action, story.id, story.version)),) for action in actions)
