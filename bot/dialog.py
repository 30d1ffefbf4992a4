"""The dialog core: find the person and their open dialog, route, save the completed step."""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.buttons import Button, decode, encode, from_static
from bot.config import Settings
from bot.content import Campaigns, catalogue, fold, load_library
from bot.file_links import as_links, carries_files
from bot.handlers import (
    CHOICES,
    COMMANDS,
    FLOWS,
    Context,
    menu_reply,
    on_document,
    on_unknown,
    on_voice_elsewhere,
    takes_voice,
)
from bot.messages import Choice, Incoming, Reply, normalise
from bot.storage import DialogState, Person, Prompt, Storage
from bot.workflow import Role, SystemActor

__all__ = ["FLOOD_BACKLOG", "MAX_INPUT", "Dialog", "normalise"]

log = logging.getLogger(__name__)

MAX_INPUT = 4096
# A chat's messages wait their turn behind the one being answered; past this many waiting (a
# forwarded batch, a stuck key), the surplus is dropped, and the person told once, politely.
FLOOD_BACKLOG = 10
FLOOD_NOTE_EVERY = 600.0
MAX_NAME = 100  # a display name, as kept


@functools.lru_cache(maxsize=4096)
def _kept_name(display_name: str) -> str:
    """A display name as kept (the same few names come with every message of a chat)."""
    return normalise(display_name)[:MAX_NAME]


@functools.lru_cache(maxsize=4096)
def _folded_label(label: str) -> str:
    """An option's label folded for comparison with what was typed (labels repeat)."""
    return fold(label)


