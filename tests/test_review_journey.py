"""Review journeys through the real dialog core: residents, reviewers and an admin in one town.

Everyone talks on a channel without buttons (FakeChat): they type commands and option numbers,
and read what the bot answers. The admin is bootstrapped from ADMIN_IDS (Telegram id 9001).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import Person, Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, file_report

LONG_XUYEN, PHU_QUOC = 30307, 31078
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"

NOT_REVIEWER = "Lệnh này chỉ dành cho cán bộ thẩm định."
NOT_ADMIN = "Lệnh này chỉ dành cho quản trị viên."
NOT_YOURS_1 = "Bạn không có quyền làm việc này với câu chuyện #1."
QUEUE_EMPTY = "Không có câu chuyện nào đang chờ duyệt. 🎉"
YOU_ARE_BANNED = ("Xin lỗi, tài khoản của bạn hiện không thể gửi câu chuyện. Nếu có thắc mắc, "
                  "vui lòng liên hệ Ban Thi đua - Khen thưởng.")
REPORT_INTRO = "Cảm ơn bạn! Mình sẽ hỏi từng bước ngắn."


def approved_line(story_id: int) -> str:
    """The reviewer's answer to an approval: with no channel, the story is in the gallery."""
    return f"✅ Đã duyệt #{story_id}; câu chuyện đã được đăng trong mục Gương sáng (/stories)."


# --- the people of the town ---------------------------------------------------------------------


async def join(chat: FakeChat) -> Person:
    """/start and agree to the privacy notice; the person as stored."""
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    found = await chat.dialog.storage.people.find(chat.channel, chat.user_id)
    assert found is not None
    return found


async def staff(chat: FakeChat, role: str, communes: tuple[int, ...]) -> Person:
    found = await join(chat)
    await chat.dialog.storage.roles.grant(found.id, role, communes)
    return found


async def report(chat: FakeChat, title: str = TITLE, commune: str = "long xuyen",
                 kind: str = "Gương người tốt, việc tốt") -> str:
    """A consenting person files one more story (staff: their own); what the bot said last."""
    await chat.says("/report")
    if "🙋 Kể chuyện của tôi" in chat.options():  # staff are asked whose story it is
        await chat.picks("Kể chuyện của tôi")
    await chat.picks(kind)
    await chat.picks("Chấp hành tốt chủ trương")
    await chat.says(commune)
    await chat.says("Nguyễn Văn An")
    await chat.says("nông dân ấp Mỹ Thạnh")
    await chat.says(title)
    await chat.says(GOOD_DESCRIPTION)
    await chat.says("02/09/2025")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Không, giấu tên tôi")
    await chat.picks("Gửi")
    return chat.text


@dataclass
class Town:
    storage: Storage
    u1: FakeChat  # a resident of Long Xuyên, reporter of #1
    r1: FakeChat  # reviewer of Phường Long Xuyên
    r2: FakeChat  # reviewer of Đặc khu Phú Quốc
    rp: FakeChat  # reviewer of the whole province
    admin: FakeChat  # Telegram id 9001, an admin from ADMIN_IDS
    reporter: Person
    reviewer: Person


async def populate(dialog: Dialog) -> Town:
    u1 = FakeChat(dialog, "u1")
    r1 = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    r2 = FakeChat(dialog, "r2", name="Huỳnh Văn Đảo")
    rp = FakeChat(dialog, "rp", name="Võ Thị Tỉnh")
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    reviewer = await staff(r1, "reviewer", (LONG_XUYEN,))
    await staff(r2, "reviewer", (PHU_QUOC,))
    await staff(rp, "reviewer", (0,))
    await join(admin)
    said = await file_report(u1)
    assert "Câu chuyện của bạn là #1." in said
    reporter = await dialog.storage.people.find("fake", "u1")
    assert reporter is not None
    return Town(dialog.storage, u1, r1, r2, rp, admin, reporter, reviewer)


@pytest.fixture
async def town(dialog: Dialog) -> Town:
    return await populate(dialog)


