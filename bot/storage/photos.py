"""The archive of stories' photos: the download queue, what is archived, and the files on disk.

Files live in a content-addressed folder beside the database (`media/ab/abcdef…/web.jpg`, by the
SHA-256 of the bytes downloaded), so the same photo sent twice is kept once and a file never
changes once written. A trigger queues every stored photo (migration 0013); a worker downloads
it (bot.archive). Files whose last row is gone are listed in `media_trash` and deleted by the
worker, after the transaction that dropped them has committed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiosqlite

from bot.storage.database import Database
from bot.storage.people import now_iso

__all__ = [
    "ArchivedPhoto",
    "MediaFiles",
    "MediaJob",
    "Photos",
    "media_folder",
    "photos_to_remove_on_erasure",
    "story_photos_to_remove",
]

_URL = "(file_ref LIKE 'http://%' OR file_ref LIKE 'https://%')"


def media_folder(database_path: Path | str) -> Path:
    """Where the archive lives: a `media` folder beside the database file."""
    return Path(database_path).parent / "media"


class MediaFiles:
    """The content-addressed folder: one sub-folder per digest holding its copies."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, digest: str, name: str) -> Path:
        """The file `name` (e.g. 'web.jpg') of an archived item."""
        return self.folder / digest[:2] / digest / name

    def has(self, digest: str) -> bool:
        """Whether the item's folder is complete on disk."""
        return (self.folder / digest[:2] / digest).is_dir()

    def put(self, digest: str, files: dict[str, bytes]) -> None:
        """Write an item's files all at once (a folder renamed into place), if not there yet."""
        if self.has(digest):
            return
        parent = self.folder / digest[:2]
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=parent))
        try:
            for name, data in files.items():
                (staging / name).write_bytes(data)
            os.replace(staging, parent / digest)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not self.has(digest):
                raise

    def remove(self, digest: str) -> None:
        """Delete an item's files (nothing if already gone)."""
        shutil.rmtree(self.folder / digest[:2] / digest, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class MediaJob:
    """A file to download: which story, where it came from, how often it was tried."""

    story_id: int
    kind: str
    position: int
    channel: str
    file_ref: str
    attempts: int


@dataclass(frozen=True, slots=True)
class ArchivedPhoto:
    """One photo of a story and what the archive holds for it."""

    position: int
    file_ref: str
    state: str
    digest: str | None
    width: int | None
    height: int | None
    error: str | None

    @property
    def archived(self) -> bool:
        """Whether the archive holds copies of it."""
        return self.state == "archived" and self.digest is not None


async def photos_to_remove_on_erasure(tx: aiosqlite.Connection, person_id: int) -> list[str]:
    """Inside the erasure's transaction: forget the photos (and any archived file) of the
    person's stories that were never published nor approved for publishing. Returns the digests
    dropped; their files are deleted once nothing else refers to them (`Photos.trash`)."""
    return await _drop_never_published(tx, "reporter_id = ?", person_id)


async def story_photos_to_remove(tx: aiosqlite.Connection, story_id: int) -> list[str]:
    """As `photos_to_remove_on_erasure`, for one story (a resident's data erased from it)."""
    return await _drop_never_published(tx, "id = ?", story_id)


async def _drop_never_published(tx: aiosqlite.Connection, which: str, value: int) -> list[str]:
    never = (
        f"SELECT id FROM stories WHERE {which} AND published_at IS NULL"
        " AND status NOT IN ('approved', 'published')"
    )
    async with tx.execute(
        f"SELECT DISTINCT digest FROM archived_media WHERE story_id IN ({never})"
        " AND digest IS NOT NULL", (value,),
    ) as cur:
        digests = [str(r[0]) for r in await cur.fetchall()]
    await tx.execute(f"DELETE FROM story_photos WHERE story_id IN ({never})", (value,))
    await tx.execute(f"DELETE FROM archived_media WHERE story_id IN ({never})", (value,))
    return digests


class Photos:
    """Repository of the archive's rows; `files` is the folder they point into."""

    def __init__(self, db: Database, folder: Path) -> None:
        self._db = db
        self.files = MediaFiles(folder)

    async def of_story(self, story_id: int) -> list[ArchivedPhoto]:
        """A story's photos in order, with what the archive holds for each."""
        rows = await self._db.fetchall(
            "SELECT p.position, p.file_ref, m.state, m.digest, m.width, m.height, m.error"
            " FROM story_photos p LEFT JOIN archived_media m ON m.story_id = p.story_id"
            " AND m.kind = 'photo' AND m.position = p.position"
            " WHERE p.story_id = ? ORDER BY p.position", (story_id,),
        )
        return [ArchivedPhoto(r["position"], r["file_ref"], r["state"] or "pending",
                              r["digest"], r["width"], r["height"], r["error"]) for r in rows]

    async def due(self, now: datetime, channels: frozenset[str], kinds: frozenset[str],
                  limit: int) -> list[MediaJob]:
        """Files of these kinds to download now: web addresses, and references of the channels
        given (a channel that is not running keeps its files waiting)."""
        by_channel = ",".join("?" * len(channels)) or "NULL"
        of_kind = ",".join("?" * len(kinds)) or "NULL"
        rows = await self._db.fetchall(
            "SELECT story_id, kind, position, channel, file_ref, attempts FROM archived_media"
            f" WHERE state = 'pending' AND next_attempt_at <= ? AND kind IN ({of_kind})"
            f" AND ({_URL} OR channel IN ({by_channel})) ORDER BY next_attempt_at LIMIT ?",
            (now.isoformat(timespec="seconds"), *sorted(kinds), *sorted(channels), limit),
        )
        return [MediaJob(r["story_id"], r["kind"], r["position"], r["channel"], r["file_ref"],
                         r["attempts"]) for r in rows]

    async def archived(self, job: MediaJob, digest: str, width: int, height: int) -> bool:
        """Record the copies; False (and the files queued for removal) if the row is gone."""
        async with self._db.transaction() as tx:
            async with tx.execute(
                "UPDATE archived_media SET state = 'archived', digest = ?, width = ?,"
                " height = ?, error = NULL, attempts = attempts + 1, archived_at = ?"
                " WHERE story_id = ? AND kind = ? AND position = ? AND file_ref = ?",
                (digest, width, height, now_iso(), job.story_id, job.kind, job.position,
                 job.file_ref),
            ) as cur:
                kept = cur.rowcount == 1
            if not kept:
                await tx.execute(
                    "INSERT OR IGNORE INTO media_trash (digest, queued_at) VALUES (?, ?)",
                    (digest, now_iso()),
                )
            return kept

    async def retry(self, job: MediaJob, when: datetime, error: str) -> None:
        """Try again later."""
        await self._db.write(
            "UPDATE archived_media SET attempts = attempts + 1, next_attempt_at = ?, error = ?"
            " WHERE story_id = ? AND kind = ? AND position = ? AND state = 'pending'",
            (when.isoformat(timespec="seconds"), error, job.story_id, job.kind, job.position),
        )

    async def failed(self, job: MediaJob, error: str) -> None:
        """Give up on a file: the review card says so."""
        await self._db.write(
            "UPDATE archived_media SET state = 'failed', attempts = attempts + 1, error = ?"
            " WHERE story_id = ? AND kind = ? AND position = ? AND state = 'pending'",
            (error, job.story_id, job.kind, job.position),
        )

    async def trash(self, limit: int = 100) -> list[str]:
        """Digests no row refers to any more, whose files may go; the others leave the list.
        Nothing is written while the list is empty (the worker asks at every pass)."""
        if await self._db.fetchone("SELECT 1 FROM media_trash LIMIT 1") is None:
            return []
        await self._db.write(
            "DELETE FROM media_trash WHERE digest IN (SELECT digest FROM archived_media"
            " WHERE digest IS NOT NULL)"
        )
        rows = await self._db.fetchall("SELECT digest FROM media_trash LIMIT ?", (limit,))
        return [str(r[0]) for r in rows]

    async def emptied(self, digest: str) -> None:
        """The files of a digest were removed."""
        await self._db.write("DELETE FROM media_trash WHERE digest = ?", (digest,))