class _ChatLocks:
    """One lock per chat, so one person's messages are handled in order; dropped when idle."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    def users(self, key: tuple[str, str]) -> int:
        """Messages of this chat being answered or waiting to be."""
        held = self._locks.get(key)
        return held[1] if held else 0

    @asynccontextmanager
    async def hold(self, key: tuple[str, str]) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class Dialog:
    """Turns every Incoming into Replies, whatever the channel."""

    def __init__(self, storage: Storage, settings: Settings,
                 campaigns: Campaigns | None = None) -> None:
        self.storage = storage
        self.settings = settings
        self.campaigns = campaigns or load_library(
            settings.content_folder, settings.campaign).campaigns
        self._locks = _ChatLocks()
        self._timeout = timedelta(hours=settings.dialog_timeout_hours)
        self._flood_noted: dict[tuple[str, str], float] = {}

    async def handle(self, incoming: Incoming, now: datetime | None = None) -> list[Reply]:
        """Answer one message; never raises for anything a person can send."""
        key = (incoming.channel, incoming.chat_id)
        if self._locks.users(key) > FLOOD_BACKLOG:
            return await self._flooded(incoming, key)
        async with self._locks.hold(key):
            if incoming.group:
                return await self._in_group(incoming, now or datetime.now(UTC))
            return await self._handle(incoming, now or datetime.now(UTC))

    async def _flooded(self, incoming: Incoming, key: tuple[str, str]) -> list[Reply]:
        """A message past the chat's backlog: dropped; the first of a flood gets a polite note."""
        clock = time.monotonic()
        if clock - self._flood_noted.get(key, -FLOOD_NOTE_EVERY) < FLOOD_NOTE_EVERY:
            return []
        self._flood_noted[key] = clock
        if len(self._flood_noted) > 10_000:
            self._flood_noted = {k: t for k, t in self._flood_noted.items()
                                 if clock - t < FLOOD_NOTE_EVERY}
        log.info("chat %s:%s sends faster than it is answered: surplus messages dropped", *key)
        person = await self.storage.people.find(incoming.channel, incoming.user_id)
        return [Reply(catalogue(person.language if person else self.settings.language)
                      .t("engine.flood_note"))]

    async def _in_group(self, incoming: Incoming, now: datetime) -> list[Reply]:
        """A group chat: say once to write privately; keep nothing about its members."""
        try:
            first = await self.storage.dialogs.first_group_notice(
                incoming.channel, incoming.chat_id, now)
        except Exception:
            log.exception("group notice for %s:%s failed", incoming.channel, incoming.chat_id)
            return []
        if not first:
            return []
        return [Reply(catalogue(self.settings.language).t("group.private_only"))]

    async def _handle(self, incoming: Incoming, now: datetime) -> list[Reply]:
        name = _kept_name(incoming.display_name)
        args = tuple(arg for arg in map(normalise, incoming.args) if arg)
        text = None if incoming.text is None else normalise(incoming.text)[: MAX_INPUT * 2]
        if (name, args, text) != (incoming.display_name, incoming.args, incoming.text):
            incoming = replace(incoming, display_name=name, args=args, text=text)
        people, dialogs = self.storage.people, self.storage.dialogs
        # The person, the chat's state and whether messages wait held, in one read; the state
        # is only this chat's own to change (its messages take turns), so it stays as read.
        person, state, held = await dialogs.open_chat(
            incoming.channel, incoming.chat_id, incoming.user_id)
        if person is None:  # a first message
            person = await people.get_or_create(
                incoming.channel, incoming.user_id, self.settings.language
            )
            state, held = await dialogs.load(incoming.channel, incoming.chat_id), True
        if await self._listed_admin(person):
            held = True  # written, so others had a turn: held messages are looked for again
        if person.stopped:
            await self.storage.broadcasts.resume_person(person.id)
            person.stopped = False
            held = True
        if held:
            await self.storage.outbox.release_held(person.id)
        if (
            person.consent
            and incoming.display_name
            and (incoming.display_name, incoming.username)
            != (person.display_name, person.username)
        ):
            await people.update_profile(person, incoming.display_name, incoming.username)
        if state is None:
            state = DialogState(incoming.channel, incoming.chat_id, person.id)
        ctx = Context(
            incoming, person, state, self.storage, self.settings, catalogue(person.language), now,
            self.campaigns,
        )
        lead: list[Reply] = []
        if state.flow and state.updated_at and now - state.updated_at > self._timeout:
            hours = f"{self.settings.dialog_timeout_hours:g}"
            lead.append(Reply(ctx.t("dialog.expired", hours=hours)))
            state.reset()
            state.prompt = Prompt()
        before = (state.flow, state.step)
        try:
            replies = lead + await self._route(ctx)
        except Exception:
            log.exception("handler failed for %s:%s", incoming.channel, incoming.chat_id)
            return [Reply(catalogue(person.language).t("dialog.error"))]
        replies = self._number(ctx.state, replies, before, incoming.traits.buttons)
        if any(carries_files(r, incoming.traits) for r in replies):
            replies = await self._links(ctx, replies)
        await self.storage.dialogs.save(ctx.state, now)
        return replies

    async def _links(self, ctx: Context, replies: list[Reply]) -> list[Reply]:
        """Files swapped for download links; if keeping them fails, for a plain word."""
        site = self.settings.gallery_url
        try:
            return await as_links(self.storage, ctx.texts, site, ctx.person.id, replies, ctx.now,
                                  ctx.incoming.traits)
        except Exception:
            log.exception("could not keep a file for %s:%s", ctx.incoming.channel,
                          ctx.incoming.chat_id)
            return await as_links(self.storage, ctx.texts, None, ctx.person.id, replies, ctx.now,
                                  ctx.incoming.traits)

    async def _listed_admin(self, person: Person) -> bool:
        """ADMIN_IDS is the source of truth for bootstrap admins: listed, they are admins;
        taken off the list, the admin role it gave them goes at their next message. True when
        the role changed."""
        listed = self.settings.lists_admin(person.channel, person.external_id)
        if listed and person.role != Role.ADMIN:
            await self.storage.roles.grant(person.id, Role.ADMIN, (0,), from_list=True,
                                           system=SystemActor.CONFIG)
            person.role, person.admin_from_list = Role.ADMIN, True
            return True
        if not listed and person.admin_from_list:
            await self.storage.roles.revoke(person.id, system=SystemActor.CONFIG)
            person.role, person.admin_from_list = Role.CITIZEN, False
            return True
        return False

    async def _route(self, ctx: Context) -> list[Reply]:
        incoming, state = ctx.incoming, ctx.state
        if incoming.callback is not None:
            ctx.choice = self._from_button(state.prompt, incoming.callback)
            if ctx.choice is None:
                stale = Reply(ctx.t("dialog.stale_button"))
                if state.flow in FLOWS:
                    return [stale, *await FLOWS[state.flow].reask(ctx)]
                return [menu_reply(ctx, stale.text)]
        elif incoming.text and not incoming.command:
            ctx.choice = self._from_text(state.prompt, incoming.text, incoming.traits.buttons)
        if incoming.command:
            handler = COMMANDS.get(incoming.command, on_unknown)
            return await handler(ctx)
        if incoming.voice is not None and not takes_voice(ctx):
            return await on_voice_elsewhere(ctx)
        if ctx.choice is not None and type(ctx.choice) in CHOICES:
            return await CHOICES[type(ctx.choice)](ctx)
        if state.flow in FLOWS:
            return await FLOWS[state.flow].handle(ctx)
        return await (on_document if incoming.document else on_unknown)(ctx)

    @staticmethod
    def _from_button(prompt: Prompt, data: str) -> Button | None:
        """The record behind a button: one of the question being asked, or a static one."""
        nonce, _, index = data.partition(":")
        if not prompt.nonce or nonce != prompt.nonce or not index.isdecimal():
            return from_static(data)
        i = int(index)
        return decode(prompt.values[i]) if i < len(prompt.values) else None

    @staticmethod
    def _from_text(prompt: Prompt, text: str, buttons: bool) -> Button | None:
        """A typed answer that names an option: its label, or (where no buttons) its number."""
        if not prompt.values:
            return None
        if not buttons and text.isdecimal():
            i = int(text) - 1
            ok = 0 <= i < len(prompt.values) and i not in prompt.untyped
            return decode(prompt.values[i]) if ok else None
        folded = fold(text)
        if not folded:
            return None
        for i, (label, value) in enumerate(zip(prompt.labels, prompt.values, strict=False)):
            if _folded_label(label) == folded and i not in prompt.untyped:
                return decode(value)
        return None

    @staticmethod
    def _number(state: DialogState, replies: list[Reply], before: tuple[str, str],
                buttons: bool) -> list[Reply]:
        """Give the question's options opaque keys and remember them as the current question.

        Where there are no buttons, an option that typing must not pick is not drawn at all
        (the question says how to go back or cancel instead)."""
        if not any(r.choices for r in replies):
            if (state.flow, state.step) != before:
                state.prompt = Prompt()
            return replies
        nonce = secrets.token_urlsafe(6)
        prompt = Prompt(nonce)
        out: list[Reply] = []
        for reply in replies:
            rows = []
            for row in reply.choices:
                keyed = []
                for choice in row:
                    if not isinstance(choice.value, Button) or choice.value.STATIC:
                        keyed.append(choice)
                        continue
                    if not choice.typed:
                        if not buttons:
                            continue
                        prompt.untyped.append(len(prompt.values))
                    keyed.append(Choice(choice.label, f"{nonce}:{len(prompt.values)}"))
                    prompt.values.append(encode(choice.value))
                    prompt.labels.append(choice.label)
                if keyed:
                    rows.append(tuple(keyed))
            out.append(replace(reply, choices=tuple(rows)))
        state.prompt = prompt
        return out
