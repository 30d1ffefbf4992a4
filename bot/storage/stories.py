"""Stories: filed reports with their photos."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import aiosqlite

from bot.storage.database import Database
from bot.storage.people import now_iso
from bot.storage.reviews import queue_reviewers

__all__ = ["NewStory", "Stories", "Story", "StoryLine"]


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
    original_title: str | None = None
    original_description: str | None = None
    published_message_id: str | None = None
    publish_error: str | None = None
    reporter_name: str | None = None
    campaign: str = ""

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
            original_title=row["original_title"],
            original_description=row["original_description"],
            published_message_id=row["published_message_id"],
            publish_error=row["publish_error"],
            reporter_name=row["reporter_name"] if "reporter_name" in row.keys() else None,  # noqa: SIM118
            campaign=row["campaign"],
        )


class Stories:
    """Repository of stories."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def file(self, new: NewStory, notify_reviewers: bool = True) -> int:
        """Store a new pending story with its photos; the same submission twice files once."""
        stamp = now_iso()
        async with self._db.transaction() as tx:
            async with tx.execute(
                "INSERT INTO stories (reporter_id, submission_key, channel, kind, content,"
                " movement, commune_code, honoree_name, honoree_role, title, description,"
                " event_date, latitude, longitude, reporter_phone, show_name, status,"
                " created_at, updated_at, campaign)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (submission_key) DO NOTHING RETURNING id",
                (
                    new.reporter_id,
                    new.submission_key,
                    new.channel,
                    new.kind,
                    new.content,
                    new.movement,
                    new.commune_code,
                    new.honoree_name,
                    new.honoree_role,
                    new.title,
                    new.description,
                    new.event_date.isoformat(),
                    new.latitude,
                    new.longitude,
                    new.reporter_phone,
                    int(new.show_name),
                    stamp,
                    stamp,
                    new.campaign,
                ),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                async with tx.execute(
                    "SELECT id FROM stories WHERE submission_key = ?", (new.submission_key,)
                ) as cur:
                    existing = await cur.fetchone()
                assert existing is not None
                return int(existing[0])
            story_id = int(row[0])
            await tx.executemany(
                "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
                [(story_id, i, ref) for i, ref in enumerate(new.photos)],
            )
            await tx.execute(
                "INSERT INTO story_events (story_id, actor_id, action, from_status, to_status,"
                " created_at) VALUES (?, ?, 'submit', NULL, 'pending', ?)",
                (story_id, new.reporter_id, stamp),
            )
            if notify_reviewers:
                params = {"id": story_id, "title": new.title, "status": "pending", "note": ""}
                await queue_reviewers(tx, new.commune_code, "notify.new_story", params,
                                      story_id, skip=new.reporter_id)
        return story_id

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
        """How many stories a person filed since an instant (for the daily limit)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM stories WHERE reporter_id = ? AND created_at >= ?",
            (person_id, since),
        )
        return int(row[0]) if row else 0

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

    async def amend(
        self, story_id: int, reporter_id: int, title: str | None, description: str | None
    ) -> bool:
        """The reporter's own correction while changes are requested; False if not allowed now."""
        async with self._db.transaction() as tx, tx.execute(
            "UPDATE stories SET title = COALESCE(?, title),"
            " description = COALESCE(?, description), version = version + 1, updated_at = ?"
            " WHERE id = ? AND reporter_id = ? AND status = 'needs_changes'",
            (title, description, now_iso(), story_id, reporter_id),
        ) as cur:
            return cur.rowcount == 1

    async def published_since(self, since: str, limit: int) -> list[StoryLine]:
        """Stories published since an instant, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, title, status, created_at FROM stories WHERE status = 'published'"
            " AND published_at >= ? ORDER BY id DESC LIMIT ?", (since, limit),
        )
        return [StoryLine(r["id"], r["title"], r["status"], r["created_at"]) for r in rows]

    async def keys_in_use(self) -> list[tuple[str, str | None, str | None, int]]:
        """Each (campaign, content, movement) that stories use, with how many use it."""
        rows = await self._db.fetchall(
            "SELECT campaign, content, movement, COUNT(*) AS n FROM stories"
            " GROUP BY campaign, content, movement")
        return [(r["campaign"], r["content"], r["movement"], r["n"]) for r in rows]
