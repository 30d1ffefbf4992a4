"""Erasing a person's personal data on request (/deleteme), and a resident's whose story an
officer filed (/eraseresident: the resident has no account to ask from).

What stays is what the audit needs, under an anonymous id that cannot be joined back to the
platform account: the `people` row keeps its number (so audit rows still say "the same person
did this") but its platform id becomes `erased:<random>`, and every name, username, consent,
dialog, subscription and message addressed to them goes. Their open stories are withdrawn by the
erasure system actor; their stories are detached; a channel post that showed their name is
rewritten without it; the photos (and archived copies) of their stories that were never
published are dropped. For one day a keyed hash of the account and the time of each filing is
kept, so that erasing does not reset the daily report limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiosqlite

from bot.storage.audit import write_audit
from bot.storage.database import Database
from bot.storage.marks import account_mark, new_mark_key
from bot.storage.notices import queue_retract
from bot.storage.people import now_iso
from bot.storage.photos import photos_to_remove_on_erasure, story_photos_to_remove
from bot.storage.transitions import Change, apply
from bot.storage.voices import forget_voices
from bot.workflow import Action, Status, SystemActor

__all__ = ["ResidentErased", "erase_person", "erase_resident"]

_OPEN = (Status.PENDING, Status.RECOMMENDED, Status.NEEDS_CHANGES)


async def erase_person(db: Database, person_id: int) -> int:
    """Erase a person's personal data; return how many open stories were withdrawn."""
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT channel, external_id, role FROM people WHERE id = ? AND erased_at IS NULL",
            (person_id,),
        ) as cur:
            person = await cur.fetchone()
        if person is None:
            return 0
        await _keep_filing_marks(tx, person_id, person["channel"], person["external_id"])
        # The photo archive (bot/storage/photos.py): photos of stories never to be published go,
        # found while the stories still name their reporter.
        await photos_to_remove_on_erasure(tx, person_id)
        await forget_voices(tx, person_id)  # voice notes are never published: they always go
        withdrawn = await _withdraw_open(tx, person_id)
        await _redact_posts(tx, person_id)
        await _forget(tx, person_id)
        await write_audit(tx, "erase", actor_id=person_id, person_id=person_id,
                          details={"withdrawn": withdrawn, "role": person["role"]})
    return withdrawn


async def _keep_filing_marks(tx: aiosqlite.Connection, person_id: int, channel: str,
                             external_id: str) -> None:
    """The account's filings of the last day, under a keyed hash; older marks are dropped."""
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat(timespec="seconds")
    await tx.execute("DELETE FROM filing_marks WHERE filed_at < ?", (since,))
    mark = account_mark(await new_mark_key(tx), channel, external_id)
    await tx.execute(
        "INSERT INTO filing_marks (account, filed_at) SELECT ?, created_at FROM stories"
        " WHERE reporter_id = ? AND created_at >= ?", (mark, person_id, since),
    )


async def _withdraw_open(tx: aiosqlite.Connection, person_id: int) -> int:
    """Every story not yet decided is withdrawn by erasure, each through the door."""
    async with tx.execute(
        f"SELECT id FROM stories WHERE reporter_id = ? AND status IN ({', '.join('?' * 3)})"
        " ORDER BY id", (person_id, *_OPEN),
    ) as cur:
        open_ids = [int(r[0]) for r in await cur.fetchall()]
    withdrawn = 0
    for story_id in open_ids:
        change = Change(Action.WITHDRAW, story_id, person_id, system=SystemActor.ERASURE)
        withdrawn += (await apply(tx, change)).ok
    return withdrawn


async def _redact_posts(tx: aiosqlite.Connection, person_id: int) -> None:
    """A published post that shows the reporter's name is rewritten without it."""
    async with tx.execute(
        "SELECT id FROM stories WHERE reporter_id = ? AND show_name = 1 AND status = ?",
        (person_id, Status.PUBLISHED),
    ) as cur:
        named = [int(r[0]) for r in await cur.fetchall()]
    for story_id in named:
        await queue_retract(tx, story_id, mode="redact", requested_by=None)


async def _forget(tx: aiosqlite.Connection, person_id: int) -> None:
    """Detach the stories, drop what named or reached the person and any role (the account can
    no longer act), anonymise the row."""
    stamp = now_iso()
    await tx.execute(
        "UPDATE stories SET reporter_id = NULL, reporter_phone = NULL, show_name = 0,"
        " updated_at = ? WHERE reporter_id = ?", (stamp, person_id),
    )
    await tx.execute("DELETE FROM dialogs WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM file_links WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM subscriptions WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM reviewer_scopes WHERE person_id = ?", (person_id,))
    await tx.execute(
        "UPDATE deliveries SET status = 'cancelled' WHERE person_id = ? AND status = 'pending'",
        (person_id,),
    )
    await tx.execute(
        "DELETE FROM outbox WHERE person_id = ? AND status = 'pending'", (person_id,)
    )
    await tx.execute(
        "UPDATE outbox SET chat_id = '', params = '{}' WHERE person_id = ?", (person_id,)
    )
    await tx.execute(
        "UPDATE people SET external_id = 'erased:' || lower(hex(randomblob(16))),"
        " display_name = NULL, username = NULL, consent = NULL, consent_at = NULL,"
        " role = 'citizen', stopped_at = NULL, erased_at = ? WHERE id = ?", (stamp, person_id),
    )


@dataclass(frozen=True, slots=True)
class ResidentErased:
    """What erasing a resident's data from a story did."""

    story_id: int
    name: str
    withdrawn: bool  # the story was not decided yet: it is withdrawn
    honoree: bool  # the resident is the honoree: a decided story still names them as such
    status: str


async def erase_resident(db: Database, story_id: int, actor_id: int) -> ResidentErased | None:
    """Forget the resident a story was filed for: their name, contact and consent record, the
    voice note, the photos of a story never published; an undecided story is withdrawn; a post
    that showed their name is rewritten without it. None when the story names no resident."""
    async with db.transaction() as tx:
        async with tx.execute(
            "SELECT status, resident_name, resident_is, resident_shown FROM stories"
            " WHERE id = ? AND resident_name IS NOT NULL", (story_id,),
        ) as cur:
            story = await cur.fetchone()
        if story is None:
            return None
        await story_photos_to_remove(tx, story_id)
        withdrawn = False
        if story["status"] in _OPEN:
            change = Change(Action.WITHDRAW, story_id, actor_id, system=SystemActor.ERASURE)
            withdrawn = (await apply(tx, change)).ok
        await tx.execute(
            "UPDATE stories SET resident_name = NULL, resident_contact = NULL,"
            " resident_consent_at = NULL, resident_is = NULL, resident_shown = 0, show_name = 0,"
            " voice_ref = NULL, voice_seconds = NULL, updated_at = ? WHERE id = ?",
            (now_iso(), story_id),
        )
        if story["status"] == Status.PUBLISHED and story["resident_shown"]:
            await queue_retract(tx, story_id, mode="redact", requested_by=None)
        honoree = story["resident_is"] == "honoree"
        await write_audit(tx, "erase_resident", actor_id=actor_id,
                          details={"story": story_id, "withdrawn": withdrawn})
    return ResidentErased(story_id, str(story["resident_name"]), withdrawn, honoree,
                          str(story["status"]) if not withdrawn else Status.WITHDRAWN)
