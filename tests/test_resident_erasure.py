"""A resident an officer filed for has no account to send /deleteme from: at their request the
officer who filed the story, a reviewer of its commune or an admin erases their data with
/eraseresident, after a confirmation that says what will become of the story."""

from __future__ import annotations

import json

from bot.cards import post_card, public_card
from bot.content import catalogue, load_library
from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat
from tests.test_officer_dialog import (
    SAU,
    SAU_PHONE,
    officer_of_long_xuyen,
    resident_questions,
    the_report,
)
from tests.test_review_journey import join, report, staff

LONG_XUYEN, PHU_QUOC = 30307, 31078
CONFIRM = "🗑 Xóa thông tin người dân"


async def _resident_fields(storage: Storage, story_id: int = 1) -> tuple[object, ...]:
    row = await storage.db.fetchone(
        "SELECT resident_name, resident_contact, resident_consent_at, resident_is, resident_shown,"
        " status FROM stories WHERE id = ?", (story_id,))
    assert row is not None
    return tuple(row)


async def filed_for_resident(dialog: Dialog) -> FakeChat:
    """Chi, the officer of Long Xuyên, has filed story #1 for Bà Sáu (who told it, agreed and
    may be named); Chi's chat, at the end of the report."""
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi)
    await the_report(chi)
    return chi


async def test_the_officer_erases_a_residents_data_and_the_undecided_story_is_withdrawn(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await filed_for_resident(dialog)

    await chi.says("/eraseresident 1")
    assert chi.text.startswith(f"Xóa thông tin của người dân {SAU} khỏi câu chuyện #1?")
    assert "Câu chuyện chưa được duyệt nên sẽ được rút lại, ảnh cũng bị xóa." in chi.text
    assert chi.options() == [CONFIRM, "Không, giữ nguyên"]
    await chi.picks(CONFIRM)

    assert chi.text.startswith("✅ Đã xóa thông tin của người dân khỏi câu chuyện #1. Câu chuyện"
                               " chưa được duyệt nên đã được rút lại.")
    assert await _resident_fields(storage) == (None, None, None, None, 0, "withdrawn")
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await admin.says("/audit")
    assert ("Phạm Thị Chi (fake:o1): xóa thông tin người dân khỏi câu chuyện #1 (câu chuyện chưa"
            " duyệt được rút lại)") in admin.text
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(reviewer, "reviewer", (LONG_XUYEN,))
    await reviewer.says("/story 1")
    assert SAU not in reviewer.text and SAU_PHONE not in reviewer.text


async def test_keeping_changes_nothing_and_a_second_try_finds_nothing_to_erase(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await filed_for_resident(dialog)
    before = await _resident_fields(storage)
    await chi.says("/eraseresident 1")
    await chi.picks("Không, giữ nguyên")
    assert chi.text.startswith("Đã giữ nguyên câu chuyện #1.")
    assert await _resident_fields(storage) == before

    await chi.says("/eraseresident #1")
    await chi.picks(CONFIRM)
    await chi.says("/eraseresident 1")
    assert chi.text == ("Câu chuyện #1 không được kể thay người dân nào, nên không có thông tin"
                        " người dân để xóa.")


async def test_a_published_story_stays_and_its_post_is_rewritten_without_the_residents_name(
    dialog: Dialog, storage: Storage
) -> None:
    await filed_for_resident(dialog)  # Bà Sáu told it and agreed to be named
    await storage.db.write("UPDATE stories SET status = 'published',"
                           " published_at = '2025-09-05T08:00:00+07:00' WHERE id = 1")
    await storage.db.write("INSERT INTO story_posts (story_id, chat_id, message_id, part,"
                           " posted_at) VALUES (1, '-100777', '55', 'text', '2025-09-05')")
    campaigns = load_library(None).campaigns
    before = await storage.stories.get(1)
    assert before is not None and f"Người kể: {SAU}" in post_card(before, catalogue("vi"), 91,
                                                                   campaigns)
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await admin.says("/eraseresident 1")
    assert "Câu chuyện đã được duyệt nên vẫn được giữ, không còn ghi tên họ" in admin.text
    await admin.picks(CONFIRM)

    assert admin.text.startswith("✅ Đã xóa thông tin của người dân khỏi câu chuyện #1.")
    assert await _resident_fields(storage) == (None, None, None, None, 0, "published")
    story = await storage.stories.get(1)
    assert story is not None
    assert SAU not in post_card(story, catalogue("vi"), 91, campaigns)
    assert SAU not in public_card(story, catalogue("vi"), 91, campaigns)
    [retract] = await storage.db.fetchall(
        "SELECT chat_id, params FROM outbox WHERE kind = 'retract' AND story_id = 1")
    assert retract["chat_id"] == "-100777" and json.loads(retract["params"])["mode"] == "redact"


async def test_an_honoree_is_told_their_name_stays_in_an_approved_story(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi, role="Người được nêu gương", shown=None)
    await the_report(chi, honoree=False)
    await storage.db.write("UPDATE stories SET status = 'approved' WHERE id = 1")
    await chi.says("/eraseresident 1")
    assert "Lưu ý: họ là người được nêu gương, nên tên họ vẫn nằm trong nội dung" in chi.text
    await chi.picks(CONFIRM)
    assert "/unpublish 1 &lt;lý do&gt;" not in chi.text  # shown as text, not markup
    assert "/unpublish 1 <lý do> (quản trị viên)" in chi.text
    story = await storage.stories.get(1)
    assert story is not None and story.status == "approved" and story.honoree_name == SAU
    assert (story.resident_name, story.resident_contact) == (None, None)


async def test_only_the_filer_a_reviewer_of_the_commune_or_an_admin_may(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await filed_for_resident(dialog)
    before = await _resident_fields(storage)

    citizen = FakeChat(dialog, "u9", name="Trần Văn Đọc")
    await join(citizen)
    await citizen.says("/eraseresident 1")
    assert citizen.text == ("Lệnh này dành cho cán bộ xã, cán bộ thẩm định và quản trị viên. Muốn"
                            " xóa dữ liệu của chính bạn: gõ /deleteme.")
    far = FakeChat(dialog, "r2", name="Reviewer Phú Quốc")
    await staff(far, "reviewer", (PHU_QUOC,))
    await far.says("/eraseresident 1")
    assert far.text == ("Chỉ cán bộ đã kể thay, cán bộ thẩm định của xã đó hoặc quản trị viên"
                        " mới xóa được thông tin người dân của câu chuyện #1.")
    other = FakeChat(dialog, "o2", name="Cán Bộ Khác")
    await staff(other, "officer", (LONG_XUYEN,))
    await other.says("/eraseresident 1")
    assert other.text.startswith("Chỉ cán bộ đã kể thay")

    # The confirmation is checked again at the press: Chi loses her role meanwhile.
    await chi.says("/eraseresident 1")
    person = await storage.people.find("fake", "o1")
    assert person is not None
    await storage.roles.revoke(person.id)
    await chi.picks(CONFIRM)
    assert chi.text.startswith("Chỉ cán bộ đã kể thay")
    assert await _resident_fields(storage) == before

    near = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(near, "reviewer", (LONG_XUYEN,))
    for bad in ("/eraseresident", "/eraseresident abc", "/eraseresident 1 2"):
        await near.says(bad)
        assert near.text.startswith("Cách dùng: /eraseresident <số câu chuyện>"), bad
    await near.says("/eraseresident 99")
    assert near.text == "Không có câu chuyện #99."
    await report(near)  # the reviewer's own story names no resident
    await near.says("/eraseresident 2")
    assert near.text.startswith("Câu chuyện #2 không được kể thay người dân nào")
