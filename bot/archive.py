"""The archive worker: downloads each queued file in the background, keeps safe copies of it, and
retries with backoff; the reporter never waits for it, and a file it gives up on is reported on
the review card. Downloads go through the callables handed to it, never by importing a channel.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from bot.health import State, Trouble, poll_until
from bot.imaging import MAX_BYTES, Processed, Refused, process_photo
from bot.storage.photos import MediaJob, Photos
from bot.voice import MAX_VOICE_BYTES, process_voice

__all__ = ["ArchiveWorker", "Download", "Process"]

log = logging.getLogger(__name__)

# (reference, byte cap) -> the file's bytes; raises imaging.Refused past the cap, anything else
# for a failure worth retrying.
Download = Callable[[str, int], Awaitable[bytes]]
# The copies to keep of one kind of file ('photo', 'voice').
Process = Callable[[bytes], Processed]
# The most bytes downloaded of each kind of file.
LIMITS = {"photo": MAX_BYTES, "voice": MAX_VOICE_BYTES}

UNREACHABLE = "unreachable"


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


class ArchiveWorker:
    """Works through the queue a few files at a time; removes files nothing refers to."""

    def __init__(
        self, photos: Photos, downloads: Mapping[str, Download], http: Download, *,
        processors: Mapping[str, Process] | None = None, max_attempts: int = 6,
        base_delay: float = 30.0, batch: int = 3, poll: float = 2.0,
    ) -> None:
        self._photos = photos
        self._downloads = downloads
        self._http = http
        self._processors = dict(processors or {"photo": process_photo, "voice": process_voice})
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._batch = batch
        self._poll = poll
        # Downloads overlap; decoding runs one file at a time (a 64-megapixel PNG takes about
        # 200 MB while it is turned into copies, and the machine's cores serve the chats too).
        self._decoding = asyncio.Lock()
        self._trouble = Trouble("photo archive", first_wait=poll, max_wait=60.0)

    def state(self) -> State:
        """Running, or retrying (storage failing) and why, as /healthz shows it."""
        return self._trouble.state()

    async def run(self, stop: asyncio.Event) -> None:
        """Until told to stop: archive what is due, then wait a little (longer while storage
        fails, logged once, not at every pass)."""
        await poll_until(stop, self.run_once, self._trouble, self._poll)

    async def run_once(self, now: datetime | None = None) -> int:
        """Archive the files due now, a batch at a time, then empty the trash; return the count."""
        when = now or datetime.now(UTC)
        jobs = await self._photos.due(when, frozenset(self._downloads),
                                      frozenset(self._processors), self._batch)
        await asyncio.gather(*(self._archive(job, when) for job in jobs))
        await self._purge()
        return len(jobs)

    async def _archive(self, job: MediaJob, now: datetime) -> None:
        """Download, check, copy and record one file; never raises."""
        download = self._http if _is_url(job.file_ref) else self._downloads[job.channel]
        try:
            data = await download(job.file_ref, LIMITS.get(job.kind, MAX_BYTES))
            digest = hashlib.sha256(data).hexdigest()
            async with self._decoding:
                made = await asyncio.to_thread(self._processors[job.kind], data)
            await asyncio.to_thread(self._photos.files.put, digest, made.files)
            await self._photos.archived(job, digest, made.width, made.height)
        except Refused as exc:
            log.info("story %s %s %s refused: %s", job.story_id, job.kind, job.position,
                     exc.reason)
            await self._photos.failed(job, exc.reason)
        except Exception as exc:
            # Only the type: a message could carry a URL, and a Telegram file URL the token.
            reason = type(exc).__name__
            if job.attempts + 1 >= self._max_attempts:
                log.warning("story %s %s %s not archived after %d tries (%s)", job.story_id,
                            job.kind, job.position, job.attempts + 1, reason)
                await self._photos.failed(job, UNREACHABLE)
                return
            delay = self._base_delay * 3 ** job.attempts
            await self._photos.retry(job, now + timedelta(seconds=delay), reason)

    async def _purge(self) -> None:
        """Delete the files of digests no row refers to any more."""
        for digest in await self._photos.trash():
            await asyncio.to_thread(self._photos.files.remove, digest)
            await self._photos.emptied(digest)
