"""Stories: filed reports with their photos."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import aiosqlite

from bot.storage.database import Database
from bot.storage.marks import account_mark, mark_key
from bot.storage.transitions import Change, Outcome, Policy, apply
from bot.workflow import Action

__all__ = ["NewStory", "Post", "Refused", "Stories", "Story", "StoryLine", "submission"]


class Refused(Exception):
    """The status machine refused a filing (the person was banned a moment ago)."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.refusal)
        self.outcome = outcome


@dataclass(slots=True)
class NewStory:
    """Everything a reporter answered, ready to file."""

    submission_key: str
    reporter_id: int
    channel: str
    campaign: str
    kind: str
    content: str | None
    movement: str | None
    commune_code: int
    honoree_name: str
    honoree_role: str
    title: str
    description: str
    event_date: date
    latitude: float | None = None
    longitude: float | None = None
    reporter_phone: str | None = None
    show_name: bool = False
    photos: list[str] = field(default_factory=list)
    voice_ref: str | None = None  # a voice note telling the story, and its length in seconds
    voice_seconds: int | None = None
    # Filed on behalf of a resident (the reporter is the officer or reviewer who filed it).
    resident_name: str | None = None
    resident_contact: str | None = None
    resident_consent_at: str | None = None
    resident_is: str | None = None
    resident_shown: bool = False


def submission(new: NewStory) -> Change:
    """The door's `submit` for a new story, filed by its reporter."""
    values = asdict(new)
    reporter, photos = values.pop("reporter_id"), values.pop("photos")
    return Change(Action.SUBMIT, actor_id=reporter, fields=values, add_photos=tuple(photos))


@dataclass(slots=True)
class StoryLine:
    """A story as listed: number, title, status, filing date."""

    id: int
    title: str
    status: str
    created_at: str


@dataclass(slots=True)
class Story:
    """A stored story, every field."""

    id: int
    reporter_id: int | None
    kind: str
    content: str | None
    movement: str | None
    commune_code: int
    honoree_name: str
    honoree_role: str
    title: str
    description: str
    event_date: str
    latitude: float | None
    longitude: float | None
    reporter_phone: str | None
    show_name: bool
    status: str
    version: int
    created_at: str
    photos: list[str]
    channel: str = ""
    review_note: str | None = None
    original: dict[str, Any] = field(default_factory=dict)
    published_message_id: str | None = None
    publish_error: str | None = None
    reporter_name: str | None = None
    duplicate_of: int | None = None
    campaign: str = ""
    voice_ref: str | None = None
    voice_seconds: int | None = None
    resident_name: str | None = None
    resident_contact: str | None = None
    resident_consent_at: str | None = None
    resident_is: str | None = None
    resident_shown: bool = False

    @property
    def public_name(self) -> str | None:
        """The teller's name as it may be published: the resident's, for a story filed on their
        behalf, only when they allowed it (never the officer's); otherwise the reporter's, when
        the reporter allowed it."""
        if self.resident_name is not None:
            return self.resident_name if self.resident_shown else None
        return self.reporter_name if self.show_name else None

    @property
    def original_title(self) -> str | None:
        """The reporter's title, if a reviewer corrected it."""
        value = self.original.get("title")
        return None if value is None else str(value)

    @property
    def original_description(self) -> str | None:
        """The reporter's description, if a reviewer corrected it."""
        value = self.original.get("description")
        return None if value is None else str(value)

    @classmethod
    def from_row(cls, row: aiosqlite.Row, photos: list[str]) -> Story:
        """Build from a `stories` row and its photo refs."""
        return cls(
            id=row["id"],
            reporter_id=row["reporter_id"],
            kind=row["kind"],
            content=row["content"],
            movement=row["movement"],
            commune_code=row["commune_code"],
            honoree_name=row["honoree_name"],
            honoree_role=row["honoree_role"],
            title=row["title"],
            description=row["description"],
            event_date=row["event_date"],
            latitude=row["latitude"],
            longitude=row["longitude"],
            reporter_phone=row["reporter_phone"],
            show_name=bool(row["show_name"]),
            status=row["status"],
            version=row["version"],
            created_at=row["created_at"],
            photos=photos,
            channel=row["channel"],
            review_note=row["review_note"],
            original=json.loads(row["original"]) if row["original"] else {},
            published_message_id=row["published_message_id"],
            publish_error=row["publish_error"],
            reporter_name=row["reporter_name"] if "reporter_name" in row.keys() else None,  # noqa: SIM118
            duplicate_of=row["duplicate_of"],
            campaign=row["campaign"],
            voice_ref=row["voice_ref"],
            voice_seconds=row["voice_seconds"],
            resident_name=row["resident_name"],
            resident_contact=row["resident_contact"],
            resident_consent_at=row["resident_consent_at"],
            resident_is=row["resident_is"],
            resident_shown=bool(row["resident_shown"]),
        )


@dataclass(frozen=True, slots=True)
class Post:
    """One message of a story's post in a channel (a photo of its album, or its text)."""

    chat_id: str
    message_id: str
    part: str


