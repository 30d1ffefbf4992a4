"""/subscribe and /unsubscribe: anniversaries, the weekly digest, deadlines (for officers)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.buttons import Button, Unsubscribe
from bot.handlers.context import Context, menu_reply
from bot.handlers.optout import (
    GeneralOn,
    asks_for_everything,
    general_rows,
    on_general_on,
    stop_everything,
)
from bot.messages import Choice, Reply
from bot.storage import EVERYTHING, TOPICS
from bot.workflow import Role

__all__ = [
    "StopTopic",
    "SubscribeAdd",
    "SubscribeBoth",
    "SubscribeDone",
    "SubscribeLater",
    "SubscribeToggle",
    "offer",
    "on_subscribe",
    "on_subscription_choice",
    "on_unsubscribe",
]


@dataclass(frozen=True)
class SubscribeBoth(Button, tag="sub.both"):
    """Anniversaries and new stories, at once."""


@dataclass(frozen=True)
class SubscribeLater(Button, tag="sub.later"):
    """No thanks, or done."""


@dataclass(frozen=True)
class SubscribeDone(Button, tag="sub.done"):
    """Done switching topics: say what is on now."""


@dataclass(frozen=True)
class StopTopic(Button, tag="sub.stop"):
    """/unsubscribe's choice: stop one topic, or all of them (None)."""

    topic: str | None


@dataclass(frozen=True)
class SubscribeAdd(Button, tag="sub.add"):
    """Follow one topic."""

    topic: str


@dataclass(frozen=True)
class SubscribeToggle(Button, tag="sub.toggle"):
    """Switch one topic on or off."""

    topic: str


def _topics_for(ctx: Context, current: set[str]) -> list[str]:
    """Deadlines are for reviewers and officers; everyone else sees the two public topics."""
    officer = ctx.person.role in (Role.REVIEWER, Role.ADMIN, Role.OFFICER)
    return [t for t in TOPICS if t != "deadlines" or officer or t in current]


def _name(ctx: Context, topic: str) -> str:
    return ctx.t(f"subscribe.topic_{topic}")


def offer(ctx: Context, lead: str) -> Reply:
    """Right after consent: would you like reminders?"""
    rows = (
        (Choice(ctx.t("subscribe.both"), SubscribeBoth()),),
        (Choice(_name(ctx, "anniversaries"), SubscribeAdd("anniversaries")),),
        (Choice(_name(ctx, "stories"), SubscribeAdd("stories")),),
        (Choice(ctx.t("subscribe.no_thanks"), SubscribeLater()),),
    )
    return Reply(f"{lead}\n\n{ctx.t('subscribe.offer')}", choices=rows)


async def _toggles(ctx: Context, edit: bool) -> Reply:
    current = await ctx.storage.broadcasts.topics(ctx.person.id)
    rows: tuple[tuple[Choice, ...], ...] = tuple(
        (Choice(ctx.t("subscribe.on" if t in current else "subscribe.off", topic=_name(ctx, t)),
                SubscribeToggle(t)),)
        for t in _topics_for(ctx, current)
    )
    note, general = await general_rows(ctx)
    rows += (*general, (Choice(ctx.t("subscribe.done"), SubscribeDone()),))
    return Reply(ctx.t("subscribe.ask") + note, choices=rows, edit=edit)


async def on_subscribe(ctx: Context) -> list[Reply]:
    """Show each topic with a switch."""
    if not ctx.person.consent:
        return [Reply(ctx.t("subscribe.need_consent"))]
    return [await _toggles(ctx, edit=False)]


