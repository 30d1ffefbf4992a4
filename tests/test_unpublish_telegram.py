"""Taking a published story down, through the real python-telegram-bot Application with only the
Bot API wire faked: every message of the post (album photos and text) is deleted; where Telegram
refuses (older than 48 hours without the right to delete), the text becomes a withdrawal note and
the admin is told what stayed. Erasing a reporter whose name the post shows rewrites the post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.storage import open_storage
from tests.conftest import start_telegram
from tests.test_review_telegram import (
    ADMIN,
    CHANNEL,
    LAN,
    NOT_MEMBER,
    POST_CARD,
    PUBLISH_CHAT,
    TITLE,
    ReviewWire,
    World,
    assert_wire_rules,
    files_report,
    texts_to,
)
from tests.wire import TOKEN, after_press

REFUSED = "Bad Request: message can't be deleted"
WITHDRAWN_NOTE = "<i>Bài viết này đã được Ban Thi đua - Khen thưởng gỡ xuống.</i>"
ALL_REMOVED = "🧹 Đã gỡ bài của câu chuyện #1 khỏi kênh (3 tin nhắn đã xóa)."
PARTLY_REMOVED = (
    "🧹 Gỡ bài của câu chuyện #1: 0 tin nhắn đã xóa; 1 tin nhắn Telegram không cho xóa nên đã"
    " được thay bằng thông báo gỡ bài; 2 ảnh không xóa được — vui lòng xóa tay trong kênh."
    " (Telegram chỉ cho bot xóa tin trong 48 giờ, trừ khi bot có quyền xóa tin nhắn trong kênh.)"
)
UNPUBLISHED = (
    "🗑 Đã gỡ #1 khỏi danh sách đã đăng. Bài trong kênh sẽ được xóa; bot sẽ báo kết quả cho bạn."
    " Người gửi sẽ được báo.")
TOLD_UNPUBLISHED = (
    f"Câu chuyện <b>#1</b> “{TITLE}” của bạn đã được gỡ khỏi kênh của tỉnh.\nLý do: Đăng nhầm ảnh"
)


@pytest.fixture
async def world(db_path: Path) -> AsyncIterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,),
        publish_chat_id=PUBLISH_CHAT, telegram_bot_token=SecretStr(TOKEN),
    )
    store = await open_storage(db_path, publish_chat=PUBLISH_CHAT)
    app, wire = await start_telegram(settings, Dialog(store, settings), ReviewWire())
    assert isinstance(wire, ReviewWire)
    worker = OutboxWorker(store, {"telegram": app.bot_data["sender"]}, settings.province_code)
    yield World(app, wire, store, settings, worker)
    await app.shutdown()
    await store.close()


async def published(world: World, show_name: bool = False) -> list[str]:
    """Story #1 filed with two photos, approved and posted: the ids of its three messages."""
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan, show_name=show_name)
    await admin.says("/approve 1")
    await world.worker.run_once()
    await world.worker.run_once()
    assert (await world.storage.stories.get(1)).status == "published"  # type: ignore[union-attr]
    [album] = world.wire.delivered("sendMediaGroup", CHANNEL)
    [text] = world.wire.delivered("sendMessage", CHANNEL)
    ids = [str(m["message_id"]) for m in world.wire.result_of(album)]
    return [*ids, str(world.wire.result_of(text)["message_id"])]


async def unpublish(world: World, on_card: bool = False) -> None:
    """The admin takes #1 down: with /unpublish, or with the card's button and a reason."""
    admin = world.person(ADMIN, "Minh", "Trần")
    if on_card:
        await admin.says("/story 1")
        assert admin.buttons() == ["🏅 Đề nghị khen thưởng", "🗑 Gỡ bài đã đăng", "↩️ Hủy duyệt"]
        await admin.presses("🗑 Gỡ bài đã đăng")
        assert after_press(world.wire.last_text(ADMIN), "🗑 Gỡ bài đã đăng").startswith(
            "Vì sao gỡ bài #1?")
        await admin.says("Đăng nhầm ảnh")
    else:
        await admin.says("/unpublish 1 Đăng nhầm ảnh")
    assert UNPUBLISHED in texts_to(world.wire.calls, ADMIN)
    assert (await world.storage.stories.get(1)).status == "approved"  # type: ignore[union-attr]


def removals(world: World, mark: int) -> list[tuple[str, str]]:
    return [(c.method, str(c.params["message_id"])) for c in world.wire.calls[mark:]
            if int(c.params.get("chat_id", 0)) == CHANNEL]


async def posts(world: World) -> list[tuple[str, str, Any]]:
    rows = await world.storage.db.fetchall(
        "SELECT message_id, part, removed FROM story_posts ORDER BY rowid")
    return [(r["message_id"], r["part"], r["removed"]) for r in rows]


async def test_unpublishing_deletes_every_message_of_the_post_and_tells_the_admin(
    world: World,
) -> None:
    ids = await published(world)
    assert [(m, p) for m, p, _ in await posts(world)] == [
        (ids[0], "photo"), (ids[1], "photo"), (ids[2], "text")]
    await unpublish(world)
    mark = len(world.wire.calls)

    await world.worker.run_once()

    assert removals(world, mark) == [("deleteMessage", i) for i in ids]
    assert [removed for _, _, removed in await posts(world)] == ["deleted"] * 3
    assert texts_to(world.wire.calls[mark:], LAN) == [TOLD_UNPUBLISHED]
    mark = len(world.wire.calls)
    await world.worker.run_once()  # the report, queued with the result
    assert texts_to(world.wire.calls[mark:], ADMIN) == [ALL_REMOVED]
    assert (await world.storage.stories.get(1)).status == "approved"  # type: ignore[union-attr]
    assert await world.worker.run_once() == 0
    assert_wire_rules(world.wire)


