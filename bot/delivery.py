"""The outbox worker: delivers queued messages and publications through each channel's Sender."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.cards import post_card
from bot.content import Safe, campaign, catalogue
from bot.messages import DeliveryError, Reply, Retractor, Sender, split_text
from bot.storage import OutboxItem, Post, Storage
from bot.storage.notices import RETRACT

if TYPE_CHECKING:
    from bot.broadcast import Limiter

__all__ = ["OutboxWorker"]

log = logging.getLogger(__name__)


class OutboxWorker:
    """Sends what the outbox holds, retrying transient failures with backoff up to a limit."""

    def __init__(self, storage: Storage, senders: Mapping[str, Sender], province: int,
                 *, max_attempts: int = 5, base_delay: float = 5.0,
                 limiter_for: Callable[[str], Limiter] | None = None) -> None:
        self._limiter_for = limiter_for
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
            album = await _send_all(sender, item.chat_id, Reply("", photos=tuple(story.photos)))
            await self._storage.outbox.posted_album(item.id, story.id, item.chat_id, album)
        card = post_card(story, catalogue("vi"), self._province)
        posted = await _send_all(sender, item.chat_id, Reply(card))
        await self._storage.outbox.published(item.id, story.id, item.chat_id, posted)

    async def _retract(self, item: OutboxItem, sender: Sender) -> None:
        """Take a story's post down — each message deleted, or, where Telegram refuses (older
        than 48 hours without the right to delete), its text replaced by a withdrawal note — or,
        in mode 'redact', rewrite its text without the reporter's name. The admin who asked is
        told what became of it."""
        assert item.story_id is not None
        story_id, chat = item.story_id, item.chat_id
        asked_by = item.params.get("by")
        report: dict[str, Any] = {"by": asked_by, "id": story_id}
        posts = await self._storage.stories.posts(story_id, chat)
        removed: dict[str, str] = {}
        if not isinstance(sender, Retractor):
            report["template"] = "undo.retract_unsupported"
        elif item.params.get("mode") == "redact":
            await self._redact(story_id, chat, [p for p in posts if p.part == "text"], sender,
                               removed)
            report["by"] = None
        else:
            try:
                kept = await self._take_down(chat, posts, sender, removed)
            except DeliveryError as exc:
                if not exc.permanent:
                    raise
                report.update(template="undo.retract_failed", error=exc.reason[:300])
            else:
                report.update(_retract_report(len(posts), removed, kept))
        await self._storage.outbox.retracted(item.id, story_id, chat, removed, report)

    async def _take_down(self, chat: str, posts: list[Post], sender: Retractor,
                         removed: dict[str, str]) -> int:
        """Delete each message, else replace its text; return how many photos stay up."""
        note = catalogue("vi").t("undo.post_withdrawn")
        kept = 0
        for post in posts:
            if await sender.delete(chat, post.message_id):
                removed[post.message_id] = "deleted"
            elif post.part == "text" and await sender.replace_text(chat, post.message_id, note):
                removed[post.message_id] = "replaced"
            else:
                kept += 1
        return kept

    async def _redact(self, story_id: int, chat: str, posts: list[Post], sender: Retractor,
                      removed: dict[str, str]) -> None:
        """Rewrite the post's text as it reads now (without the erased reporter's name); a text
        Telegram will not edit is deleted instead."""
        story = await self._storage.stories.get(story_id)
        if story is None:
            return
        card = post_card(story, catalogue("vi"), self._province)
        for post, part in zip(posts, split_text(card, 4096), strict=False):
            if not await sender.replace_text(chat, post.message_id, part) and await sender.delete(
                chat, post.message_id
            ):
                removed[post.message_id] = "deleted"

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
            elif item.kind == RETRACT:
                await self._retract(item, sender)
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


async def _send_all(sender: Sender, chat_id: str, reply: Reply) -> list[str]:
    """Send, keeping the id of every message where the channel tells them all."""
    if isinstance(sender, Retractor):
        return await sender.send_all(chat_id, reply)
    last = await sender.send(chat_id, reply)
    return [last] if last else []


def _retract_report(posted: int, removed: dict[str, str], kept: int) -> dict[str, Any]:
    """The template and counts of the admin's report on a post taken down."""
    deleted = sum(how == "deleted" for how in removed.values())
    replaced = sum(how == "replaced" for how in removed.values())
    if posted == 0:
        return {"template": "undo.retract_nothing"}
    if replaced == 0 and kept == 0:
        return {"template": "undo.retract_done", "deleted": deleted}
    return {"template": "undo.retract_partial", "deleted": deleted, "replaced": replaced,
            "kept": kept}