async def on_unsubscribe(ctx: Context) -> list[Reply]:
    """/unsubscribe [topic | all]: leave one topic, or stop everything."""
    broadcasts = ctx.storage.broadcasts
    if asks_for_everything(ctx.incoming.args):
        return await stop_everything(ctx)
    current = await broadcasts.topics(ctx.person.id)
    if not current and not ctx.person.consent:
        return [Reply(ctx.t("subscribe.none"))]
    if not current and await broadcasts.opted_out(ctx.person.id):
        return [Reply(ctx.t("optout.already"))]
    if not current:
        stop_all = (Choice(ctx.t("subscribe.stop_all"), StopTopic(None)),)
        return [Reply(ctx.t("optout.none_but_general"), choices=(stop_all,))]
    wanted = ctx.incoming.args[0].lower() if ctx.incoming.args else ""
    if wanted in TOPICS:
        return await _stop(ctx, wanted)
    if len(current) == 1:
        return await _stop(ctx, next(iter(current)))
    rows = tuple((Choice(ctx.t("subscribe.stop_one", topic=_name(ctx, t)), StopTopic(t)),)
                 for t in TOPICS if t in current)
    rows += ((Choice(ctx.t("subscribe.stop_all"), StopTopic(None)),),
             (Choice(ctx.t("subscribe.keep"), SubscribeLater()),))
    return [Reply(ctx.t("subscribe.which", topics=_names(ctx, current)), choices=rows)]


def _names(ctx: Context, topics: set[str]) -> str:
    return ", ".join(_name(ctx, t) for t in TOPICS if t in topics)


async def _stop(ctx: Context, topic: str) -> list[Reply]:
    """Stop one topic and say which, and which are still on."""
    broadcasts = ctx.storage.broadcasts
    current = await broadcasts.topics(ctx.person.id)
    stopped = {topic} & current
    if not stopped:
        return [Reply(ctx.t("subscribe.none"))]
    await broadcasts.unsubscribe(ctx.person.id, topic)
    left = current - stopped
    text: str = ctx.t("subscribe.unsubscribed", topic=_names(ctx, stopped))
    if left:
        text += ctx.t("subscribe.still_on", topics=_names(ctx, left))
    return [Reply(text)]


async def on_subscription_choice(ctx: Context) -> list[Reply]:
    """The offer's answers, the switches, and the one-tap unsubscribe of a reminder."""
    choice, broadcasts, person = ctx.choice, ctx.storage.broadcasts, ctx.person
    if isinstance(choice, Unsubscribe) and choice.topic == EVERYTHING:
        return await stop_everything(ctx)
    if isinstance(choice, Unsubscribe):
        if choice.topic not in TOPICS:
            return [Reply(ctx.t("dialog.stale_button"))]
        await broadcasts.unsubscribe(person.id, choice.topic)
        return [Reply(ctx.t("subscribe.unsubscribed", topic=_name(ctx, choice.topic)))]
    if not person.consent:
        return [Reply(ctx.t("subscribe.need_consent"))]
    if isinstance(choice, StopTopic) and choice.topic is None:
        return await stop_everything(ctx)
    if isinstance(choice, StopTopic) and choice.topic in TOPICS:
        return await _stop(ctx, choice.topic)
    if isinstance(choice, GeneralOn):
        lead = await on_general_on(ctx)
        toggles = await _toggles(ctx, edit=True)
        return [replace(toggles, text=f"{lead}\n\n{toggles.text}")]
    if isinstance(choice, SubscribeLater):
        return [menu_reply(ctx)]
    if isinstance(choice, SubscribeDone):
        current = await broadcasts.topics(person.id)
        if not current:
            return [menu_reply(ctx, ctx.t("subscribe.now_none"))]
        return [menu_reply(ctx, ctx.t("subscribe.now_on", topics=_names(ctx, current)))]
    if isinstance(choice, SubscribeBoth):
        for topic in ("anniversaries", "stories"):
            await broadcasts.subscribe(person.id, topic)
        names = f"{_name(ctx, 'anniversaries')}, {_name(ctx, 'stories')}"
        return [menu_reply(ctx, ctx.t("subscribe.subscribed", topic=names))]
    if isinstance(choice, SubscribeAdd) and choice.topic in TOPICS:
        await broadcasts.subscribe(person.id, choice.topic)
        return [menu_reply(ctx, ctx.t("subscribe.subscribed", topic=_name(ctx, choice.topic)))]
    if isinstance(choice, SubscribeToggle) and choice.topic in TOPICS:
        if choice.topic in await broadcasts.topics(person.id):
            await broadcasts.unsubscribe(person.id, choice.topic)
        elif choice.topic in _topics_for(ctx, set()):
            await broadcasts.subscribe(person.id, choice.topic)
        return [await _toggles(ctx, edit=True)]
    return [Reply(ctx.t("dialog.stale_button"))]