async def snapshot(storage: Storage) -> dict[str, list[tuple[Any, ...]]]:
    """Everything a review action or a role change could touch."""
    queries = {
        "stories": "SELECT id, status, version, title, description, review_note, original_title"
                   " FROM stories ORDER BY id",
        "people": "SELECT id, role, banned_at, ban_reason FROM people ORDER BY id",
        "scopes": "SELECT person_id, commune_code FROM reviewer_scopes ORDER BY 1, 2",
        "events": "SELECT id, action FROM story_events ORDER BY id",
        "outbox": "SELECT id, kind, template, person_id FROM outbox ORDER BY id",
    }
    return {name: [tuple(r) for r in await storage.db.fetchall(sql)]
            for name, sql in queries.items()}


async def story(storage: Storage, story_id: int = 1) -> Any:
    found = await storage.stories.get(story_id)
    assert found is not None
    return found


async def outbox(storage: Storage, template: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await storage.db.fetchall(
        "SELECT * FROM outbox WHERE template = ? ORDER BY id", (template,))]


# --- who may do what ----------------------------------------------------------------------------

STAFF_COMMANDS = [
    ("/pending", NOT_REVIEWER),
    ("/pending long xuyen", NOT_REVIEWER),
    ("/approve 1", NOT_REVIEWER),
    ("/approve 1 2 3", NOT_REVIEWER),
    ("/reject 1 lý do", NOT_REVIEWER),
    ("/changes 1 ghi chú", NOT_REVIEWER),
    ("/history 1", NOT_REVIEWER),
]
ADMIN_COMMANDS = [
    ("/publish 1", NOT_ADMIN),
    ("/grant fake:u1 admin", NOT_ADMIN),
    ("/grant fake:u1 reviewer all", NOT_ADMIN),
    ("/grant 9001 reviewer long_xuyen", NOT_ADMIN),
    ("/revoke fake:r1", NOT_ADMIN),
    ("/revoke 9001", NOT_ADMIN),
    ("/reviewers", NOT_ADMIN),
    ("/ban fake:r1 không thích", NOT_ADMIN),
    ("/unban fake:u1", NOT_ADMIN),
]


@pytest.mark.parametrize(("command", "refusal"), STAFF_COMMANDS + ADMIN_COMMANDS)
async def test_a_citizen_is_refused_every_reviewer_and_admin_command(
    town: Town, command: str, refusal: str
) -> None:
    before = await snapshot(town.storage)

    await town.u1.says(command)

    assert town.u1.text == refusal
    assert await snapshot(town.storage) == before
    assert (await story(town.storage)).status == "pending"


@pytest.mark.parametrize(("command", "refusal"), ADMIN_COMMANDS)
async def test_a_reviewer_is_refused_every_admin_command(
    town: Town, command: str, refusal: str
) -> None:
    before = await snapshot(town.storage)
    await town.r1.says(command)
    assert town.r1.text == refusal
    assert await snapshot(town.storage) == before


async def test_a_banned_citizen_cannot_unban_themselves(town: Town) -> None:
    await town.admin.says("/ban fake:u1")
    before = await snapshot(town.storage)
    await town.u1.says("/unban fake:u1")
    assert town.u1.text == NOT_ADMIN
    assert await snapshot(town.storage) == before
    assert await town.storage.roles.is_banned(town.reporter.id)


async def test_a_reviewer_of_another_commune_neither_sees_nor_acts_on_the_story(
    town: Town,
) -> None:
    before = await snapshot(town.storage)

    await town.r2.says("/pending")
    assert town.r2.text == QUEUE_EMPTY
    assert town.r2.options() == []
    await town.r2.says("/approve 1")
    assert town.r2.text == NOT_YOURS_1
    await town.r2.says("/reject 1 không xác minh được")
    assert town.r2.text == NOT_YOURS_1
    await town.r2.says("/changes 1 cần thêm ảnh")
    assert town.r2.text == NOT_YOURS_1
    await town.r2.says("/history 1")
    assert town.r2.text == NOT_YOURS_1
    await town.r2.says("/story 1")
    assert town.r2.text == "Câu chuyện #1 chưa được đăng."

    assert await snapshot(town.storage) == before


