"""The one transition function over a real SQLite file: races, audit, outbox, posts, erasure."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import NewStory, Person, Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, file_report

LONG_XUYEN = 30307
PHU_QUOC = 31078
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"


async def person(storage: Storage, external: str, name: str, *, channel: str = "telegram",
                 role: str = "citizen", communes: tuple[int, ...] = ()) -> Person:
    """Someone who agreed to the privacy notice, with a role."""
    found = await storage.people.get_or_create(channel, external, "vi")
    await storage.people.set_consent(found, True, name, None)
    if role != "citizen":
        await storage.roles.grant(found.id, role, communes)
    return found


async def file(storage: Storage, reporter: Person, *, commune: int = LONG_XUYEN,
               key: str = "k1", title: str = TITLE, notify: bool = True) -> int:
    return await storage.stories.file(
        NewStory(
            submission_key=key, reporter_id=reporter.id, channel=reporter.channel,
            campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
            commune_code=commune,
            honoree_name="Nguyễn Văn An", honoree_role="nông dân ấp Mỹ Thạnh", title=title,
            description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2),
        ),
        notify_reviewers=notify,
    )


async def rows(storage: Storage, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in await storage.db.fetchall(sql, params)]


async def outbox(storage: Storage, template: str | None = None) -> list[dict[str, Any]]:
    found = await rows(storage, "SELECT * FROM outbox ORDER BY id")
    for row in found:
        row["params"] = json.loads(row["params"])
    return [r for r in found if template is None or r["template"] == template]


async def clear_outbox(storage: Storage) -> None:
    async with storage.db.transaction() as tx:
        await tx.execute("DELETE FROM outbox")


class Cast:
    """A reporter in Long Xuyên, two reviewers there, one in Phú Quốc, one for the province."""

    def __init__(self, reporter: Person, lx1: Person, lx2: Person, pq: Person,
                 province: Person, admin: Person) -> None:
        self.reporter, self.lx1, self.lx2, self.pq = reporter, lx1, lx2, pq
        self.province, self.admin = province, admin


@pytest.fixture
async def cast(storage: Storage) -> Cast:
    return Cast(
        await person(storage, "100", "Trần Thị Bình"),
        await person(storage, "201", "Lê Văn Duyệt", role="reviewer", communes=(LONG_XUYEN,)),
        await person(storage, "202", "Phạm Thị Xét", role="reviewer", communes=(LONG_XUYEN,)),
        await person(storage, "301", "Huỳnh Văn Đảo", role="reviewer", communes=(PHU_QUOC,)),
        await person(storage, "401", "Võ Thị Tỉnh", role="reviewer", communes=(0,)),
        await person(storage, "9001", "Quản Trị", role="admin", communes=(0,)),
    )


async def test_two_reviewers_approving_the_same_story_at_once_approve_it_once(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)

    first, second = await asyncio.gather(
        storage.reviews.act(story_id, "approve", cast.lx1.id, version=1),
        storage.reviews.act(story_id, "approve", cast.lx2.id, version=1),
    )

    outcomes = [first, second]
    assert sum(o.ok for o in outcomes) == 1
    loser = next(o for o in outcomes if not o.ok)
    assert loser.refusal in ("review.changed", "review.wrong_status")
    story = await storage.stories.get(story_id)
    assert story is not None
    # No channel is configured: the approval published the story in the gallery at once.
    assert story.status == "published"
    assert story.version == 3
    approvals = await rows(storage, "SELECT * FROM story_events WHERE action = 'approve'")
    assert len(approvals) == 1
    winner = cast.lx1 if first.ok else cast.lx2
    assert approvals[0]["actor_id"] == winner.id
    assert len(await outbox(storage, "notify.in_gallery")) == 1
    assert await outbox(storage, "notify.status") == []


async def test_without_a_version_the_second_approval_finds_the_story_already_approved(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    outcomes = await asyncio.gather(
        storage.reviews.act(story_id, "approve", cast.lx1.id),
        storage.reviews.act(story_id, "approve", cast.admin.id),
    )
    assert sorted(str(o.refusal) for o in outcomes) == ["None", "review.wrong_status"]
    story = await storage.stories.get(story_id)
    assert story is not None and story.version == 3  # approved, then published in the gallery
    events = await rows(storage, "SELECT action FROM story_events ORDER BY id")
    assert [e["action"] for e in events] == ["submit", "approve", "publish"]


async def test_an_action_on_an_old_version_is_refused_as_changed_and_changes_nothing(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await storage.reviews.act(story_id, "correct", cast.lx1.id, version=1, title="Cầu khỉ mới")
    late = await storage.reviews.act(story_id, "reject", cast.lx2.id, version=1, note="trùng")
    assert late.refusal == "review.changed"
    assert late.from_status == "pending"
    story = await storage.stories.get(story_id)
    assert story is not None
    assert (story.status, story.version, story.review_note) == ("pending", 2, None)
    assert [e["action"] for e in await rows(storage, "SELECT action FROM story_events")] == [
        "submit", "correct"]


async def test_the_audit_row_says_who_moved_the_story_from_where_to_where_and_why(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    outcome = await storage.reviews.act(
        story_id, "request_changes", cast.lx1.id, note="Xin thêm ảnh cây cầu", version=1)
    assert outcome.ok and (outcome.from_status, outcome.to_status) == ("pending", "needs_changes")

    events = await rows(storage, "SELECT * FROM story_events WHERE story_id = ? ORDER BY id",
                        story_id)
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [
        ("submit", None, "pending"), ("request_changes", "pending", "needs_changes")]
    audit = events[1]
    assert audit["actor_id"] == cast.lx1.id
    assert audit["note"] == "Xin thêm ảnh cây cầu"
    assert audit["created_at"]
    history = await storage.reviews.history(story_id)
    assert history[-1].actor_name == "Lê Văn Duyệt"
    assert history[-1].note == "Xin thêm ảnh cây cầu"
    story = await storage.stories.get(story_id)
    assert story is not None and story.review_note == "Xin thêm ảnh cây cầu"


async def test_approval_queues_the_reporters_notice_in_the_same_transaction(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await clear_outbox(storage)

    await storage.reviews.act(story_id, "approve", cast.lx1.id, version=1)

    [notice] = await outbox(storage)  # approved and published at once: one notice
    assert notice["kind"] == "message"
    assert notice["template"] == "notify.in_gallery"
    assert notice["person_id"] == cast.reporter.id
    assert (notice["channel"], notice["chat_id"]) == ("telegram", "100")
    assert notice["params"]["id"] == story_id
    assert notice["params"]["status"] == "published"
    assert notice["params"]["title"] == TITLE
    assert notice["story_id"] == story_id
    assert notice["status"] == "pending"


async def test_a_request_for_changes_sends_the_reporter_the_reviewers_note(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await clear_outbox(storage)

    await storage.reviews.act(story_id, "request_changes", cast.lx1.id,
                              note="Xin thêm ảnh cây cầu", version=1)

    [notice] = await outbox(storage)
    assert notice["template"] == "notify.needs_changes"
    assert notice["person_id"] == cast.reporter.id
    assert notice["chat_id"] == "100"
    assert notice["params"]["note"] == "Xin thêm ảnh cây cầu"


async def test_when_the_notice_cannot_be_queued_the_status_change_is_rolled_back(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    async with storage.db.transaction() as tx:
        await tx.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox"
                         " BEGIN SELECT RAISE(ABORT, 'outbox is down'); END")

    with pytest.raises(Exception, match="outbox is down"):
        await storage.reviews.act(story_id, "approve", cast.lx1.id, version=1)

    story = await storage.stories.get(story_id)
    assert story is not None and (story.status, story.version) == ("pending", 1)
    events = await rows(storage, "SELECT action FROM story_events")
    assert [e["action"] for e in events] == ["submit"]


async def test_a_refused_action_writes_neither_audit_nor_outbox(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await clear_outbox(storage)
    refused = await storage.reviews.act(story_id, "approve", cast.pq.id, version=1)
    assert refused.refusal == "review.not_yours"
    refused = await storage.reviews.act(story_id, "approve", cast.reporter.id, version=1)
    assert refused.refusal == "review.not_yours"
    assert await outbox(storage) == []
    assert len(await rows(storage, "SELECT * FROM story_events")) == 1
    missing = await storage.reviews.act(99, "approve", cast.admin.id)
    assert missing.refusal == "review.no_story"


async def test_the_role_is_read_from_storage_at_the_moment_of_the_action(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await storage.roles.revoke(cast.lx1.id)
    refused = await storage.reviews.act(story_id, "approve", cast.lx1.id, version=1)
    assert refused.refusal == "review.not_yours"
    await storage.roles.grant(cast.pq.id, "reviewer", (PHU_QUOC, LONG_XUYEN))
    allowed = await storage.reviews.act(story_id, "approve", cast.pq.id, version=1)
    assert allowed.ok


async def test_a_new_story_is_announced_to_its_communes_reviewers_and_the_admins_only(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)

    notices = await outbox(storage, "notify.new_story")
    told = sorted(n["person_id"] for n in notices)
    assert told == sorted([cast.lx1.id, cast.lx2.id, cast.province.id, cast.admin.id])
    assert cast.pq.id not in told
    assert cast.reporter.id not in told
    assert all(n["params"]["id"] == story_id and n["params"]["title"] == TITLE for n in notices)
    by_person = {n["person_id"]: n["chat_id"] for n in notices}
    assert by_person[cast.admin.id] == "9001"


async def test_a_story_from_phu_quoc_is_announced_to_the_phu_quoc_reviewer_not_long_xuyens(
    storage: Storage, cast: Cast
) -> None:
    await file(storage, cast.reporter, commune=PHU_QUOC)
    told = {n["person_id"] for n in await outbox(storage, "notify.new_story")}
    assert told == {cast.pq.id, cast.province.id, cast.admin.id}


async def test_no_announcement_of_new_stories_when_notify_reviewers_is_off(
    storage: Storage, cast: Cast
) -> None:
    before = await outbox(storage)
    await file(storage, cast.reporter, notify=False)
    assert await outbox(storage) == before


async def test_filing_through_the_bot_with_notify_reviewers_off_announces_nothing(
    storage: Storage, settings: Settings, cast: Cast
) -> None:
    quiet = Dialog(storage, settings.model_copy(update={"notify_reviewers": False}))
    before = await outbox(storage)
    said = await file_report(FakeChat(quiet, "u1"))
    assert "#1" in said
    assert await outbox(storage) == before

    loud = Dialog(storage, settings)
    said = await file_report(FakeChat(loud, "u2", name="Ngô Văn Hai"))
    assert "#2" in said
    assert {n["person_id"] for n in await outbox(storage, "notify.new_story")} == {
        cast.lx1.id, cast.lx2.id, cast.province.id, cast.admin.id}


async def test_a_resubmitted_story_is_announced_unless_notify_reviewers_is_off(
    db_path: Path, tmp_path: Path
) -> None:
    for notify, path in ((True, db_path), (False, tmp_path / "quiet.sqlite3")):
        store = await open_storage(path, notify_reviewers=notify)
        try:
            reporter = await person(store, "100", "Trần Thị Bình")
            reviewer = await person(store, "201", "Lê Văn Duyệt", role="reviewer",
                                    communes=(LONG_XUYEN,))
            story_id = await file(store, reporter, notify=notify)
            await store.reviews.act(story_id, "request_changes", reviewer.id, note="thêm ảnh")
            resubmitted = await store.reviews.act(story_id, "resubmit", reporter.id)
            assert resubmitted.ok
            told = [n["person_id"] for n in await outbox(store, "notify.resubmitted")]
            assert told == ([reviewer.id] if notify else [])
        finally:
            await store.close()


async def test_approving_queues_the_post_to_the_publishing_chat(
    tmp_path: Path
) -> None:
    store = await open_storage(tmp_path / "pub.sqlite3", publish_chat="-100123")
    try:
        reporter = await person(store, "100", "Trần Thị Bình")
        reviewer = await person(store, "201", "Lê Văn Duyệt", role="reviewer",
                                communes=(LONG_XUYEN,))
        story_id = await file(store, reporter)
        assert await rows(store, "SELECT * FROM outbox WHERE kind = 'publish'") == []

        await store.reviews.act(story_id, "approve", reviewer.id, version=1)

        posts = await rows(store, "SELECT * FROM outbox WHERE kind = 'publish'")
        assert len(posts) == 1
        assert posts[0]["chat_id"] == "-100123"
        assert posts[0]["story_id"] == story_id
        assert posts[0]["person_id"] is None
        assert posts[0]["status"] == "pending"
    finally:
        await store.close()


async def test_without_a_publishing_chat_nothing_is_posted(storage: Storage, cast: Cast) -> None:
    story_id = await file(storage, cast.reporter)
    await storage.reviews.act(story_id, "approve", cast.lx1.id, version=1)
    assert await rows(storage, "SELECT * FROM outbox WHERE kind = 'publish'") == []


async def test_with_two_levels_a_recommendation_is_not_posted_and_goes_to_the_admins(
    tmp_path: Path
) -> None:
    store = await open_storage(tmp_path / "two.sqlite3", review_levels=2,
                               publish_chat="-100123")
    try:
        reporter = await person(store, "100", "Trần Thị Bình")
        reviewer = await person(store, "201", "Lê Văn Duyệt", role="reviewer",
                                communes=(LONG_XUYEN,))
        province = await person(store, "401", "Võ Thị Tỉnh", role="reviewer", communes=(0,))
        admin = await person(store, "9001", "Quản Trị", role="admin", communes=(0,))
        story_id = await file(store, reporter)

        recommended = await store.reviews.act(story_id, "approve", reviewer.id, version=1)
        assert recommended.to_status == "recommended"
        assert await rows(store, "SELECT * FROM outbox WHERE kind = 'publish'") == []
        told = [n["person_id"] for n in await outbox(store, "notify.recommended")]
        assert told == [admin.id]
        assert province.id not in told

        approved = await store.reviews.act(story_id, "approve", admin.id, version=2)
        assert approved.to_status == "approved"
        assert len(await rows(store, "SELECT * FROM outbox WHERE kind = 'publish'")) == 1
    finally:
        await store.close()


async def test_erasing_a_person_keeps_the_audit_trail_but_not_their_name(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await storage.reviews.act(story_id, "approve", cast.lx1.id, version=1)

    await storage.erase_person(cast.lx1.id)
    await storage.erase_person(cast.reporter.id)

    events = await rows(storage, "SELECT * FROM story_events ORDER BY id")
    assert [(e["action"], e["actor_id"]) for e in events] == [
        ("submit", cast.reporter.id), ("approve", cast.lx1.id), ("publish", None)]
    names = await rows(storage, "SELECT id, display_name, username FROM people WHERE id IN (?, ?)",
                       cast.lx1.id, cast.reporter.id)
    assert all(n["display_name"] is None and n["username"] is None for n in names)
    history = await storage.reviews.history(story_id)
    assert [h.actor_name for h in history] == [None, None, None]
    assert [h.actor_id for h in history] == [cast.reporter.id, cast.lx1.id, None]
    story = await storage.stories.get(story_id)
    assert story is not None
    assert story.status == "published"  # in the gallery (no channel): it stays, anonymised
    assert story.reporter_id is None


async def test_erasing_a_reporter_withdraws_every_story_not_yet_approved(
    storage: Storage, cast: Cast, db_path: Path
) -> None:
    # The privacy notice: "câu chuyện chưa duyệt sẽ được rút lại" — recommended ones too.
    waiting = await file(storage, cast.reporter, key="a")
    asked = await file(storage, cast.reporter, key="b")
    approved = await file(storage, cast.reporter, key="c")
    recommended = await file(storage, cast.reporter, key="d")
    await storage.reviews.act(asked, "request_changes", cast.lx1.id, note="thêm ảnh")
    await storage.reviews.act(approved, "approve", cast.lx1.id)
    two_levels = await open_storage(db_path, review_levels=2)
    try:
        moved = await two_levels.reviews.act(recommended, "approve", cast.lx1.id)
        assert moved.to_status == "recommended"
    finally:
        await two_levels.close()

    withdrawn = await storage.erase_person(cast.reporter.id)

    statuses = {}
    for story_id in (waiting, asked, approved, recommended):
        story = await storage.stories.get(story_id)
        assert story is not None
        statuses[story_id] = story.status
    assert statuses == {waiting: "withdrawn", asked: "withdrawn", approved: "published",
                        recommended: "withdrawn"}
    assert withdrawn == 3


async def test_erasure_withdrawals_are_audited_like_every_other_status_change(
    storage: Storage, cast: Cast
) -> None:
    story_id = await file(storage, cast.reporter)
    await storage.erase_person(cast.reporter.id)
    history = await storage.reviews.history(story_id)
    assert [(h.action, h.from_status, h.to_status) for h in history] == [
        ("submit", None, "pending"), ("withdraw", "pending", "withdrawn")]

