"""A resident who cannot tell which of the plan's contents their story serves says so (issue 12,
item 2): the story is filed with no content, a reviewer chooses it later, and nothing in between
— the card, the queue, /stats, the workbook, /stories, nominations, the start-up key check —
stumbles on the empty content. Nobody on a channel without buttons is told to press one."""

from __future__ import annotations

import io
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.content import load_library
from bot.dialog import Dialog
from bot.storage import Change, Storage
from bot.workflow import Action
from tests.conftest import FakeChat, TelegramApp
from tests.journeys import agree, answer_from
from tests.wire import TelegramPerson, after_press

UNSURE = "❓ Không rõ — để cán bộ chọn"
LEFT_TO_REVIEWER = "Chưa chọn (cán bộ thẩm định sẽ chọn)"
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"


async def files_unsure(chat: FakeChat) -> None:
    """/report, the kind, "not sure" at the content, then the usual answers up to the summary."""
    await chat.says("/report")
    await chat.picks("Gương người tốt, việc tốt")
    assert chat.options()[-3:] == [UNSURE, "⬅️ Quay lại", "✖️ Hủy"]
    await chat.picks("Không rõ")
    assert chat.text.startswith("Bước 3/12.")  # no movement is asked without a content
    await answer_from(chat, "commune", "show_name")


@pytest.fixture
async def reviewer(dialog: Dialog, storage: Storage) -> FakeChat:
    chat = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await agree(chat)
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (30307,))
    return chat


async def test_a_resident_leaves_the_content_to_the_reviewer_on_the_console(
    chat: FakeChat, storage: Storage, reviewer: FakeChat
) -> None:
    await agree(chat)
    await files_unsure(chat)
    assert f"Nội dung thi đua: {LEFT_TO_REVIEWER}" in chat.text  # the summary says so
    await chat.picks("Gửi")
    assert "Câu chuyện của bạn là #1." in chat.text

    story = await storage.stories.get(1)
    assert story is not None
    assert (story.content, story.movement, story.title) == (None, None, TITLE)
    await reviewer.says("/story 1")
    assert f"Nội dung thi đua: {LEFT_TO_REVIEWER}" in reviewer.text

    # The reviewer's correction chooses it, through the door, and the history says so.
    found = await storage.people.find("fake", "r1")
    assert found is not None
    outcome = await storage.reviews.apply(Change(
        Action.CORRECT, 1, found.id, fields={"content": "exceed_targets", "movement": None}))
    assert outcome.ok
    story = await storage.stories.get(1)
    assert story is not None and story.content == "exceed_targets"
    await reviewer.says("/story 1")
    assert "Nội dung thi đua: Hoàn thành vượt mức" in reviewer.text
    await reviewer.says("/history 1")
    assert "sửa nội dung (⏳ Đang chờ duyệt → ⏳ Đang chờ duyệt) — sửa: nội dung thi đua" in (
        reviewer.text)


async def test_the_reviewer_chooses_the_content_on_the_card_and_is_not_offered_not_sure(
    chat: FakeChat, storage: Storage, reviewer: FakeChat
) -> None:
    await agree(chat)
    await files_unsure(chat)
    await chat.picks("Gửi")

    await reviewer.says("/pending")
    await reviewer.picks("#1")
    await reviewer.picks("Sửa")
    await reviewer.picks("Nội dung thi đua")
    assert UNSURE not in reviewer.options()  # the reviewer is the one who chooses
    await reviewer.says("Không rõ — để cán bộ chọn")  # typed: not an option here
    assert "Vui lòng chọn một trong các lựa chọn" in reviewer.text
    assert (await storage.stories.get(1)).content is None  # type: ignore[union-attr]
    await reviewer.picks("Hoàn thành vượt mức")

    assert "📝 Đã sửa #1." in reviewer.text
    assert "Nội dung thi đua: Hoàn thành vượt mức" in reviewer.text
    assert f"• Nội dung thi đua: {LEFT_TO_REVIEWER}" in reviewer.text  # the reporter's original
    story = await storage.stories.get(1)
    assert story is not None and story.content == "exceed_targets"


async def test_a_reporter_asked_for_changes_keeps_or_chooses_the_content(
    chat: FakeChat, storage: Storage, reviewer: FakeChat
) -> None:
    await agree(chat)
    await files_unsure(chat)
    await chat.picks("Gửi")
    await reviewer.says("/changes 1 Xin ghi rõ tên kênh")

    await chat.says("/mystories")
    await chat.picks("Mở #1")
    await chat.picks("Sửa và gửi lại")
    assert f"Nội dung thi đua: {LEFT_TO_REVIEWER}" in chat.text
    await chat.picks("Sửa")
    await chat.picks("Tiêu đề")
    await chat.says("Sửa cầu khỉ kênh Xáng tháng 9/2025")
    await chat.picks("Gửi lại để duyệt")
    assert chat.text.startswith("📨 Đã gửi lại #1.")
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.content, story.title) == (
        "pending", None, "Sửa cầu khỉ kênh Xáng tháng 9/2025")


