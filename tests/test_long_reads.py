"""The reads that scan many rows (search, the gallery's lists, the duplicate finder's pool, the
reviewers' digest, the audit pages, the staff list, the campaign check at start) run on a
reader thread, off the event loop; what they read about one person or one story stays on the
loop, where it takes microseconds. An import files its stories with turns for other chats."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from bot.storage import Storage, StoryFilter
from tests.archive_data import a_story, publish, reporter


class Paths:
    """Every SQL statement the Database ran, by the path it took."""

    def __init__(self, storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
        self.short: list[str] = []
        self.long: list[str] = []
        db = storage.db
        for name, seen in (("fetchone", self.short), ("fetchall", self.short),
                           ("fetchone_long", self.long), ("fetchall_long", self.long)):
            monkeypatch.setattr(db, name, self._recording(getattr(db, name), seen))

    @staticmethod
    def _recording(real: Callable[..., Awaitable[Any]],
                   seen: list[str]) -> Callable[..., Awaitable[Any]]:
        async def read(sql: str, params: Any = ()) -> Any:
            seen.append(sql)
            return await real(sql, params)
        return read

    async def of(self, read: Awaitable[Any]) -> tuple[Any, list[str], list[str]]:
        """What a read answered, and the statements it ran on the loop and off it."""
        self.short.clear()
        self.long.clear()
        return await read, list(self.short), list(self.long)


async def test_reads_that_scan_many_rows_run_off_the_loop(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    await reporter(storage)
    first = await storage.stories.file(a_story("k1", title="Sửa cầu khỉ cho bà con"))
    second = await storage.stories.file(a_story("k2", title="Cầu khỉ mới ở ấp Mỹ Thạnh"))
    await publish(storage, first)
    paths = Paths(storage, monkeypatch)

    for where in (StoryFilter(), StoryFilter(("published",))):
        (total, found), short, long = await paths.of(storage.search.find("cau khi", where, 0, 5))
        assert total == (2 if where == StoryFilter() else 1)
        assert {line.id for line in found} <= {first, second}
        assert [s for s in long if "MATCH" in s] and not [s for s in short if "MATCH" in s]

    (total, stories), short, long = await paths.of(storage.public.page(StoryFilter(), 0, 10))
    assert (total, [s.id for s in stories]) == (1, [first])
    assert [s for s in long if "COUNT(*)" in s] and [s for s in long if "LIMIT" in s]
    assert not [s for s in short if "LIMIT" in s or "COUNT(*)" in s]
    facets, short, long = await paths.of(storage.public.facets())
    assert facets.communes == (30307,) and len(set(long)) == 5 and short == []

    (story, others), short, long = await paths.of(storage.duplicates.pool(second))
    assert story is not None and [o.id for o in others] == [first]
    assert len(short) == 1 and "WHERE id = ?" in short[0]  # the story itself, by key
    assert len(long) == 1 and "commune_code = ?" in long[0]  # the commune's sixty days

    for read in (storage.staff.waiting_since("2100-01-01"), storage.staff.unreviewed_communes(),
                 storage.staff.digest_readers(), storage.roles.reviewers(),
                 storage.stories.keys_in_use(), storage.audit.page()):
        _, short, long = await paths.of(read)
        assert long and short == [], (long, short)
    _, short, long = await paths.of(storage.staff.queue_menus())
    assert long and short == []


async def test_an_import_gives_the_other_chats_a_turn_between_two_stories(
    storage: Storage,
) -> None:
    officer = await reporter(storage)
    stories = [a_story(f"row-{n}", reporter_id=officer, title=f"Câu chuyện số {n}")
               for n in range(1, 31)]
    turns = 0

    async def another_chat() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    other = asyncio.create_task(another_chat())
    await asyncio.sleep(0)
    try:
        imported = await storage.behalf.file_all(stories, by=officer, source={"file": "x.xlsx"},
                                                 notify_reviewers=False)
        during = turns
    finally:
        other.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await other
    assert len(imported.new) == 30
    assert during >= 30  # a turn before each story, not one for the whole file
