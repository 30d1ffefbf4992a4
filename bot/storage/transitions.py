"""The one door: every change to a story — filing, review, corrections, the reporter's edits,
publishing and undoing it, erasure, duplicates, nominations — goes through `apply`.

`apply` runs inside the caller's transaction. It asks the status machine (`bot.workflow.decide`)
whether the actor may, with their role, scopes and ban read fresh from storage; updates the story
on its version; applies the field and photo changes the action carries; writes one audit row
(`story_events`); and queues what the change causes (`bot.storage.story_effects`). Nothing else
writes a story's status or its events (a test scans `bot/storage` for it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiosqlite

from bot.storage.clock import now_iso, now_precise
from bot.storage.story_effects import Policy, after
from bot.storage.story_fields import (
    AMENDABLE,
    CORRECTABLE,
    FILED,
    VOICE,
    diff,
    normalise,
    photo_changes,
)
from bot.workflow import Action, Actor, NominationState, Status, SystemActor, decide

CLOSED = (Status.REJECTED, Status.WITHDRAWN)  # a story no duplicate can join

__all__ = ["Change", "Outcome", "Policy", "apply", "load_actor"]

_NOTED = frozenset({Action.REQUEST_CHANGES, Action.REJECT, Action.MARK_DUPLICATE, Action.REVERT,
                    Action.UNPUBLISH})
_REASON_REQUIRED = frozenset({Action.REVERT, Action.UNPUBLISH})


@dataclass(frozen=True, slots=True)
class Change:
    """One action on a story, as a caller asks for it.

    `actor_id` is the person acting; with `system` set, the bot acts as that named system actor
    (on behalf of `actor_id`, if given). `fields` maps story columns to new values: every column
    of `FILED` for `submit`, any of `CORRECTABLE` for `correct`, any of `AMENDABLE` for `amend`.
    `remove_photos` (file refs) for `correct` and `amend`; `add_photos` for `amend`, `submit`
    and `correct` (a reviewer giving the story kept a duplicate's photos).
    `version`, when given, must be the story's version or nothing changes (`review.changed`).
    """

    action: Action
    story_id: int = 0
    actor_id: int | None = None
    system: SystemActor | None = None
    note: str | None = None
    version: int | None = None
    fields: Mapping[str, object] = field(default_factory=dict)
    add_photos: tuple[str, ...] = ()
    remove_photos: tuple[str, ...] = ()
    duplicate_of: int | None = None
    award: str | None = None
    nomination: NominationState | None = None
    posted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of an action: the move made, or the key of why it was refused."""

    story_id: int
    from_status: str | None = None
    to_status: str | None = None
    refusal: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the action took effect."""
        return self.refusal is None


async def load_actor(tx: aiosqlite.Connection, person_id: int) -> Actor | None:
    """The person's role, scopes and ban, read inside the caller's transaction."""
    async with tx.execute("SELECT role, banned_at FROM people WHERE id = ?", (person_id,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    async with tx.execute(
        "SELECT commune_code FROM reviewer_scopes WHERE person_id = ?", (person_id,)
    ) as cur:
        scopes = frozenset(int(r[0]) for r in await cur.fetchall())
    return Actor(person_id, row["role"], scopes, row["banned_at"] is not None)


async def _actor(tx: aiosqlite.Connection, change: Change) -> Actor | None:
    if change.system is not None:
        return Actor.of_system(change.system)
    return None if change.actor_id is None else await load_actor(tx, change.actor_id)


def _check_shape(change: Change) -> None:
    """What each action carries; anything else is a caller's mistake, not a person's."""
    act = change.action
    allowed = {Action.SUBMIT: FILED, Action.CORRECT: CORRECTABLE, Action.AMEND: AMENDABLE}
    unknown = set(change.fields) - allowed.get(act, frozenset())
    if unknown:
        raise ValueError(f"{act} cannot change {sorted(unknown)}")
    if change.remove_photos and act not in (Action.CORRECT, Action.AMEND):
        raise ValueError(f"{act} cannot remove photos")
    if change.add_photos and act not in (Action.AMEND, Action.SUBMIT, Action.CORRECT):
        raise ValueError(f"{act} cannot add photos")
    if act in _REASON_REQUIRED and not (change.note or "").strip():
        raise ValueError(f"{act} needs a reason")
    if (act is Action.MARK_DUPLICATE) != (change.duplicate_of is not None):
        raise ValueError("mark_duplicate, and only it, names the story it duplicates")
    if (act is Action.NOMINATE) != bool(change.award):
        raise ValueError("nominate, and only it, names an award")
    if (act is Action.NOMINATION_OUTCOME) != (change.nomination is not None) or (
        change.nomination is NominationState.PROPOSED
    ):
        raise ValueError("nomination_outcome, and only it, grants or declines a nomination")


async def apply(tx: aiosqlite.Connection, change: Change, policy: Policy | None = None) -> Outcome:
    """Take one action on a story or refuse it, inside the caller's transaction."""
    _check_shape(change)
    policy = policy or Policy()
    if change.action is Action.SUBMIT:
        return await _submit(tx, change, policy)
    async with tx.execute("SELECT * FROM stories WHERE id = ?", (change.story_id,)) as cur:
        story = await cur.fetchone()
    if story is None:
        return Outcome(change.story_id, refusal="review.no_story")
    status = story["status"]
    actor = await _actor(tx, change)
    if actor is None:
        return Outcome(change.story_id, status, refusal="review.not_yours")
    if change.version is not None and change.version != story["version"]:
        return Outcome(change.story_id, status, refusal="review.changed")
    nomination = await _nomination(tx, change.story_id)
    decision = decide(change.action, status, actor, story["commune_code"], story["reporter_id"],
                      policy.levels, nomination)
    if decision.refusal or decision.to_status is None:
        return Outcome(change.story_id, status, refusal=decision.refusal)
    if change.duplicate_of is not None:
        refusal = await _original_refusal(tx, change)
        if refusal is not None:
            return Outcome(change.story_id, status, refusal=refusal)
    details = await _update(tx, change, story, decision.to_status)
    await _event(tx, change, status, decision.to_status, details)
    gallery = _gallery(change, decision.to_status, policy)
    await after(tx, change.action, story, decision.to_status, policy,
                actor_id=change.actor_id, system=change.system, note=change.note,
                award=change.award, nomination=change.nomination, quiet=gallery,
                duplicate_of=change.duplicate_of,
                in_gallery=change.action is Action.PUBLISH and not change.posted)
    if gallery:
        published = await apply(tx, Change(Action.PUBLISH, change.story_id,
                                           system=SystemActor.PUBLISHER), policy)
        return Outcome(change.story_id, status, published.to_status)
    return Outcome(change.story_id, status, decision.to_status)


def _gallery(change: Change, to: str, policy: Policy) -> bool:
    """Without a channel to post to, an approval publishes in the bot's own gallery at once
    (the publisher acting, in the same transaction); with one, posting publishes it."""
    return change.action is Action.APPROVE and to == Status.APPROVED and not policy.publish_chat


async def _nomination(tx: aiosqlite.Connection, story_id: int) -> NominationState | None:
    async with tx.execute("SELECT state FROM nominations WHERE story_id = ?", (story_id,)) as cur:
        row = await cur.fetchone()
    return NominationState(row[0]) if row else None


async def _original_refusal(tx: aiosqlite.Connection, change: Change) -> str | None:
    """Why the story a duplicate would join cannot be kept: itself, missing, or closed."""
    if change.duplicate_of == change.story_id:
        return "duplicate.itself"
    async with tx.execute("SELECT status FROM stories WHERE id = ?",
                          (change.duplicate_of,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return "duplicate.no_original"
    return "duplicate.original_closed" if row[0] in CLOSED else None


async def _update(tx: aiosqlite.Connection, change: Change, story: aiosqlite.Row,
                  to: str) -> dict[str, Any]:
    """Write the new status and whatever the action carries; return the audit row's details."""
    act, stamp = change.action, now_iso()
    changes = diff(story, normalise(change.fields))
    sets: dict[str, object] = {name: new for name, _, new in changes}
    details: dict[str, Any] = {}
    if changes:
        details["changes"] = [{"field": n, "old": o, "new": v} for n, o, v in changes]
    photos = await photo_changes(tx, change.story_id, change.add_photos, change.remove_photos)
    if photos is not None:
        details.update(photos.details)
    if act is Action.CORRECT and (changes or photos is not None):
        original = json.loads(story["original"] or "{}")
        for name, old, _ in changes:
            original.setdefault(name, old)
        if photos is not None:
            original.setdefault("photos", photos.before)
        sets["original"] = json.dumps(original, ensure_ascii=False)
    if act in _NOTED and change.note is not None:
        sets["review_note"] = change.note
    if act is Action.MARK_DUPLICATE:
        sets["duplicate_of"] = change.duplicate_of
        details["duplicate_of"] = change.duplicate_of
    if act is Action.PUBLISH:
        sets.update(published_at=stamp, publish_error=None,
                    published_message_id=change.posted[-1] if change.posted else None)
        details["messages"] = list(change.posted)
    if act is Action.UNPUBLISH or (act is Action.REVERT and story["status"] == Status.PUBLISHED):
        sets["published_message_id"] = None
    if act is Action.NOMINATE:
        details["award"] = change.award
    if act is Action.NOMINATION_OUTCOME:
        details["outcome"] = change.nomination
    assignments = "".join(f", {name} = ?" for name in sets)
    async with tx.execute(
        f"UPDATE stories SET status = ?, version = version + 1, updated_at = ?{assignments}"
        " WHERE id = ? AND version = ?",
        (to, stamp, *sets.values(), change.story_id, story["version"]),
    ) as cur:
        if cur.rowcount != 1:
            raise RuntimeError(f"story {change.story_id} changed inside its own transaction")
    if photos is not None:
        await photos.write(tx, change.story_id)
    return details


async def _event(tx: aiosqlite.Connection, change: Change, from_status: str | None, to: str,
                 details: dict[str, Any]) -> None:
    """The audit row: who (a person, a system actor, or both), what, from where to where, why.

    A nomination's note reads "award: reason", as it always has.
    """
    note = f"{change.award}: {change.note}" if change.action is Action.NOMINATE else change.note
    await tx.execute(
        "INSERT INTO story_events (story_id, actor_id, system_actor, action, from_status,"
        " to_status, note, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (change.story_id, change.actor_id, change.system, change.action, from_status, to,
         note, json.dumps(details, ensure_ascii=False) if details else None, now_precise()),
    )


async def _submit(tx: aiosqlite.Connection, change: Change, policy: Policy) -> Outcome:
    """File a new story; the same submission key twice files once."""
    actor = await _actor(tx, change)
    values = normalise(change.fields)
    commune = int(str(values.get("commune_code", 0)))
    if actor is None:
        return Outcome(0, refusal="review.not_yours")
    decision = decide(Action.SUBMIT, None, actor, commune, change.actor_id, policy.levels)
    if decision.refusal or decision.to_status is None:
        return Outcome(0, refusal=decision.refusal)
    missing = FILED - VOICE - set(values)
    if missing:
        raise ValueError(f"submit needs {sorted(missing)}")
    stamp = now_iso()
    columns = [*values, "reporter_id", "status", "created_at", "updated_at"]
    async with tx.execute(
        f"INSERT INTO stories ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        " ON CONFLICT (submission_key) DO NOTHING RETURNING id",
        (*values.values(), change.actor_id, Status.PENDING, stamp, stamp),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        async with tx.execute(
            "SELECT id, status FROM stories WHERE submission_key = ?", (values["submission_key"],)
        ) as cur:
            existing = await cur.fetchone()
        assert existing is not None
        return Outcome(int(existing["id"]), existing["status"], existing["status"])
    story_id = int(row[0])
    await tx.executemany(
        "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
        [(story_id, i, ref) for i, ref in enumerate(change.add_photos)],
    )
    filed = Change(Action.SUBMIT, story_id, change.actor_id)
    await _event(tx, filed, None, Status.PENDING, {})
    async with tx.execute("SELECT * FROM stories WHERE id = ?", (story_id,)) as cur:
        story = await cur.fetchone()
    assert story is not None
    await after(tx, Action.SUBMIT, story, Status.PENDING, policy, actor_id=change.actor_id)
    return Outcome(story_id, None, Status.PENDING)
