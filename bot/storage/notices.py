"""Outbox rows written inside the caller's transaction: messages to people, posts to take down."""

from __future__ import annotations

import json
from typing import Any

import aiosqlite

from bot.storage.people import now_iso

__all__ = ["RETRACT", "queue_message", "queue_retract", "queue_reviewers"]

RETRACT = "retract"  # the outbox kind that deletes (or rewrites) a story's post in a channel


async def queue_message(
    tx: aiosqlite.Connection, person_id: int, template: str, params: dict[str, Any],
    story_id: int | None = None,
) -> None:
    """Queue a catalogue message to a person, on their own channel, in this transaction."""
    stamp = now_iso()
    await tx.execute(
        "INSERT INTO outbox (kind, person_id, channel, chat_id, template, params, story_id,"
        " next_attempt_at, created_at)"
        " SELECT 'message', id, channel, external_id, ?, ?, ?, ?, ? FROM people"
        " WHERE id = ? AND erased_at IS NULL",
        (template, json.dumps(params, ensure_ascii=False), story_id, stamp, stamp, person_id),
    )


async def queue_reviewers(
    tx: aiosqlite.Connection, commune: int, template: str, params: dict[str, Any],
    story_id: int, roles: tuple[str, ...] = ("reviewer", "admin"), skip: int | None = None,
) -> None:
    """Queue a message to every reviewer of a commune (and every admin)."""
    async with tx.execute(
        "SELECT DISTINCT p.id FROM people p LEFT JOIN reviewer_scopes s ON s.person_id = p.id"
        " WHERE p.erased_at IS NULL AND ((p.role = 'admin' AND 'admin' IN (SELECT value FROM"
        " json_each(?))) OR (p.role = 'reviewer' AND 'reviewer' IN (SELECT value FROM"
        " json_each(?)) AND s.commune_code IN (0, ?)))",
        (json.dumps(roles), json.dumps(roles), commune),
    ) as cur:
        ids = [int(r[0]) for r in await cur.fetchall()]
    for person_id in ids:
        if person_id != skip:
            await queue_message(tx, person_id, template, params, story_id)


async def queue_retract(
    tx: aiosqlite.Connection, story_id: int, *, mode: str, requested_by: int | None,
    fallback_chat: str | None = None,
) -> int:
    """Queue taking down (mode 'unpublish') or rewriting without the reporter's name (mode
    'redact') every message of a story's post, one item per chat it is in; return how many.

    With nothing recorded in any chat, an 'unpublish' still queues one item for `fallback_chat`
    (when set), so the admin who asked hears that there was nothing to remove.
    """
    async with tx.execute(
        "SELECT DISTINCT chat_id FROM story_posts WHERE story_id = ? AND removed IS NULL"
        " ORDER BY chat_id", (story_id,),
    ) as cur:
        chats = [str(r[0]) for r in await cur.fetchall()]
    if not chats and mode == "unpublish" and fallback_chat:
        chats = [fallback_chat]
    stamp = now_iso()
    params = json.dumps({"mode": mode, "by": requested_by})
    for chat in chats:
        await tx.execute(
            "INSERT INTO outbox (kind, channel, chat_id, template, params, story_id,"
            " next_attempt_at, created_at) VALUES (?, 'telegram', ?, ?, ?, ?, ?, ?)",
            (RETRACT, chat, RETRACT, params, story_id, stamp, stamp),
        )
    return len(chats)
