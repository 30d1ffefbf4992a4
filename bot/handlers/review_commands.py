"""The review actions as commands, for channels without buttons: /approve /reject /changes …"""

from __future__ import annotations

from datetime import datetime

from bot.handlers.audit import event_extra
from bot.handlers.context import Context
from bot.handlers.review import NOTE, act_and_say, is_reviewer, open_card
from bot.handlers.stories import public_reply
from bot.messages import Reply
from bot.storage import Change
from bot.workflow import Action, Role, Status

__all__ = ["on_approve", "on_changes", "on_history", "on_publish", "on_reject", "on_story"]


def _story_id(ctx: Context, raw: str) -> int | str:
    """A story number from '12' or '#12', or the line saying why not."""
    value = raw.removeprefix("#")
    if not value.isdecimal() or len(value) > 9:
        return ctx.t("review.bad_id", value=raw[:20])
    return int(value)


async def on_approve(ctx: Context) -> list[Reply]:
    """/approve <id> [<id> …]: one line per id."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    if not ctx.incoming.args:
        return [Reply(ctx.t("review.usage_approve"))]
    lines = []
    for raw in ctx.incoming.args[:50]:
        story_id = _story_id(ctx, raw)
        if isinstance(story_id, str):
            lines.append(story_id)
            continue
        _, line = await act_and_say(ctx, story_id, Action.APPROVE)
        lines.append(line)
    return [Reply("\n".join(lines))]


async def _with_note(ctx: Context, action: Action, usage: str) -> list[Reply]:
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    args = ctx.incoming.args
    if len(args) < 2:
        return [Reply(ctx.t(usage))]
    story_id = _story_id(ctx, args[0])
    if isinstance(story_id, str):
        return [Reply(story_id)]
    note = " ".join(args[1:])
    if NOTE.problem(note):
        return [Reply(ctx.t("review.note_bad", min=NOTE.low, max=NOTE.high))]
    _, line = await act_and_say(ctx, story_id, action, note=note)
    return [Reply(line)]


async def on_reject(ctx: Context) -> list[Reply]:
    """/reject <id> <reason>."""
    return await _with_note(ctx, Action.REJECT, "review.usage_reject")


async def on_changes(ctx: Context) -> list[Reply]:
    """/changes <id> <note>."""
    return await _with_note(ctx, Action.REQUEST_CHANGES, "review.usage_changes")


async def on_story(ctx: Context) -> list[Reply]:
    """/story <id>: a published story to anyone; any story to its reviewers and its reporter."""
    if len(ctx.incoming.args) != 1:
        return [Reply(ctx.t("review.usage_story"))]
    story_id = _story_id(ctx, ctx.incoming.args[0])
    if isinstance(story_id, str):
        return [Reply(story_id)]
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    if is_reviewer(ctx):
        actor = await ctx.storage.reviews.actor(ctx.person.id)
        if actor and actor.covers(story.commune_code):
            return await open_card(ctx, story_id)
    if story.status == Status.PUBLISHED or story.reporter_id == ctx.person.id:
        return [await public_reply(ctx, story)]
    return [Reply(ctx.t("stories.not_public", id=story_id))]


async def on_history(ctx: Context) -> list[Reply]:
    """/history <id>: who did what, when, from which status to which."""
    if not is_reviewer(ctx):
        return [Reply(ctx.t("roles.not_reviewer"))]
    if len(ctx.incoming.args) != 1:
        return [Reply(ctx.t("review.usage_history"))]
    story_id = _story_id(ctx, ctx.incoming.args[0])
    if isinstance(story_id, str):
        return [Reply(story_id)]
    story = await ctx.storage.stories.get(story_id)
    actor = await ctx.storage.reviews.actor(ctx.person.id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    if actor is None or not actor.covers(story.commune_code):
        return [Reply(ctx.t("review.not_yours", id=story_id))]
    tz = ctx.settings.tz
    lines = [ctx.t("review.history_header", id=story_id)]
    for event in await ctx.storage.reviews.history(story_id):
        if event.system is not None:
            who: str = ctx.t(f"audit.system_{event.system}")
        elif event.actor_id is None:
            who = ctx.t("review.history_system")
        else:
            who = event.actor_name or ctx.t("review.history_someone", id=event.actor_id)
        when = datetime.fromisoformat(event.created_at).astimezone(tz).strftime("%d/%m/%Y %H:%M")
        note = event_extra(ctx, event.action, event.note, event.details)
        lines.append(ctx.t(
            "review.history_line", when=when, who=who,
            action=ctx.t(f"review.action_{event.action}"),
            from_status=ctx.t(f"status.{event.from_status}") if event.from_status else "—",
            to_status=ctx.t(f"status.{event.to_status}"), note=note,
        ))
    return [Reply("\n".join(lines))]


async def on_publish(ctx: Context) -> list[Reply]:
    """/publish <id>: queue the post of an approved story again, or, without a channel, put it
    back in the bot's own gallery (admins)."""
    if ctx.person.role != Role.ADMIN:
        return [Reply(ctx.t("roles.not_admin"))]
    if len(ctx.incoming.args) != 1:
        return [Reply(ctx.t("review.usage_publish"))]
    story_id = _story_id(ctx, ctx.incoming.args[0])
    if isinstance(story_id, str):
        return [Reply(story_id)]
    story = await ctx.storage.stories.get(story_id)
    if story is None:
        return [Reply(ctx.t("review.no_story", id=story_id))]
    if story.status != Status.APPROVED:
        status = ctx.t(f"status.{story.status}")
        return [Reply(ctx.t("review.wrong_status", id=story_id, status=status))]
    if not ctx.settings.publish_chat_id:
        outcome = await ctx.storage.reviews.apply(Change(Action.PUBLISH, story_id, ctx.person.id))
        key = "review.published_in_gallery" if outcome.ok else (outcome.refusal or "")
        was = ctx.t(f"status.{outcome.from_status}") if outcome.from_status else ""
        return [Reply(ctx.t(key, id=story_id, status=was))]
    await ctx.storage.outbox.queue_publish(story_id, ctx.settings.publish_chat_id)
    return [Reply(ctx.t("review.publish_queued", id=story_id))]
