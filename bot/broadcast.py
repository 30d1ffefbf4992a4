"""The durable broadcast engine: delivery rows sent at a steady rate, resumable after a crash.

One way out for every message that is not a direct reply: the outbox (notifications,
publications) and broadcasts (reminders, digests, admins' messages) share one rate limiter.
Only the channels this process runs are claimed; a channel whose token is refused is set aside
until it works again; a storage failure is logged, waited out and never ends the sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.buttons import Unsubscribe, static_data
from bot.content import Campaigns, Safe
from bot.content import catalogue as texts_for
from bot.delivery import OutboxWorker, log_failure
from bot.health import Outages, State, Trouble, Unrecorded, describe
from bot.messages import Choice, DeliveryError, Reply, Sender, esc
from bot.storage import EVERYTHING, Delivery, Result, Storage

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
        rates: Mapping[str, float | None] | None = None, probe_every: float = 60.0,
        max_backoff: float = 30.0, campaigns: Campaigns | None = None,
        gallery_url: str | None = None,
    ) -> None:
        self._storage = storage
        self._senders = senders
        self.limiter = Limiter(rate, per_chat)
        self._limiters = {ch: Limiter(r, per_chat) for ch, r in (rates or {}).items()}
        self.outages = Outages(probe_every)
        self.outbox = OutboxWorker(storage, senders, province, limiter_for=self.limiter_for,
                                   outages=self.outages, campaigns=campaigns,
                                   gallery_url=gallery_url)
        self._trouble = Trouble("sending (outbox and broadcasts)", first_wait=poll,
                                max_wait=max_backoff)
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

    def state(self) -> State:
        """Running, or retrying after a failure (storage refusing writes) and why."""
        return self._trouble.state()

    def channels(self) -> dict[str, str]:
        """Each channel that is down, with why."""
        return self.outages.report()

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
            # Every broadcast can be refused in one tap: a topic's, by stopping that topic; the
            # board's general ones (everyone, a commune, the reviewers), by stopping everything.
            if row["topic"]:
                text += texts.t("reminder.unsubscribe_line")
                unsubscribe = Unsubscribe(row["topic"])
                button = texts.t("reminder.unsubscribe_button")
            else:
                text += texts.t("optout.line")
                unsubscribe, button = Unsubscribe(EVERYTHING), texts.t("optout.button")
            stop = Choice(button, static_data(unsubscribe))
            self._texts[key] = Reply(text, choices=((stop,),))
        return self._texts[key]

    async def _send(self, delivery: Delivery, when: datetime) -> None:
        ident = (delivery.broadcast_id, delivery.person_id)
        now = datetime.now(UTC)
        result: Result | None
        try:
            reply = await self._reply(delivery)
            if reply is None:
                result = Result(*ident, "failed", "broadcast not found")
            else:
                await self._senders[delivery.channel].send(delivery.chat_id, reply)
                self.outages.works(delivery.channel)
                result = Result(*ident, "sent")
        except DeliveryError as exc:
            result = self._after_error(delivery, exc, now, when)
        except Exception as exc:
            log_failure("broadcast %s to person %s failed", *ident, exc=exc)
            result = Result(*ident, "retry", type(exc).__name__,
                            now + timedelta(seconds=self._base_delay))
        finally:
            self._slots.release()
        if result is None:  # untouched: the row is pending as it was
            self._in_flight.discard(ident)
        else:
            self._results.append(result)

    def _after_error(self, delivery: Delivery, exc: DeliveryError, now: datetime,
                     when: datetime) -> Result | None:
        ident = (delivery.broadcast_id, delivery.person_id)
        if exc.channel_down:
            self.outages.down(delivery.channel, exc.reason, when)
            return None
        if exc.window_closed:
            return Result(*ident, "out_of_window", exc.reason)
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
        """Record finished sends in one transaction; if storage refuses, keep them for later
        (raising Unrecorded) and leave them in flight, so they are not sent again."""
        done, self._results = self._results, []
        if not done:
            return
        try:
            await self._storage.broadcasts.record(done)
        except BaseException as exc:  # cancelled at shutdown too: recording again is harmless
            self._results[:0] = done
            if isinstance(exc, Exception):
                raise Unrecorded(f"{len(done)} broadcast results") from exc
            raise
        for r in done:
            self._in_flight.discard((r.broadcast_id, r.person_id))

    async def pump(self, now: datetime | None = None) -> int:
        """Start sending everything due now (outbox first); return how many were started."""
        when = now or datetime.now(UTC)
        await self.flush()
        started = await self.outbox.run_once(when)
        channels = self.outages.up(list(self._senders), when)
        due = await self._storage.broadcasts.due(when, self._batch, channels=channels,
                                                 skip=self._in_flight)
        for delivery in due:
            if self.outages.is_down(delivery.channel, when):
                continue
            await self._slots.acquire()
            await self.limiter_for(delivery.channel).acquire(delivery.chat_id)
            if self.outages.is_down(delivery.channel, when):  # refused while this one waited
                self._slots.release()
                continue
            self._in_flight.add((delivery.broadcast_id, delivery.person_id))
            task = asyncio.create_task(self._send(delivery, when))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            started += 1
            if len(self._results) >= 200:
                await self.flush()
        return started

    async def drain(self) -> None:
        """Wait for every send in flight and record it."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        await self.flush()
        await self.outbox.record_pending()

    async def run(self, stop: asyncio.Event) -> None:
        """Send until told to stop; then finish what is in flight. A failure (storage locked or
        full) is logged in one line, waited out with growing pauses, and sending goes on."""
        flusher = asyncio.create_task(self._flush_loop(stop))
        try:
            while not stop.is_set():
                try:
                    started = await self.pump()
                except Exception as exc:
                    wait = self._trouble.failed(exc)
                else:
                    self._trouble.succeeded()
                    wait = 0.0 if started else self._poll
                if wait:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=wait)
        finally:
            try:
                await self._finish()
            finally:
                flusher.cancel()

    async def _finish(self) -> None:
        try:
            await self.drain()
        except Exception as exc:
            log.error("stopped with %d broadcast and %d outbox results not recorded (%s): they"
                      " may be sent again at the next start", len(self._results),
                      self.outbox.unrecorded, describe(exc))

    async def _flush_loop(self, stop: asyncio.Event) -> None:
        """Record results as they come; while storage fails, the main loop retries instead."""
        while not stop.is_set():
            await asyncio.sleep(0.05)
            if self._trouble.reason is None:
                with contextlib.suppress(Exception):
                    await self.flush()