async def test_reverting_a_posted_approval_takes_the_post_down_and_sends_it_back_to_review(
    world: World,
) -> None:
    ids = await published(world)
    admin = world.person(ADMIN, "Minh", "Trần")
    await admin.says("/story 1")
    await admin.presses("↩️ Hủy duyệt")
    assert after_press(world.wire.last_text(ADMIN), "↩️ Hủy duyệt").startswith(
        "Vì sao hủy duyệt #1?")
    await admin.says("Duyệt nhầm, chưa xác minh")
    assert (await world.storage.stories.get(1)).status == "pending"  # type: ignore[union-attr]
    mark = len(world.wire.calls)

    await world.worker.run_once()

    assert removals(world, mark) == [("deleteMessage", i) for i in ids]
    assert texts_to(world.wire.calls[mark:], LAN) == [
        f"Việc duyệt câu chuyện <b>#1</b> “{TITLE}” của bạn đã được hủy; câu chuyện quay lại chờ"
        " duyệt.\nLý do: Duyệt nhầm, chưa xác minh"]
    mark = len(world.wire.calls)
    await world.worker.run_once()
    assert texts_to(world.wire.calls[mark:], ADMIN) == [ALL_REMOVED]
    assert_wire_rules(world.wire)


async def test_when_telegram_refuses_to_delete_the_text_becomes_a_withdrawal_note(
    world: World,
) -> None:
    ids = await published(world)
    await unpublish(world, on_card=True)
    world.wire.failures["deleteMessage"] = (400, REFUSED)
    mark = len(world.wire.calls)

    await world.worker.run_once()

    assert removals(world, mark) == [
        ("deleteMessage", ids[0]), ("deleteMessage", ids[1]), ("deleteMessage", ids[2]),
        ("editMessageText", ids[2]),
    ]
    edit = next(c for c in world.wire.calls[mark:] if c.method == "editMessageText")
    assert edit.params["text"] == WITHDRAWN_NOTE
    assert edit.params["parse_mode"] == "HTML"
    assert [removed for _, _, removed in await posts(world)] == [None, None, "replaced"]
    mark = len(world.wire.calls)
    await world.worker.run_once()
    assert texts_to(world.wire.calls[mark:], ADMIN) == [PARTLY_REMOVED]
    assert_wire_rules(world.wire)


async def test_a_post_that_shows_the_reporters_name_is_rewritten_when_they_erase_their_data(
    world: World,
) -> None:
    ids = await published(world, show_name=True)
    [post] = world.wire.delivered("sendMessage", CHANNEL)
    assert "✍️ Người gửi: Lan Nguyễn" in post.params["text"]
    lan = world.person(LAN)
    await lan.says("/deleteme")
    await lan.presses("🗑 Xóa dữ liệu của tôi")
    mark = len(world.wire.calls)

    await world.worker.run_once()

    assert removals(world, mark) == [("editMessageText", ids[2])]
    edit = world.wire.calls[mark:][0]
    assert edit.params["text"] == POST_CARD
    assert "Lan" not in edit.params["text"]
    assert await world.worker.run_once() == 0  # nobody is told; the reporter is gone


async def test_a_channel_that_refuses_the_bot_is_reported_to_the_admin(world: World) -> None:
    await published(world)
    await unpublish(world)
    world.wire.failures["deleteMessage"] = (403, NOT_MEMBER)

    await world.worker.run_once()
    mark = len(world.wire.calls)
    await world.worker.run_once()

    assert texts_to(world.wire.calls[mark:], ADMIN) == [
        f"⚠️ Không gỡ được bài của câu chuyện #1: {NOT_MEMBER}. Vui lòng kiểm tra quyền của bot"
        " trong kênh và gỡ tay."]
    [item] = [r for r in await world.storage.db.fetchall("SELECT * FROM outbox")
              if r["kind"] == "retract"]
    assert item["status"] == "sent"


async def test_the_sender_reads_telegrams_answers_to_delete_and_edit(world: World) -> None:
    sender = world.app.bot_data["sender"]
    world.wire.failures["deleteMessage"] = (400, "Bad Request: message to delete not found")
    assert await sender.delete(PUBLISH_CHAT, "41") is True  # already gone
    world.wire.failures["editMessageText"] = (
        400, "Bad Request: there is no text in the message to edit")
    assert await sender.replace_text(PUBLISH_CHAT, "42", WITHDRAWN_NOTE) is True
    caption = world.wire.calls[-1]
    assert caption.method == "editMessageCaption"
    assert (caption.params["caption"], caption.params["parse_mode"]) == (WITHDRAWN_NOTE, "HTML")
    world.wire.failures["editMessageText"] = (400, "Bad Request: message can't be edited")
    assert await sender.replace_text(PUBLISH_CHAT, "43", WITHDRAWN_NOTE) is False
    world.wire.failures["editMessageText"] = (400, "Bad Request: message is not modified")
    assert await sender.replace_text(PUBLISH_CHAT, "44", WITHDRAWN_NOTE) is True
