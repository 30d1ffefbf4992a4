"""The reviewers' morning digest: the stories that have waited too long in each reviewer's
communes, and, for admins, the communes whose stories nobody reviews. Sent through the outbox,
at most once a person a day, and only when there is something to say."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.content import Catalogue, Safe, localities
from bot.storage import Storage, Waiting
from bot.storage.staff import Reader
from bot.workflow import Role, Status

__all__ = ["ReviewDigest", "render_digest", "unreviewed_text"]

log = logging.getLogger(__name__)
# Stories listed by name in one digest; the rest are counted.
SHOWN = 15


def _commune(province: int, code: int) -> str:
    unit = localities(province).get(code)
    return unit.name if unit else str(code)


def unreviewed_text(gaps: list[tuple[int, int]] | list[list[int]], texts: Catalogue,
                    province: int) -> Safe:
    """'Communes with stories waiting but no reviewer: …', and how to give them one (nothing
    when there are none)."""
    if not gaps:
        return Safe("")
    names = ", ".join(texts.t("digest.gap", commune=_commune(province, code), count=count)
                      for code, count in gaps)
    return Safe(texts.t("digest.gaps", communes=Safe(names)) + texts.t("digest.grant_hint"))


def render_digest(params: dict[str, Any], texts: Catalogue, province: int) -> Safe:
    """A queued digest in the reader's language."""
    parts: list[str] = []
    stories = params.get("stories") or []
    if stories:
        lines = [texts.t("digest.line", id=sid, title=title, commune=_commune(province, code),
                         days=days)
                 for sid, title, code, days in stories]
        more = int(params.get("more") or 0)
        if more:
            lines.append(texts.t("digest.more", count=more))
        parts.append(texts.t("digest.title", days=params["days"], count=len(stories) + more)
                     + "\n\n" + "\n".join(lines) + texts.t("digest.pending_hint"))
    gaps = params.get("gaps") or []
    if gaps:
        parts.append(unreviewed_text(gaps, texts, province))
    return Safe("\n\n".join([texts.t("digest.hello"), *parts]))


def _reads(reader: Reader, story: Waiting) -> bool:
    """A reviewer is reminded of pending stories in their communes; an admin, of every story
    waiting (a recommendation waits for an admin)."""
    if reader.role == Role.ADMIN:
        return True
    return story.status == Status.PENDING and reader.reviews(story.commune)


class ReviewDigest:
    """Queues the morning digest, each reader's at most once a day (a key per person and day)."""

    def __init__(self, storage: Storage, tz: ZoneInfo, at: time, days: int) -> None:
        self._storage = storage
        self._tz = tz
        self._at = at
        self._days = days

    async def send(self, now: datetime) -> int:
        """Queue today's digest to each reviewer and admin who has something to read in it;
        return how many were queued now."""
        if self._days <= 0:
            return 0
        staff = self._storage.staff
        cutoff = (now - timedelta(days=self._days)).astimezone(UTC).isoformat(timespec="seconds")
        waiting = await staff.waiting_since(cutoff)
        gaps = await staff.unreviewed_communes()
        day = now.astimezone(self._tz).date().isoformat()
        queued = 0
        for reader in await staff.digest_readers():
            mine = [w for w in waiting if _reads(reader, w)]
            theirs = gaps if reader.role == Role.ADMIN else []
            if not mine and not theirs:
                continue
            stories = [[w.id, w.title, w.commune, _days(now, w.since)] for w in mine[:SHOWN]]
            params = {"days": self._days, "stories": stories, "more": len(mine) - len(stories),
                      "gaps": [list(g) for g in theirs]}
            if await staff.queue_digest(reader.person_id, day, params):
                queued += 1
        if queued:
            log.info("review digest of %s queued for %d people", day, queued)
        return queued

    async def catch_up(self, now: datetime | None = None) -> int:
        """At start-up: if today's digest hour has passed, queue today's (once)."""
        moment = now or datetime.now(UTC)
        if moment.astimezone(self._tz).time() >= self._at:
            return await self.send(moment)
        return 0

    async def tick(self) -> None:
        """The daily job."""
        await self.send(datetime.now(UTC))


def _days(now: datetime, since: str) -> int:
    """Whole days since an instant stored in UTC."""
    return (now - datetime.fromisoformat(since)).days
