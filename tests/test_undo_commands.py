"""Admins undo decisions with /revert and /unpublish (or the card's buttons), with a reason the
reporter reads; a wrong state, a missing role or a bad number gets a clear answer and changes
nothing. /history shows every action, nominations included; /audit shows the log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat, file_report

NOT_ADMIN = "Lệnh này chỉ dành cho quản trị viên."
REVERTED = "↩️ Đã hủy duyệt #1; câu chuyện quay lại hàng chờ duyệt. Người gửi sẽ được báo."
CANNOT_REVERT_PENDING = (
    "Không hủy duyệt được: câu chuyện #1 đang ở trạng thái “⏳ Đang chờ duyệt”. Chỉ hủy duyệt"
    " được câu chuyện “✅ Đã duyệt” hoặc “📢 Đã đăng”.")
CANNOT_UNPUBLISH_APPROVED = (
    "Không gỡ được: câu chuyện #1 đang ở trạng thái “✅ Đã duyệt”. Chỉ gỡ được câu chuyện"
    " “📢 Đã đăng”.")


async def joined(dialog: Dialog, user: str, name: str, channel: str = "fake") -> FakeChat:
    chat = FakeChat(dialog, user, name=name, channel=channel)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    return chat


@pytest.fixture
async def town(dialog: Dialog, storage: Storage) -> dict[str, FakeChat]:
    """Lan filed #1; Duyệt reviews Long Xuyên; Minh is the bootstrap admin (ADMIN_IDS)."""
    lan = FakeChat(dialog, "u1", name="Nguyễn Thị Lan")
    await file_report(lan)
    reviewer = await joined(dialog, "r1", "Lê Văn Duyệt")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (30307,))
    admin = await joined(dialog, "9001", "Trần Minh", channel="telegram")
    return {"lan": lan, "reviewer": reviewer, "admin": admin}


async def status(storage: Storage) -> str:
    story = await storage.stories.get(1)
    assert story is not None
    return story.status


async def outbox(storage: Storage, template: str) -> list[dict[str, Any]]:
    found = [dict(r) for r in await storage.db.fetchall(
        "SELECT * FROM outbox WHERE template = ? ORDER BY id", (template,))]
    for row in found:
        row["params"] = json.loads(row["params"])
    return found


