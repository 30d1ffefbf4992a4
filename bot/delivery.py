"""The outbox worker: delivers queued messages and publications through each channel's Sender.

What happened to a send is recorded through a kept record: when storage refuses it (locked,
disk full), the record waits in memory and is tried again before anything new is claimed, so a
message that went out is recorded once storage answers, and is never sent twice.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.album import Album, story_album
from bot.cards import post_card
from bot.content import Campaigns, Safe, catalogue, load_library
from bot.digest import render_digest
from bot.health import Outages, Unrecorded, describe
from bot.menus import MenuSender, menu
from bot.messages import DeliveryError, Notice, Reply, Retractor, Sender, plain_text, split_text
from bot.storage import DIGEST, OutboxItem, Post, Storage, Story
from bot.storage.notices import RETRACT
from bot.workflow import Status

if TYPE_CHECKING:
    from bot.broadcast import Limiter

__all__ = ["OutboxWorker", "refused_content"]

log = logging.getLogger(__name__)
Record = Callable[[], Awaitable[object]]


def refused_content(exc: DeliveryError) -> bool:
    """The platform refused what was sent (a photo it cannot fetch), not the chat or channel."""
    return (exc.permanent and not exc.stopped and not exc.channel_down
            and not exc.window_closed and exc.retry_after is None)


def log_failure(message: str, *args: object, exc: Exception) -> None:
    """One line for a storage error (it repeats while it lasts); a traceback for a bug."""
    if isinstance(exc, sqlite3.Error):
        log.warning(message + ": %s", *args, describe(exc))
    else:
        log.exception(message, *args)


class OutboxWorker:
    """Sends what the outbox holds, retrying transient failures with backoff up to a limit."""

    def __init__(self, storage: Storage, senders: Mapping[str, Sender], province: int,
                 *, max_attempts: int = 5, base_delay: float = 5.0,
                 limiter_for: Callable[[str], Limiter] | None = None,
                 outages: Outages | None = None, campaigns: Campaigns | None = None,
                 gallery_url: str | None = None) -> None:
        self._limiter_for = limiter_for
        self._campaigns = campaigns or load_library(None).campaigns
        self.gallery_url = gallery_url
        self._storage = storage
        self._senders = senders
        self._province = province
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self.outages = outages or Outages()
        self._unrecorded: list[Record] = []

    def _render(self, item: OutboxItem) -> Reply:
        texts = catalogue(item.language or "vi")
        if item.template == DIGEST:
            return Reply(render_digest(item.params, texts, self._province))
        params: dict[str, object] = dict(item.params)
        if "status" in params:
            params["status"] = texts.t(f"status.{params['status']}")
        if "award" in params:
            award = self._campaigns.award(str(params.get("campaign", "")), str(params["award"]))
            params["award"] = award.label(texts.language) if award else params["award"]
        if "channel" in params and texts.has(f"engine.channel.{params['channel']}"):
            params["channel"] = texts.t(f"engine.channel.{params['channel']}")
        note = str(item.params.get("note") or "")
        template = item.template
        if template == "notify.status" and item.params.get("status") == Status.REJECTED:
            template = "notify.rejected"  # thanks, the reason, and an invitation to tell more
            params["note"] = texts.t("notify.rejected_reason", note=note) if note else Safe("")
        elif template == "notify.status":
            params["note"] = texts.t("notify.note", note=note) if note else Safe("")
        # The notice's kind and plain values, for a channel that can only send approved
        # templates outside a person's window (a Zalo OA with ZALO_OA_TEMPLATES).
        values = tuple((k, plain_text(str(v))) for k, v in params.items() if str(v))
        return Reply(texts.t(template, **params), notice=Notice(item.template, values))

    async def _commit(self, record: Record) -> None:
        """Record what happened, now or, if storage refuses, as soon as it answers."""
        self._unrecorded.append(record)
        await self.record_pending()

    async def record_pending(self) -> None:
        """Record, oldest first, what was done but not yet recorded; raise Unrecorded if storage
        still refuses (the records are kept)."""
        while self._unrecorded:
            try:
                await self._unrecorded[0]()
            except Exception as exc:
                raise Unrecorded(f"{len(self._unrecorded)} outbox results") from exc
            self._unrecorded.pop(0)

    @property
    def unrecorded(self) -> int:
        """Results kept in memory because storage refused them."""
        return len(self._unrecorded)

    async def _album(self, item: OutboxItem, album: Album, sender: Sender
                     ) -> tuple[list[str], list[int], str]:
        """Post the photos (the archive's copies uploaded, the others by reference, in the album's
        order); those the platform refuses are left out → (the ids of the messages posted, the
        positions left out, why)."""
        photos = [Reply("", photo_uploads=(upload,)) for upload in album.uploads]
        photos += [Reply("", photos=(ref,)) for ref in album.photos]
        whole = Reply("", photos=album.photos, photo_uploads=album.uploads)
        try:
            return await _send_all(sender, item.chat_id, whole), [], ""
        except DeliveryError as exc:
            if not refused_content(exc):
                raise
            if len(photos) == 1:
                return [], [1], exc.reason
        posted: list[str] = []
        skipped: list[int] = []
        reason = ""
        for position, photo in enumerate(photos, start=1):
            try:
                posted += await _send_all(sender, item.chat_id, photo)
            except DeliveryError as exc:
                if refused_content(exc):
                    skipped.append(position)
                    reason = reason or exc.reason
                    continue
                if len(skipped) < position - 1:  # some went out: never post them twice
                    rest = list(range(position, len(photos) + 1))
                    await self._commit(partial(self._storage.outbox.remember, item.id, {
                        **item.params, "album_sent": True, "skipped": skipped + rest,
                        "skip_error": reason or exc.reason}))
                raise
        return posted, skipped, reason

    async def _publish(self, item: OutboxItem, sender: Sender) -> None:
        assert item.story_id is not None
        outbox = self._storage.outbox
        story = await self._storage.stories.get(item.story_id)
        if story is None or story.status != Status.APPROVED:
            await self._commit(partial(outbox.sent, item.id))
            return
        params: dict[str, Any] = dict(item.params)
        if story.photos and not params.get("album_sent"):
            photos = await story_album(self._storage.photos, story.id, uploads=True)
            album, skipped, reason = await self._album(item, photos, sender)
            params.update(skipped=skipped, skip_error=reason)
            if len(skipped) < len(story.photos):
                params["album_sent"] = True
                await self._commit(partial(outbox.remember, item.id, params))
                await self._commit(partial(outbox.posted_album, item.id, story.id, item.chat_id,
                                           album))
        card = post_card(story, catalogue("vi"), self._province, self._campaigns,
                         self.gallery_url)
        posted = await _send_all(sender, item.chat_id, Reply(card))
        self.outages.works(item.channel)
        await self._commit(partial(outbox.published, item.id, story.id, item.chat_id, posted))
        if params.get("skipped"):
            await self._commit(partial(self._tell_skipped, story, params))

    async def _menu(self, item: OutboxItem, sender: Sender) -> None:
        """Set a person's own command menu for the role they have now."""
        person = await self._storage.people.get(item.person_id) if item.person_id else None
        if person is not None and isinstance(sender, MenuSender):
            await sender.set_menu(item.chat_id, menu(person.role, catalogue(person.language)))
            self.outages.works(item.channel)
        await self._commit(partial(self._storage.outbox.sent, item.id))

    async def _tell_skipped(self, story: Story, params: dict[str, Any]) -> None:
        count = len(story.photos)
        photos = ", ".join(f"{n}/{count}" for n in params["skipped"])
        log.warning("story %s published without photo %s: %s", story.id, photos,
                    params.get("skip_error"))
        await self._storage.outbox.queue_admins(
            "engine.publish_photo_skipped",
            {"id": story.id, "photos": photos, "error": str(params.get("skip_error"))[:300]})

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
        await self._commit(partial(self._storage.outbox.retracted, item.id, story_id, chat,
                                   removed, report))

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
        card = post_card(story, catalogue("vi"), self._province, self._campaigns,
                         self.gallery_url)
        for post, part in zip(posts, split_text(card, 4096), strict=False):
            if not await sender.replace_text(chat, post.message_id, part) and await sender.delete(
                chat, post.message_id
            ):
                removed[post.message_id] = "deleted"

    async def deliver(self, item: OutboxItem, now: datetime) -> None:
        """Deliver one item and record what happened."""
        sender = self._senders[item.channel]
        outbox = self._storage.outbox
        limiter = self._limiter_for(item.channel) if self._limiter_for else None
        if limiter is not None:
            await limiter.acquire(item.chat_id)
        try:
            if item.kind == "publish":
                await self._publish(item, sender)
            elif item.kind == RETRACT:
                await self._retract(item, sender)
            elif item.kind == "menu":
                await self._menu(item, sender)
            else:
                await sender.send(item.chat_id, self._render(item))
                self.outages.works(item.channel)
                await self._commit(partial(outbox.sent, item.id))
        except DeliveryError as exc:
            log.info("outbox %s to %s:%s failed (%s)", item.id, item.channel, item.chat_id,
                     exc.reason)
            if exc.retry_after is not None and limiter is not None:
                limiter.pause(exc.retry_after)
            await self._after_error(item, exc, now)

    async def _after_error(self, item: OutboxItem, exc: DeliveryError, now: datetime) -> None:
        outbox = self._storage.outbox
        if exc.channel_down:  # left pending as it is: it goes when the channel works again
            self.outages.down(item.channel, exc.reason, now)
            return
        if exc.window_closed:
            await self._commit(partial(outbox.hold, item.id, exc.reason))
            return
        final = exc.permanent or item.attempts + 1 >= self._max_attempts
        if final and item.kind == "publish" and item.story_id is not None:
            await self._commit(partial(outbox.publish_failed, item.id, item.story_id,
                                       exc.reason))
        elif final:
            await self._commit(partial(outbox.failed, item.id, exc.reason))
        else:
            delay = exc.retry_after or self._base_delay * 2 ** item.attempts
            await self._commit(partial(outbox.retry, item.id, now + timedelta(seconds=delay),
                                       exc.reason))

    async def announce(self, now: datetime) -> None:
        """Tell the admins, on the channels that work, that a channel went down or came back."""
        while self.outages.news:
            template, channel, reason = self.outages.news[0]
            others = [ch for ch in self.outages.up(list(self._senders), now) if ch != channel]
            if others:
                await self._storage.outbox.queue_admins(
                    template, {"channel": channel, "reason": reason}, others)
            self.outages.news.pop(0)

    async def run_once(self, now: datetime | None = None) -> int:
        """Deliver everything due now on the channels that work; return how many were tried."""
        when = now or datetime.now(UTC)
        await self.record_pending()
        await self.announce(when)
        channels = self.outages.up(list(self._senders), when)
        items = await self._storage.outbox.due(when, channels)
        tried = 0
        for item in items:
            if self.outages.is_down(item.channel, when):
                continue
            tried += 1
            try:
                await self.deliver(item, when)
            except Unrecorded:
                raise
            except Exception as exc:
                log_failure("outbox item %s could not be delivered", item.id, exc=exc)
                await self._commit(partial(self._storage.outbox.retry, item.id,
                                           when + timedelta(minutes=1), "error"))
        await self.announce(when)
        return tried

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
