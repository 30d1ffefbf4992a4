"""A commune officer on Telegram, through the real python-telegram-bot Application with only
the Bot API wire faked: she files a resident's story with the buttons, gets the import template
as a document, and sends the filled spreadsheet back, which the bot fetches with getFile."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import load_workbook

from bot.config import Settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.menus import EVERYONE
from bot.storage import Storage
from tests.conftest import GOOD_DESCRIPTION, start_telegram
from tests.import_files import HEADERS, filled_template, row
from tests.test_stats_export import FileWire
from tests.test_telegram import CONSENT_YES, CONTENT_1, KIND_GOOD_DEED, SKIP, SUBMIT
from tests.wire import TelegramPerson, after_press

CHI = 7070
LONG_XUYEN, MY_THOI = 30307, 30301


async def officer(app: Any, wire: FileWire, storage: Storage) -> TelegramPerson:
    chi = TelegramPerson(app, wire, CHI, first_name="Chi", last_name="Phạm Thị")
    await chi.says("/start")
    await chi.presses(CONSENT_YES)
    person = await storage.people.find("telegram", str(CHI))
    assert person is not None
    await storage.roles.grant(person.id, "officer", (LONG_XUYEN, MY_THOI))
    return chi


async def test_an_officer_files_a_residents_story_with_the_buttons(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    wire = FileWire()
    app, _ = await start_telegram(settings, dialog, wire)
    try:
        chi = await officer(app, wire, storage)
        await chi.says("/report")
        assert chi.buttons() == ["👥 Kể cho người dân", "🙋 Kể chuyện của tôi", "✖️ Hủy"]
        await chi.presses("👥 Kể cho người dân")
        await chi.says("Võ Thị Sáu")
        await chi.says("0912 345 678")
        await chi.presses("🗣 Người kể lại câu chuyện")
        await chi.presses("Không, giấu tên")
        assert "Người dân đã đồng ý cho lưu và chia sẻ câu chuyện này?" in wire.last_text(CHI)
        await chi.presses("✅ Người dân đã đồng ý")
        await chi.presses(KIND_GOOD_DEED)
        await chi.presses(CONTENT_1)
        for answer in ("long xuyen", "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh",
                       "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh", GOOD_DESCRIPTION, "02/09/2025"):
            await chi.says(answer)
        await chi.presses(SKIP)  # photos
        await chi.says(SKIP)  # the location (a keyboard that asks for a pin)
        summary = wire.last_text(CHI)
        assert "<b>Người dân:</b> Võ Thị Sáu — 🗣 Người kể lại câu chuyện" in summary
        assert "Số điện thoại" not in summary
        await chi.presses(SUBMIT)
        assert after_press(wire.last_text(CHI), SUBMIT).startswith(
            "✅ Đã gửi! Câu chuyện của bạn là <b>#1</b>.")
    finally:
        await app.shutdown()
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.resident_name, story.resident_contact, story.resident_shown,
            story.reporter_phone, story.show_name) == (
        "Võ Thị Sáu", "0912345678", False, None, False)


async def test_an_officer_imports_thirty_stories_from_a_document_fetched_with_get_file(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    wire = FileWire()
    app, _ = await start_telegram(settings, dialog, wire)
    try:
        chi = await officer(app, wire, storage)
        await chi.says("/import")
        ((method, name, template),) = wire.uploads
        assert (method, name) == ("sendDocument", "mau-nhap-cau-chuyen.xlsx")
        sheet = load_workbook(io.BytesIO(template)).worksheets[0]
        assert [c.value for c in sheet[1]] == HEADERS

        wire.files["doc-30"] = filled_template(template, [row(n) for n in range(1, 31)])
        await chi.sends_document("doc-30", "cau-chuyen-xa.xlsx", len(wire.files["doc-30"]))
        assert [c.method for c in wire.calls if c.method in ("getFile", "download")] == [
            "getFile", "download"]
        answer = wire.last_text(CHI)
        assert answer.startswith("✅ Đã nhập 30 câu chuyện từ “cau-chuyen-xa.xlsx” (dòng 2–31):"
                                 " #1–#30.")

        wire.files["big"] = b"PK\x03\x04"
        await chi.sends_document("big", "qua-lon.xlsx", 6 * 1024 * 1024)
        assert wire.last_text(CHI).startswith("Tệp “qua-lon.xlsx” lớn quá (6,0 MB; tối đa 5 MB).")
        assert [c.params.get("file_id") for c in wire.sent("getFile")] == ["doc-30"]  # not big

        await chi.sends_document("gone", "mat.xlsx", 1000)  # Telegram no longer has it
        assert wire.last_text(CHI).startswith("Mình chưa tải được tệp “mat.xlsx”.")
    finally:
        await app.shutdown()
    row_ = await storage.db.fetchone("SELECT COUNT(*) FROM stories WHERE resident_name IS NOT"
                                     " NULL AND channel = 'telegram'")
    assert row_ is not None and row_[0] == 30


async def test_an_officer_gets_the_import_command_in_her_own_menu(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    wire = FileWire()
    app, _ = await start_telegram(settings, dialog, wire)
    try:
        await officer(app, wire, storage)
        await OutboxWorker(storage, {"telegram": app.bot_data["sender"]}, 91).run_once()
    finally:
        await app.shutdown()
    (call,) = [c for c in wire.sent("setMyCommands")
               if (c.params.get("scope") or {}).get("chat_id") == CHI]
    commands = {c["command"]: c["description"] for c in call.params["commands"]}
    assert list(commands) == [*EVERYONE, "import", "eraseresident"]
    assert commands["import"] == "Nhập câu chuyện từ bảng tính"
    assert commands["eraseresident"] == "Xóa thông tin người dân đã kể thay"
    assert "pending" not in commands
