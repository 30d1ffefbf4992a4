"""A small world for storage tests of the door: a reporter, a reviewer and an admin, and a
story brought to any status through the door itself (helpers, not tests)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage import Person, Storage
from tests.test_review_storage import file, person, rows

LONG_XUYEN = 30307
PUBLISH_CHAT = "-100777"


@dataclass
class Cast:
    reporter: Person
    reviewer: Person
    admin: Person


async def make_cast(store: Storage) -> Cast:
    """The reporter, a reviewer of Long Xuyên, and an admin."""
    return Cast(
        await person(store, "100", "Trần Thị Bình"),
        await person(store, "201", "Lê Văn Duyệt", role="reviewer", communes=(LONG_XUYEN,)),
        await person(store, "9001", "Quản Trị", role="admin", communes=(0,)),
    )


async def bring(store: Storage, cast: Cast, status: str, key: str = "k1") -> int:
    """A story of the reporter's, moved to `status` through the door (the publish chat set)."""
    story_id = await file(store, cast.reporter, key=key)
    if status == "needs_changes":
        await store.reviews.act(story_id, "request_changes", cast.reviewer.id, note="thêm ảnh")
    if status in ("approved", "published"):
        assert (await store.reviews.act(story_id, "approve", cast.reviewer.id)).ok
    if status == "published":
        [item] = await rows(store, "SELECT id FROM outbox WHERE kind = 'publish'"
                            " AND story_id = ?", story_id)
        assert await store.outbox.published(item["id"], story_id, PUBLISH_CHAT, ["501"])
    return story_id
