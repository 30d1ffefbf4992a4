"""The durable broadcast engine: delivery rows sent at a steady rate, resumable after a crash.

One way out for every message that is not a direct reply: the outbox (notifications,
publications) and broadcasts (reminders, digests, admins' messages) share one rate limiter.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.content import Safe
from bot.content import catalogue as texts_for
from bot.delivery import OutboxWorker
from bot.messages import Choice, DeliveryError, Reply, Sender, esc
from bot.storage import Delivery, Result, Storage

__all__ = ["BroadcastEngine", "Limiter"]

log = logging.getLogger(__name__)


class Limiter:
    """At most `rate` sends a second overall and one per `per_chat` seconds to a chat.

    A send that starts up to CATCH_UP seconds late, because the event loop was busy, does not
    push the overall schedule back: the sends after it take the slots it missed, so the rate
    achieved is the rate asked. At most CATCH_UP × rate sends go out closer together than
    1 / rate; the per-chat gap and flood-control pauses are kept exactly.
    """

    CATCH_UP = 0.02

    def __init__(self, rate: float | None, per_chat: float = 1.0) -> None:
        self._gap = 1.0 / rate if rate else 0.0
        self._per_chat = per_chat
        self._next = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[str, float] = {}

    def pause(self, seconds: float) -> None:
        """Flood control said wait: nothing goes out before then, not even a waiting send."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._next = max(self._next, self._paused_until)

    async def acquire(self, chat: str) -> None:
        """Wait for this chat's turn within the overall rate."""
        now = time.monotonic()
        slot = max(self._next, now - self.CATCH_UP)
        chat_slot = self._chat_next.get(chat, 0.0)
        start = max(slot, chat_slot)
        if start == slot:
            self._next = slot + self._gap
        self._chat_next[chat] = max(start, now) + self._per_chat
        if len(self._chat_next) > 50_000:
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if start > now:
            await asyncio.sleep(start - now)
        while (wait := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)


class BroadcastEngine:
    """Sends due deliveries through each channel's Sender, pipelined, at the limiter's rate."""

    def __init__(
        self, storage: Storage, senders: Mapping[str, Sender], province: int, *,
        rate: float | None = 25.0, per_chat: float = 1.0, concurrency: int = 200,
        max_attempts: int = 5, base_delay: float = 2.0, batch: int = 500, poll: float = 1.0,
        rates: Mapping[str, float | None] | None = None, gallery_url: str | None = None,
    ) -> None:
        self._storage = storage
        self._senders = senders
        self.limiter = Limiter(rate, per_chat)
        self._limiters = {ch: Limiter(r, per_chat) for ch, r in (rates or {}).items()}
        self.outbox = OutboxWorker(storage, senders, province, limiter_for=self.limiter_for,
                                   gallery_url=gallery_url)
        self._slots = asyncio.Semaphore(concurrency)
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._batch = batch
        self._poll = poll
        self._in_flight: set[tuple[int, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._results: list[Result] = []
        self._texts: dict[tuple[int, str], Reply] = {}

    def limiter_for(self, channel: str) -> Limiter:
        """The channel's own limiter, or the default one."""
        return self._limiters.get(channel, self.limiter)

    @property
    def in_flight(self) -> int:
        """Sends started whose result is not yet recorded in storage."""
        return len(self._in_flight)

    async def _reply(self, delivery: Delivery) -> Reply | None:
        key = (delivery.broadcast_id, delivery.language)
        if key not in self._texts:
            row = await self._storage.broadcasts.get(delivery.broadcast_id)
            if row is None:
                return None
            texts = texts_for(delivery.language)
            rendered = json.loads(row["params"])
            text: str = esc(row["body"]) if row["body"] else Safe(
                rendered.get(delivery.language) or rendered.get("vi", ""))
            choices: tuple[tuple[Choice, ...], ...] = ()
            if row["topic"]:
                text += texts.t("reminder.unsubscribe_line")
                choices = ((Choice(texts.t("reminder.unsubscribe_button"),
                                   f"unsub:{row['topic']}"),),)
            self._texts[key] = Reply(text, choices=choices)
        return self._texts[key]

    async def _send(self, delivery: Delivery) -> None:
        ident = (delivery.broadcast_id, delivery.person_id)
        now = datetime.now(UTC)
        try:
            sender = self._senders.get(delivery.channel)
            reply = await self._reply(delivery)
            if sender is None or reply is None:
                result = Result(*ident, "failed", f"no sender for {delivery.channel}")
            else:
                await sender.send(delivery.chat_id, reply)
                result = Result(*ident, "sent")
        except DeliveryError as exc:
            result = self._after_error(delivery, exc, now)
        except Exception as exc:
            log.exception("broadcast %s to person %s failed", *ident)
            result = Result(*ident, "retry", type(exc).__name__,
                            now + timedelta(seconds=self._base_delay))
        finally:
            self._slots.release()
        self._results.append(result)

    def _after_error(self, delivery: Delivery, exc: DeliveryError, now: datetime) -> Result:
        ident = (delivery.broadcast_id, delivery.person_id)
        if exc.retry_after is not None:
            self.limiter_for(delivery.channel).pause(exc.retry_after)
            return Result(*ident, "retry", exc.reason, now + timedelta(seconds=exc.retry_after))
        if exc.stopped:
            return Result(*ident, "stopped", exc.reason)
        if exc.permanent or delivery.attempts + 1 >= self._max_attempts:
            return Result(*ident, "failed", exc.reason)
        delay = self._base_delay * 2 ** delivery.attempts
        return Result(*ident, "retry", exc.reason, now + timedelta(seconds=delay))

    async def flush(self) -> None:
        """Record finished sends in one transaction."""
        done, self._results = self._results, []
        if done:
            await self._storage.broadcasts.record(done)
            for r in done:
                self._in_flight.discard((r.broadcast_id, r.person_id))

    async def pump(self, now: datetime | None = None) -> int:
        """Start sending everything due now (outbox first); return how many were started."""
        when = now or datetime.now(UTC)
        started = await self.outbox.run_once(when)
        due = await self._storage.broadcasts.due(when, self._batch, self._in_flight)
        for delivery in due:
            await self._slots.acquire()
            await self.limiter_for(delivery.channel).acquire(delivery.chat_id)
            self._in_flight.add((delivery.broadcast_id, delivery.person_id))
            task = asyncio.create_task(self._send(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            if len(self._results) >= 200:
                await self.flush()
        return started + len(due)

    async def drain(self) -> None:
        """Wait for every send in flight and record it."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.flush()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until told to stop; then finish what is in flight."""
        flusher = asyncio.create_task(self._flush_loop(stop))
        try:
            while not stop.is_set():
                if await self.pump() == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=self._poll)
        finally:
            await self.drain()
            flusher.cancel()

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await asyncio.sleep(0.05)
            await self.flush()
