"""What keeps sending honest: background tasks watched, failures logged once and backed off,
channels that refuse their token set aside until they work again; all reported by /healthz."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = ["Outages", "State", "Supervisor", "Trouble", "Unrecorded", "describe", "poll_until"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class State:
    """One part's state as /healthz shows it; `ok` False makes /healthz answer 503."""

    text: str
    ok: bool = True


class Unrecorded(Exception):
    """Sends went out but storage refused to record them: the records are kept, tried again."""


def describe(exc: BaseException) -> str:
    """An exception in one line: its type and message (for Unrecorded, its cause's)."""
    if isinstance(exc, Unrecorded) and exc.__cause__ is not None:
        exc = exc.__cause__
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class Trouble:
    """A repeating failure of one piece of work: logged in one line when it starts, when it
    changes, at most once a minute while it lasts and when it ends; waits grow while it lasts."""

    REPEAT_LOG = 60.0

    def __init__(self, what: str, *, first_wait: float = 0.5, max_wait: float = 30.0) -> None:
        self._what = what
        self._first = first_wait
        self._max = max_wait
        self.failures = 0
        self.reason: str | None = None
        self._logged_at = 0.0

    def failed(self, exc: BaseException) -> float:
        """Record a failure; return how long to wait before trying again."""
        reason = describe(exc)
        self.failures += 1
        now = time.monotonic()
        if reason != self.reason or now - self._logged_at >= self.REPEAT_LOG:
            again = f" (failure {self.failures})" if self.failures > 1 else ""
            log.warning("%s failed: %s%s; will try again", self._what, reason, again)
            self._logged_at = now
        self.reason = reason
        return min(self._max, self._first * 2.0 ** (self.failures - 1))

    def succeeded(self) -> None:
        """The work went through: say so once if it had been failing."""
        if self.reason is not None:
            log.warning("%s works again after %d failures", self._what, self.failures)
        self.failures = 0
        self.reason = None

    def state(self) -> State:
        """Running, or retrying and why."""
        if self.reason is None:
            return State("running")
        return State(f"retrying: {self.reason}", ok=False)


async def poll_until(stop: asyncio.Event, work: Callable[[], Awaitable[int]], trouble: Trouble,
                     poll: float) -> None:
    """Until told to stop: do `work` again at once while it finds some, else wait `poll`
    seconds; a failure goes to `trouble` (logged once, waits growing while it lasts)."""
    while not stop.is_set():
        wait = poll
        try:
            busy = await work()
            trouble.succeeded()
        except Exception as exc:
            wait = trouble.failed(exc)
            busy = 0
        if busy:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=wait)


@dataclass(slots=True)
class _Down:
    reason: str
    probe_at: datetime
    wait: timedelta


class Outages:
    """Channels whose token was refused: nothing is claimed for them until the next probe,
    when sending is tried again; the admins are told once on a channel that works."""

    def __init__(self, probe_every: float = 60.0, max_probe_every: float = 900.0) -> None:
        self._first = timedelta(seconds=probe_every)
        self._max = timedelta(seconds=max_probe_every)
        self._down: dict[str, _Down] = {}
        self.news: list[tuple[str, str, str]] = []  # (template, channel, reason) to announce

    def down(self, channel: str, reason: str, now: datetime) -> None:
        """A send on `channel` said the channel itself cannot send."""
        known = self._down.get(channel)
        if known is None:
            log.error("channel %s is down (%s): its messages wait until it works again",
                      channel, reason)
            self._down[channel] = _Down(reason, now + self._first, self._first)
            self.news.append(("engine.channel_down", channel, reason))
            return
        known.reason = reason
        known.wait = min(self._max, known.wait * 2)
        known.probe_at = now + known.wait

    def works(self, channel: str) -> None:
        """A send on `channel` went through."""
        if self._down.pop(channel, None) is not None:
            log.warning("channel %s works again", channel)
            self.news.append(("engine.channel_up", channel, ""))

    def is_down(self, channel: str, now: datetime) -> bool:
        """Whether nothing should be sent on `channel` now (down, and not yet time to probe)."""
        known = self._down.get(channel)
        return known is not None and now < known.probe_at

    def up(self, channels: list[str], now: datetime) -> list[str]:
        """The channels of `channels` that may be sent on now."""
        return [ch for ch in channels if not self.is_down(ch, now)]

    def report(self) -> dict[str, str]:
        """Each channel that is down, with why."""
        return {ch: f"down: {d.reason}" for ch, d in sorted(self._down.items())}


class Supervisor:
    """Watches the background tasks (engine, pollers) and probes (scheduler, engine state):
    a task that ends before `stop` is set is logged at once and reported dead with its reason."""

    def __init__(self, stop: asyncio.Event | None = None) -> None:
        self._stop = stop or asyncio.Event()
        self.outages: Outages | None = None
        self._probes: dict[str, Callable[[], State]] = {}
        self._dead: dict[str, str] = {}

    def watch(self, name: str, task: asyncio.Task[None],
              state: Callable[[], State] | None = None) -> None:
        """Report `name` running (or `state()`) while the task lives, dead once it ends."""
        self._probes[name] = state or (lambda: State("running"))
        task.add_done_callback(lambda done: self._ended(name, done))

    def probe(self, name: str, state: Callable[[], State]) -> None:
        """Report `name` as `state()` says."""
        self._probes[name] = state

    def _ended(self, name: str, task: asyncio.Task[None]) -> None:
        if self._stop.is_set():
            return
        if task.cancelled():
            reason = "cancelled"
        else:
            exc = task.exception()
            reason = describe(exc) if exc is not None else "ended"
        self._dead[name] = reason
        log.error("background task %s died: %s", name, reason)

    def report(self) -> tuple[dict[str, str], list[str]]:
        """Each part's state, and the problems that make the bot unhealthy."""
        states: dict[str, str] = {}
        problems: list[str] = []
        for name, probe in self._probes.items():
            dead = self._dead.get(name)
            state = State(f"dead: {dead}", ok=False) if dead else probe()
            states[name] = state.text
            if not state.ok:
                problems.append(f"{name}: {state.text}")
        down = self.outages.report() if self.outages else {}
        problems.extend(f"{channel}: {text}" for channel, text in down.items())
        return states, problems

    def channels(self, running: Mapping[str, str]) -> dict[str, str]:
        """How each channel runs (polling, webhook), or that it is down and why."""
        return {**running, **(self.outages.report() if self.outages else {})}
