"""/audit for admins: every person, broadcast and story action, newest first, for everyone,
one person (@username, telegram:<id>) or one story (#id), ten lines a page."""

from __future__ import annotations

import pytest

from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat, file_report


async def joined(dialog: Dialog, user: str, name: str, channel: str = "fake",
                 username: str | None = None) -> FakeChat:
    chat = FakeChat(dialog, user, name=name, channel=channel)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    if username:
        found = await dialog.storage.people.find(channel, user)
        assert found is not None
        await dialog.storage.people.update_profile(found, name, username)
    return chat


@pytest.fixture
async def admin(dialog: Dialog, storage: Storage) -> FakeChat:
    """Minh (ADMIN_IDS) made Bình a reviewer and banned a spammer; Lan filed #1, Bình approved."""
    minh = await joined(dialog, "9001", "Trần Minh", channel="telegram")
    await joined(dialog, "4242", "Trần Thị Bình", channel="telegram", username="binh_lx")
    await joined(dialog, "5151", "Kẻ quấy rối", channel="telegram")
    await minh.says("/grant @binh_lx reviewer long_xuyen")
    await minh.says("/ban telegram:5151 gửi tin rác")
    await file_report(FakeChat(dialog, "u1", name="Nguyễn Thị Lan"))
    binh = FakeChat(dialog, "4242", name="Trần Thị Bình", channel="telegram", username="binh_lx")
    await binh.says("/approve 1")
    return minh


def lines(chat: FakeChat) -> list[str]:
    return [line.split(" — ", 1)[1] for line in chat.text.split("\n")[1:]]


async def test_the_whole_log_newest_first(admin: FakeChat) -> None:
    await admin.says("/audit")
    assert admin.text.split("\n")[0] == "Nhật ký: 6 — trang 1/1, mới nhất trước"
    assert lines(admin) == [
        "hệ thống (đăng bài): đăng #1 (✅ Đã duyệt → 📢 Đã đăng)",  # no channel: the gallery
        "Trần Thị Bình (@binh_lx): duyệt #1 (⏳ Đang chờ duyệt → ✅ Đã duyệt)",
        "Nguyễn Thị Lan (fake:u1): gửi #1 (— → ⏳ Đang chờ duyệt)",
        "Trần Minh (telegram:9001): khóa gửi bài Kẻ quấy rối (telegram:5151) — “gửi tin rác”",
        "Trần Minh (telegram:9001): giao quyền thẩm định cho Trần Thị Bình (@binh_lx)"
        " — Phường Long Xuyên",
        "cấu hình (ADMIN_IDS): giao quyền quản trị viên cho Trần Minh (telegram:9001)",
    ]


@pytest.mark.parametrize("ref", ["@binh_lx", "telegram:4242", "4242"])
async def test_one_persons_actions_and_what_was_done_to_them(admin: FakeChat, ref: str) -> None:
    await admin.says(f"/audit {ref}")
    assert admin.text.split("\n")[0] == (
        "Nhật ký (Trần Thị Bình (@binh_lx)): 2 — trang 1/1, mới nhất trước")
    assert [line.split(": ", 1)[1] for line in lines(admin)] == [
        "duyệt #1 (⏳ Đang chờ duyệt → ✅ Đã duyệt)",
        "giao quyền thẩm định cho Trần Thị Bình (@binh_lx) — Phường Long Xuyên"]


async def test_one_storys_actions(admin: FakeChat) -> None:
    await admin.says("/audit #1")
    assert admin.text.split("\n")[0] == "Nhật ký (#1): 3 — trang 1/1, mới nhất trước"
    assert [line.split(": ", 1)[1] for line in lines(admin)] == [
        "đăng #1 (✅ Đã duyệt → 📢 Đã đăng)", "duyệt #1 (⏳ Đang chờ duyệt → ✅ Đã duyệt)",
        "gửi #1 (— → ⏳ Đang chờ duyệt)"]


async def test_pages_of_ten_turn_with_buttons(admin: FakeChat, storage: Storage) -> None:
    for _ in range(6):
        await admin.says("/ban telegram:5151 lại gửi tin rác")
        await admin.says("/unban telegram:5151")
    await admin.says("/audit")
    assert admin.text.split("\n")[0] == "Nhật ký: 18 — trang 1/2, mới nhất trước"
    assert len(lines(admin)) == 10
    assert admin.options() == ["Trang sau ▶️"]
    await admin.picks("Trang sau")
    assert admin.text.split("\n")[0] == "Nhật ký: 18 — trang 2/2, mới nhất trước"
    assert len(lines(admin)) == 8
    assert lines(admin)[-1].startswith("cấu hình (ADMIN_IDS)")
    assert admin.options() == ["◀️ Trang trước"]


async def test_an_erased_person_shows_as_anonymous(admin: FakeChat, dialog: Dialog,
                                                   storage: Storage) -> None:
    lan = FakeChat(dialog, "u1", name="Nguyễn Thị Lan")
    found = await storage.people.find("fake", "u1")
    assert found is not None
    await lan.says("/deleteme")
    await lan.picks("Xóa dữ liệu của tôi")
    await admin.says("/audit #1")
    assert [line.split(": ", 1)[0] for line in lines(admin)] == [
        "hệ thống (đăng bài)", "Trần Thị Bình (@binh_lx)", f"người dùng ẩn danh #{found.id}"]
    await admin.says("/audit fake:u1")
    assert admin.text.startswith("Không tìm thấy người dùng “fake:u1”.")


@pytest.mark.parametrize(("command", "answer"), [
    ("/audit #abc", "“#abc” không phải số câu chuyện."),
    ("/audit @nobody", "Không tìm thấy người dùng “@nobody”. Hãy dùng @tên, mã số Telegram"
                       " hoặc kênh:mã (ví dụ console:lan, zalo:123) của người đã nhắn tin cho"
                       " bot."),
    ("/audit a b", "Cách dùng: /audit, /audit @tên, /audit telegram:<mã số> hoặc /audit #<số câu"
                   " chuyện>"),
    ("/audit #99", "Nhật ký chưa có gì."),
])
async def test_a_bad_filter_gets_a_clear_answer(admin: FakeChat, command: str,
                                                answer: str) -> None:
    await admin.says(command)
    assert admin.text == answer


async def test_audit_is_for_admins(admin: FakeChat, dialog: Dialog) -> None:
    binh = FakeChat(dialog, "4242", name="Trần Thị Bình", channel="telegram", username="binh_lx")
    await binh.says("/audit")
    assert binh.text == "Lệnh này chỉ dành cho quản trị viên."