class Stories:
    """Repository of stories."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def file(self, new: NewStory, notify_reviewers: bool = True) -> int:
        """File a new pending story with its photos through the door; the same submission twice
        files once. Raises Refused when the status machine says no (a banned reporter).

        Every field of NewStory but the reporter and the photos is a column of `stories`.
        """
        policy = Policy(notify_reviewers=notify_reviewers)
        async with self._db.transaction() as tx:
            outcome = await apply(tx, submission(new), policy)
        if not outcome.ok:
            raise Refused(outcome)
        return outcome.story_id

    async def get(self, story_id: int) -> Story | None:
        """A story with its photos."""
        row = await self._db.fetchone(
            "SELECT s.*, p.display_name AS reporter_name FROM stories s"
            " LEFT JOIN people p ON p.id = s.reporter_id WHERE s.id = ?", (story_id,),
        )
        if row is None:
            return None
        photos = await self._db.fetchall(
            "SELECT file_ref FROM story_photos WHERE story_id = ? ORDER BY position", (story_id,)
        )
        return Story.from_row(row, [p["file_ref"] for p in photos])

    async def count_by_reporter(self, person_id: int) -> int:
        """How many stories a person has filed."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM stories WHERE reporter_id = ?", (person_id,)
        )
        return int(row[0]) if row else 0

    async def by_reporter(self, person_id: int, offset: int, limit: int) -> list[StoryLine]:
        """A person's stories, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, title, status, created_at FROM stories WHERE reporter_id = ?"
            " ORDER BY id DESC LIMIT ? OFFSET ?",
            (person_id, limit, offset),
        )
        return [StoryLine(r["id"], r["title"], r["status"], r["created_at"]) for r in rows]

    async def filed_since(self, person_id: int, since: str) -> int:
        """How many of their own stories a person's account filed since an instant (for the daily
        limit), counting those it filed before an erasure of its data; stories filed on behalf
        of residents count apart (`Behalf.filed_since`)."""
        row = await self._db.fetchone(
            "SELECT channel, external_id, (SELECT COUNT(*) FROM stories WHERE reporter_id = ?"
            " AND created_at >= ? AND resident_name IS NULL) AS n FROM people WHERE id = ?",
            (person_id, since, person_id),
        )
        if row is None:
            return 0
        key = await mark_key(self._db)
        if key is None:
            return int(row["n"])
        marks = await self._db.fetchone(
            "SELECT COUNT(*) FROM filing_marks WHERE account = ? AND filed_at >= ?",
            (account_mark(key, row["channel"], row["external_id"]), since),
        )
        return int(row["n"]) + (int(marks[0]) if marks else 0)

    async def _page(self, where: list[str], params: list[object], order: str, offset: int,
                    limit: int) -> tuple[int, list[StoryLine]]:
        clause = " AND ".join(where)
        total = await self._db.fetchone(f"SELECT COUNT(*) FROM stories WHERE {clause}", params)
        rows = await self._db.fetchall(
            f"SELECT id, title, status, created_at FROM stories WHERE {clause}"
            f" ORDER BY id {order} LIMIT ? OFFSET ?", [*params, limit, offset],
        )
        lines = [StoryLine(r["id"], r["title"], r["status"], r["created_at"]) for r in rows]
        return (int(total[0]) if total else 0), lines

    @staticmethod
    def _filters(commune: int | None, kind: str | None, where: list[str],
                 params: list[object], campaign: str | None = None) -> None:
        if campaign is not None:
            where.append("campaign = ?")
            params.append(campaign)
        if commune is not None:
            where.append("commune_code = ?")
            params.append(commune)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)

    async def queue(
        self, communes: frozenset[int] | None, commune: int | None, kind: str | None,
        offset: int, limit: int, campaign: str | None = None,
    ) -> tuple[int, list[StoryLine]]:
        """Stories waiting that a reviewer may see (None = all communes, all campaigns)."""
        where = ["status IN ('pending', 'recommended')"]
        params: list[object] = []
        if communes is not None and 0 not in communes:
            where.append(f"commune_code IN ({','.join('?' * len(communes))})")
            params.extend(sorted(communes))
        self._filters(commune, kind, where, params, campaign)
        return await self._page(where, params, "ASC", offset, limit)

    async def published(
        self, commune: int | None, kind: str | None, offset: int, limit: int,
        campaign: str | None = None,
    ) -> tuple[int, list[StoryLine]]:
        """Published stories, newest first, optionally of one commune, kind and campaign."""
        where = ["status = 'published'"]
        params: list[object] = []
        self._filters(commune, kind, where, params, campaign)
        return await self._page(where, params, "DESC", offset, limit)

    async def posts(self, story_id: int, chat_id: str | None = None) -> list[Post]:
        """The messages of a story's post still in a channel (or in one chat), oldest first."""
        rows = await self._db.fetchall(
            "SELECT chat_id, message_id, part FROM story_posts WHERE story_id = ?"
            " AND removed IS NULL AND (? IS NULL OR chat_id = ?) ORDER BY posted_at, rowid",
            (story_id, chat_id, chat_id),
        )
        return [Post(r["chat_id"], r["message_id"], r["part"]) for r in rows]

    async def published_since(self, since: str, limit: int) -> list[StoryLine]:
        """Stories published since an instant, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, title, status, created_at FROM stories WHERE status = 'published'"
            " AND published_at >= ? ORDER BY id DESC LIMIT ?", (since, limit),
        )
        return [StoryLine(r["id"], r["title"], r["status"], r["created_at"]) for r in rows]

    async def keys_in_use(self) -> list[tuple[str, str | None, str | None, int]]:
        """Each (campaign, content, movement) that stories use, with how many use it."""
        rows = await self._db.fetchall_long(
            "SELECT campaign, content, movement, COUNT(*) AS n FROM stories"
            " GROUP BY campaign, content, movement")
        return [(r["campaign"], r["content"], r["movement"], r["n"]) for r in rows]
