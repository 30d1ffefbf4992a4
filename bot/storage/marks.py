"""Keyed hashes of platform accounts: what erasure keeps so the daily report limit holds."""

from __future__ import annotations

import hashlib
import hmac

import aiosqlite

from bot.storage.database import Database

__all__ = ["account_mark", "mark_key", "new_mark_key"]

_NAME = "filing_marks"


def account_mark(key: bytes, channel: str, external_id: str) -> str:
    """A keyed hash of (channel, account): equal for the same account, useless without the key."""
    message = f"{channel}\x1f{external_id}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


async def mark_key(db: Database) -> bytes | None:
    """The database's own random key for account marks; None before the first erasure."""
    row = await db.fetchone("SELECT value FROM hash_keys WHERE name = ?", (_NAME,))
    return None if row is None else bytes(row[0])


async def new_mark_key(tx: aiosqlite.Connection) -> bytes:
    """The key, made (32 random bytes) in the caller's transaction if there is none yet."""
    await tx.execute(
        "INSERT OR IGNORE INTO hash_keys (name, value) VALUES (?, randomblob(32))", (_NAME,)
    )
    async with tx.execute("SELECT value FROM hash_keys WHERE name = ?", (_NAME,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return bytes(row[0])
