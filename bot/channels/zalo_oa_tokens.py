"""The OA's tokens look after themselves: refreshed ahead of expiry, one refresh at a time across
tasks and processes, the new pair saved before it is used, admins told when a refresh is refused.

The refresh token is single-use: each refresh kills it and returns a new pair. So a refresh is
done only by the holder of a lease in the database (one per pair), the new pair replaces the
old one only if the old one is still what is stored, and nothing ever erases a refresh token:
a refused one stays, marked as needing re-authorisation, until `python -m bot zalo-oa authorize`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from bot.channels.zalo_oa_api import OaApi, OAuthRefused, OAuthUnavailable
from bot.storage.zalo_oa import Tokens, ZaloOaStore

__all__ = ["NEEDS_REAUTH", "READY", "Clock", "ReauthNeeded", "TokenKeeper", "TokenUnavailable",
           "utcnow"]

log = logging.getLogger(__name__)

READY = "webhook"
NEEDS_REAUTH = "needs re-authorisation"
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class ReauthNeeded(Exception):
    """No usable token: an OA admin must grant the app again (`python -m bot zalo-oa authorize`)."""


class TokenUnavailable(Exception):
    """No fresh token right now (the OAuth server did not answer); the pair is kept, try later."""


class TokenKeeper:
    """Hands out a valid access token, refreshing it when it is within `margin` of expiry."""

    def __init__(self, store: ZaloOaStore, api: OaApi, *, clock: Clock = utcnow,
                 margin: timedelta = timedelta(hours=1), lease: timedelta | None = None,
                 admin_chats: Iterable[tuple[str, str]] = (),
                 on_state: Callable[[str], None] | None = None, poll: float = 0.1) -> None:
        self.store = store
        self._api = api
        self._clock = clock
        self._margin = margin
        # Longer than one refresh can take, so a live refresh is never taken over.
        self._lease = lease or timedelta(seconds=3 * api.timeout)
        self._admin_chats = tuple(admin_chats)
        self._on_state = on_state
        self._poll = poll
        self._lock = asyncio.Lock()
        self.state = READY

    def _set(self, state: str) -> None:
        if state != self.state:
            self.state = state
            if self._on_state is not None:
                self._on_state(state)

    async def seed(self, refresh_token: str | None) -> None:
        """Store the first refresh token from the settings (once), and read the current state."""
        if refresh_token and await self.store.seed(refresh_token, self._clock()):
            log.info("zalo_oa: refresh token from ZALO_OA_REFRESH_TOKEN stored")
        tokens = await self.store.tokens()
        self._set(READY if tokens is not None and tokens.state == "ok" else NEEDS_REAUTH)

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it is within the margin of expiry."""
        async with self._lock:
            return await self._current(None)

    async def renew(self, rejected: str) -> str:
        """The platform refused `rejected`: a new access token (unless another is stored)."""
        async with self._lock:
            return await self._current(rejected)

    async def _current(self, rejected: str | None) -> str:
        waited_until = time.monotonic() + 2 * self._lease.total_seconds()
        while True:
            tokens = await self.store.tokens()
            if tokens is None:
                self._set(NEEDS_REAUTH)
                raise ReauthNeeded("no token stored")
            if tokens.state != "ok":
                self._set(NEEDS_REAUTH)
                raise ReauthNeeded(tokens.error or "refresh refused")
            now = self._clock()
            usable = bool(tokens.access_token) and tokens.access_token != rejected
            if usable and tokens.expires_at - now > self._margin:
                self._set(READY)
                return tokens.access_token
            if await self.store.claim(tokens.refresh_token, now, now + self._lease):
                fresh = await self._refresh(tokens, usable)
                if fresh is not None:
                    return fresh
                continue
            # Another task or process is refreshing this pair: the current token while it
            # lasts, else wait for the new pair (or for that lease to lapse).
            if usable and tokens.expires_at > now:
                return tokens.access_token
            if time.monotonic() > waited_until:
                raise TokenUnavailable("another process is refreshing the token")
            await asyncio.sleep(self._poll)

    async def _refresh(self, tokens: Tokens, usable: bool) -> str | None:
        """Refresh under the lease; None when the stored pair changed meanwhile (read again)."""
        try:
            pair = await self._api.refresh(tokens.refresh_token)
        except OAuthUnavailable as exc:
            await self.store.release(tokens.refresh_token)
            log.warning("zalo_oa: token refresh could not be tried (%s)", exc)
            if usable and tokens.expires_at > self._clock():
                return tokens.access_token
            raise TokenUnavailable(str(exc)) from exc
        except OAuthRefused as exc:
            if not await self.store.refused(tokens.refresh_token, str(exc), self._clock(),
                                             self._admin_chats):
                return None  # the pair was replaced meanwhile: that one is the one to use
            self._set(NEEDS_REAUTH)
            log.error("zalo_oa: token refresh refused (%s); run `python -m bot zalo-oa authorize`",
                      exc)
            raise ReauthNeeded(str(exc)) from exc
        now = self._clock()
        saved = await self.store.save(tokens.refresh_token, pair.access_token,
                                       pair.refresh_token, now + timedelta(seconds=pair.expires_in),
                                       now)
        if not saved:
            log.warning("zalo_oa: the stored token pair changed during a refresh; using it")
            return None
        log.info("zalo_oa: access token refreshed, valid for %.0f h", pair.expires_in / 3600)
        self._set(READY)
        return pair.access_token

    async def access_token_quietly(self) -> None:
        """Refresh now if the token is due (run periodically, so a send rarely waits); logs
        instead of raising."""
        try:
            await self.access_token()
        except (ReauthNeeded, TokenUnavailable) as exc:
            log.info("zalo_oa: no fresh token (%s)", exc)
        except Exception:
            log.exception("zalo_oa: token check failed")
