"""Zalo Official Account: webhook events in (each kept in the database until answered), replies
out through ZaloOaSender. People are `zalo_oa:<user_id>`; a follow starts /start, an unfollow
stops deliveries to that person until they write again."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.channels.downloads import HttpDownloads
from bot.channels.zalo_oa_api import OaApi, OaApiError
from bot.channels.zalo_oa_files import Download, document_of
from bot.channels.zalo_oa_send import OaOptions, ZaloOaSender, button_value
from bot.channels.zalo_oa_tokens import (
    NEEDS_REAUTH,
    READY,
    Clock,
    ReauthNeeded,
    TokenKeeper,
    TokenUnavailable,
    utcnow,
)
from bot.messages import ChannelTraits, Contact, DeliveryError, Incoming, Location, Reply, Voice

__all__ = ["CHANNEL", "EVENTS", "TRAITS", "ZaloOaChannel", "event_key", "event_time",
           "to_incoming", "user_of"]

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
# Options are drawn as buttons where they fit and as numbered lines where not, so a typed
# number is always read as an option (buttons=False) and the long labels are kept whole.
TRAITS = ChannelTraits(
    buttons=False, max_text=2000, max_caption=2000, can_request_contact=False,
    can_request_location=False, voice=True, files=False,
)
UNSUPPORTED = {
    "user_send_audio": "voice", "user_send_sticker": "sticker", "user_send_file": "document",
    "user_send_video": "video", "user_send_gif": "animation", "user_send_link": "link",
    "user_send_business_card": "contact",
}
EVENTS = frozenset({"user_send_text", "user_send_image", "user_send_location",
                    "user_submit_info", "follow", "unfollow", *UNSUPPORTED})


def user_of(event: dict[str, Any]) -> str | None:
    """The OA user an event comes from (a follower, or a message's sender)."""
    holder = event.get("follower") if event.get("event_name") in ("follow", "unfollow") \
        else event.get("sender")
    user = holder.get("id") if isinstance(holder, dict) else None
    return str(user) if user else None


def event_time(event: dict[str, Any]) -> datetime | None:
    """When the event happened (`timestamp`, epoch milliseconds as a string)."""
    try:
        return datetime.fromtimestamp(int(str(event.get("timestamp"))) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


def event_key(event: dict[str, Any]) -> str | None:
    """What identifies an event across the platform's retries: the message id, or (for events
    without one, like follow) the event, the user and the timestamp."""
    message = event.get("message")
    msg_id = message.get("msg_id") if isinstance(message, dict) else None
    if msg_id:
        return f"msg:{msg_id}"
    user = user_of(event)
    if not user:
        return None
    return f"{event.get('event_name')}:{user}:{event.get('timestamp')}"


def _coordinates(message: dict[str, Any]) -> Location | None:
    """A map pin from `attachments[].payload.coordinates`, or from `message.location`."""
    found: Any = message.get("location")
    for item in message.get("attachments") or []:
        payload = item.get("payload") if isinstance(item, dict) else None
        if isinstance(payload, dict) and isinstance(payload.get("coordinates"), dict):
            found = payload["coordinates"]
    if not isinstance(found, dict):
        return None
    try:
        lat, lon = float(found["latitude"]), float(found["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    return Location(lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _images(message: dict[str, Any], kind: str | None = None) -> tuple[str, ...]:
    """The addresses of the message's attachments (of one `type`, if given)."""
    urls = []
    for item in message.get("attachments") or []:
        if kind is not None and isinstance(item, dict) and item.get("type") != kind:
            continue
        payload = item.get("payload") if isinstance(item, dict) else None
        url = payload.get("url") if isinstance(payload, dict) else None
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            urls.append(url)
    return tuple(urls)


def to_incoming(event: dict[str, Any], display_name: str = "",
                download: Download | None = None) -> Incoming | None:
    """Translate one event into Incoming; None for what the bot does not answer. A file comes
    with a Document fetched through `download` (without one, it is only an unsupported kind)."""
    name, user = event.get("event_name"), user_of(event)
    if name not in EVENTS or name == "unfollow" or not user:
        return None
    base: dict[str, Any] = {"channel": CHANNEL, "chat_id": user, "user_id": user,
                            "traits": TRAITS, "display_name": display_name[:100]}
    if name == "follow":
        return Incoming(**base, command="start")
    raw = event.get("message")
    message: dict[str, Any] = raw if isinstance(raw, dict) else {}
    if name == "user_send_text":
        text = str(message.get("text") or "")
        if (value := button_value(text)) is not None:
            return Incoming(**base, callback=value)
        if text.startswith("/") and len(text) > 1:
            head, *args = text.split()
            return Incoming(**base, command=head[1:].lower(), args=tuple(args))
        return Incoming(**base, text=text)
    if name == "user_send_image":
        photos = _images(message)
        return Incoming(**base, photos=photos) if photos else Incoming(**base,
                                                                       unsupported="photo")
    if name == "user_send_location":
        location = _coordinates(message)
        return Incoming(**base, location=location) if location else Incoming(
            **base, unsupported="location")
    if name == "user_send_audio":
        heard = _images(message, "audio")  # `attachments[{type: audio, payload: {url}}]`
        return Incoming(**base, voice=Voice(heard[0])) if heard else Incoming(
            **base, unsupported="voice")
    if name == "user_submit_info":
        info = event.get("info")
        phone = str(info.get("phone") or "") if isinstance(info, dict) else ""
        return Incoming(**base, contact=Contact(phone)) if phone else Incoming(
            **base, unsupported="info")
    if name == "user_send_file" and download is not None:
        return Incoming(**base, unsupported="document", document=document_of(message, download))
    return Incoming(**base, unsupported=UNSUPPORTED[str(name)])


Handle = Callable[[Incoming], Awaitable[list[Reply]]]


class ZaloOaChannel:
    """Verified webhook events in, answered in the background through the dialog core."""

    def __init__(self, api: OaApi, keeper: TokenKeeper, handle: Handle, *,
                 options: OaOptions | None = None, clock: Clock = utcnow,
                 max_age: timedelta = timedelta(hours=13), names: int = 10_000,
                 downloads: HttpDownloads | None = None) -> None:
        self.api = api
        self.downloads = downloads or HttpDownloads()
        self.keeper = keeper
        self.store = keeper.store
        self.sender = ZaloOaSender(api, keeper, self.store, options, clock)
        self._handle = handle
        self._clock = clock
        self.max_age = max_age
        self._names: OrderedDict[str, str] = OrderedDict()
        self._names_max = names
        self._tasks: set[asyncio.Task[None]] = set()
        self._turns: dict[str, tuple[asyncio.Lock, int]] = {}
        self._running: set[str] = set()

    @property
    def state(self) -> str:
        """`webhook`, or `needs re-authorisation` when no token works."""
        return self.keeper.state

    async def receive(self, event: dict[str, Any]) -> bool:
        """Keep a verified event and answer it in the background; False for a repeat (the
        platform retries) or an event that names no user."""
        key = event_key(event)
        if key is None:
            log.info("zalo_oa event without a user ignored: %r", event.get("event_name"))
            return False
        body = json.dumps(event, ensure_ascii=False)
        if not await self.store.receive(key, body, self._clock()):
            log.info("zalo_oa event %s received again: ignored", key)
            return False
        self._spawn(key, event)
        return True

    async def replay(self) -> int:
        """Answer the events kept but not answered (received before a stop, or while the OA
        needed re-authorisation); return how many were started."""
        pending = [(k, b) for k, b in await self.store.unhandled() if k not in self._running]
        for key, body in pending:
            self._spawn(key, json.loads(body))
        return len(pending)

    def _spawn(self, key: str, event: dict[str, Any]) -> None:
        if key in self._running:
            return
        self._running.add(key)
        task = asyncio.create_task(self._process(key, event))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._running.discard(key)

        task.add_done_callback(done)

    async def _process(self, key: str, event: dict[str, Any]) -> None:
        """Answer one event after the same user's earlier ones (their name is looked up on the
        way, so without a turn a later message could overtake an earlier one)."""
        if self.keeper.state == NEEDS_REAUTH:
            # No answer could be sent: keep the event; upkeep answers it once a token works.
            log.warning("zalo_oa event %s kept until the OA is authorised again", key)
            return
        user = user_of(event) or ""
        turn, waiting = self._turns.get(user, (asyncio.Lock(), 0))
        self._turns[user] = (turn, waiting + 1)
        try:
            async with turn:
                await self._answer(event)
        except DeliveryError as exc:
            log.warning("zalo_oa reply to %s failed: %s", user, exc.reason)
        except Exception:
            log.exception("zalo_oa event %s failed", key)
        finally:
            turn, waiting = self._turns[user]
            if waiting <= 1:
                del self._turns[user]
            else:
                self._turns[user] = (turn, waiting - 1)
        await self.store.handled(key)

    async def _answer(self, event: dict[str, Any]) -> None:
        user = user_of(event)
        assert user is not None
        now = self._clock()
        at = min(event_time(event) or now, now)
        if event.get("event_name") == "unfollow":
            await self.store.unfollowed(user, at)
            return
        await self.store.seen(user, at)
        incoming = to_incoming(event, await self._name(user), self.downloads.file)
        if incoming is None:
            return
        for reply in await self._handle(incoming):
            await self.sender.answer(user, reply)

    async def _name(self, user: str) -> str:
        """The user's Zalo display name (asked once, kept in memory only)."""
        if user in self._names:
            return self._names[user]
        try:
            token = await self.keeper.access_token()
            data = await self.api.get("v3.0/oa/user/detail", token, {"user_id": user})
        except (OaApiError, ReauthNeeded, TokenUnavailable, httpx.HTTPError) as exc:
            log.info("zalo_oa profile of %s not read: %s", user, exc)
            return ""
        name = str(data.get("display_name") or "") if isinstance(data, dict) else ""
        self._names[user] = name
        if len(self._names) > self._names_max:
            self._names.popitem(last=False)
        return name

    async def maintain(self, stop: asyncio.Event, every: float = 300.0) -> None:
        """Keep the token fresh, answer events kept while it did not work, forget old event
        keys, until told to stop."""
        while not stop.is_set():
            await self.keeper.access_token_quietly()
            with contextlib.suppress(Exception):
                if self.keeper.state == READY:
                    await self.replay()
            with contextlib.suppress(Exception):
                await self.store.prune(self._clock() - 2 * self.max_age)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def drain(self) -> None:
        """Finish the events being answered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Close the HTTP clients (the API's, the files'), once the events are drained."""
        await self.downloads.close()
        await self.api.close()