async def test_an_admin_reverts_an_approval_and_the_reporter_is_told_why(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    admin = town["admin"]
    await admin.says("/approve 1")
    await admin.says("/revert #1 Duyệt nhầm, chưa xác minh được")
    assert admin.text == REVERTED
    assert await status(storage) == "pending"
    [told] = await outbox(storage, "undo.notify_revert")
    assert told["chat_id"] == "u1"
    assert told["params"]["note"] == "Duyệt nhầm, chưa xác minh được"


@pytest.mark.parametrize(("who", "command", "answer"), [
    ("admin", "/revert 1 Duyệt nhầm", CANNOT_REVERT_PENDING),
    ("reviewer", "/revert 1 Duyệt nhầm", NOT_ADMIN),
    ("lan", "/unpublish 1 Gỡ giúp tôi", NOT_ADMIN),
    ("admin", "/revert 1", "Cách dùng: /revert <số> <lý do>, ví dụ /revert 12 Duyệt nhầm,"
                           " chưa xác minh"),
    ("admin", "/unpublish", "Cách dùng: /unpublish <số> <lý do>, ví dụ /unpublish 12 Ảnh đăng"
                            " nhầm"),
    ("admin", "/revert abc Duyệt nhầm", "“abc” không phải số câu chuyện."),
    ("admin", "/revert 1 ok", "Ghi chú cần từ 3 đến 500 ký tự."),
    ("admin", "/revert 99 Duyệt nhầm", "Không có câu chuyện #99."),
])
async def test_a_wrong_undo_is_refused_clearly_and_changes_nothing(
    town: dict[str, FakeChat], storage: Storage, who: str, command: str, answer: str
) -> None:
    await town[who].says(command)
    assert town[who].text == answer
    assert await status(storage) == "pending"
    assert [e.action for e in await storage.reviews.history(1)] == ["submit"]


async def test_unpublishing_an_approved_story_names_the_state(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    await town["admin"].says("/approve 1")  # no channel: published in the gallery at once
    await town["admin"].says("/unpublish 1 Đăng nhầm")
    assert await status(storage) == "approved"
    await town["admin"].says("/unpublish 1 Đăng nhầm")
    assert town["admin"].text == CANNOT_UNPUBLISH_APPROVED
    assert await status(storage) == "approved"


async def test_the_card_offers_admins_the_undo_and_asks_the_reason(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    admin, reviewer = town["admin"], town["reviewer"]
    await reviewer.says("/approve 1")
    await reviewer.says("/story 1")
    assert "↩️ Hủy duyệt" not in reviewer.options()  # reviewers do not undo
    await admin.says("/story 1")
    assert admin.options() == ["🏅 Đề nghị khen thưởng", "🗑 Gỡ bài đã đăng", "↩️ Hủy duyệt"]

    await admin.picks("Hủy duyệt")
    assert admin.text.startswith("Vì sao hủy duyệt #1?")
    await admin.says("no")
    assert "Ghi chú cần từ 3 đến 500 ký tự." in admin.text
    await admin.says("Chưa đủ ảnh xác minh")

    assert REVERTED in admin.text
    assert "✅ Duyệt" in admin.options()  # the card again, back in review
    assert await status(storage) == "pending"
    [event] = [e for e in await storage.reviews.history(1) if e.action == "revert"]
    assert event.note == "Chưa đủ ảnh xác minh"


async def test_an_undo_button_pressed_after_the_role_was_taken_does_nothing(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    admin = town["admin"]
    await admin.says("/approve 1")
    await admin.says("/story 1")
    boss = await storage.people.find("telegram", "9001")
    assert boss is not None
    await storage.roles.revoke(boss.id)
    async with storage.db.transaction() as tx:  # ADMIN_IDS would make them admin again
        await tx.execute("UPDATE people SET role = 'citizen' WHERE id = ?", (boss.id,))
    admin.dialog.settings = admin.dialog.settings.model_copy(update={"admin_ids": ()})
    await admin.picks("Hủy duyệt")
    assert admin.text == NOT_ADMIN
    assert await status(storage) == "published"


async def test_history_of_a_nominated_story_shows_every_action(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    admin, reviewer = town["admin"], town["reviewer"]
    await reviewer.says("/approve 1")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    assert (await storage.reports.nominate(1, "bang_khen", "Tiêu biểu của phường",
                                           found.id)).ok

    await reviewer.says("/history 1")

    lines = reviewer.text.split("\n")
    assert lines[0] == "Lịch sử #1"
    assert "Xin lỗi" not in reviewer.text
    assert lines[-1].endswith(
        "— Lê Văn Duyệt: đề nghị khen thưởng (📢 Đã đăng → 📢 Đã đăng)"
        " — Bằng khen của Chủ tịch UBND tỉnh — “Tiêu biểu của phường”")
    await admin.says("/revert 1 Duyệt nhầm")
    await reviewer.says("/history 1")
    assert reviewer.text.split("\n")[-1].endswith(
        "— Trần Minh: hủy duyệt (📢 Đã đăng → ⏳ Đang chờ duyệt) — “Duyệt nhầm”")


async def test_history_names_the_system_and_what_a_correction_changed(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    lan = town["lan"]
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.reviews.act(1, "correct", found.id, fields={"title": "Cầu mới",
                                                              "commune_code": 30316})
    await lan.says("/deleteme")
    await lan.picks("Xóa dữ liệu của tôi")
    admin = town["admin"]
    await admin.says("/history 1")
    lines = admin.text.split("\n")
    assert lines[2].endswith("— Lê Văn Duyệt: sửa nội dung (⏳ Đang chờ duyệt → ⏳ Đang chờ"
                             " duyệt) — sửa: tiêu đề, địa bàn")
    assert lines[3].endswith("— hệ thống (xóa dữ liệu theo yêu cầu): rút lại (⏳ Đang chờ duyệt"
                             " → ↩️ Đã rút lại)")


async def test_help_lists_the_undo_and_audit_commands_for_admins_only(
    town: dict[str, FakeChat]
) -> None:
    await town["admin"].says("/help")
    for command in ("/revert", "/unpublish", "/audit"):
        assert command in town["admin"].text
    await town["reviewer"].says("/help")
    for command in ("/revert", "/unpublish", "/audit"):
        assert command not in town["reviewer"].text
