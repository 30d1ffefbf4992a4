"""/eraseresident <id>: a resident an officer filed for asks to have their data erased. They
have no account to send /deleteme from, so the officer who filed the story, a reviewer of its
commune or an admin does it for them, after a confirmation that says what will happen."""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import Button
from bot.content import Safe
from bot.handlers.context import Context, menu_reply
from bot.messages import Choice, Reply
from bot.storage import Story
from bot.workflow import OPEN, Role

__all__ = ["ResidentErase", "on_eraseresident", "on_resident_erase_choice"]

_STAFF = (Role.OFFICER, Role.REVIEWER, Role.ADMIN)


@dataclass(frozen=True)
class ResidentErase(Button, tag="res.erase"):
    """The answer to 'erase this resident's data from the story?'."""

    story_id: int
    confirmed: bool


def _number(raw: str) -> int | None:
    value = raw.removeprefix("#")
    return int(value) if value.isdecimal() and len(value) <= 9 else None


async def _may(ctx: Context, story: Story) -> bool:
    """The officer or reviewer who filed it, a reviewer of its commune, or an admin."""
    role = ctx.person.role
    if role == Role.ADMIN:
        return True
    if role not in _STAFF:
        return False
    if story.reporter_id == ctx.person.id:
        return True
    if role != Role.REVIEWER:
        return False
    communes = await ctx.storage.roles.scopes(ctx.person.id)
    return 0 in communes or story.commune_code in communes


async def _story(ctx: Context, story_id: int) -> Story | Reply:
    """The story, or the answer that says why nothing can be done with it."""
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return Reply(ctx.t("review.no_story", id=story_id))
    if not await _may(ctx, story):
        return Reply(ctx.t("residents.not_allowed", id=story_id))
    if story.resident_name is None:
        return Reply(ctx.t("residents.none", id=story_id))
    return story


async def on_eraseresident(ctx: Context) -> list[Reply]:
    """Say what erasing the resident's data will do to the story, and ask to be sure."""
    if ctx.person.role not in _STAFF:
        return [Reply(ctx.t("residents.staff_only"))]
    args = ctx.incoming.args
    story_id = _number(args[0]) if len(args) == 1 else None
    if story_id is None:
        return [Reply(ctx.t("residents.usage"))]
    found = await _story(ctx, story_id)
    if isinstance(found, Reply):
        return [found]
    fate = ctx.t("residents.fate_open" if found.status in OPEN else "residents.fate_decided")
    if found.resident_is == "honoree" and found.status not in OPEN:
        fate = Safe(fate + ctx.t("residents.fate_honoree", id=story_id))
    return [Reply(
        ctx.t("residents.ask", name=found.resident_name, id=story_id, fate=fate),
        choices=((Choice(ctx.t("residents.yes"), ResidentErase(story_id, True)),),
                 (Choice(ctx.t("residents.no"), ResidentErase(story_id, False)),)),
    )]


async def on_resident_erase_choice(ctx: Context) -> list[Reply]:
    """Erase after the confirmation (who may is checked again at the press), or keep."""
    choice = ctx.choice
    if not isinstance(choice, ResidentErase):
        return [Reply(ctx.t("dialog.stale_button"))]
    if not choice.confirmed:
        return [menu_reply(ctx, ctx.t("residents.kept", id=choice.story_id))]
    found = await _story(ctx, choice.story_id)
    if isinstance(found, Reply):
        return [found]
    erased = await ctx.storage.erase_resident(choice.story_id, ctx.person.id)
    if erased is None:
        return [Reply(ctx.t("residents.none", id=choice.story_id))]
    text = ctx.t("residents.done", id=erased.story_id)
    if erased.withdrawn:
        text = Safe(text + ctx.t("residents.done_withdrawn"))
    elif erased.honoree:
        text = Safe(text + ctx.t("residents.done_honoree", id=erased.story_id))
    return [menu_reply(ctx, text)]
