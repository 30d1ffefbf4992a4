"""/subscribe and /unsubscribe: anniversaries, the weekly digest, deadlines (for officers)."""

from __future__ import annotations

from bot.handlers.context import Context, menu_reply
from bot.messages import Choice, Reply
from bot.storage import TOPICS

__all__ = ["offer", "on_subscribe", "on_subscription_choice", "on_unsubscribe"]


def _topics_for(ctx: Context, current: set[str]) -> list[str]:
    """Deadlines are for reviewers and officers; everyone else sees the two public topics."""
    officer = ctx.person.role in ("reviewer", "admin")
    return [t for t in TOPICS if t != "deadlines" or officer or t in current]


def _name(ctx: Context, topic: str) -> str:
    return ctx.t(f"subscribe.topic_{topic}")


def offer(ctx: Context, lead: str) -> Reply:
    """Right after consent: would you like reminders?"""
    rows = (
        (Choice(ctx.t("subscribe.both"), "sub:both"),),
        (Choice(_name(ctx, "anniversaries"), "sub:add:anniversaries"),),
        (Choice(_name(ctx, "stories"), "sub:add:stories"),),
        (Choice(ctx.t("subscribe.no_thanks"), "sub:later"),),
    )
    return Reply(f"{lead}\n\n{ctx.t('subscribe.offer')}", choices=rows)


async def _toggles(ctx: Context, edit: bool) -> Reply:
    current = await ctx.storage.broadcasts.topics(ctx.person.id)
    rows = tuple(
        (Choice(ctx.t("subscribe.on" if t in current else "subscribe.off", topic=_name(ctx, t)),
                f"sub:toggle:{t}"),)
        for t in _topics_for(ctx, current)
    )
    rows += ((Choice(ctx.t("subscribe.done"), "sub:later"),),)
    return Reply(ctx.t("subscribe.ask"), choices=rows, edit=edit)


async def on_subscribe(ctx: Context) -> list[Reply]:
    """Show each topic with a switch."""
    if not ctx.person.consent:
        return [Reply(ctx.t("subscribe.need_consent"))]
    return [await _toggles(ctx, edit=False)]


async def on_unsubscribe(ctx: Context) -> list[Reply]:
    """/unsubscribe [topic]: leave one topic, or all of them."""
    broadcasts = ctx.storage.broadcasts
    current = await broadcasts.topics(ctx.person.id)
    if not current:
        return [Reply(ctx.t("subscribe.none"))]
    wanted = ctx.incoming.args[0].lower() if ctx.incoming.args else ""
    if wanted in TOPICS:
        await broadcasts.unsubscribe(ctx.person.id, wanted)
        return [Reply(ctx.t("subscribe.unsubscribed", topic=_name(ctx, wanted)))]
    await broadcasts.unsubscribe(ctx.person.id)
    return [Reply(ctx.t("subscribe.unsubscribed_all"))]


async def on_subscription_choice(ctx: Context) -> list[Reply]:
    """The offer's answers, the switches, and the one-tap unsubscribe of a reminder."""
    parts = (ctx.choice or "").split(":")
    broadcasts, person = ctx.storage.broadcasts, ctx.person
    if parts[0] == "unsub" and len(parts) == 2 and parts[1] in TOPICS:
        await broadcasts.unsubscribe(person.id, parts[1])
        return [Reply(ctx.t("subscribe.unsubscribed", topic=_name(ctx, parts[1])))]
    if not person.consent:
        return [Reply(ctx.t("subscribe.need_consent"))]
    if parts[1:] == ["later"]:
        return [menu_reply(ctx)]
    if parts[1:] == ["both"]:
        for topic in ("anniversaries", "stories"):
            await broadcasts.subscribe(person.id, topic)
        names = f"{_name(ctx, 'anniversaries')}, {_name(ctx, 'stories')}"
        return [menu_reply(ctx, ctx.t("subscribe.subscribed", topic=names))]
    if len(parts) == 3 and parts[1] == "add" and parts[2] in TOPICS:
        await broadcasts.subscribe(person.id, parts[2])
        return [menu_reply(ctx, ctx.t("subscribe.subscribed", topic=_name(ctx, parts[2])))]
    if len(parts) == 3 and parts[1] == "toggle" and parts[2] in TOPICS:
        if parts[2] in await broadcasts.topics(person.id):
            await broadcasts.unsubscribe(person.id, parts[2])
        elif parts[2] in _topics_for(ctx, set()):
            await broadcasts.subscribe(person.id, parts[2])
        return [await _toggles(ctx, edit=True)]
    return [Reply(ctx.t("dialog.stale_button"))]
