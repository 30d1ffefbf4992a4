"""Where a conversation stands survives restarts, expires after a day, and never goes astray."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.strategies as st
from hypothesis import HealthCheck, given

from bot.config import Settings
from bot.dialog import Dialog
from bot.handlers import REPORT_STEPS
from bot.storage import DialogState, Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, file_report
from tests.journeys import GOOD_TITLE, STEPS, agree, answer, answer_from, report_until

MENU = "Bạn muốn làm gì? Chọn một việc dưới đây:"
EXPIRED = (
    "Câu chuyện bạn đang kể dở đã quá 24 giờ không có trả lời nên đã được đóng lại. "
    "Bạn có thể bắt đầu lại bất cứ lúc nào bằng /report."
)
ERROR = "Xin lỗi, đã có lỗi xảy ra."


async def _state(storage: Storage, chat_id: str = "u1") -> DialogState:
    state = await storage.dialogs.load("fake", chat_id)
    assert state is not None
    return state


async def _person(storage: Storage) -> dict[str, Any]:
    row = await storage.db.fetchone(
        "SELECT display_name, username, consent, language FROM people"
        " WHERE channel = 'fake' AND external_id = 'u1'"
    )
    assert row is not None
    return dict(row)


# --- restart -------------------------------------------------------------------------------------


async def _restart_at(step: str, settings: Settings) -> tuple[str, Storage]:
    """Answer up to `step` over one storage, 'crash', and continue over a new one to the end."""
    first = await open_storage(settings.database_path)
    chat = FakeChat(Dialog(first, settings))
    try:
        await agree(chat)
        await report_until(chat, step)
    finally:
        await first.close()  # the process dies here; nothing lives on but the file

    second = await open_storage(settings.database_path)
    chat.dialog = Dialog(second, settings)
    state = await _state(second)
    assert (state.flow, state.step) == ("report", step)
    await answer_from(chat, step)
    return chat.text, second


async def test_after_a_restart_at_the_title_the_report_continues_and_files_as_number_1(
    settings: Settings,
) -> None:
    first = await open_storage(settings.database_path)
    chat = FakeChat(Dialog(first, settings))
    await agree(chat)
    await report_until(chat, "title")
    await first.close()

    second = await open_storage(settings.database_path)
    try:
        chat.dialog = Dialog(second, settings)
        await chat.says(GOOD_TITLE)
        assert "Kể lại việc làm đó: đã làm gì, khi nào, kết quả ra sao (40–3000 ký tự)." in (
            chat.text
        )
        state = await _state(second)
        assert (state.step, state.data["title"], state.data["honoree"]) == (
            "description", GOOD_TITLE, "Nguyễn Văn An")
        await answer_from(chat, "description")
        assert "✅ Đã gửi! Câu chuyện của bạn là #1." in chat.text
        story = await second.stories.get(1)
        assert story is not None
        assert (story.status, story.title, story.description, story.commune_code) == (
            "pending", GOOD_TITLE, GOOD_DESCRIPTION, 30307)
        assert (await _state(second)).flow == ""
    finally:
        await second.close()


async def test_after_a_restart_at_a_numbered_choice_the_numbers_still_mean_the_same(
    settings: Settings,
) -> None:
    for step in ("kind", "photos", "show_name", "summary"):
        path = settings.database_path.with_name(f"{step}.sqlite3")
        said, storage = await _restart_at(step, settings.model_copy(update={"database_path": path}))
        try:
            assert "✅ Đã gửi! Câu chuyện của bạn là #1." in said, step
            story = await storage.stories.get(1)
            assert story is not None and story.kind == "good_deed" and story.show_name is False
        finally:
            await storage.close()


# --- expiry --------------------------------------------------------------------------------------

T0 = datetime(2025, 9, 3, 2, 0, tzinfo=UTC)


async def test_a_report_left_for_25_hours_is_closed_with_a_note(
    chat: FakeChat, storage: Storage
) -> None:
    chat.now = T0
    await agree(chat)
    await report_until(chat, "title")
    chat.now = T0 + timedelta(hours=25)
    await chat.says(GOOD_TITLE)
    assert EXPIRED in chat.text
    assert MENU in chat.text
    state = await _state(storage)
    assert (state.flow, state.step, state.data) == ("", "", {})
    row = await storage.db.fetchone("SELECT COUNT(*) FROM stories")
    assert row is not None and row[0] == 0


async def test_an_old_option_number_after_expiry_does_not_answer_the_closed_report(
    chat: FakeChat, storage: Storage
) -> None:
    chat.now = T0
    await agree(chat)
    await report_until(chat, "photos")
    chat.now = T0 + timedelta(hours=25)
    await chat.says("1")  # was "Bỏ qua" a day ago
    assert EXPIRED in chat.text
    assert (await _state(storage)).flow == ""
    chat.now = T0 + timedelta(hours=25, minutes=1)
    await chat.says("/report")
    assert EXPIRED not in chat.text
    state = await _state(storage)
    assert (state.flow, state.step, set(state.data)) == ("report", "kind", {"key", "campaign"})


async def test_a_report_left_for_23_hours_continues(chat: FakeChat, storage: Storage) -> None:
    chat.now = T0
    await agree(chat)
    await report_until(chat, "title")
    chat.now = T0 + timedelta(hours=23)
    await chat.says(GOOD_TITLE)
    assert EXPIRED not in chat.text
    state = await _state(storage)
    assert (state.flow, state.step, state.data["title"]) == ("report", "description", GOOD_TITLE)
    # The clock restarts with every answer: another 23 hours later it is still open.
    chat.now = T0 + timedelta(hours=46)
    await chat.says(GOOD_DESCRIPTION)
    assert EXPIRED not in chat.text
    assert (await _state(storage)).step == "date"


# --- erasure, language, my stories -------------------------------------------------------------


async def test_deleteme_withdraws_the_pending_story_and_forgets_the_person(
    chat: FakeChat, storage: Storage
) -> None:
    await file_report(chat)
    assert (await _person(storage))["display_name"] == "Trần Thị Bình"
    known = await storage.people.find("fake", "u1")
    assert known is not None
    await chat.says("/deleteme")
    assert "Bạn có chắc muốn xóa toàn bộ dữ liệu cá nhân của mình?" in chat.text
    assert chat.options() == ["🗑 Xóa dữ liệu của tôi", "Giữ lại"]
    await chat.picks("Xóa dữ liệu của tôi")
    assert (
        "Đã xóa dữ liệu cá nhân của bạn. 1 câu chuyện chưa duyệt đã được rút lại. "
        "Cảm ơn bạn đã đồng hành cùng Gương Sáng."
    ) in chat.text
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.reporter_id, story.reporter_phone) == ("withdrawn", None, None)
    # The person's row stays for the audit, anonymous: no name, and no platform id.
    assert await storage.people.find("fake", "u1") is None
    row = await storage.db.fetchone("SELECT * FROM people WHERE id = ?", (known.id,))
    assert row is not None
    assert (row["display_name"], row["username"], row["consent"]) == (None, None, None)
    assert row["external_id"].startswith("erased:") and "u1" not in row["external_id"]
    await chat.says("/mystories")
    assert "Bạn chưa gửi câu chuyện nào." in chat.text
    assert (await _person(storage))["display_name"] is None  # writing again stores no name


async def test_deleteme_can_be_called_off(chat: FakeChat, storage: Storage) -> None:
    await file_report(chat)
    await chat.says("/deleteme")
    await chat.picks("Giữ lại")
    assert "Dữ liệu của bạn được giữ nguyên." in chat.text
    story = await storage.stories.get(1)
    assert story is not None and story.status == "pending" and story.reporter_id is not None
    assert (await _person(storage))["consent"] == 1


async def test_deleteme_withdraws_every_story_not_yet_approved(
    chat: FakeChat, storage: Storage
) -> None:
    """The privacy notice promises that stories not yet approved are withdrawn; a story a
    commune reviewer has recommended to the province is not approved yet."""
    await file_report(chat)
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE stories SET status = 'recommended' WHERE id = 1")
    await chat.says("/deleteme")
    await chat.picks("Xóa dữ liệu của tôi")
    assert "1 câu chuyện chưa duyệt đã được rút lại." in chat.text
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.reporter_id) == ("withdrawn", None)


async def test_language_english_makes_the_next_replies_english(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await chat.says("/language")
    assert "Chọn ngôn ngữ / Choose your language:" in chat.text
    assert chat.options() == ["Tiếng Việt", "English"]
    await chat.picks("English")
    assert "Switched to English." in chat.text
    assert "What would you like to do? Choose below:" in chat.text
    assert (await _person(storage))["language"] == "en"
    await chat.says("/report")
    assert "Step 1/12. What would you like to tell about?" in chat.text
    assert "Bước 1/12." not in chat.text
    await chat.says("/language")
    await chat.picks("Tiếng Việt")
    assert "Đã chuyển sang Tiếng Việt." in chat.text
    assert (await _person(storage))["language"] == "vi"


async def test_mystories_lists_newest_first_with_the_status_in_words(
    chat: FakeChat, storage: Storage
) -> None:
    await file_report(chat, title="Sửa cầu khỉ kênh Xáng")
    await report_until(chat, "title")
    await answer_from(chat, "title", title="Dạy bơi miễn phí cho trẻ em")
    assert "#2" in chat.text
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE stories SET status = 'approved' WHERE id = 1")

    await chat.says("/mystories")
    said = chat.text
    assert "Câu chuyện của bạn (2) — trang 1/1" in said
    newest, oldest = said.index("#2 Dạy bơi miễn phí cho trẻ em"), said.index(
        "#1 Sửa cầu khỉ kênh Xáng")
    assert newest < oldest
    assert "⏳ Đang chờ duyệt" in said[newest:oldest]
    assert "✅ Đã duyệt" in said[oldest:]
    assert "pending" not in said and "approved" not in said


async def test_mystories_before_any_story(chat: FakeChat) -> None:
    await agree(chat)
    await chat.says("/mystories")
    assert "Bạn chưa gửi câu chuyện nào. Gõ /report để kể một gương sáng." in chat.text


# --- never silence -------------------------------------------------------------------------------


async def test_an_unknown_command_and_free_text_get_the_main_menu(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await chat.says("/foo")
    assert "Bot chưa có lệnh /foo. Gõ /help để xem các lệnh." in chat.text
    assert MENU in chat.text
    for message in ("xin chào", "1234567", "😀"):
        await chat.says(message)
        assert "Mình chưa hiểu ý bạn." in chat.text, message
        assert MENU in chat.text
        assert "📝 Kể một gương sáng" in chat.options()
        assert (await _state(storage)).flow == ""


async def test_a_stranger_writing_anything_gets_the_welcome_and_the_consent_question(
    chat: FakeChat, storage: Storage
) -> None:
    await chat.says("/foo")
    assert "Đây là Gương Sáng" in chat.text
    assert chat.options() == ["✅ Tôi đồng ý", "Không, để sau"]
    await chat.says("xin chào")  # not a yes or a no: the short question, not the notice again
    assert "Bạn gõ đồng ý nếu đồng ý, hoặc không nếu chưa muốn" in chat.text
    assert "Quyền riêng tư của bạn" not in chat.text
    assert chat.options() == ["✅ Tôi đồng ý", "Không, để sau"]
    assert (await _person(storage))["consent"] is None


# --- whatever arrives, in whatever order -------------------------------------------------------

TEXTS = st.one_of(
    st.text(max_size=200),
    st.sampled_from([
        "bỏ qua", "Bỏ qua", "long xuyen", "đông", "rach gai", "hôm nay", "hom qua", "02/09/2025",
        "31/02/2025", "1/1/2099", "Nguyễn Văn An", GOOD_TITLE, GOOD_DESCRIPTION,
        "<b>x</b> & <i>", "<script>alert(1)</script>", "&amp;", "</i>", "0912345678",
        "10.3759, 105.4185", "Gửi", "Sửa", "Tiêu đề", "Tiếp tục", "Làm lại từ đầu", "Quay lại",
        "Hủy", "Xong", "\u200b", " ", "/", "Tôi đồng ý", "Không, để sau", "English",
    ]),
    st.from_regex(r"\A[0-9]{1,12}\Z"),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(700, 2000)),
)
MESSAGES = st.one_of(
    st.tuples(st.just("text"), TEXTS),
    st.tuples(st.just("text"), st.sampled_from(
        ["/report", "/cancel", "/start", "/help", "/mystories", "/foo"])),
    st.tuples(st.just("text"), st.integers(0, 14).map(str)),
    st.tuples(st.just("photo"), st.text(min_size=1, max_size=20)),
    st.tuples(st.just("sticker"), st.none()),
    st.tuples(st.just("location"), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
    st.tuples(st.just("contact"), st.tuples(
        st.sampled_from(["0912345678", "+84 912 345 678", "12", ""]), st.booleans())),
)


async def _send(chat: FakeChat, kind: str, payload: Any) -> list[Any]:
    if kind == "text":
        return await chat.says(payload)
    if kind == "photo":
        return await chat.photo(payload)
    if kind == "sticker":
        return await chat.sticker()
    if kind == "location":
        return await chat.location(*payload)
    return await chat.contact(*payload)


async def _throw(start: str | None, messages: list[tuple[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.sqlite3"
        settings = Settings(_env_file=None, database_path=path)  # type: ignore[call-arg]
        storage = await open_storage(path)
        try:
            chat = FakeChat(Dialog(storage, settings))
            await agree(chat)
            if start is not None:  # begin somewhere inside a report, not only at the menu
                await report_until(chat, start)
            for kind, payload in messages:
                replies = await _send(chat, kind, payload)
                what = f"after {kind} {payload!r}"
                assert len(replies) >= 1, what
                assert all(r.text.strip() for r in replies), what
                assert ERROR not in chat.text, what
                state = await _state(storage)
                assert state.flow in ("", "report"), what
                if state.flow == "report":
                    assert state.step in [*REPORT_STEPS, "edit_pick", "confirm_cancel"], what
                else:
                    assert state.step == "", what
        finally:
            await storage.close()


@hypothesis.settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.none(), st.sampled_from(STEPS)), st.lists(MESSAGES, max_size=25))
def test_any_sequence_of_messages_gets_an_answer_and_leaves_a_valid_dialog(
    start: str | None, messages: list[tuple[str, Any]]
) -> None:
    asyncio.run(_throw(start, messages))


def test_the_fuzzed_steps_are_the_steps_of_the_report() -> None:
    assert set(STEPS) - {"movement"} <= set(REPORT_STEPS)
    assert "movement" in REPORT_STEPS and REPORT_STEPS[-1] == "summary"


async def test_the_walk_helper_answers_each_step_once(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    await chat.says("/report")
    for step in STEPS[:-1]:
        assert (await _state(storage)).step == step
        await answer(chat, step)
    assert (await _state(storage)).step == "summary"