async def test_a_reviewer_cannot_approve_their_own_story(town: Town) -> None:
    said = await report(town.r1, title="Bà con góp tiền làm đường")
    assert "#2" in said
    await town.r1.says("/approve 2")
    assert town.r1.text == "Bạn không thể tự duyệt câu chuyện của chính mình (#2)."
    assert (await story(town.storage, 2)).status == "pending"
    await town.rp.says("/approve 2")
    assert town.rp.text == approved_line(2)


# --- /approve, line by line ---------------------------------------------------------------------


async def test_approve_explains_a_missing_a_bad_an_unknown_and_a_done_id(town: Town) -> None:
    r1 = town.r1
    await r1.says("/approve")
    assert r1.text == "Cách dùng: /approve <số> [<số> …], ví dụ /approve 12 13"
    await r1.says("/approve abc")
    assert r1.text == "“abc” không phải số câu chuyện."
    await r1.says("/approve 99")
    assert r1.text == "Không có câu chuyện #99."
    assert (await story(town.storage)).status == "pending"

    await r1.says("/approve #1")
    assert r1.text == approved_line(1)
    await r1.says("/approve 1")
    assert r1.text == "Câu chuyện #1 đang ở trạng thái “📢 Đã đăng”, không thể làm việc này."
    approved = await story(town.storage)
    assert (approved.status, approved.version) == ("published", 3)


async def test_approve_several_ids_answers_one_line_per_id(town: Town) -> None:
    assert "#2" in await report(town.u1, title="Cô giáo dạy bơi miễn phí")

    await town.r1.says("/approve 1 2 abc 99")

    assert town.r1.text.split("\n") == [
        approved_line(1),
        approved_line(2),
        "“abc” không phải số câu chuyện.",
        "Không có câu chuyện #99.",
    ]
    assert (await story(town.storage, 1)).status == "published"
    assert (await story(town.storage, 2)).status == "published"


async def test_reject_and_changes_need_an_id_and_words(town: Town) -> None:
    await town.r1.says("/reject 1")
    assert town.r1.text == "Cách dùng: /reject <số> <lý do>"
    await town.r1.says("/changes")
    assert town.r1.text == "Cách dùng: /changes <số> <nội dung cần bổ sung>"
    await town.r1.says("/reject x1 trùng lặp")
    assert town.r1.text == "“x1” không phải số câu chuyện."
    await town.r1.says("/changes 1 ừ")
    assert town.r1.text == "Ghi chú cần từ 3 đến 500 ký tự."
    assert (await story(town.storage)).status == "pending"
    await town.r1.says("/reject 1 Trùng với câu chuyện #7")
    assert town.r1.text == "❌ Đã từ chối #1."
    assert (await story(town.storage)).review_note == "Trùng với câu chuyện #7"


# --- the review card ----------------------------------------------------------------------------


