"""Voice notes telling a story: what the archive holds for a story's note, and forgetting a
person's notes when they are erased (a voice note is never published, so it always goes)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.storage.photos import MediaFiles

__all__ = ["ArchivedVoice", "Voices", "forget_voices"]


@dataclass(frozen=True, slots=True)
class ArchivedVoice:
    """A story's voice note: its reference, length, and the archive's copy (if any)."""

    file_ref: str
    seconds: int | None
    state: str
    digest: str | None
    error: str | None


async def forget_voices(tx: aiosqlite.Connection, person_id: int) -> None:
    """Inside the erasure's transaction: drop the voice notes of every story of the person (the
    archive's row goes with the reference, and its file once nothing else refers to it)."""
    await tx.execute(
        "UPDATE stories SET voice_ref = NULL, voice_seconds = NULL, updated_at = ?"
        " WHERE reporter_id = ? AND voice_ref IS NOT NULL", (now_iso(), person_id))


class Voices:
    """Repository of stories' voice notes; `files` is the archive's folder."""

    def __init__(self, db: Database, folder: Path) -> None:
        self._db = db
        self.files = MediaFiles(folder)

    async def of_story(self, story_id: int) -> ArchivedVoice | None:
        """The story's voice note and what the archive holds for it; None without one."""
        row = await self._db.fetchone(
            "SELECT s.voice_ref, s.voice_seconds, m.state, m.digest, m.error FROM stories s"
            " LEFT JOIN archived_media m ON m.story_id = s.id AND m.kind = 'voice'"
            " WHERE s.id = ? AND s.voice_ref IS NOT NULL", (story_id,))
        if row is None:
            return None
        return ArchivedVoice(row["voice_ref"], row["voice_seconds"], row["state"] or "pending",
                             row["digest"], row["error"])

    def stored(self, digest: str) -> Path | None:
        """The archived file of a voice note (kept as sent: voice.ogg, voice.aac …)."""
        folder = self.files.path(digest, "")
        return next(iter(sorted(folder.glob("voice.*"))), None) if folder.is_dir() else None
