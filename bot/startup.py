"""Reaching the platforms at start: network failures retried with backoff in one line per
attempt, a refused token or request turned into one line for the operator, never a secret."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.channels.zalo import ZaloClient

__all__ = ["MAX_RETRY_DELAY", "StartupError", "refused_by_telegram", "until_reached",
           "zalo_ready"]

log = logging.getLogger(__name__)
MAX_RETRY_DELAY = 60.0


class StartupError(Exception):
    """A channel cannot start (its token is refused): one line for the operator, no secret."""


async def until_reached(what: str, attempt: Callable[[], Awaitable[None]],
                        stop: asyncio.Event, network: tuple[type[Exception], ...]) -> bool:
    """Call `attempt` until it goes through (True); a network failure is logged in one line and
    retried with backoff (1 s, 2 s, 4 s … 60 s); False when told to stop meanwhile."""
    delay = 1.0
    while True:
        try:
            await attempt()
            return True
        except network as exc:
            cause = exc.__cause__ if isinstance(exc.__cause__, Exception) else exc
            log.warning("%s is not reachable (%s); retrying in %.0fs", what,
                        type(cause).__name__, delay)
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            return False
        except TimeoutError:
            delay = min(delay * 2, MAX_RETRY_DELAY)


def refused_by_telegram(exc: Exception) -> StartupError:
    """Telegram answered 401 (a revoked token) or 404 (a wrong token or TELEGRAM_API_URL).

    The library's own message carries the token; it is dropped here, never printed.
    """
    cause = str(exc.__cause__ or "").lower()
    if "not found" in cause or "404" in cause:
        return StartupError("Telegram refused the token (404): check TELEGRAM_BOT_TOKEN"
                            " and TELEGRAM_API_URL")
    return StartupError("Telegram refused the token (401): check TELEGRAM_BOT_TOKEN")


async def zalo_ready(client: ZaloClient, stop: asyncio.Event, method: str,
                     payload: dict[str, Any] | None, check: str) -> bool:
    """One call to Zalo at start. A network failure or a Zalo server error is retried (one
    line per attempt); a refused token (401) or request (400, 404) stops the start in one line.
    """
    import httpx

    from bot.channels.zalo import ZaloApiError

    async def attempt() -> None:
        try:
            await client.call(method, payload)
        except ZaloApiError as exc:
            if exc.code == 401:
                raise StartupError("Zalo refused the token (401): check ZALO_BOT_TOKEN") from None
            if exc.code in (400, 404):
                raise StartupError(f"Zalo refused {method} ({exc.code}): {check}") from None
            raise

    return await until_reached("Zalo", attempt, stop, (httpx.HTTPError, ZaloApiError))