async def test_changes_are_asked_made_resubmitted_and_then_approved(town: Town) -> None:
    r1, u1, storage = town.r1, town.u1, town.storage
    await r1.says("/pending")
    assert "Đang chờ duyệt: 1" in r1.text
    await r1.picks("#1 · Sửa cầu khỉ")
    assert "Người gửi: Trần Thị Bình (fake)" in r1.text
    await r1.picks("Yêu cầu bổ sung")
    assert r1.text == "Cần người gửi bổ sung gì cho #1? Gõ ghi chú (tối đa 500 ký tự)."
    await r1.says("Xin ghi rõ tên kênh và thời gian sửa cầu")
    assert "✏️ Đã yêu cầu bổ sung #1." in r1.text
    asked = await story(storage)
    assert asked.status == "needs_changes"
    assert asked.review_note == "Xin ghi rõ tên kênh và thời gian sửa cầu"
    [notice] = await outbox(storage, "notify.needs_changes")
    assert (notice["person_id"], notice["chat_id"]) == (town.reporter.id, "u1")

    await u1.says("/mystories")
    assert "✏️ Cần bổ sung" in u1.text
    await u1.picks("Mở #1")
    assert "Ghi chú thẩm định: Xin ghi rõ tên kênh và thời gian sửa cầu" in u1.text
    await u1.picks("Sửa và gửi lại")
    assert u1.text.startswith("Sửa câu chuyện #1\nGhi chú của cán bộ thẩm định: Xin ghi rõ")
    assert "phần mô tả sẽ được đăng công khai; số điện thoại thì không bao giờ công khai" in (
        u1.text)
    assert f"Tiêu đề: {TITLE}" in u1.text  # the whole summary, every field
    await u1.picks("Sửa")
    await u1.picks("Tiêu đề")
    await u1.says("Sửa cầu khỉ kênh Xáng tháng 9/2025")
    assert "Tiêu đề: Sửa cầu khỉ kênh Xáng tháng 9/2025" in u1.text
    await u1.picks("Sửa")
    await u1.picks("Số điện thoại")
    await u1.says("0912 345 678")
    assert "Số điện thoại: 0912345678" in u1.text
    await u1.picks("Gửi lại để duyệt")
    assert u1.text.startswith("📨 Đã gửi lại #1. Ban Thi đua sẽ xem xét lại.")

    again = await story(storage)
    assert again.status == "pending"
    assert again.title == "Sửa cầu khỉ kênh Xáng tháng 9/2025"
    assert again.reporter_phone == "0912345678"
    assert again.version > asked.version
    assert sorted(n["person_id"] for n in await outbox(storage, "notify.resubmitted")) == sorted(
        p.id for p in await reviewers_of_long_xuyen(storage))

    await r1.says("/pending")
    await r1.picks("#1 · Sửa cầu khỉ kênh Xáng")
    await r1.picks("Duyệt")
    assert approved_line(1) in r1.text
    assert (await story(storage)).status == "published"
    told = await outbox(storage, "notify.in_gallery")
    assert [n["person_id"] for n in told] == [town.reporter.id]

    await r1.says("/history 1")
    lines = r1.text.split("\n")
    assert lines[0] == "Lịch sử #1"
    # The reporter's own edit of the title is audited too, between the request and the resubmit.
    assert [line.split(": ", 1)[1].split(" (")[0] for line in lines[1:]] == [
        "gửi", "yêu cầu bổ sung", "người gửi sửa", "gửi lại", "duyệt", "đăng"]
    assert "— Lê Văn Duyệt: duyệt (⏳ Đang chờ duyệt → ✅ Đã duyệt)" in lines[-2]
    assert "— hệ thống (đăng bài): đăng (✅ Đã duyệt → 📢 Đã đăng)" in lines[-1]


async def reviewers_of_long_xuyen(storage: Storage) -> list[Person]:
    """Who is told about Long Xuyên's stories: its reviewers, the province's, the admins."""
    return [line.person for line in await storage.roles.reviewers()
            if line.person.role == "admin" or {0, LONG_XUYEN} & set(line.communes)]


