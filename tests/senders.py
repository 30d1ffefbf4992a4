"""Helpers for reminders and broadcasts: a recording Sender, people with subscriptions, rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.broadcast import BroadcastEngine
from bot.dialog import Dialog
from bot.messages import ChannelTraits, Incoming, Reply, plain_text
from bot.storage import Person, Storage

FAKE = "fake"
BUTTONS = ChannelTraits(buttons=True, max_text=4096, max_caption=1024, can_request_contact=False,
                        can_request_location=False)


@dataclass(frozen=True)
class Sent:
    """One message the Sender delivered: to whom, its plain text, its buttons, and when."""

    chat_id: str
    text: str
    choices: tuple[tuple[str, str], ...]
    at: float


class RecordingSender:
    """A channel's Sender that records every delivery; `failures[chat]` are raised in turn."""

    def __init__(self, channel: str = FAKE) -> None:
        self.channel = channel
        self.sent: list[Sent] = []
        self.attempts: list[tuple[str, float]] = []
        self.failures: dict[str, list[Exception]] = {}

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        now = time.monotonic()
        self.attempts.append((chat_id, now))
        queued = self.failures.get(chat_id)
        if queued:
            raise queued.pop(0)
        choices = tuple((c.label, c.wire_value) for c in reply.flat_choices())
        self.sent.append(Sent(chat_id, plain_text(reply.text), choices, now))
        return str(len(self.sent))

    def to(self, chat_id: str) -> list[Sent]:
        """What one chat received."""
        return [s for s in self.sent if s.chat_id == chat_id]

    def chats(self) -> list[str]:
        """Every chat that received something, once per message."""
        return [s.chat_id for s in self.sent]


def engine_for(storage: Storage, sender: RecordingSender, **options: Any) -> BroadcastEngine:
    """An engine without pacing unless asked (rate=None, no per-chat gap)."""
    options = {"rate": None, "per_chat": 0.0, **options}
    return BroadcastEngine(storage, {sender.channel: sender}, 91, **options)


async def deliver(engine: BroadcastEngine, now: datetime | None = None) -> int:
    """One pump of everything due, then wait for every send and record it."""
    started = await engine.pump(now)
    await engine.drain()
    return started


async def member(
    storage: Storage, external: str, *, name: str = "Người dân", consent: bool | None = True,
    topics: tuple[str, ...] = (), role: str = "citizen", communes: tuple[int, ...] = (),
    language: str = "vi", channel: str = FAKE,
) -> Person:
    """Someone known to the bot, with their consent answer, role and subscriptions."""
    found = await storage.people.get_or_create(channel, external, language)
    if consent is not None:
        await storage.people.set_consent(found, consent, name, None)
    if language != "vi":
        await storage.people.set_language(found, language)
    if role != "citizen":
        await storage.roles.grant(found.id, role, communes)
    for topic in topics:
        await storage.broadcasts.subscribe(found.id, topic)
    return found


async def press(dialog: Dialog, user_id: str, value: str) -> list[Reply]:
    """Press a button carrying exactly `value` (like a broadcast's static unsubscribe button)."""
    incoming = Incoming(FAKE, user_id, user_id, BUTTONS, display_name="Người dân",
                        callback=value)
    return await dialog.handle(incoming, datetime.now(UTC))


def said(replies: list[Reply]) -> str:
    """Replies as plain text."""
    return "\n".join(plain_text(r.text) for r in replies)


async def deliveries(storage: Storage, broadcast_id: int) -> dict[str, dict[str, Any]]:
    """A broadcast's delivery rows by the recipient's chat id."""
    rows = await storage.db.fetchall(
        "SELECT p.external_id, d.* FROM deliveries d JOIN people p ON p.id = d.person_id"
        " WHERE d.broadcast_id = ?", (broadcast_id,),
    )
    return {r["external_id"]: dict(r) for r in rows}


async def statuses(storage: Storage, broadcast_id: int) -> dict[str, str]:
    """Each recipient's delivery status."""
    return {chat: row["status"] for chat, row in (await deliveries(storage, broadcast_id)).items()}


async def broadcast_rows(storage: Storage) -> list[dict[str, Any]]:
    """Every broadcasts row, oldest first."""
    return [dict(r) for r in await storage.db.fetchall("SELECT * FROM broadcasts ORDER BY id")]
