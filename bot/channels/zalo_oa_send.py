"""Sending on a Zalo OA within its rules: consultation messages inside the person's interaction
window, a ZBS template (when one is configured for the notice) outside it, and every refusal
turned into the DeliveryError flag the outbox and the broadcast engine act on."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx

from bot.channels.photo_sends import send_photos
from bot.channels.zalo_oa_api import OaApi, OaApiError
from bot.channels.zalo_oa_tokens import Clock, ReauthNeeded, TokenKeeper, TokenUnavailable, utcnow
from bot.content import Safe
from bot.messages import DeliveryError, Reply, plain_text, split_text
from bot.storage.zalo_oa import ZaloOaStore

__all__ = ["MAX_LABEL", "MAX_TEXT", "OaOptions", "ZaloOaSender", "button_value",
           "delivery_error", "render"]

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters of a consultation message
MAX_LABEL = 100  # characters of a button title
RATE_BACKOFF = 60.0  # seconds: the OA limit is counted per minute
WINDOW_CLOSED = (-230, -232)
TOKEN_REFUSED = (-216, -220)
NOT_FOLLOWER = -213
RATE_LIMITED = -32
LATER = (-211, -218, -234)  # out of quota (OA, user), not at night: may go through later
_PAYLOAD = re.compile(r"#([A-Za-z0-9_-]{1,40}:[A-Za-z0-9_:.-]{1,80})")
CS = "v3.0/oa/message/cs"
TEMPLATE = "v3.0/oa/message/template"


@dataclass(frozen=True, slots=True)
class OaOptions:
    """What the settings decide about sending (the unconfirmed facts among them)."""

    window: timedelta = timedelta(days=7)
    max_buttons: int = 5
    templates: Mapping[str, str] = field(default_factory=dict)
    template_recipient: str = "user_id"
    language: str = "vi"  # of the words the sender adds itself (a photo Zalo refused)


def button_value(text: str) -> str | None:
    """The option a tapped button stands for, when the text is one of our button payloads."""
    match = _PAYLOAD.fullmatch(text.strip())
    return match.group(1) if match else None


def _media(url: str) -> dict[str, Any]:
    return {"attachment": {"type": "template", "payload": {
        "template_type": "media", "elements": [{"media_type": "image", "url": url}]}}}


def render(reply: Reply, max_buttons: int, *, numbered: bool) -> list[dict[str, Any]]:
    """A reply as OA `message` objects: its photos (URLs), then its text split under 2,000
    characters. Options go on the last part as `oa.query.hide` buttons when they fit (few
    enough, short enough); otherwise as numbered lines when `numbered`, or not at all."""
    out = [_media(p) for p in reply.photos if p.startswith(("http://", "https://"))]
    options = reply.flat_choices()
    labels = [plain_text(c.label) for c in options]
    if numbered:  # in the conversation a typed number answers too, as the questions say
        labels = [f"{n}. {label}" for n, label in enumerate(labels, start=1)]
    buttons = bool(options) and len(options) <= max_buttons and bool(reply.text) and all(
        0 < len(label) <= MAX_LABEL for label in labels)
    text = reply.text
    if options and not buttons and numbered:
        lines = "\n".join(labels)
        text = f"{text}\n\n{lines}" if text else lines
    parts = [plain_text(part) for part in split_text(text, MAX_TEXT)] if text else []
    out.extend({"text": part} for part in parts)
    if buttons and parts:
        out[-1]["attachment"] = {"type": "template", "payload": {"buttons": [
            {"title": label, "type": "oa.query.hide", "payload": f"#{choice.value}"}
            for label, choice in zip(labels, options, strict=True)]}}
    return out


def delivery_error(code: int, message: str) -> DeliveryError:
    """What a refusal of the OA API means for the message (token refusals are handled before)."""
    reason = f"zalo_oa {code} {message}".strip()
    if code in WINDOW_CLOSED:
        return DeliveryError(reason, permanent=False, window_closed=True)
    if code == NOT_FOLLOWER:
        return DeliveryError(reason, permanent=True, stopped=True)
    if code in (RATE_LIMITED, 429):
        return DeliveryError(reason, permanent=False, retry_after=RATE_BACKOFF)
    if code in TOKEN_REFUSED:
        return DeliveryError(reason, permanent=False, channel_down=True)
    return DeliveryError(reason, permanent=code not in LATER and code < 500)


class ZaloOaSender:
    """Delivers Replies to OA users; raises DeliveryError with the flag that fits."""

    channel = "zalo_oa"

    def __init__(self, api: OaApi, keeper: TokenKeeper, store: ZaloOaStore,
                 options: OaOptions | None = None, clock: Clock = utcnow) -> None:
        self._api = api
        self._keeper = keeper
        self._store = store
        self._options = options or OaOptions()
        self._clock = clock

    async def send(self, chat_id: str, reply: Reply) -> str | None:
        """A message outside the conversation: inside the window as consultation messages
        (options only as buttons: a typed number would answer the open question instead),
        outside it as the notice's template when one is configured, or not at all."""
        user = await self._store.user(chat_id)
        if user.unfollowed:
            raise DeliveryError("zalo_oa: unfollowed the OA", permanent=True, stopped=True)
        inside = user.last_inbound_at is not None and (
            self._clock() - user.last_inbound_at < self._options.window)
        if inside:
            return await self._deliver(chat_id, reply, numbered=False)
        template = self._options.templates.get(reply.notice.kind) if reply.notice else None
        if template is None or reply.notice is None:
            raise DeliveryError("zalo_oa: outside the interaction window", permanent=False,
                                window_closed=True)
        body: dict[str, Any] = {"template_id": template,
                                "template_data": dict(reply.notice.values)}
        if self._options.template_recipient == "recipient":
            body["recipient"] = {"user_id": chat_id}
        else:
            body["user_id"] = chat_id
        return _message_id(await self._call(chat_id, TEMPLATE, body))

    async def answer(self, chat_id: str, reply: Reply) -> str | None:
        """Answer the person who just wrote (their window is open): options as buttons, or
        numbered where buttons do not fit."""
        return await self._deliver(chat_id, reply, numbered=True)

    async def _deliver(self, chat_id: str, reply: Reply, *, numbered: bool) -> str | None:
        """The photos, then the text; a photo the platform refuses (it could not fetch the
        address) is named in a line added to the text, which still goes."""

        async def photo(url: str) -> str | None:
            return _message_id(await self._call(chat_id, CS, {"recipient": {"user_id": chat_id},
                                                              "message": _media(url)}))

        last, note = await send_photos(chat_id, reply.photos, photo, self._options.language)
        text = Safe(reply.text + note)
        for message in render(replace(reply, photos=(), text=text), self._options.max_buttons,
                              numbered=numbered):
            data = await self._call(chat_id, CS, {"recipient": {"user_id": chat_id},
                                                  "message": message})
            last = _message_id(data) or last
        return last

    async def _call(self, chat_id: str, path: str, body: dict[str, Any]) -> Any:
        """One API call; a refused token is refreshed once and the call tried again."""
        try:
            token = await self._keeper.access_token()
            try:
                return await self._api.post(path, token, body)
            except OaApiError as exc:
                if exc.code not in TOKEN_REFUSED:
                    raise
                log.info("zalo_oa: access token refused (%s); refreshing once", exc.code)
                return await self._api.post(path, await self._keeper.renew(token), body)
        except ReauthNeeded as exc:
            raise DeliveryError(f"zalo_oa: re-authorisation needed ({exc})", permanent=False,
                                channel_down=True) from exc
        except TokenUnavailable as exc:
            raise DeliveryError(f"zalo_oa: no token ({exc})", permanent=False) from exc
        except OaApiError as exc:
            if exc.code == NOT_FOLLOWER:
                await self._store.unfollowed(chat_id, self._clock())
            raise delivery_error(exc.code, exc.message) from exc
        except httpx.HTTPError as exc:
            raise DeliveryError(f"zalo_oa: {type(exc).__name__}", permanent=False) from exc


def _message_id(data: Any) -> str | None:
    """`message_id` (consultation messages) or `msg_id` (templates)."""
    if not isinstance(data, dict):
        return None
    found = data.get("message_id") or data.get("msg_id")
    return str(found) if found else None
