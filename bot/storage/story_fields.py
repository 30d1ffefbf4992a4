"""The fields of a story an action may change, and the changes it makes (old → new, photos)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiosqlite

__all__ = ["AMENDABLE", "CORRECTABLE", "FILED", "RESIDENT", "VOICE", "PhotoChange", "diff",
           "normalise", "photo_changes"]

_NONE = type(None)
# Each column a caller may set, with the Python types its value may have.
TYPES: dict[str, tuple[type, ...]] = {
    "kind": (str,),
    "content": (str, _NONE),  # the campaign's content key; none yet: the reviewer chooses
    "movement": (str, _NONE),
    "commune_code": (int,),
    "honoree_name": (str,),
    "honoree_role": (str,),
    "title": (str,),
    "description": (str,),
    "event_date": (date, str),
    "latitude": (float, int, _NONE),
    "longitude": (float, int, _NONE),
    "reporter_phone": (str, _NONE),
    "show_name": (bool,),
    "submission_key": (str,),
    "channel": (str,),
    "campaign": (str,),
    "voice_ref": (str, _NONE),
    "voice_seconds": (int, _NONE),
    # Filed on behalf of a resident: who they are, how to reach them, their consent (never
    # public but the name, when allowed).
    "resident_name": (str, _NONE),
    "resident_contact": (str, _NONE),
    "resident_consent_at": (str, _NONE),
    "resident_is": (str, _NONE),
    "resident_shown": (bool,),
}
# A reviewer's correction: what the story says (not the reporter's own choices).
CORRECTABLE = frozenset({
    "kind", "content", "movement", "commune_code", "honoree_name", "honoree_role", "title",
    "description", "event_date", "latitude", "longitude",
})
# A voice note telling the story: the reporter's own (given when filing or amending), optional.
VOICE = frozenset({"voice_ref", "voice_seconds"})
# The reporter's amendment while changes are asked: every field, their phone and name choice too.
AMENDABLE = CORRECTABLE | {"reporter_phone", "show_name"} | VOICE
# Filing: every field, with where it came from, and the resident it was filed for (if any).
RESIDENT = frozenset({"resident_name", "resident_contact", "resident_consent_at", "resident_is",
                      "resident_shown"})
FILED = AMENDABLE | RESIDENT | {"submission_key", "channel", "campaign"}


def normalise(fields: Mapping[str, object]) -> dict[str, object]:
    """Values as stored: dates as ISO text, yes/no as 0/1; a value of the wrong type is refused."""
    out: dict[str, object] = {}
    for name, value in fields.items():
        allowed = TYPES.get(name)
        if allowed is None or not isinstance(value, allowed):
            raise ValueError(f"{name} cannot be {type(value).__name__}")
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, bool):
            value = int(value)
        out[name] = value
    return out


def diff(story: aiosqlite.Row, values: Mapping[str, object]) -> list[tuple[str, Any, Any]]:
    """(field, old, new) for every value that differs from the stored one."""
    return [(name, story[name], new) for name, new in values.items() if story[name] != new]


@dataclass(slots=True)
class PhotoChange:
    """The photos before and after an action, and what the audit row says of it."""

    before: list[str]
    after: list[str]
    details: dict[str, list[str]] = field(default_factory=dict)

    async def write(self, tx: aiosqlite.Connection, story_id: int) -> None:
        """Store the new list of photos, in order."""
        await tx.execute("DELETE FROM story_photos WHERE story_id = ?", (story_id,))
        await tx.executemany(
            "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
            [(story_id, i, ref) for i, ref in enumerate(self.after)],
        )


async def photo_changes(tx: aiosqlite.Connection, story_id: int, add: tuple[str, ...],
                        remove: tuple[str, ...]) -> PhotoChange | None:
    """The story's photos with `remove` taken out and `add` appended; None if nothing is asked."""
    if not add and not remove:
        return None
    async with tx.execute(
        "SELECT file_ref FROM story_photos WHERE story_id = ? ORDER BY position", (story_id,)
    ) as cur:
        before = [str(r[0]) for r in await cur.fetchall()]
    missing = set(remove) - set(before)
    if missing:
        raise ValueError(f"story {story_id} has no photo {sorted(missing)[0]!r}")
    after = [ref for ref in before if ref not in remove] + list(add)
    change = PhotoChange(before, after)
    if remove:
        change.details["photos_removed"] = list(remove)
    if add:
        change.details["photos_added"] = list(add)
    return change
