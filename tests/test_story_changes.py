"""What each action carries, through the door: a reviewer's corrections of any field with the
reporter's original kept, the reporter's amendment, undoing an approval or a publication,
duplicates and nomination outcomes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Change, NewStory, Storage, open_storage
from bot.workflow import Action, NominationState
from tests.conftest import GOOD_DESCRIPTION
from tests.story_world import PUBLISH_CHAT, Cast, bring, make_cast
from tests.test_review_storage import TITLE, outbox, rows

PHU_QUOC = 31078


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(db_path, publish_chat=PUBLISH_CHAT)
    yield opened
    await opened.close()


@pytest.fixture
async def cast(store: Storage) -> Cast:
    return await make_cast(store)
NEW_DESCRIPTION = (
    "Bà Lê Thị Hoa mở lớp dạy bơi miễn phí cho hơn 80 em nhỏ ấp Mỹ Thạnh suốt mùa hè, "
    "giúp các em an toàn khi mùa nước nổi về."
)
EVERY_CORRECTION: dict[str, Any] = {
    "kind": "model_practice", "content": "key_movements", "movement": "for_the_poor",
    "commune_code": PHU_QUOC,
    "honoree_name": "Lê Thị Hoa", "honoree_role": "giáo viên", "title": "Lớp bơi miễn phí",
    "description": NEW_DESCRIPTION, "event_date": date(2025, 8, 1), "latitude": 10.2,
    "longitude": 103.96,
}
STORED = {**EVERY_CORRECTION, "event_date": "2025-08-01"}


async def with_photos(store: Storage, cast: Cast) -> int:
    return await store.stories.file(NewStory(
        submission_key="p1", reporter_id=cast.reporter.id, channel="telegram",
        campaign="an-giang-2025", kind="good_deed", content="policy_law", movement=None,
        commune_code=30307,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân ấp Mỹ Thạnh", title=TITLE,
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2), photos=["ph-1", "ph-2"],
        reporter_phone="0911111111",
    ))


async def column(store: Storage, story_id: int, name: str) -> Any:
    [row] = await rows(store, f"SELECT {name} FROM stories WHERE id = ?", story_id)
    return row[name]


async def last_event(store: Storage, story_id: int) -> dict[str, Any]:
    events = await store.reviews.history(story_id)
    event = events[-1]
    return {"action": event.action, "note": event.note, "details": event.details,
            "actor_id": event.actor_id, "system": event.system}


# --- a reviewer's corrections ----------------------------------------------------------------


async def test_a_reviewer_corrects_every_field_and_each_change_is_audited_old_and_new(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "pending")
    before = await store.stories.get(story_id)
    assert before is not None

    outcome = await store.reviews.apply(Change(Action.CORRECT, story_id, cast.reviewer.id,
                                               version=1, fields=EVERY_CORRECTION))

    assert outcome.ok and outcome.to_status == "pending"
    for name, value in STORED.items():
        assert await column(store, story_id, name) == value, name
    event = await last_event(store, story_id)
    changes = {c["field"]: (c["old"], c["new"]) for c in event["details"]["changes"]}
    assert set(changes) == set(EVERY_CORRECTION)
    assert changes["commune_code"] == (30307, PHU_QUOC)
    assert changes["title"] == (TITLE, "Lớp bơi miễn phí")
    assert changes["event_date"] == ("2025-09-02", "2025-08-01")
    assert changes["latitude"] == (None, 10.2)
    after = await store.stories.get(story_id)
    assert after is not None and after.version == 2
    assert after.original["title"] == TITLE
    assert after.original["commune_code"] == 30307
    assert after.original_description == GOOD_DESCRIPTION


async def test_a_second_correction_keeps_the_reporters_first_value(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "pending")
    for title in ("Cầu khỉ mới", "Cầu khỉ mới ấp Mỹ Thạnh"):
        assert (await store.reviews.act(story_id, "correct", cast.reviewer.id, title=title)).ok
    story = await store.stories.get(story_id)
    assert story is not None
    assert (story.title, story.original_title) == ("Cầu khỉ mới ấp Mỹ Thạnh", TITLE)


async def test_a_reviewer_removes_a_photo_and_the_original_album_is_kept(
    store: Storage, cast: Cast
) -> None:
    story_id = await with_photos(store, cast)
    outcome = await store.reviews.apply(Change(Action.CORRECT, story_id, cast.reviewer.id,
                                               remove_photos=("ph-1",)))
    assert outcome.ok
    story = await store.stories.get(story_id)
    assert story is not None
    assert story.photos == ["ph-2"]
    assert story.original["photos"] == ["ph-1", "ph-2"]
    assert (await last_event(store, story_id))["details"] == {"photos_removed": ["ph-1"]}


@pytest.mark.parametrize("change", [
    {"fields": {"reporter_phone": "0900000000"}},  # the reporter's own, not the reviewer's
    {"fields": {"status": "approved"}},
    {"fields": {"title": 12}},
    {"fields": {"event_date": 20250901}},
    {"remove_photos": ("not-a-photo",)},
    # A reviewer may add photos (a duplicate's, to the story kept), never a voice note.
    {"fields": {"voice_ref": "AwACAgIAAx-voice"}},
])
async def test_a_malformed_correction_is_refused_and_changes_nothing(
    store: Storage, cast: Cast, change: dict[str, Any]
) -> None:
    story_id = await with_photos(store, cast)
    before = await rows(store, "SELECT * FROM stories")
    with pytest.raises(ValueError):
        await store.reviews.apply(Change(Action.CORRECT, story_id, cast.reviewer.id, **change))
    assert await rows(store, "SELECT * FROM stories") == before
    assert len(await store.reviews.history(story_id)) == 1


async def test_a_correction_outside_the_scope_or_after_approval_is_refused(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "approved")
    late = await store.reviews.act(story_id, "correct", cast.reviewer.id, title="Muộn")
    assert (late.refusal, late.from_status) == ("review.wrong_status", "approved")
    elsewhere = await bring(store, cast, "pending", key="k2")
    await store.roles.grant(cast.reviewer.id, "reviewer", (PHU_QUOC,))
    refused = await store.reviews.act(elsewhere, "correct", cast.reviewer.id, title="Không")
    assert refused.refusal == "review.not_yours"
    assert (await store.stories.get(elsewhere)).title == TITLE  # type: ignore[union-attr]


# --- the reporter's amendment ----------------------------------------------------------------


async def test_the_reporter_amends_every_field_photos_and_phone_while_changes_are_asked(
    store: Storage, cast: Cast
) -> None:
    story_id = await with_photos(store, cast)
    await store.reviews.act(story_id, "request_changes", cast.reviewer.id,
                            note="Thêm số điện thoại và ảnh lớp bơi")
    fields = {**EVERY_CORRECTION, "reporter_phone": "0912345678", "show_name": True}

    outcome = await store.reviews.apply(Change(
        Action.AMEND, story_id, cast.reporter.id, fields=fields, add_photos=("ph-3",),
        remove_photos=("ph-1",)))

    assert outcome.ok and outcome.to_status == "needs_changes"
    story = await store.stories.get(story_id)
    assert story is not None
    assert story.photos == ["ph-2", "ph-3"]
    assert (story.reporter_phone, story.show_name) == ("0912345678", True)
    assert story.original == {}  # the reporter's own edit is not a correction of them
    assert story.review_note == "Thêm số điện thoại và ảnh lớp bơi"
    event = await last_event(store, story_id)
    assert event["actor_id"] == cast.reporter.id
    assert event["details"]["photos_added"] == ["ph-3"]
    assert event["details"]["photos_removed"] == ["ph-1"]
    assert {c["field"] for c in event["details"]["changes"]} == set(fields)
    assert (await store.reviews.act(story_id, "resubmit", cast.reporter.id)).to_status == "pending"


async def test_only_the_reporter_amends_and_only_while_changes_are_asked(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "pending")
    early = await store.reviews.apply(Change(Action.AMEND, story_id, cast.reporter.id,
                                             fields={"title": "Sửa"}))
    assert early.refusal == "review.wrong_status"
    await store.reviews.act(story_id, "request_changes", cast.reviewer.id, note="thêm ảnh")
    other = await store.reviews.apply(Change(Action.AMEND, story_id, cast.reviewer.id,
                                             fields={"title": "Không phải của tôi"}))
    assert other.refusal == "review.not_yours"
    await store.roles.ban(cast.reporter.id, None)
    banned = await store.reviews.apply(Change(Action.AMEND, story_id, cast.reporter.id,
                                              fields={"title": "Bị khóa"}))
    assert banned.refusal == "review.banned"
    assert (await store.stories.get(story_id)).title == TITLE  # type: ignore[union-attr]


# --- undo --------------------------------------------------------------------------------------


async def test_an_admin_reverts_an_approval_before_it_is_posted(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "approved")
    [post] = await rows(store, "SELECT id, status FROM outbox WHERE kind = 'publish'")
    assert post["status"] == "pending"

    outcome = await store.reviews.apply(Change(Action.REVERT, story_id, cast.admin.id,
                                               note="Chưa xác minh đủ"))

    assert (outcome.from_status, outcome.to_status) == ("approved", "pending")
    [post] = await rows(store, "SELECT status FROM outbox WHERE kind = 'publish'")
    assert post["status"] == "cancelled"  # nothing goes out for an approval undone
    [told] = await outbox(store, "undo.notify_revert")
    assert told["person_id"] == cast.reporter.id
    assert told["params"] == {"id": story_id, "title": TITLE, "note": "Chưa xác minh đủ"}
    assert await outbox(store, "retract") == []  # nothing was in the channel
    event = await last_event(store, story_id)
    assert (event["action"], event["note"]) == ("revert", "Chưa xác minh đủ")
    assert (await store.stories.get(story_id)).review_note == "Chưa xác minh đủ"  # type: ignore[union-attr]


async def test_an_admin_unpublishes_and_the_post_is_queued_for_removal(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "published")
    assert [p.message_id for p in await store.stories.posts(story_id)] == ["501"]

    outcome = await store.reviews.apply(Change(Action.UNPUBLISH, story_id, cast.admin.id,
                                               note="Thông tin sai"))

    assert (outcome.from_status, outcome.to_status) == ("published", "approved")
    [retract] = await outbox(store, "retract")
    assert (retract["kind"], retract["chat_id"], retract["story_id"]) == (
        "retract", PUBLISH_CHAT, story_id)
    assert retract["params"] == {"mode": "unpublish", "by": cast.admin.id}
    [told] = await outbox(store, "undo.notify_unpublish")
    assert told["person_id"] == cast.reporter.id and told["params"]["note"] == "Thông tin sai"
    assert [r["kind"] for r in await rows(store, "SELECT kind FROM outbox WHERE kind ="
                                          " 'publish' AND status = 'pending'")] == []
    story = await store.stories.get(story_id)
    assert story is not None and story.published_message_id is None
    total, _ = await store.stories.published(None, None, 0, 10)
    assert total == 0


async def test_an_admin_reverts_a_posted_story_and_the_post_comes_down(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "published")

    outcome = await store.reviews.apply(Change(Action.REVERT, story_id, cast.admin.id,
                                               note="Duyệt nhầm"))

    assert (outcome.from_status, outcome.to_status) == ("published", "pending")
    [retract] = await outbox(store, "retract")
    assert (retract["chat_id"], retract["story_id"]) == (PUBLISH_CHAT, story_id)
    assert retract["params"] == {"mode": "unpublish", "by": cast.admin.id}
    [told] = await outbox(store, "undo.notify_revert")
    assert told["person_id"] == cast.reporter.id and told["params"]["note"] == "Duyệt nhầm"
    story = await store.stories.get(story_id)
    assert story is not None and story.published_message_id is None
    total, _ = await store.stories.published(None, None, 0, 10)
    assert total == 0


@pytest.mark.parametrize(("action", "status", "who", "refusal"), [
    ("revert", "pending", "admin", "review.wrong_status"),
    ("revert", "approved", "reviewer", "review.not_yours"),
    ("unpublish", "approved", "admin", "review.wrong_status"),
    ("unpublish", "published", "reviewer", "review.not_yours"),
    ("unpublish", "published", "reporter", "review.not_yours"),
])
async def test_undo_is_for_admins_on_the_right_status(
    store: Storage, cast: Cast, action: str, status: str, who: str, refusal: str
) -> None:
    story_id = await bring(store, cast, status)
    actor = getattr(cast, who)
    before = await rows(store, "SELECT * FROM stories")
    outcome = await store.reviews.apply(Change(Action(action), story_id, actor.id, note="lý do"))
    assert (outcome.refusal, outcome.from_status) == (refusal, status)
    assert await rows(store, "SELECT * FROM stories") == before


async def test_undo_needs_a_reason(store: Storage, cast: Cast) -> None:
    story_id = await bring(store, cast, "approved")
    for note in (None, "  "):
        with pytest.raises(ValueError, match="reason"):
            await store.reviews.apply(Change(Action.REVERT, story_id, cast.admin.id, note=note))


async def test_a_post_that_lands_after_its_approval_was_reverted_is_taken_down(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "approved")
    [item] = await rows(store, "SELECT id FROM outbox WHERE kind = 'publish'")
    await store.reviews.apply(Change(Action.REVERT, story_id, cast.admin.id, note="nhầm"))

    assert not await store.outbox.published(item["id"], story_id, PUBLISH_CHAT, ["700", "701"])

    assert (await store.stories.get(story_id)).status == "pending"  # type: ignore[union-attr]
    [retract] = await outbox(store, "retract")
    assert retract["params"] == {"mode": "unpublish", "by": None}
    assert [p.message_id for p in await store.stories.posts(story_id)] == ["700", "701"]


# --- duplicates and nominations ---------------------------------------------------------------


async def test_a_story_is_marked_as_a_duplicate_of_another(store: Storage, cast: Cast) -> None:
    first = await bring(store, cast, "approved")
    second = await bring(store, cast, "pending", key="k2")
    for wrong, refusal in ((second, "duplicate.itself"), (999, "duplicate.no_original")):
        refused = await store.reviews.apply(Change(Action.MARK_DUPLICATE, second,
                                                   cast.reviewer.id, duplicate_of=wrong))
        assert refused.refusal == refusal
    outcome = await store.reviews.apply(Change(Action.MARK_DUPLICATE, second, cast.reviewer.id,
                                               duplicate_of=first, note=f"Trùng với #{first}"))
    assert outcome.to_status == "rejected"
    story = await store.stories.get(second)
    assert story is not None and story.duplicate_of == first
    assert (await last_event(store, second))["details"] == {"duplicate_of": first}


async def test_an_admin_records_a_nominations_outcome_once(store: Storage, cast: Cast) -> None:
    story_id = await bring(store, cast, "published")
    granted = Change(Action.NOMINATION_OUTCOME, story_id, cast.admin.id,
                     nomination=NominationState.GRANTED)
    assert (await store.reviews.apply(granted)).refusal == "nominate.not_proposed"
    assert (await store.reports.nominate(story_id, "bang_khen", "Tiêu biểu",
                                         cast.reviewer.id)).ok

    assert (await store.reviews.apply(granted)).ok

    [row] = await rows(store, "SELECT state, decided_by FROM nominations")
    assert (row["state"], row["decided_by"]) == ("granted", cast.admin.id)
    assert [n["person_id"] for n in await outbox(store, "undo.notify_award_granted")] == [
        cast.reporter.id]
    assert (await store.reviews.apply(granted)).refusal == "nominate.not_proposed"
    event = await last_event(store, story_id)
    assert event["details"] == {"outcome": "granted"}
    # A new proposal (another award) may be decided again; a declined one tells no one.
    await store.reports.nominate(story_id, "giay_khen", "Xét lại", cast.reviewer.id)
    declined = Change(Action.NOMINATION_OUTCOME, story_id, cast.admin.id,
                      nomination=NominationState.DECLINED)
    assert (await store.reviews.apply(declined)).ok
    assert len(await outbox(store, "undo.notify_award_granted")) == 1


async def test_publishing_is_the_publishers_act_with_every_message_of_the_post(
    store: Storage, cast: Cast
) -> None:
    story_id = await bring(store, cast, "approved")
    [item] = await rows(store, "SELECT id FROM outbox WHERE kind = 'publish'")
    await store.outbox.posted_album(item["id"], story_id, PUBLISH_CHAT, ["10", "11"])
    assert await store.outbox.published(item["id"], story_id, PUBLISH_CHAT, ["12"])

    event = await last_event(store, story_id)
    assert (event["action"], event["actor_id"], event["system"]) == ("publish", None, "publisher")
    assert event["details"] == {"messages": ["12"]}
    posts = await store.stories.posts(story_id)
    assert [(p.message_id, p.part) for p in posts] == [("10", "photo"), ("11", "photo"),
                                                       ("12", "text")]
    [params] = await rows(store, "SELECT params FROM outbox WHERE id = ?", item["id"])
    assert json.loads(str(params["params"])) == {"album_sent": True}
