"""The everyday experience of a resident who has never used a bot (issue 12, residents)."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.channels.console import TRAITS as CONSOLE
from bot.channels.console import to_incoming
from bot.dialog import Dialog
from bot.storage import DialogState, Storage
from tests.conftest import FakeChat, TelegramApp
from tests.journeys import agree, report_until
from tests.wire import TelegramPerson, after_press

LAN = 4242
MENU = "Bạn muốn làm gì? Chọn một việc dưới đây:"


async def _state(storage: Storage, channel: str = "fake", chat: str = "u1") -> DialogState:
    state = await storage.dialogs.load(channel, chat)
    assert state is not None
    return state


async def _telegram_to_honoree(person: TelegramPerson) -> None:
    await person.says("/start")
    await person.presses("✅ Tôi đồng ý")
    await person.says("/report")
    await person.presses("Gương người tốt, việc tốt")
    await person.presses("1. Chấp hành chủ trương, chính sách, pháp luật")
    await person.says("long xuyen")


# --- typing a name never cancels ----------------------------------------------------------------


async def test_typing_huy_as_the_honoree_on_telegram_is_a_name_not_cancel(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    person = TelegramPerson(app, wire, LAN)
    await _telegram_to_honoree(person)
    assert "✖️ Hủy" in person.buttons()  # the button is there, to be pressed

    await person.says("Huy")

    state = await _state(storage, "telegram", str(LAN))
    assert (state.flow, state.step, state.data["honoree"]) == ("report", "honoree_role", "Huy")
    assert "Đã hủy" not in wire.last_text(LAN)


@pytest.mark.parametrize("typed", ["2", "1", "Hủy", "Quay lại"])
async def test_on_a_channel_without_buttons_typing_at_a_free_text_step_is_an_answer(
    chat: FakeChat, storage: Storage, typed: str
) -> None:
    await agree(chat)
    await report_until(chat, "honoree")
    assert chat.options() == []  # no numbered Back/Cancel to pick by mistake
    assert "Gõ /back để quay lại bước trước, /cancel để hủy." in chat.text

    await chat.says(typed)

    state = await _state(storage)
    assert state.flow == "report"
    if len(typed) >= 2:
        assert (state.step, state.data["honoree"]) == ("honoree_role", typed)
    else:
        assert state.step == "honoree"
        assert "Hơi ngắn quá: cần ít nhất 2 ký tự" in chat.text


async def test_pressing_cancel_past_the_first_steps_asks_to_be_sure(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    person = TelegramPerson(app, wire, LAN)
    await _telegram_to_honoree(person)
    await person.says("Nguyễn Văn An")

    await person.presses("✖️ Hủy")

    assert after_press(wire.last_text(LAN), "✖️ Hủy").startswith(
        "Bạn có chắc muốn hủy câu chuyện đang kể?")
    assert person.buttons() == ["🗑 Hủy câu chuyện", "▶️ Tiếp tục kể"]
    await person.presses("▶️ Tiếp tục kể")
    state = await _state(storage, "telegram", str(LAN))
    assert (state.step, state.data["honoree"]) == ("honoree_role", "Nguyễn Văn An")
    assert "Người/tập thể đó là ai" in wire.last_text(LAN)


# --- small traps --------------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "stored"), [
    ("2/9", "2025-09-02"),  # this year's 2/9 is still to come on 11/6/2025: last year's
    ("10/6", "2025-06-10"),
    ("hôm kia", "2025-06-09"),
    ("hom kia", "2025-06-09"),
])
async def test_a_day_and_month_and_the_day_before_yesterday_are_understood(
    chat: FakeChat, storage: Storage, typed: str, stored: str
) -> None:
    chat.now = datetime(2025, 6, 11, 3, 0, tzinfo=UTC)
    await agree(chat)
    await report_until(chat, "date")
    await chat.says(typed)
    state = await _state(storage)
    assert state.data["date"] == (stored if typed != "2/9" else "2024-09-02")
    assert state.step == "photos"


async def test_a_pin_outside_the_province_is_questioned_once_then_taken(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "location")

    await chat.location(21.0285, 105.8542)  # Hoàn Kiếm, Hà Nội
    assert "Vị trí này nằm ngoài tỉnh An Giang." in chat.text
    assert (await _state(storage)).step == "location"
    assert (await _state(storage)).data.get("lat") is None

    await chat.location(21.0285, 105.8542)  # yes, really there
    state = await _state(storage)
    assert (state.step, state.data["lat"]) == ("phone", 21.0285)


async def test_a_pin_in_long_xuyen_or_phu_quoc_is_taken_at_once(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "location")
    await chat.says("10.2230, 103.9580")  # Phú Quốc
    state = await _state(storage)
    assert (state.step, state.data["lat"], state.data["lon"]) == ("phone", 10.223, 103.958)


async def test_the_step_counter_counts_every_question(chat: FakeChat) -> None:
    await agree(chat)
    await chat.says("/report")
    assert "Bước 1/12. Bạn muốn kể về điều gì?" in chat.text
    await chat.says("/cancel")
    await report_until(chat, "show_name")
    assert "Bước 12/12. Khi câu chuyện được đăng" in chat.text


async def test_language_with_its_argument_switches_at_once(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await chat.says("/language en")
    assert "Switched to English." in chat.text
    person = await storage.people.find("fake", "u1")
    assert person is not None and person.language == "en"
    await chat.says("/language tiếng việt")
    assert "Đã chuyển sang Tiếng Việt." in chat.text


async def test_an_unknown_command_points_to_help(chat: FakeChat) -> None:
    await agree(chat)
    await chat.says("/baocao")
    assert "Bot chưa có lệnh /baocao. Gõ /help để xem các lệnh." in chat.text
    assert MENU in chat.text


async def test_done_after_subscribe_says_what_is_on(chat: FakeChat) -> None:
    await agree(chat)
    await chat.says("/subscribe")
    await chat.picks("Nhắc ngày lễ lớn")
    await chat.picks("Xong")
    assert "Đã lưu. Bạn đang nhận: Nhắc ngày lễ lớn." in chat.text


async def test_unsubscribe_asks_which_and_says_what_stopped(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await chat.says("/subscribe")
    await chat.picks("Nhắc ngày lễ lớn")
    await chat.picks("Bản tin gương sáng")
    await chat.says("/unsubscribe")
    assert "Bạn đang nhận: Nhắc ngày lễ lớn, Bản tin gương sáng hằng tuần." in chat.text
    await chat.picks("Ngừng: Bản tin")
    assert chat.text == (
        "Đã ngừng nhận: Bản tin gương sáng hằng tuần. Bạn vẫn nhận: Nhắc ngày lễ lớn.")
    person = await storage.people.find("fake", "u1")
    assert person is not None
    assert await storage.broadcasts.topics(person.id) == {"anniversaries"}


async def test_no_question_on_a_channel_without_buttons_says_press_a_button(
    chat: FakeChat,
) -> None:
    await agree(chat)
    await chat.says("/help")
    assert "bấm" not in chat.text.lower()
    await chat.says("/report")
    await chat.says("abc")  # not an option at the kind step
    assert "bấm" not in chat.text.lower()
    assert "gõ số thứ tự" in chat.text


# --- the terminal --------------------------------------------------------------------------------


def test_a_typed_path_to_an_image_is_a_photo_in_the_console(tmp_path: Path) -> None:
    picture = tmp_path / "cầu khỉ.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0")
    incoming = to_incoming(f"  '{picture}' ", "lan")
    assert incoming is not None and incoming.photos == (picture.resolve().as_uri(),)
    missing = to_incoming(str(tmp_path / "missing.jpg"), "lan")
    assert missing is not None and missing.text == str(tmp_path / "missing.jpg")
    assert to_incoming("Nguyễn Văn An", "lan").photos == ()  # type: ignore[union-attr]


async def test_a_photo_by_path_is_taken_at_the_photo_step(
    tmp_path: Path, dialog: Dialog, storage: Storage
) -> None:
    chat = FakeChat(dialog, user_id="lan", channel="console", traits=CONSOLE)
    picture = tmp_path / "anh.png"
    picture.write_bytes(b"\x89PNG")
    await agree(chat)
    await report_until(chat, "photos")
    assert "gõ đường dẫn tới tệp ảnh trên máy" in chat.text
    uri = picture.resolve().as_uri()
    missing = to_incoming(str(tmp_path / "khong-co.jpg"), "lan")
    assert missing is not None and missing.text is not None
    chat.replies = await chat.dialog.handle(missing)  # the path typed in the console
    assert f"Không tìm thấy tệp ảnh “{tmp_path / 'khong-co.jpg'}”." in chat.text
    await chat.photo(uri)
    assert "Đã nhận ảnh 1/5." in chat.text
    assert (await _state(storage, "console", "lan")).data["photos"] == [uri]


def test_the_console_screen_shows_the_conversation_and_logs_go_to_a_file(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
           "TELEGRAM_BOT_TOKEN": "", "ZALO_BOT_TOKEN": ""}
    done = subprocess.run([sys.executable, "-m", "bot", "console"], input="/start\n", env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0
    log = tmp_path / "guongsang.log"
    assert done.stderr.strip() == f"Terminal console (logs in {log})."
    assert " INFO " not in done.stdout and "apscheduler" not in done.stdout.lower()
    assert "Xin chào" in done.stdout
    assert log.exists() and oct(log.stat().st_mode & 0o777) == "0o600"
    assert "INFO" in log.read_text(encoding="utf-8")
