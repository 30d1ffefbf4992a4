"""A reviewer corrects any field of a story from the card, with the checks of the report step;
each correction is audited with the old and new value and the reporter's original stays shown."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dialog import Dialog
from bot.storage import Storage
from tests.test_review_journey import LONG_XUYEN, TITLE, Town, populate, snapshot

PHU_QUOC = 31078


@pytest.fixture
async def town(dialog: Dialog) -> Town:
    return await populate(dialog)


async def _open(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.r1.picks("Sửa")


async def _story(storage: Storage) -> Any:
    story = await storage.stories.get(1)
    assert story is not None
    return story


async def test_the_reviewer_can_pick_every_field_of_the_story(town: Town) -> None:
    await _open(town)
    assert town.r1.options() == [
        "Loại", "Nội dung thi đua", "Địa bàn", "Người được nêu gương", "Vai trò, đơn vị",
        "Tiêu đề", "Mô tả", "Ngày", "Vị trí", "✅ Xong, về thẻ câu chuyện"]


async def test_the_commune_is_corrected_by_typing_it_and_the_card_keeps_the_original(
    town: Town,
) -> None:
    rp = town.rp  # the province's reviewer: Phú Quốc is theirs too
    await rp.says("/pending")
    await rp.picks("#1")
    await rp.picks("Sửa")
    await rp.picks("Địa bàn")
    assert "Việc này diễn ra ở xã, phường hay đặc khu nào?" in rp.text
    await rp.says("phu quoc")

    assert "📝 Đã sửa #1." in rp.text
    assert "Địa bàn: Đặc khu Phú Quốc" in rp.text
    assert "• Địa bàn: Phường Long Xuyên" in rp.text  # the reporter's original, on the card
    story = await _story(town.storage)
    assert (story.commune_code, story.original["commune_code"]) == (PHU_QUOC, LONG_XUYEN)
    [event] = [e for e in await town.storage.reviews.history(1) if e.action == "correct"]
    assert event.details["changes"] == [
        {"field": "commune_code", "old": LONG_XUYEN, "new": PHU_QUOC}]


async def test_kind_content_and_movement_are_corrected_with_their_keys(town: Town) -> None:
    await _open(town)
    await town.r1.picks("Nội dung thi đua")
    await town.r1.picks("Thực hiện có hiệu quả các phong trào thi đua trọng tâm")
    assert "Câu chuyện có thuộc phong trào nào dưới đây không?" in town.r1.text
    await town.r1.picks("Vì người nghèo")
    story = await _story(town.storage)
    assert (story.content, story.movement) == ("key_movements", "for_the_poor")
    assert "Phong trào: Vì người nghèo - Không để ai bị bỏ lại phía sau" in town.r1.text

    await town.r1.picks("Sửa")
    await town.r1.picks("Loại")
    await town.r1.picks("Mô hình hay, cách làm hay")
    assert (await _story(town.storage)).kind == "model_practice"
    assert (await _story(town.storage)).version == 3


async def test_a_bad_date_gets_the_report_steps_answer_and_nothing_changes(
    town: Town,
) -> None:
    await _open(town)
    await town.r1.picks("Ngày")
    before = await snapshot(town.storage)
    await town.r1.says("31/02/2025")
    assert "Mình chưa đọc được ngày này." in town.r1.text
    assert "Việc này diễn ra ngày nào?" in town.r1.text
    await town.r1.says("01/01/2999")
    assert "ở tương lai" in town.r1.text
    assert await snapshot(town.storage) == before
    await town.r1.says("1/9/2025")
    assert (await _story(town.storage)).event_date == "2025-09-01"


async def test_a_too_short_description_is_refused_as_in_the_report(town: Town) -> None:
    await _open(town)
    await town.r1.picks("Mô tả")
    before = await snapshot(town.storage)
    await town.r1.says("Ngắn quá")
    assert "Hơi ngắn quá: cần ít nhất 40 ký tự" in town.r1.text
    assert await snapshot(town.storage) == before


async def test_the_location_is_set_and_the_reviewers_still_see_it(town: Town) -> None:
    await _open(town)
    await town.r1.picks("Vị trí")
    await town.r1.says("10.3759, 105.4185")
    story = await _story(town.storage)
    assert (story.latitude, story.longitude) == (10.3759, 105.4185)
    assert "10.37590, 105.41850" in town.r1.text


async def test_cancel_returns_to_the_card_and_changes_nothing(town: Town) -> None:
    await _open(town)
    await town.r1.picks("Tiêu đề")
    before = await snapshot(town.storage)
    await town.r1.says("/cancel")
    assert f"#1 · {TITLE}" in town.r1.text
    assert "✅ Duyệt" in town.r1.options()
    assert await snapshot(town.storage) == before
    assert (await town.storage.dialogs.load("fake", "r1")).flow == ""  # type: ignore[union-attr]


async def test_a_photo_is_taken_out_and_the_album_before_is_kept(dialog: Any) -> None:
    town = await populate(dialog)
    story_id = 1
    await town.storage.db.write(
        "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, 0, 'ph-a'),"
        " (?, 1, 'ph-b')", (story_id, story_id))
    await _open(town)
    await town.r1.picks("Bỏ một ảnh")
    assert town.r1.replies[-1].photos == ("ph-a", "ph-b")
    await town.r1.picks("Bỏ ảnh 1/2")
    story = await _story(town.storage)
    assert story.photos == ["ph-b"]
    assert story.original["photos"] == ["ph-a", "ph-b"]


async def test_a_story_already_decided_cannot_be_corrected(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    card = town.r1.replies[-1]
    await town.r1.says("/approve 1")  # no channel: published in the gallery at once
    before = await snapshot(town.storage)
    town.r1.replies = [card]  # the old card, still on the reviewer's screen
    await town.r1.picks("Sửa")
    assert town.r1.text == (
        "Câu chuyện #1 đang ở trạng thái “📢 Đã đăng”, không thể làm việc này.")
    assert await snapshot(town.storage) == before


async def test_a_reviewer_whose_communes_changed_is_refused_and_nothing_changes(
    town: Town,
) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.storage.roles.revoke(town.reviewer.id)
    await town.storage.roles.grant(town.reviewer.id, "reviewer", (PHU_QUOC,))
    before = await snapshot(town.storage)
    await town.r1.picks("Sửa")
    assert town.r1.text == "Bạn không có quyền làm việc này với câu chuyện #1."
    assert await snapshot(town.storage) == before


# --- the reporter's amendment while changes are asked ------------------------------------------


async def _changes_asked(town: Town, photos: tuple[str, ...] = ()) -> None:
    for position, ref in enumerate(photos):
        await town.storage.db.write(
            "INSERT INTO story_photos (story_id, position, file_ref) VALUES (1, ?, ?)",
            (position, ref))
    await town.r1.says("/changes 1 Xin thêm ảnh lớp học bơi và số điện thoại để xác minh")
    await town.u1.says("/mystories")
    await town.u1.picks("Mở #1")
    await town.u1.picks("Sửa và gửi lại")


async def test_the_reporter_edits_every_field_adds_and_removes_photos_and_resends(
    town: Town,
) -> None:
    await _changes_asked(town, photos=("ph-a", "ph-b"))
    u1 = town.u1
    assert "Ghi chú của cán bộ thẩm định: Xin thêm ảnh lớp học bơi" in u1.text
    assert "Ảnh: 2 ảnh" in u1.text
    await u1.picks("Sửa")
    assert "Số điện thoại" in u1.options() and "Ảnh" in u1.options()
    await u1.picks("Ảnh")
    assert u1.replies[-1].photos == ("ph-a", "ph-b")
    await u1.picks("Bỏ ảnh 1/2")
    assert "Đã bỏ ảnh 1." in u1.text
    await u1.picks("Gửi thêm ảnh")
    await u1.photo("ph-c")
    await u1.picks("Xong")
    assert "Ảnh: 2 ảnh" in u1.text
    await u1.picks("Sửa")
    await u1.picks("Số điện thoại")
    await u1.says("0912345678")
    await u1.picks("Sửa")
    await u1.picks("Địa bàn")
    await u1.says("chau doc")
    before_send = await _story(town.storage)
    assert before_send.photos == ["ph-a", "ph-b"]  # nothing changes until it is sent

    await u1.picks("Gửi lại để duyệt")

    assert u1.text.startswith("📨 Đã gửi lại #1.")
    story = await _story(town.storage)
    assert story.status == "pending"
    assert story.photos == ["ph-b", "ph-c"]
    assert story.reporter_phone == "0912345678"
    assert story.commune_code != LONG_XUYEN
    [amend] = [e for e in await town.storage.reviews.history(1) if e.action == "amend"]
    fields = {c["field"] for c in amend.details["changes"]}
    assert fields == {"reporter_phone", "commune_code"}


async def test_dropping_the_amendment_leaves_the_story_as_it_was(town: Town) -> None:
    await _changes_asked(town)
    await town.u1.picks("Sửa")
    await town.u1.picks("Tiêu đề")
    await town.u1.says("Một tiêu đề khác hẳn")
    before = await snapshot(town.storage)
    await town.u1.picks("Hủy")
    await town.u1.picks("Hủy câu chuyện")
    assert "Đã bỏ các thay đổi. Câu chuyện #1 vẫn giữ như cũ" in town.u1.text
    assert await snapshot(town.storage) == before
    assert (await _story(town.storage)).status == "needs_changes"


async def test_a_story_decided_while_being_amended_is_not_changed(town: Town) -> None:
    await _changes_asked(town)
    await town.u1.picks("Sửa")
    await town.u1.picks("Tiêu đề")
    await town.u1.says("Một tiêu đề khác hẳn")
    await town.r1.says("/reject 1 Trùng với câu chuyện khác")
    before = await snapshot(town.storage)
    await town.u1.picks("Gửi lại để duyệt")
    assert "Chỉ sửa được câu chuyện đang ở trạng thái “Cần bổ sung”." in town.u1.text
    assert await snapshot(town.storage) == before
