"""Telegram's flood limits, kept without letting one chat hold back everyone.

python-telegram-bot's AIORateLimiter halts every request when any one of them is answered
429, so a person flooding their own chat delayed every other person's answers. Here a 429 about
a chat pauses that chat only; the overall rate (30 a second) and the rate per group or channel
(20 a minute) are kept as Telegram asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

__all__ = ["ChatRateLimiter", "retry_seconds"]

log = logging.getLogger(__name__)
Answer = bool | dict[str, Any] | list[dict[str, Any]]


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds, whatever type this version gives it in."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        delay = exc.retry_after
    return delay.total_seconds() if hasattr(delay, "total_seconds") else float(delay)


class ChatRateLimiter(BaseRateLimiter[int]):
    """At most `overall` requests a second to chats and `group` a minute to each group or
    channel; a 429 pauses only the chat it was about and the request is retried after it."""

    def __init__(self, overall: float = 30, group: float = 20, max_retries: int = 2) -> None:
        self._overall = AsyncLimiter(overall, 1)
        self._group_rate = group
        self._groups: dict[str, AsyncLimiter] = {}
        self._paused: dict[str, float] = {}
        self._max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    def _group(self, chat: str) -> AsyncLimiter:
        if len(self._groups) > 512:
            self._groups = {k: v for k, v in self._groups.items()
                            if k == chat or not v.has_capacity(v.max_rate)}
        return self._groups.setdefault(chat, AsyncLimiter(self._group_rate, 60))

    async def _wait_for(self, chat: str) -> None:
        while (wait := self._paused.get(chat, 0.0) - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        self._paused.pop(chat, None)

    async def process_request(
        self, callback: Callable[..., Coroutine[Any, Any, Answer]], args: Any,
        kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        """Wait for the chat's turn, send, and after a 429 pause that chat and try again."""
        chat = str(data["chat_id"]) if data.get("chat_id") is not None else ""
        is_group = chat.startswith(("-", "@"))
        retries = rate_limit_args or self._max_retries
        attempt = 0
        while True:
            if chat:
                await self._wait_for(chat)
            overall = self._overall if chat else contextlib.nullcontext()
            group = self._group(chat) if is_group else contextlib.nullcontext()
            try:
                async with group, overall:
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt >= retries:
                    raise
                attempt += 1
                seconds = retry_seconds(exc) + 0.1
                log.info("Telegram flood control on %s (chat %s): waiting %.1fs", endpoint,
                         chat or "-", seconds)
                if chat:
                    self._paused[chat] = max(self._paused.get(chat, 0.0),
                                             time.monotonic() + seconds)
                else:
                    await asyncio.sleep(seconds)