async def test_a_reviewer_rejects_with_a_listed_reason(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.r1.picks("Từ chối")
    assert town.r1.text == "Vì sao từ chối #1? Chọn một lý do hoặc gõ lý do khác."
    await town.r1.picks("Không xác minh được thông tin")
    assert "❌ Đã từ chối #1." in town.r1.text

    rejected = await story(town.storage)
    assert rejected.status == "rejected"
    assert rejected.review_note == "Không xác minh được thông tin"
    [event] = [e for e in await town.storage.reviews.history(1) if e.action == "reject"]
    assert (event.actor_id, event.note) == (town.reviewer.id, "Không xác minh được thông tin")


async def test_a_reviewer_corrects_the_title_and_the_reporters_text_is_kept(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.r1.picks("Sửa")
    assert town.r1.text.startswith("Sửa mục nào của #1?")
    await town.r1.picks("Tiêu đề")
    assert town.r1.text.startswith("Đặt một tiêu đề ngắn cho câu chuyện (tối đa 120 ký tự).")
    await town.r1.says("Ông Nguyễn Văn An sửa cầu khỉ ấp Mỹ Thạnh")
    assert "📝 Đã sửa #1. Bản gốc của người gửi vẫn được lưu." in town.r1.text
    assert "Bản gốc của người gửi (trước khi cán bộ sửa):" in town.r1.text
    assert f"• Tiêu đề: {TITLE}" in town.r1.text

    corrected = await story(town.storage)
    assert corrected.title == "Ông Nguyễn Văn An sửa cầu khỉ ấp Mỹ Thạnh"
    assert corrected.original_title == TITLE
    assert corrected.description == GOOD_DESCRIPTION
    assert corrected.status == "pending"
    assert corrected.version == 2


async def test_a_button_pressed_after_the_role_was_revoked_does_nothing(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    assert "✅ Duyệt" in town.r1.options()
    before = await snapshot(town.storage)

    await town.admin.says("/revoke fake:r1")
    assert town.admin.text == ("Đã thu hồi quyền của Lê Văn Duyệt (fake:r1).\nTrước: thẩm định"
                               " — Phường Long Xuyên.\nNay: người dân.")
    after_revoke = await snapshot(town.storage)
    await town.r1.picks("Duyệt")

    assert town.r1.text == NOT_REVIEWER
    assert await snapshot(town.storage) == after_revoke
    assert after_revoke["stories"] == before["stories"]
    assert after_revoke["events"] == before["events"]


async def test_a_button_pressed_after_the_scope_moved_elsewhere_does_nothing(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.admin.says("/grant fake:r1 reviewer phu_quoc")  # grants add
    assert town.admin.text == (
        "Đã giao Lê Văn Duyệt (fake:r1) thẩm định: Đặc khu Phú Quốc.\nTrước: thẩm định — Phường"
        " Long Xuyên.\nNay: thẩm định — Phường Long Xuyên, Đặc khu Phú Quốc.")
    await town.admin.says("/revoke fake:r1 long xuyen")
    assert town.admin.text == (
        "Đã thôi giao Lê Văn Duyệt (fake:r1) thẩm định: Phường Long Xuyên.\nTrước: thẩm định —"
        " Phường Long Xuyên, Đặc khu Phú Quốc.\nNay: thẩm định — Đặc khu Phú Quốc.")
    before = await snapshot(town.storage)

    await town.r1.picks("Duyệt")

    assert town.r1.text == NOT_YOURS_1
    assert await snapshot(town.storage) == before


async def test_a_note_typed_after_the_role_was_granted_and_revoked_does_nothing(
    town: Town,
) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.r1.picks("Yêu cầu bổ sung")
    await town.admin.says("/grant fake:r1 reviewer all")
    await town.admin.says("/revoke fake:r1")
    before = await snapshot(town.storage)

    await town.r1.says("Xin thêm ảnh cây cầu")

    assert town.r1.text == NOT_REVIEWER
    assert await snapshot(town.storage) == before
    assert (await story(town.storage)).status == "pending"


async def test_a_card_acted_on_by_someone_else_meanwhile_changes_nothing(town: Town) -> None:
    await town.r1.says("/pending")
    await town.r1.picks("#1")
    await town.r1.picks("Từ chối")
    await town.rp.says("/approve 1")
    assert town.rp.text == approved_line(1)

    await town.r1.picks("Trùng với câu chuyện đã có")

    assert town.r1.text == (
        "Câu chuyện #1 vừa được người khác xử lý (hiện: 📢 Đã đăng). Không có gì thay đổi.")
    approved = await story(town.storage)
    assert (approved.status, approved.review_note) == ("published", None)


# --- roles --------------------------------------------------------------------------------------


async def test_the_admin_grants_by_username_and_by_telegram_id_and_lists_reviewers(
    town: Town,
) -> None:
    people, roles = town.storage.people, town.storage.roles
    nam = await people.get_or_create("telegram", "555", "vi")
    await people.set_consent(nam, True, "Phạm Văn Năm", "nam_tham_dinh")
    sau = await people.get_or_create("telegram", "556", "vi")
    await people.set_consent(sau, True, "Đỗ Thị Sáu", None)

    await town.admin.says("/grant @Nam_Tham_Dinh reviewer long_xuyen phu_quoc")
    assert town.admin.text == (
        "Đã giao Phạm Văn Năm (@nam_tham_dinh) thẩm định: Phường Long Xuyên, Đặc khu Phú Quốc."
        "\nTrước: người dân.\nNay: thẩm định — Phường Long Xuyên, Đặc khu Phú Quốc.")
    await town.admin.says("/grant 556 reviewer all")
    assert town.admin.text == ("Đã giao Đỗ Thị Sáu (telegram:556) thẩm định: toàn tỉnh."
                               "\nTrước: người dân.\nNay: thẩm định — toàn tỉnh.")
    await town.admin.says("/grant @khong_co_ai reviewer")
    assert town.admin.text == (
        "Không tìm thấy người dùng “@khong_co_ai”. Hãy dùng @tên, mã số Telegram hoặc kênh:mã"
        " (ví dụ console:lan, zalo:123) của người đã nhắn tin cho bot.")

    assert (await people.get(nam.id)).role == "reviewer"  # type: ignore[union-attr]
    assert await roles.scopes(nam.id) == {LONG_XUYEN, PHU_QUOC}
    assert await roles.scopes(sau.id) == {0}

    await town.admin.says("/reviewers")
    lines = town.admin.text.split("\n")
    assert lines[0] == "Người thẩm định và quản trị"
    assert set(lines[1:]) == {
        "• Quản Trị Viên (telegram:9001) — quản trị viên: toàn tỉnh",
        "• Lê Văn Duyệt (fake:r1) — thẩm định: Phường Long Xuyên",
        "• Huỳnh Văn Đảo (fake:r2) — thẩm định: Đặc khu Phú Quốc",
        "• Võ Thị Tỉnh (fake:rp) — thẩm định: toàn tỉnh",
        "• Phạm Văn Năm (@nam_tham_dinh) — thẩm định: Phường Long Xuyên, Đặc khu Phú Quốc",
        "• Đỗ Thị Sáu (telegram:556) — thẩm định: toàn tỉnh",
    }
    assert lines[1].startswith("• Quản Trị Viên")  # admins first

    # The new reviewer, on Telegram, now sees Long Xuyên's story.
    nam_chat = FakeChat(town.u1.dialog, "555", name="Phạm Văn Năm", channel="telegram",
                        username="nam_tham_dinh")
    await nam_chat.says("/pending")
    assert nam_chat.options() == [f"#1 · {TITLE}"]

    await town.admin.says("/revoke @nam_tham_dinh")
    assert town.admin.text == (
        "Đã thu hồi quyền của Phạm Văn Năm (@nam_tham_dinh).\nTrước: thẩm định — Phường Long"
        " Xuyên, Đặc khu Phú Quốc.\nNay: người dân.")
    assert await roles.scopes(nam.id) == frozenset()
    await nam_chat.says("/pending")
    assert nam_chat.text == NOT_REVIEWER
    await town.admin.says("/reviewers")
    assert "Phạm Văn Năm" not in town.admin.text


async def test_the_admin_grants_admin_rights_and_the_new_admin_may_administer(
    town: Town,
) -> None:
    await town.admin.says("/grant fake:rp admin")
    assert town.admin.text == ("Đã giao Võ Thị Tỉnh (fake:rp) quyền quản trị viên.\nTrước: thẩm"
                               " định — toàn tỉnh.\nNay: quản trị viên — toàn tỉnh.")
    await town.rp.says("/ban fake:u1")
    assert town.rp.text == (
        "Đã tạm khóa Trần Thị Bình (fake:u1). Người này không thể gửi câu chuyện.")


async def test_a_ban_stops_reports_and_resubmission_until_unbanned(town: Town) -> None:
    u1, storage = town.u1, town.storage
    await town.r1.says("/changes 1 Xin thêm ảnh cây cầu")
    assert town.r1.text == "✏️ Đã yêu cầu bổ sung #1."

    await town.admin.says("/ban fake:u1 gửi tin rác")
    assert town.admin.text == (
        "Đã tạm khóa Trần Thị Bình (fake:u1). Người này không thể gửi câu chuyện.")
    banned = await storage.db.fetchone(
        "SELECT banned_at, ban_reason FROM people WHERE id = ?", (town.reporter.id,))
    assert banned is not None and banned["banned_at"] and banned["ban_reason"] == "gửi tin rác"

    await u1.says("/report")
    assert u1.text == YOU_ARE_BANNED
    await u1.says("/mystories")
    await u1.picks("Mở #1")
    await u1.picks("Gửi lại để duyệt")
    assert u1.text == "Tài khoản của bạn đang bị tạm khóa gửi câu chuyện."
    assert (await story(storage)).status == "needs_changes"
    assert await storage.stories.count_by_reporter(town.reporter.id) == 1

    await town.admin.says("/unban fake:u1")
    assert town.admin.text == "Đã mở khóa Trần Thị Bình (fake:u1)."
    await u1.says("/report")
    assert REPORT_INTRO in u1.text
    await u1.says("/cancel")
    await u1.says("/mystories")
    await u1.picks("Mở #1")
    await u1.picks("Gửi lại để duyệt")
    assert u1.text == "📨 Đã gửi lại #1. Ban Thi đua sẽ xem xét lại."
    assert (await story(storage)).status == "pending"


async def test_a_ban_while_a_report_is_open_stops_it_at_the_last_step(town: Town) -> None:
    u1 = town.u1
    await u1.says("/report")
    for step in ("Gương người tốt, việc tốt", "Chấp hành tốt chủ trương"):
        await u1.picks(step)
    for typed in ("long xuyen", "Nguyễn Văn An", "nông dân", "Cầu mới", GOOD_DESCRIPTION,
                  "02/09/2025"):
        await u1.says(typed)
    for step in ("Bỏ qua", "Bỏ qua", "Bỏ qua", "Không, giấu tên tôi"):
        await u1.picks(step)
    await town.admin.says("/ban fake:u1")

    await u1.picks("Gửi")

    assert u1.text == YOU_ARE_BANNED
    assert await town.storage.stories.count_by_reporter(town.reporter.id) == 1


# --- the daily limit ----------------------------------------------------------------------------


async def test_the_third_report_in_a_day_is_refused_when_the_limit_is_two(
    storage: Storage, settings: Settings
) -> None:
    limited = Dialog(storage, settings.model_copy(update={"reports_per_day": 2}))
    u1 = FakeChat(limited, "u1")
    assert "#1" in await file_report(u1)
    assert "#2" in await report(u1, title="Cô giáo dạy bơi miễn phí")

    await u1.says("/report")

    assert u1.text == (
        "Bạn đã gửi 2 câu chuyện trong 24 giờ qua — mức tối đa mỗi ngày. Hẹn bạn ngày mai nhé!")
    assert await storage.stories.count_by_reporter(1) == 2

    neighbour = FakeChat(limited, "u2", name="Ngô Văn Hai")
    await join(neighbour)
    await neighbour.says("/report")
    assert REPORT_INTRO in neighbour.text

    u1.now = datetime.now(UTC) + timedelta(hours=25)
    await u1.says("/report")
    assert REPORT_INTRO in u1.text


# --- two review levels --------------------------------------------------------------------------


@pytest.fixture
async def two_levels(settings: Settings, tmp_path: Path) -> AsyncIterator[Dialog]:
    path = tmp_path / "two-levels.sqlite3"
    store = await open_storage(path, review_levels=2)
    yield Dialog(store, settings.model_copy(update={"review_levels": 2, "database_path": path}))
    await store.close()


async def test_with_two_levels_the_commune_recommends_and_an_admin_approves(
    two_levels: Dialog,
) -> None:
    town = await populate(two_levels)
    storage = town.storage
    admin = await storage.people.find("telegram", "9001")
    assert admin is not None and admin.role == "admin"

    await town.r1.says("/pending")
    await town.r1.picks("#1")
    assert "📤 Đề nghị" in town.r1.options()
    assert "✅ Duyệt" not in town.r1.options()
    await town.r1.picks("Đề nghị")
    assert "📤 Đã đề nghị #1 lên cấp tỉnh." in town.r1.text
    recommended = await story(storage)
    assert recommended.status == "recommended"
    assert [n["person_id"] for n in await outbox(storage, "notify.recommended")] == [admin.id]

    await town.r1.says("/approve 1")
    assert town.r1.text == "Câu chuyện #1 đã được đề nghị; cần quản trị viên cấp tỉnh duyệt."
    await town.rp.says("/approve 1")
    assert town.rp.text == "Câu chuyện #1 đã được đề nghị; cần quản trị viên cấp tỉnh duyệt."
    assert (await story(storage)).status == "recommended"

    await town.admin.says("/pending")
    assert "📤 Đã đề nghị lên cấp tỉnh" not in town.admin.text  # the list shows titles only
    await town.admin.picks("#1")
    assert "📤 Đã đề nghị lên cấp tỉnh" in town.admin.text
    await town.admin.picks("Duyệt")
    assert approved_line(1) in town.admin.text
    approved = await story(storage)
    assert approved.status == "published"
    assert approved.version == 4
    statuses = [n["params"] for n in await outbox(storage, "notify.status")]
    assert ['"status": "recommended"' in p for p in statuses] == [True]
    [told] = await outbox(storage, "notify.in_gallery")  # approved and published: told once
    assert told["person_id"] == town.reporter.id


# --- whose queue shows what ---------------------------------------------------------------------


async def test_each_reviewer_sees_the_queue_of_their_communes_and_filters_work(
    town: Town,
) -> None:
    assert "#2" in await report(town.u1, title="Chuyện ở Phú Quốc", commune="phu quoc")
    assert "#3" in await report(town.u1, title="Mô hình tổ tự quản",
                                kind="Mô hình hay, cách làm hay")
    one = f"#1 · {TITLE}"
    two, three = "#2 · Chuyện ở Phú Quốc", "#3 · Mô hình tổ tự quản"

    await town.r1.says("/pending")
    assert "Đang chờ duyệt: 2 — trang 1/1" in town.r1.text
    assert town.r1.options() == [one, three]
    await town.r2.says("/pending")
    assert town.r2.options() == [two]
    await town.rp.says("/pending")
    assert town.rp.options() == [one, two, three]
    await town.admin.says("/pending")
    assert town.admin.options() == [one, two, three]

    await town.rp.says("/pending long xuyen")
    assert "Đang chờ duyệt: 2 (Phường Long Xuyên)" in town.rp.text
    assert town.rp.options() == [one, three]
    await town.rp.says("/pending good_deed")
    assert "Đang chờ duyệt: 2 (Gương người tốt, việc tốt)" in town.rp.text
    assert town.rp.options() == [one, two]
    await town.r1.says("/pending good_deed")
    assert town.r1.options() == [one]
    await town.r1.says("/pending phu quoc")
    assert town.r1.text == QUEUE_EMPTY
    await town.r1.says("/pending xyzxyz")
    assert town.r1.text.startswith("Không tìm thấy xã/phường/đặc khu “xyzxyz”.")

    await town.r1.says("/approve 1")
    await town.r1.says("/pending")
    assert town.r1.options() == [three]
