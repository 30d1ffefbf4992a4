"""Approved stories reach the bot's own gallery (/stories, /story) whether or not a channel is
configured (issue 12, item 5). Without PUBLISH_CHAT_ID an approval publishes at once, the
publisher acting in the same transaction; the reporter is told once. /revert and /unpublish
take a story out of the gallery again, and /publish puts an approved one back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat, file_report
from tests.senders import RecordingSender

TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
APPROVED_AND_PUBLISHED = "✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương sáng (/stories)."
TOLD_ONCE = (
    f"✅ Câu chuyện #1 “{TITLE}” của bạn đã được duyệt và đăng trong mục Gương sáng của bot."
    " Mọi người xem được bằng /story 1 hoặc /stories. Cảm ơn bạn đã chia sẻ!")


async def joined(dialog: Dialog, user: str, name: str, channel: str = "fake") -> FakeChat:
    chat = FakeChat(dialog, user, name=name, channel=channel)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    return chat


@pytest.fixture
async def town(dialog: Dialog, storage: Storage) -> dict[str, FakeChat]:
    """Lan filed #1 in Long Xuyên; Duyệt reviews Long Xuyên; Minh is the admin (ADMIN_IDS);
    Hoa is another resident. No publishing channel is configured."""
    assert dialog.settings.publish_chat_id is None
    lan = FakeChat(dialog, "u1", name="Nguyễn Thị Lan")
    await file_report(lan, TITLE)
    reviewer = await joined(dialog, "r1", "Lê Văn Duyệt")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (30307,))
    admin = await joined(dialog, "9001", "Trần Minh", channel="telegram")
    hoa = await joined(dialog, "u2", "Lê Thị Hoa")
    return {"lan": lan, "reviewer": reviewer, "admin": admin, "hoa": hoa}


async def delivered(storage: Storage) -> RecordingSender:
    """Everything the outbox holds for people on the fake channel, delivered once."""
    sender = RecordingSender()
    await OutboxWorker(storage, {"fake": sender}, 91).run_once(datetime.now(UTC))
    return sender


async def test_without_a_channel_an_approved_story_is_in_the_gallery_and_the_reporter_told_once(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    hoa = town["hoa"]
    await hoa.says("/stories")
    assert hoa.text.startswith("Chưa có câu chuyện nào được đăng")

    await town["reviewer"].says("/approve 1")

    assert town["reviewer"].text == APPROVED_AND_PUBLISHED
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.published_message_id) == ("published", None)
    [row] = await storage.db.fetchall("SELECT published_at FROM stories WHERE id = 1")
    assert row["published_at"] is not None  # the weekly digest counts it as new
    history = await storage.reviews.history(1)
    assert [(e.action, e.to_status, e.system) for e in history] == [
        ("submit", "pending", None), ("approve", "approved", None),
        ("publish", "published", "publisher"),
    ]
    await hoa.says("/stories")
    assert "Gương sáng đã đăng: 1" in hoa.text
    assert hoa.options()[0] == f"#1 · {TITLE}"
    await hoa.says("/story 1")
    assert TITLE in hoa.text and "chưa được đăng" not in hoa.text
    sender = await delivered(storage)
    assert [s.text for s in sender.to("u1")] == [TOLD_ONCE]
    assert sender.chats() == ["u1"]  # nothing to a channel: none is configured


async def test_revert_takes_a_published_story_back_to_review_and_out_of_the_gallery(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    await town["reviewer"].says("/approve 1")
    await delivered(storage)
    admin, hoa = town["admin"], town["hoa"]

    await admin.says("/revert 1 Duyệt nhầm, chưa xác minh được")

    assert admin.text == (
        "↩️ Đã hủy duyệt #1; câu chuyện quay lại hàng chờ duyệt. Người gửi sẽ được báo.")
    assert (await storage.stories.get(1)).status == "pending"  # type: ignore[union-attr]
    await hoa.says("/stories")
    assert hoa.text.startswith("Chưa có câu chuyện nào được đăng")
    await hoa.says("/story 1")
    assert hoa.text == "Câu chuyện #1 chưa được đăng."
    sender = await delivered(storage)
    assert [s.text for s in sender.to("u1")] == [
        f"Việc duyệt câu chuyện #1 “{TITLE}” của bạn đã được hủy; câu chuyện quay lại chờ"
        " duyệt.\nLý do: Duyệt nhầm, chưa xác minh được"]
    retracts = await storage.db.fetchall("SELECT * FROM outbox WHERE kind = 'retract'")
    assert retracts == []  # nothing was posted anywhere


async def test_unpublish_takes_a_story_out_of_the_gallery_and_publish_puts_it_back(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    await town["reviewer"].says("/approve 1")
    await delivered(storage)
    admin, hoa = town["admin"], town["hoa"]

    await admin.says("/unpublish 1 Ảnh chưa xin phép gia đình")

    assert admin.text == (
        "🗑 Đã gỡ #1 khỏi mục Gương sáng; câu chuyện vẫn ở trạng thái đã duyệt (gõ /publish 1"
        " để đăng lại). Người gửi sẽ được báo.")
    assert (await storage.stories.get(1)).status == "approved"  # type: ignore[union-attr]
    await hoa.says("/stories")
    assert hoa.text.startswith("Chưa có câu chuyện nào được đăng")
    sender = await delivered(storage)
    assert [s.text for s in sender.to("u1")] == [
        f"Câu chuyện #1 “{TITLE}” của bạn đã được gỡ khỏi mục Gương sáng.\nLý do: Ảnh chưa xin"
        " phép gia đình"]

    await town["reviewer"].says("/publish 1")
    assert town["reviewer"].text == "Lệnh này chỉ dành cho quản trị viên."
    await admin.says("/publish 1")

    assert admin.text == (
        "📢 Đã đăng lại #1 trong mục Gương sáng (/stories). Người gửi sẽ được báo.")
    assert (await storage.stories.get(1)).status == "published"  # type: ignore[union-attr]
    await hoa.says("/stories")
    assert "Gương sáng đã đăng: 1" in hoa.text
    sender = await delivered(storage)
    assert [s.text for s in sender.to("u1")] == [TOLD_ONCE]
    await admin.says("/publish 1")
    assert admin.text == (
        "Câu chuyện #1 đang ở trạng thái “📢 Đã đăng”, không thể làm việc này.")


async def test_the_card_of_a_published_story_offers_the_admin_both_undos(
    town: dict[str, FakeChat], storage: Storage
) -> None:
    await town["reviewer"].says("/approve 1")
    admin = town["admin"]

    await admin.says("/story 1")
    assert "🗑 Gỡ bài đã đăng" in admin.options()
    assert "↩️ Hủy duyệt" in admin.options()
    await admin.picks("Gỡ bài đã đăng")
    assert admin.text.startswith("Vì sao gỡ #1 khỏi mục Gương sáng? Câu chuyện sẽ không còn")
    await admin.says("Ảnh chưa xin phép gia đình")
    assert admin.text.startswith("🗑 Đã gỡ #1 khỏi mục Gương sáng")
    assert admin.options().count("↩️ Hủy duyệt") == 1  # approved now: only the revert is left
    assert "🗑 Gỡ bài đã đăng" not in admin.options()
