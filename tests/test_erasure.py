"""/deleteme leaves nothing that links back to the person's platform account (issue 10 item 6):
no platform id, no chat, no message addressed to them; their audit rows point to an anonymous
row; and erasing does not reset the daily report limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.content import catalogue
from bot.dialog import Dialog
from bot.messages import plain_text
from bot.storage import Storage
from tests.conftest import FakeChat, file_report
from tests.journeys import answer_from

REPORT_INTRO = "Cảm ơn bạn! Mình sẽ hỏi từng bước ngắn."
DAILY_LIMIT = (
    "Bạn đã gửi 2 câu chuyện trong 24 giờ qua — mức tối đa mỗi ngày. Hẹn bạn ngày mai nhé!")


async def erase(chat: FakeChat) -> None:
    await chat.says("/deleteme")
    await chat.picks("Xóa dữ liệu của tôi")
    assert "Đã xóa dữ liệu cá nhân của bạn." in chat.text


async def rows(storage: Storage, sql: str, *params: object) -> list[dict[str, object]]:
    return [dict(r) for r in await storage.db.fetchall(sql, params)]


async def test_after_deleteme_no_row_holds_the_platform_account(
    chat: FakeChat, storage: Storage
) -> None:
    await file_report(chat)
    before = await storage.people.find("fake", "u1")
    assert before is not None

    await erase(chat)

    assert await rows(storage, "SELECT id FROM people WHERE external_id = 'u1'") == []
    assert await rows(storage, "SELECT * FROM dialogs WHERE chat_id = 'u1'") == []
    [anonymous] = await rows(storage, "SELECT * FROM people WHERE id = ?", before.id)
    assert str(anonymous["external_id"]).startswith("erased:")
    assert (anonymous["display_name"], anonymous["username"], anonymous["consent"]) == (
        None, None, None)
    # Writing again is a new, unknown person, with nothing of the old one.
    await chat.says("/mystories")
    again = await storage.people.find("fake", "u1")
    assert again is not None and again.id != before.id
    assert "Bạn chưa gửi câu chuyện nào." in chat.text


async def test_audit_rows_of_an_erased_person_point_to_an_anonymous_row(
    chat: FakeChat, storage: Storage, dialog: Dialog
) -> None:
    await file_report(chat)
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await reviewer.says("/start")
    await reviewer.picks("Tôi đồng ý")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (0,))
    await reviewer.says("/approve 1")
    assert "✅ Đã duyệt #1;" in reviewer.text

    await erase(chat)
    await erase(reviewer)
    assert await storage.roles.reviewers() == []  # an erased account reviews nothing

    events = await rows(
        storage, "SELECT e.action, p.external_id, p.display_name FROM story_events e"
        " JOIN people p ON p.id = e.actor_id WHERE e.story_id = 1 ORDER BY e.id")
    assert [e["action"] for e in events] == ["submit", "approve"]
    for event in events:
        assert str(event["external_id"]).startswith("erased:"), event
        assert event["display_name"] is None
    assert await rows(storage, "SELECT id FROM people WHERE external_id IN ('u1', 'r1')") == []


async def test_messages_to_an_erased_person_are_dropped_and_delivered_ones_blanked(
    chat: FakeChat, storage: Storage
) -> None:
    await file_report(chat)
    me = await storage.people.find("fake", "u1")
    assert me is not None
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    async with storage.db.transaction() as tx:
        for status in ("sent", "pending", "failed"):
            await tx.execute(
                "INSERT INTO outbox (kind, person_id, channel, chat_id, template, params,"
                " story_id, status, next_attempt_at, created_at) VALUES"
                " ('message', ?, 'fake', 'u1', 'notify.status', ?, 1, ?, ?, ?)",
                (me.id, json.dumps({"id": 1, "title": "Sửa cầu khỉ", "note": "gọi 0912"}),
                 status, stamp, stamp))

    await erase(chat)

    left = await rows(storage, "SELECT status, chat_id, params FROM outbox WHERE person_id = ?"
                      " ORDER BY id", me.id)
    assert sorted(r["status"] for r in left) == ["failed", "sent"]
    assert all((r["chat_id"], r["params"]) == ("", "{}") for r in left)
    assert await rows(storage, "SELECT id FROM outbox WHERE chat_id = 'u1'") == []


async def test_erasing_does_not_reset_the_daily_report_limit(
    storage: Storage, settings: Settings
) -> None:
    limited = Dialog(storage, settings.model_copy(update={"reports_per_day": 2}))
    u1 = FakeChat(limited, "u1")
    assert "#1" in await file_report(u1)
    await u1.says("/report")
    await answer_from(u1, "kind", title="Cô giáo dạy bơi miễn phí cho trẻ em")
    assert "#2" in u1.text
    await erase(u1)

    await u1.says("/start")
    await u1.picks("Tôi đồng ý")
    await u1.says("/report")
    assert u1.text == DAILY_LIMIT

    neighbour = FakeChat(limited, "u2", name="Ngô Văn Hai")
    await neighbour.says("/start")
    await neighbour.picks("Tôi đồng ý")
    await neighbour.says("/report")
    assert REPORT_INTRO in neighbour.text
    # The marks are kept one day, under a keyed hash, never the account itself.
    marks = await rows(storage, "SELECT account FROM filing_marks")
    assert len(marks) == 2 and all("u1" not in str(m["account"]) for m in marks)

    u1.now = datetime.now(UTC) + timedelta(hours=25)
    await u1.says("/report")
    assert REPORT_INTRO in u1.text


async def test_the_privacy_notice_says_exactly_what_erasure_keeps() -> None:
    vi = plain_text(catalogue("vi").t("privacy.notice", backup_days=14))
    for kept in ("mã ẩn danh", "nhật ký xử lý", "24 giờ", "bỏ tên bạn", "số điện thoại"):
        assert kept in vi, kept
    en = plain_text(catalogue("en").t("privacy.notice", backup_days=14))
    for kept in ("anonymous number", "audit trail", "24 hours", "without your name"):
        assert kept in en, kept
