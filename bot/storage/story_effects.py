"""What a story's change causes, queued in its transaction: notices, posts, post removals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.storage.notices import queue_message, queue_retract, queue_reviewers
from bot.storage.people import now_iso
from bot.workflow import Action, NominationState, Status, SystemActor

__all__ = ["Policy", "after"]


@dataclass(frozen=True, slots=True)
class Policy:
    """The deployment's review settings the door follows."""

    levels: int = 1
    notify_reviewers: bool = True
    publish_chat: str | None = None


async def after(
    tx: aiosqlite.Connection, action: Action, story: aiosqlite.Row, to: str, policy: Policy, *,
    actor_id: int | None, system: SystemActor | None = None, note: str | None = None,
    award: str | None = None, nomination: NominationState | None = None, quiet: bool = False,
    in_gallery: bool = False, duplicate_of: int | None = None,
) -> None:
    """Queue what `action` (which moved `story` to `to`) causes, in the caller's transaction.

    `quiet`: the reporter hears of it with the next change (an approval published at once);
    `in_gallery`: published in the bot's own gallery only, with no channel post;
    `duplicate_of`: the story a duplicate joined (its reporter is thanked and told which)."""
    story_id, old, commune = int(story["id"]), story["status"], int(story["commune_code"])
    reporter = story["reporter_id"]
    params: dict[str, Any] = {"id": story_id, "title": story["title"], "status": to,
                              "note": note or ""}
    # The reporter hears of every decision on their story, unless they took it themselves or
    # are being erased.
    tell = (reporter is not None and reporter != actor_id and system is not SystemActor.ERASURE
            and not quiet)
    if action is Action.SUBMIT:
        if policy.notify_reviewers:
            await queue_reviewers(tx, commune, "notify.new_story", params, story_id,
                                  skip=reporter)
        return
    if action in (Action.REVERT, Action.UNPUBLISH):
        await _undo(tx, action, story_id, policy, actor_id, was_published=old == Status.PUBLISHED)
        if tell:
            # Without a channel, a story taken down leaves the bot's own gallery.
            where = "_gallery" if action is Action.UNPUBLISH and not policy.publish_chat else ""
            await queue_message(tx, reporter, f"undo.notify_{action}{where}",
                                {"id": story_id, "title": story["title"], "note": note or ""},
                                story_id)
        return
    if action is Action.NOMINATE:
        await _nominate(tx, story_id, award or "", note or "", actor_id)
        if tell:
            await queue_message(tx, reporter, "notify.nominated",
                                {"id": story_id, "title": story["title"], "award": award,
                                 "campaign": story["campaign"]},
                                story_id)
        return
    if action is Action.NOMINATION_OUTCOME:
        await tx.execute(
            "UPDATE nominations SET state = ?, decided_by = ?, decided_at = ? WHERE story_id = ?",
            (nomination, actor_id, now_iso(), story_id),
        )
        if tell and nomination is NominationState.GRANTED:
            await queue_message(tx, reporter, "undo.notify_award_granted",
                                {"id": story_id, "title": story["title"]}, story_id)
        return
    if old == to:
        return
    if tell and action is Action.MARK_DUPLICATE and duplicate_of is not None:
        await _joined(tx, reporter, story_id, str(story["title"]), duplicate_of)
        return
    if tell:
        template = "notify.needs_changes" if to == Status.NEEDS_CHANGES else "notify.status"
        if in_gallery:
            template = "notify.in_gallery"  # approved and public at once: told once, with where
        await queue_message(tx, reporter, template, params, story_id)
    if to == Status.PENDING and policy.notify_reviewers:
        await queue_reviewers(tx, commune, "notify.resubmitted", params, story_id, skip=reporter)
    if to == Status.RECOMMENDED:
        await queue_reviewers(tx, commune, "notify.recommended", params, story_id,
                              roles=("admin",))
    if to == Status.APPROVED and policy.publish_chat:
        stamp = now_iso()
        await tx.execute(
            "INSERT INTO outbox (kind, channel, chat_id, template, story_id, next_attempt_at,"
            " created_at) VALUES ('publish', 'telegram', ?, 'publish', ?, ?, ?)",
            (policy.publish_chat, story_id, stamp, stamp),
        )


async def _undo(tx: aiosqlite.Connection, action: Action, story_id: int, policy: Policy,
                actor_id: int | None, was_published: bool) -> None:
    """A reverted approval posts nothing more; whatever of the story is in a channel comes down
    (and the admin hears how that went, whenever the story was published)."""
    if action is Action.REVERT:
        await tx.execute(
            "UPDATE outbox SET status = 'cancelled' WHERE kind = 'publish' AND story_id = ?"
            " AND status = 'pending'", (story_id,),
        )
    fallback = policy.publish_chat if was_published else None
    await queue_retract(tx, story_id, mode="unpublish", requested_by=actor_id,
                        fallback_chat=fallback)


async def _joined(tx: aiosqlite.Connection, reporter: int, story_id: int, title: str,
                  kept: int) -> None:
    """A duplicate's reporter is thanked and told which story theirs joined."""
    async with tx.execute("SELECT title FROM stories WHERE id = ?", (kept,)) as cur:
        row = await cur.fetchone()
    params = {"id": story_id, "title": title, "kept": kept, "kept_title": row[0] if row else ""}
    await queue_message(tx, reporter, "duplicate.joined", params, story_id)


async def _nominate(tx: aiosqlite.Connection, story_id: int, award: str, reason: str,
                    actor_id: int | None) -> None:
    """Propose the story for an award (again: the new proposal replaces the old one)."""
    await tx.execute(
        "INSERT INTO nominations (story_id, award, reason, nominated_by, created_at, state)"
        " VALUES (?, ?, ?, ?, ?, 'proposed') ON CONFLICT (story_id) DO UPDATE SET"
        " award = excluded.award, reason = excluded.reason, nominated_by = excluded.nominated_by,"
        " created_at = excluded.created_at, state = 'proposed', decided_by = NULL,"
        " decided_at = NULL",
        (story_id, award, reason, actor_id, now_iso()),
    )