async def test_choosing_a_content_after_not_sure_from_the_summary_files_it(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await files_unsure(chat)
    await chat.picks("Sửa")
    await chat.picks("Nội dung thi đua")
    await chat.picks("Thực hiện có hiệu quả")
    assert "Câu chuyện có thuộc phong trào nào dưới đây không?" in chat.text  # its movements
    await chat.picks("Cả nước chung sức xây dựng nông thôn mới")
    assert LEFT_TO_REVIEWER not in chat.text
    await chat.picks("Gửi")
    story = await storage.stories.get(1)
    assert story is not None and story.content == "key_movements"
    assert story.movement is not None


async def test_on_telegram_the_unsure_button_files_a_story_without_a_content(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, 4242)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    await lan.says("/report")
    await lan.presses("Gương người tốt, việc tốt")
    assert lan.buttons()[-3:] == [UNSURE, "⬅️ Quay lại", "✖️ Hủy"]
    await lan.presses(UNSURE)
    assert after_press(wire.last_text(4242), UNSURE).startswith(
        "<b>Bước 3/12.</b> Việc này diễn ra ở")
    state = await storage.dialogs.load("telegram", "4242")
    assert state is not None
    assert state.data["content"] is None and state.data["movement"] is None


async def test_stats_export_stories_and_nominations_take_a_story_without_a_content(
    chat: FakeChat, storage: Storage, reviewer: FakeChat, dialog: Dialog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.charts

    for name in ("bar_chart", "stacked_weeks"):  # drawing is slow; the words are what count
        monkeypatch.setattr(bot.charts, name, lambda *args, **kwargs: b"")
    await agree(chat)
    await files_unsure(chat)
    await chat.picks("Gửi")
    await reviewer.says("/approve 1")
    assert reviewer.text.startswith("✅ Đã duyệt #1")

    await reviewer.says("/stats")
    assert "Theo nội dung thi đua:\nchưa chọn: 1" in reviewer.text
    replies = await reviewer.says("/export")
    [workbook] = [f for r in replies for f in r.files]
    book = load_workbook(io.BytesIO(workbook.data))
    rows: list[Any] = [list(r) for r in book["Danh sách"].iter_rows(values_only=True)]
    assert any(TITLE in [str(v) for v in row] for row in rows[4:])  # under title and header
    contents = [list(r) for r in book["Theo nội dung thi đua"].iter_rows(min_row=5,
                                                                          values_only=True)]
    assert contents[-2][:2] == [None, "Chưa xác định nội dung"] and contents[-2][-1] == 1

    await chat.says("/stories")
    assert chat.options()[0] == f"#1 · {TITLE}"
    await chat.says("/story 1")
    assert TITLE in chat.text

    found = await storage.people.find("fake", "r1")
    assert found is not None
    assert (await storage.reports.nominate(1, "bang_khen", "Tiêu biểu của phường",
                                           found.id)).ok
    await reviewer.says("/nominations")
    assert "#1" in reviewer.text
    library = load_library(dialog.settings.content_folder)
    assert library.campaigns.unknown(await storage.stories.keys_in_use()) == []


# --- nobody without buttons is told to press one ---------------------------------------------

# Keys whose words name a button, and where they are shown instead on channels without buttons.
SHOWN_WITH_BUTTONS_ONLY = {
    "report.ask_location": "report.ask_location_typed (traits.can_request_location)",
    "report.ask_phone": "report.ask_phone_typed (traits.can_request_contact)",
    "group.private_only": "a Telegram group: tapping the bot's name, not a button",
}
PRESS = {"vi": re.compile(r"\bbấm\b", re.IGNORECASE), "en": re.compile(r"\bpress", re.IGNORECASE)}


def _entries(language: str) -> dict[str, str]:
    folder = Path(__file__).parent.parent / "bot" / "content"
    out: dict[str, str] = {}
    for path in sorted(folder.glob(f"{language}*.toml")):
        def walk(table: dict[str, Any], prefix: str = "") -> None:
            for key, value in table.items():
                if isinstance(value, dict):
                    walk(value, f"{prefix}{key}.")
                else:
                    out[f"{prefix}{key}"] = str(value)
        walk(tomllib.loads(path.read_text(encoding="utf-8")))
    return out


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_text_that_says_press_has_a_typed_variant_or_is_shown_with_buttons_only(
    language: str,
) -> None:
    entries = _entries(language)
    pressing = {key for key, text in entries.items() if PRESS[language].search(text)}
    untyped = {key for key in pressing
               if f"{key}_typed" not in entries and not key.endswith("_typed")}
    assert untyped <= set(SHOWN_WITH_BUTTONS_ONLY), sorted(untyped - set(SHOWN_WITH_BUTTONS_ONLY))
    for key in pressing & {k.removesuffix("_typed") for k in entries if k.endswith("_typed")}:
        assert not PRESS[language].search(entries[f"{key}_typed"]), key


async def test_a_whole_report_with_mistakes_on_the_console_never_says_press(
    dialog: Dialog,
) -> None:
    person = FakeChat(dialog, "u9", name="Lê Văn Chín")
    said: list[str] = []

    async def step(how: str, value: str) -> None:
        await (person.picks(value) if how == "picks" else person.says(value))
        said.append(person.text)

    for how, value in [
        ("says", "/start"), ("says", "chưa biết"), ("picks", "Tôi đồng ý"), ("says", "/help"),
        ("says", "/report"), ("says", "không biết"), ("picks", "Gương người tốt"),
        ("says", "9"), ("picks", "Không rõ"), ("says", "long xuyen"), ("says", "Huy"),
        ("says", "nông dân"), ("says", TITLE), ("says", "ngắn"),
        ("says", "Ông Huy sửa cây cầu khỉ qua kênh cho học sinh đi học an toàn mỗi ngày."),
        ("says", "31/02/2025"), ("says", "hôm qua"), ("says", "ảnh đây"),
        ("picks", "Bỏ qua"), ("says", "abc"), ("picks", "Bỏ qua"), ("says", "12345"),
        ("picks", "Bỏ qua"), ("says", "có lẽ"), ("picks", "Không, giấu tên tôi"),
        ("says", "gửi đi"), ("picks", "Gửi"), ("says", "/subscribe"), ("says", "/mystories"),
    ]:
        await step(how, value)

    assert "Câu chuyện của bạn là #1." in "\n".join(said)
    for text in said:
        assert not PRESS["vi"].search(text), text
