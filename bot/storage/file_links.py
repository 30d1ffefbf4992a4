"""Files kept for a day behind an unguessable token, for people whose channel cannot carry a
file: the person gets a link, the public site serves the bytes until the link expires."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.storage.database import Database

__all__ = ["FileLinks", "LinkedFile"]


@dataclass(frozen=True, slots=True)
class LinkedFile:
    """A kept file: its name, whether it is a picture or a document, and its bytes."""

    name: str
    kind: str
    data: bytes


_BIG = 256 * 1024  # bytes past which hashing and writing leave the loop


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stamp(moment: datetime) -> str:
    """A UTC time as text that sorts as it compares."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class FileLinks:
    """The kept files; expired ones are dropped whenever a new one is kept."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def keep(self, person_id: int, name: str, kind: str, data: bytes, now: datetime,
                   lifetime: timedelta) -> str:
        """Keep a file for `lifetime`; return its token (32 URL-safe characters). The same bytes
        under the same name with more than half their time left keep their token: a picture
        or a voice note whoever asked (a story's photo shown to many), a document only for its
        own person (a workbook holds personal data)."""
        big = len(data) > _BIG
        digest = (await asyncio.to_thread(_digest, data)) if big else _digest(data)
        # A workbook of many stories is megabytes: written off the loop, as long writes are.
        begin = self._db.transaction_long if big else self._db.transaction
        async with begin() as tx:
            await tx.execute("DELETE FROM file_links WHERE expires_at <= ?", (_stamp(now),))
            async with tx.execute(
                "SELECT token FROM file_links WHERE digest = ? AND name = ? AND expires_at > ?"
                " AND (person_id = ? OR kind != 'document') LIMIT 1",
                (digest, name, _stamp(now + lifetime / 2), person_id)) as cur:
                row = await cur.fetchone()
            if row is not None:
                return str(row[0])
            token = secrets.token_urlsafe(24)
            await tx.execute(
                "INSERT INTO file_links (token, person_id, name, kind, data, digest, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token, person_id, name, kind, data, digest, _stamp(now),
                 _stamp(now + lifetime)))
        return token

    async def get(self, token: str, now: datetime) -> LinkedFile | None:
        """The file behind a token; None when there is none or its time is over."""
        row = await self._db.fetchone(
            "SELECT name, kind, data FROM file_links WHERE token = ? AND expires_at > ?",
            (token, _stamp(now)))
        return None if row is None else LinkedFile(str(row[0]), str(row[1]), bytes(row[2]))
