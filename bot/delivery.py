"""The outbox worker: delivers queued messages and publications through each channel's Sender."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.album import story_album
from bot.cards import post_card
from bot.content import Safe, campaign, catalogue
from bot.messages import DeliveryError, Reply, Sender
from bot.storage import OutboxItem, Storage

if TYPE_CHECKING:
    from bot.broadcast import Limiter

__all__ = ["OutboxWorker"]

log = logging.getLogger(__name__)


class OutboxWorker:
    """Sends what the outbox holds, retrying transient failures with backoff up to a limit."""

    def __init__(self, storage: Storage, senders: Mapping[str, Sender], province: int,
                 *, max_attempts: int = 5, base_delay: float = 5.0,
                 limiter_for: Callable[[str], Limiter] | None = None,
                 gallery_url: str | None = None) -> None:
        self._limiter_for = limiter_for
        self.gallery_url = gallery_url
        self._storage = storage
        self._senders = senders
        self._province = province
        self._max_attempts = max_attempts
        self._base_delay = base_delay

    def _render(self, item: OutboxItem) -> Reply:
        texts = catalogue(item.language or "vi")
        params: dict[str, object] = dict(item.params)
        if "status" in params:
            params["status"] = texts.t(f"status.{params['status']}")
        if "award" in params:
            award = campaign().award(str(params["award"]))
            params["award"] = award.label(texts.language) if award else params["award"]
        note = str(item.params.get("note") or "")
        if item.template == "notify.status":
            params["note"] = texts.t("notify.note", note=note) if note else Safe("")
        return Reply(texts.t(item.template, **params))

    async def _publish(self, item: OutboxItem, sender: Sender) -> None:
        assert item.story_id is not None
        story = await self._storage.stories.get(item.story_id)
        if story is None or story.status != "approved":
            await self._storage.outbox.sent(item.id)
            return
        if story.photos and not item.params.get("album_sent"):
            album = await story_album(self._storage.photos, story.id, uploads=True)
            await sender.send(item.chat_id, Reply("", photos=album.photos,
                                                  photo_uploads=album.uploads))
            await self._storage.outbox.remember(item.id, {**item.params, "album_sent": True})
        card = post_card(story, catalogue("vi"), self._province, self.gallery_url)
        message_id = await sender.send(item.chat_id, Reply(card))
        await self._storage.outbox.published(item.id, story.id, message_id or "")

    async def deliver(self, item: OutboxItem, now: datetime) -> None:
        """Deliver one item and record what happened."""
        sender = self._senders.get(item.channel)
        outbox = self._storage.outbox
        if sender is None:
            await outbox.retry(item.id, now + timedelta(minutes=10), f"no {item.channel} sender")
            return
        limiter = self._limiter_for(item.channel) if self._limiter_for else None
        if limiter is not None:
            await limiter.acquire(item.chat_id)
        try:
            if item.kind == "publish":
                await self._publish(item, sender)
            else:
                await sender.send(item.chat_id, self._render(item))
                await outbox.sent(item.id)
        except DeliveryError as exc:
            if exc.retry_after is not None and limiter is not None:
                limiter.pause(exc.retry_after)
            final = exc.permanent or item.attempts + 1 >= self._max_attempts
            if final and item.kind == "publish" and item.story_id is not None:
                await outbox.publish_failed(item.id, item.story_id, exc.reason)
            elif final:
                await outbox.failed(item.id, exc.reason)
            else:
                delay = exc.retry_after or self._base_delay * 2 ** item.attempts
                await outbox.retry(item.id, now + timedelta(seconds=delay), exc.reason)
            log.info("outbox %s to %s:%s failed (%s)", item.id, item.channel, item.chat_id,
                     exc.reason)

    async def run_once(self, now: datetime | None = None) -> int:
        """Deliver everything due now; return how many items were tried."""
        when = now or datetime.now(UTC)
        items = await self._storage.outbox.due(when)
        for item in items:
            try:
                await self.deliver(item, when)
            except Exception:
                log.exception("outbox item %s could not be delivered", item.id)
                await self._storage.outbox.retry(item.id, when + timedelta(minutes=1), "error")
        return len(items)
