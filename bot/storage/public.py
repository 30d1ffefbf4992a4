"""What the public gallery may read: published stories only, and of each only what the channel
post shows. No query here selects a phone number or a map position, and the reporter's name
comes only when they allowed it; the status is read on every call, so a story that is
unpublished or erased disappears at once."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.database import Database
from bot.storage.search import StoryFilter

__all__ = ["Facets", "PublicPhoto", "PublicStories", "PublicStory"]

_COLUMNS = (
    "s.id, s.kind, s.content, s.movement, s.campaign, s.commune_code, s.honoree_name,"
    " s.honoree_role, s.title, s.description, s.event_date, s.published_at,"
    " CASE WHEN s.resident_name IS NOT NULL THEN CASE WHEN s.resident_shown = 1"
    " THEN s.resident_name END WHEN s.show_name = 1 THEN p.display_name END AS reporter_name"
)
_FROM = " FROM stories s LEFT JOIN people p ON p.id = s.reporter_id"
PUBLISHED = ("published",)


@dataclass(frozen=True, slots=True)
class PublicPhoto:
    """An archived photo of a published story."""

    position: int
    digest: str
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class PublicStory:
    """A published story as the public sees it."""

    id: int
    kind: str
    content: str | None
    movement: str | None
    campaign: str
    commune_code: int
    honoree_name: str
    honoree_role: str
    title: str
    description: str
    event_date: str
    published_at: str
    reporter_name: str | None
    photos: tuple[PublicPhoto, ...] = ()


@dataclass(frozen=True, slots=True)
class Facets:
    """The values the published stories take, for the list's filters."""

    communes: tuple[int, ...]
    kinds: tuple[str, ...]
    contents: tuple[str, ...]
    campaigns: tuple[str, ...]
    months: tuple[str, ...]


def _story(row: aiosqlite.Row, photos: tuple[PublicPhoto, ...]) -> PublicStory:
    return PublicStory(
        row["id"], row["kind"], row["content"], row["movement"], row["campaign"],
        row["commune_code"], row["honoree_name"], row["honoree_role"], row["title"],
        row["description"], row["event_date"], row["published_at"] or "", row["reporter_name"],
        photos,
    )


class PublicStories:
    """Repository of the gallery's reads."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def _photos(self, ids: list[int]) -> dict[int, tuple[PublicPhoto, ...]]:
        if not ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT story_id, position, digest, width, height FROM archived_media"
            f" WHERE story_id IN ({','.join('?' * len(ids))}) AND kind = 'photo'"
            " AND state = 'archived' ORDER BY story_id, position", ids,
        )
        found: dict[int, list[PublicPhoto]] = {}
        for r in rows:
            found.setdefault(r["story_id"], []).append(
                PublicPhoto(r["position"], r["digest"], r["width"] or 0, r["height"] or 0))
        return {k: tuple(v) for k, v in found.items()}

    async def get(self, story_id: int) -> PublicStory | None:
        """One published story with its archived photos; None for anything else."""
        row = await self._db.fetchone(
            f"SELECT {_COLUMNS}{_FROM} WHERE s.id = ? AND s.status = 'published'", (story_id,))
        if row is None:
            return None
        return _story(row, (await self._photos([story_id])).get(story_id, ()))

    async def by_ids(self, ids: list[int]) -> list[PublicStory]:
        """The published ones among these stories, in the order given."""
        if not ids:
            return []
        rows = await self._db.fetchall(
            f"SELECT {_COLUMNS}{_FROM} WHERE s.id IN ({','.join('?' * len(ids))})"
            " AND s.status = 'published'", ids,
        )
        photos = await self._photos(ids)
        found = {r["id"]: _story(r, photos.get(r["id"], ())) for r in rows}
        return [found[i] for i in ids if i in found]

    async def page(self, where: StoryFilter, offset: int,
                   limit: int) -> tuple[int, list[PublicStory]]:
        """Published stories, newest publication first: (how many in all, this page)."""
        clauses, params = StoryFilter(
            PUBLISHED, None, where.commune, where.kind, where.content, where.campaign,
            where.month).where()
        condition = " AND ".join(clauses)
        total = await self._db.fetchone_long(
            f"SELECT COUNT(*){_FROM} WHERE {condition}", params)
        rows = await self._db.fetchall_long(
            f"SELECT {_COLUMNS}{_FROM} WHERE {condition}"
            " ORDER BY s.published_at DESC, s.id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        photos = await self._photos([r["id"] for r in rows])
        stories = [_story(r, photos.get(r["id"], ())) for r in rows]
        return (int(total[0]) if total else 0), stories

    async def photo(self, story_id: int, position: int) -> PublicPhoto | None:
        """One archived photo, only while its story is published."""
        row = await self._db.fetchone(
            "SELECT m.position, m.digest, m.width, m.height FROM archived_media m"
            " JOIN stories s ON s.id = m.story_id WHERE m.story_id = ? AND m.kind = 'photo'"
            " AND m.position = ? AND m.state = 'archived' AND s.status = 'published'",
            (story_id, position),
        )
        if row is None:
            return None
        return PublicPhoto(row["position"], row["digest"], row["width"] or 0, row["height"] or 0)

    async def facets(self) -> Facets:
        """Every commune, kind, content, campaign and month that published stories have."""
        async def values(expression: str) -> tuple[object, ...]:
            rows = await self._db.fetchall_long(
                f"SELECT DISTINCT {expression} AS v FROM stories WHERE status = 'published'"
                " ORDER BY v")
            return tuple(r["v"] for r in rows if r["v"] is not None)

        communes = await values("commune_code")
        kinds = await values("kind")
        contents = await values("content")
        campaigns = await values("campaign")
        months = await values("substr(event_date, 1, 7)")
        return Facets(
            tuple(int(str(c)) for c in communes), tuple(str(k) for k in kinds),
            tuple(str(c) for c in contents),
            tuple(str(c) for c in campaigns), tuple(str(m) for m in reversed(months)),
        )
