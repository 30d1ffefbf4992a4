"""What a resident sees when an answer is wrong, odd or out of place, and what is (not) stored."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.storage import DialogState, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat
from tests.journeys import GOOD_TITLE, agree, answer_from, report_until

USE_CHOICES = (
    "Vui lòng chọn một trong các lựa chọn bên dưới: gõ số thứ tự (1, 2, 3…) hoặc gõ"
    " đúng tên lựa chọn."
)
ASK_TITLE = "Bước 6/12. Đặt một tiêu đề ngắn cho câu chuyện (tối đa 120 ký tự)."
ASK_DESCRIPTION = "Kể lại việc làm đó: đã làm gì, khi nào, kết quả ra sao (40–3000 ký tự)."
ASK_DATE = "Bước 8/12. Việc này diễn ra ngày nào?"
ASK_KIND = "Bước 1/12. Bạn muốn kể về điều gì?"
ASK_COMMUNE = "Bước 3/12. Việc này diễn ra ở xã, phường hay đặc khu nào?"
ASK_PHOTOS = "Bước 9/12. Gửi tối đa 5 ảnh minh họa (không bắt buộc)."
MENU = "Bạn muốn làm gì? Chọn một việc dưới đây:"


async def _state(storage: Storage) -> DialogState:
    state = await storage.dialogs.load("fake", "u1")
    assert state is not None
    return state


async def _stories(storage: Storage) -> int:
    row = await storage.db.fetchone("SELECT COUNT(*) FROM stories")
    assert row is not None
    return int(row[0])


async def _person(storage: Storage) -> dict[str, Any]:
    row = await storage.db.fetchone(
        "SELECT display_name, username, consent FROM people"
        " WHERE channel = 'fake' AND external_id = 'u1'"
    )
    assert row is not None
    return dict(row)


async def _stays(storage: Storage, step: str, before: dict[str, Any]) -> None:
    """The dialog is still at `step` and every earlier answer is as it was."""
    state = await _state(storage)
    assert (state.flow, state.step) == ("report", step)
    assert state.data == before


# --- lengths -----------------------------------------------------------------------------------


async def test_a_title_that_is_too_short_is_refused_and_asked_again(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    assert before["honoree"] == "Nguyễn Văn An"

    await chat.says("Cầu")
    assert "Hơi ngắn quá: cần ít nhất 5 ký tự (bạn đã gõ 3)." in chat.text
    assert ASK_TITLE in chat.text
    await _stays(storage, "title", before)


async def test_a_title_of_5000_characters_is_refused_as_too_long(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    await chat.says("Cầu" + "x" * 4997)
    assert "Dài quá: tối đa 120 ký tự (bạn đã gõ 5000)." in chat.text
    assert ASK_TITLE in chat.text
    await _stays(storage, "title", before)


async def test_a_description_of_5000_characters_is_refused_as_too_long(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "description")
    before = (await _state(storage)).data
    assert before["title"] == GOOD_TITLE
    long_text = ("Ông An sửa cầu cho bà con ấp Mỹ Thạnh đi lại. " * 120)[:4999] + "!"
    assert len(long_text) == 5000
    await chat.says(long_text)
    assert "Dài quá: tối đa 3000 ký tự (bạn đã gõ 5000)." in chat.text
    assert ASK_DESCRIPTION in chat.text
    await _stays(storage, "description", before)


async def test_a_description_under_40_characters_is_refused(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "description")
    before = (await _state(storage)).data
    await chat.says("Ông An rất tốt bụng.")
    assert "Hơi ngắn quá: cần ít nhất 40 ký tự (bạn đã gõ 20)." in chat.text
    assert ASK_DESCRIPTION in chat.text
    await _stays(storage, "description", before)
    await chat.says(GOOD_DESCRIPTION)
    state = await _state(storage)
    assert (state.step, state.data["description"]) == ("date", GOOD_DESCRIPTION)


# --- dates ---------------------------------------------------------------------------------------

# 18:00 UTC on 10 June is already 01:00 on 11 June in An Giang.
EVENING_UTC = datetime(2025, 6, 10, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("31/02/2025", "Mình chưa đọc được ngày này. Hãy gõ ngày/tháng hoặc ngày/tháng/năm, "
                       "ví dụ 2/9 hay 02/09/2025, hoặc “hôm nay”."),
        ("abc", "Mình chưa đọc được ngày này. Hãy gõ ngày/tháng hoặc ngày/tháng/năm, "
                "ví dụ 2/9 hay 02/09/2025, hoặc “hôm nay”."),
        ("12/06/2025", "Ngày 12/06/2025 ở tương lai. Hãy chọn một ngày đã diễn ra."),
        ("1/1/2026", "Ngày 01/01/2026 ở tương lai. Hãy chọn một ngày đã diễn ra."),
        ("01/01/1999", "Ngày 01/01/1999 quá xa (trước năm 2000). Hãy kiểm tra lại."),
    ],
)
async def test_an_impossible_or_future_date_is_refused(
    chat: FakeChat, storage: Storage, typed: str, said: str
) -> None:
    chat.now = EVENING_UTC
    await agree(chat)
    await report_until(chat, "date")
    before = (await _state(storage)).data
    await chat.says(typed)
    assert said in chat.text
    assert ASK_DATE in chat.text
    await _stays(storage, "date", before)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("11/06/2025", "2025-06-11"),  # today in An Giang, though still the 10th in UTC
        ("hôm nay", "2025-06-11"),
        ("Hôm nay", "2025-06-11"),
        ("hom qua", "2025-06-10"),
        ("10-6-25", "2025-06-10"),
        ("02/09/2024", "2024-09-02"),
    ],
)
async def test_a_past_date_today_and_yesterday_are_taken_in_an_giang_time(
    chat: FakeChat, storage: Storage, typed: str, stored: str
) -> None:
    chat.now = EVENING_UTC
    await agree(chat)
    await report_until(chat, "date")
    await chat.says(typed)
    assert ASK_PHOTOS in chat.text
    state = await _state(storage)
    assert (state.step, state.data["date"]) == ("photos", stored)


async def test_the_today_option_is_the_an_giang_date(chat: FakeChat, storage: Storage) -> None:
    chat.now = EVENING_UTC
    await agree(chat)
    await report_until(chat, "date")
    await chat.picks("Hôm nay")
    state = await _state(storage)
    assert (state.step, state.data["date"]) == ("photos", "2025-06-11")


# --- the wrong kind of message -------------------------------------------------------------------


async def test_a_photo_at_the_title_step_is_refused_and_the_title_asked_again(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    await chat.photo("photo-1")
    assert "Bước này cần câu trả lời bằng chữ, không phải ảnh." in chat.text
    assert ASK_TITLE in chat.text
    await _stays(storage, "title", before)
    assert "photo-1" not in str((await _state(storage)).data)


@pytest.mark.parametrize("step", ["kind", "title", "date", "photos"])
async def test_a_sticker_is_not_understood_and_the_same_step_is_asked_again(
    chat: FakeChat, storage: Storage, step: str
) -> None:
    await agree(chat)
    await report_until(chat, step)
    before = (await _state(storage)).data
    asked = chat.text.split("\n")[-1]
    await chat.sticker()
    assert "Mình chưa đọc được loại tin nhắn này (nhãn dán, ghi âm, tệp…)." in chat.text
    assert asked in chat.text
    await _stays(storage, step, before)


async def test_a_sticker_outside_a_report_gets_the_menu(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    await chat.sticker()
    assert "Mình chưa đọc được loại tin nhắn này (nhãn dán, ghi âm, tệp…)." in chat.text
    assert MENU in chat.text
    assert "📝 Kể một gương sáng" in chat.options()
    assert (await _state(storage)).flow == ""


async def test_a_number_beyond_the_three_options_re_asks_the_same_step(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "photos")
    assert chat.options() == ["Bỏ qua", "⬅️ Quay lại", "✖️ Hủy"]
    before = (await _state(storage)).data
    for typed in ("9", "4", "0"):
        await chat.says(typed)
        assert USE_CHOICES in chat.text
        assert ASK_PHOTOS in chat.text
        assert chat.options() == ["Bỏ qua", "⬅️ Quay lại", "✖️ Hủy"]
        await _stays(storage, "photos", {**before, "photos": []})  # no photo collected
    await chat.says("1")
    assert (await _state(storage)).step == "location"


async def test_a_number_beyond_the_kinds_re_asks_the_kind(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    await chat.says("/report")
    assert len(chat.options()) == 5  # four kinds and Cancel
    await chat.says("9")
    assert USE_CHOICES in chat.text
    assert ASK_KIND in chat.text
    state = await _state(storage)
    assert (state.step, "kind" in state.data) == ("kind", False)


async def test_free_text_at_a_choice_step_is_refused_but_an_option_name_is_taken(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await chat.says("/report")
    await chat.says("xin chào, tôi muốn kể chuyện")
    assert USE_CHOICES in chat.text
    assert ASK_KIND in chat.text
    state = await _state(storage)
    assert (state.step, "kind" in state.data) == ("kind", False)
    await chat.says("nhan to moi")
    state = await _state(storage)
    assert (state.step, state.data["kind"]) == ("content", "new_factor")


# --- what is typed is kept as typed ------------------------------------------------------------


async def test_markup_in_the_honoree_name_is_stored_and_shown_literally(
    chat: FakeChat, storage: Storage
) -> None:
    name = "<b>x</b> & <i>"
    await agree(chat)
    await report_until(chat, "honoree")
    await chat.says(name)
    assert (await _state(storage)).data["honoree"] == name
    await answer_from(chat, "honoree_role", "show_name")
    assert "Xem lại câu chuyện của bạn" in chat.text
    assert f"Người/tập thể được nêu gương: {name} — nông dân ấp Mỹ Thạnh" in chat.text
    markup = "\n".join(r.text for r in chat.replies)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; &lt;i&gt;" in markup
    assert "<b>x</b>" not in markup and "& <i>" not in markup
    await chat.picks("Gửi")
    story = await storage.stories.get(1)
    assert story is not None and story.honoree_name == name


async def test_zero_width_characters_are_removed_and_the_title_stored_in_nfc(
    chat: FakeChat, storage: Storage
) -> None:
    typed = unicodedata.normalize("NFD", "\u200bSửa cầu\u200b khỉ 🌉\ufeff cho bà con\u200b")
    assert typed != unicodedata.normalize("NFC", typed)
    await agree(chat)
    await report_until(chat, "title")
    await chat.says(typed)
    expected = "Sửa cầu khỉ 🌉 cho bà con"
    state = await _state(storage)
    assert (state.step, state.data["title"]) == ("description", expected)
    assert unicodedata.is_normalized("NFC", state.data["title"])
    await answer_from(chat, "description", "show_name")
    assert f"Tiêu đề: {expected}" in chat.text
    await chat.picks("Gửi")
    story = await storage.stories.get(1)
    assert story is not None and story.title == expected


async def test_invisible_characters_do_not_count_towards_the_length(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    await chat.says("C\u200bầ\u200bu\u200b\u200b\u200b\u200b")
    assert "Hơi ngắn quá: cần ít nhất 5 ký tự (bạn đã gõ 3)." in chat.text
    await _stays(storage, "title", before)


# --- /report again, /cancel, Back, Edit --------------------------------------------------------


async def test_a_second_report_offers_to_continue_and_continuing_keeps_the_answers(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    await chat.says("/report")
    assert (
        "Bạn đang kể dở một câu chuyện (đang ở bước: tiêu đề). "
        "Bạn muốn tiếp tục hay làm lại từ đầu?"
    ) in chat.text
    assert chat.options() == ["▶️ Tiếp tục", "🔄 Làm lại từ đầu", "✖️ Hủy"]
    await _stays(storage, "title", before)

    await chat.picks("Tiếp tục")
    assert ASK_TITLE in chat.text
    await _stays(storage, "title", before)
    await chat.says(GOOD_TITLE)
    state = await _state(storage)
    assert state.step == "description"
    assert state.data == {**before, "title": GOOD_TITLE}


async def test_starting_over_forgets_the_answers(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    await report_until(chat, "title")
    before = (await _state(storage)).data
    await chat.says("/report")
    await chat.picks("Làm lại từ đầu")
    assert ASK_KIND in chat.text
    state = await _state(storage)
    assert (state.flow, state.step) == ("report", "kind")
    assert set(state.data) == {"key", "campaign"}  # the campaign it is filed under, no answer
    assert state.data["key"] != before["key"]


async def test_cancel_in_the_middle_ends_the_report_and_nothing_is_filed(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "date")
    await chat.says("/cancel")
    assert "Bạn có chắc muốn hủy câu chuyện đang kể?" in chat.text
    assert (await _state(storage)).step == "confirm_cancel"
    await chat.picks("Hủy câu chuyện")
    assert "Đã hủy câu chuyện. Không có gì được gửi đi." in chat.text
    assert MENU in chat.text
    state = await _state(storage)
    assert (state.flow, state.step, state.data) == ("", "", {})
    await chat.says("02/09/2025")  # the answer the report was waiting for, now out of place
    assert "Mình chưa hiểu ý bạn." in chat.text
    assert (await _state(storage)).flow == ""
    assert await _stories(storage) == 0


async def test_cancel_at_the_summary_files_nothing(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    await report_until(chat, "summary")
    assert "Xem lại câu chuyện của bạn" in chat.text
    await chat.picks("Hủy")
    assert "Bạn có chắc muốn hủy câu chuyện đang kể?" in chat.text
    assert await _stories(storage) == 0
    await chat.picks("Hủy câu chuyện")
    assert "Đã hủy câu chuyện. Không có gì được gửi đi." in chat.text
    assert (await _state(storage)).flow == ""
    assert await _stories(storage) == 0


async def test_keeping_on_after_cancel_returns_to_the_same_question_with_every_answer(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "summary")
    before = (await _state(storage)).data
    await chat.picks("Hủy")
    await chat.picks("Tiếp tục kể")
    assert "Xem lại câu chuyện của bạn" in chat.text
    state = await _state(storage)
    assert (state.step, state.data) == ("summary", before)
    await chat.picks("Gửi")
    assert await _stories(storage) == 1


async def test_cancelling_at_the_first_steps_asks_nothing(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "content")
    await chat.picks("Hủy")
    assert "Đã hủy câu chuyện. Không có gì được gửi đi." in chat.text
    assert (await _state(storage)).flow == ""


async def test_back_goes_to_the_previous_step_keeping_its_answer(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "honoree_role")
    await chat.says("/back")  # typed answers are free text here: /back goes back
    assert "Bước 4/12. Ai là người (hoặc tập thể) được nêu gương?" in chat.text
    state = await _state(storage)
    assert (state.step, state.data["honoree"]) == ("honoree", "Nguyễn Văn An")
    await chat.says("/back")
    assert ASK_COMMUNE in chat.text
    assert (await _state(storage)).step == "commune"
    await chat.says("/back")  # content 1 has no national movement: straight to content
    assert "Bước 2/12. Câu chuyện thuộc nội dung thi đua nào?" in chat.text
    assert (await _state(storage)).step == "content"
    await chat.picks("Quay lại")
    assert ASK_KIND in chat.text
    state = await _state(storage)
    assert (state.step, state.data["kind"], state.data["content"]) == (
        "kind", "good_deed", "policy_law")


async def test_back_from_the_commune_returns_to_the_movement_when_there_is_one(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "content")
    await chat.picks("Thực hiện có hiệu quả các phong trào thi đua trọng tâm")
    assert "Câu chuyện có thuộc phong trào nào dưới đây không?" in chat.text
    await chat.picks("Cả nước chung sức xây dựng nông thôn mới")
    assert ASK_COMMUNE in chat.text
    await chat.says("/back")
    assert "Câu chuyện có thuộc phong trào nào dưới đây không?" in chat.text
    state = await _state(storage)
    assert (state.step, state.data["content"], state.data["movement"]) == (
        "movement", "key_movements", "new_rural_areas")


async def test_editing_the_title_from_the_summary_returns_to_the_summary(
    chat: FakeChat, storage: Storage
) -> None:
    await agree(chat)
    await report_until(chat, "summary")
    before = (await _state(storage)).data
    await chat.picks("Sửa")
    assert "Bạn muốn sửa mục nào?" in chat.text
    assert "Tiêu đề" in chat.options()
    await chat.picks("Tiêu đề")
    assert chat.text.startswith("Đặt một tiêu đề ngắn cho câu chuyện (tối đa 120 ký tự).")
    assert "Gõ /back để quay lại bản xem lại, /cancel để hủy." in chat.text  # not numbered
    assert (await _state(storage)).step == "title"
    await chat.says("Ông An bắc lại cầu khỉ kênh Xáng")
    assert "Xem lại câu chuyện của bạn" in chat.text
    assert "Tiêu đề: Ông An bắc lại cầu khỉ kênh Xáng" in chat.text
    assert f"Tiêu đề: {GOOD_TITLE}" not in chat.text
    assert "Địa bàn: Phường Long Xuyên" in chat.text
    state = await _state(storage)
    assert state.step == "summary"
    kept = {k: v for k, v in state.data.items() if k not in ("title", "editing")}
    assert kept == {k: v for k, v in before.items() if k != "title"}
    await chat.picks("Gửi")
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.title, story.honoree_name, story.description, story.commune_code) == (
        "Ông An bắc lại cầu khỉ kênh Xáng", "Nguyễn Văn An", GOOD_DESCRIPTION, 30307)


# --- consent ---------------------------------------------------------------------------------


async def test_report_without_consent_asks_for_consent_and_stores_no_story(
    chat: FakeChat, storage: Storage
) -> None:
    await chat.says("/report")
    assert "Để gửi câu chuyện, bạn cần đồng ý với chính sách quyền riêng tư trước." in chat.text
    assert "Quyền riêng tư của bạn" in chat.text
    assert chat.options() == ["✅ Tôi đồng ý", "Không, để sau"]
    state = await _state(storage)
    assert state.flow == "consent"
    assert await _person(storage) == {"display_name": None, "username": None, "consent": None}
    await chat.says("Gương người tốt, việc tốt")  # trying to answer anyway
    assert "Bạn gõ đồng ý nếu đồng ý, hoặc không nếu chưa muốn" in chat.text
    assert "Quyền riêng tư của bạn" not in chat.text  # not the whole notice again
    assert (await _state(storage)).flow == "consent"
    assert await _person(storage) == {"display_name": None, "username": None, "consent": None}
    assert await _stories(storage) == 0


async def test_refusing_consent_stores_no_name(chat: FakeChat, storage: Storage) -> None:
    await chat.says("/start")
    await chat.picks("Không, để sau")
    assert (
        "Không sao. Chúng tôi không lưu thông tin cá nhân nào của bạn." in chat.text
    )
    assert await _person(storage) == {"display_name": None, "username": None, "consent": 0}
    await chat.says("/report")
    assert "Để gửi câu chuyện, bạn cần đồng ý với chính sách quyền riêng tư trước." in chat.text
    await chat.says("/help")
    assert await _person(storage) == {"display_name": None, "username": None, "consent": 0}
    assert (await _state(storage)).flow == "consent"  # still only the question, no report
    assert await _stories(storage) == 0


async def test_consenting_from_report_by_typing_yes_goes_straight_on_to_the_report(
    chat: FakeChat, storage: Storage
) -> None:
    await chat.says("/report")
    await chat.says("dong y")
    assert "Cảm ơn bạn đã đồng ý!" in chat.text
    assert "Bước 1/12. Bạn muốn kể về điều gì?" in chat.text
    assert "Quyền riêng tư của bạn" not in chat.text
    state = await _state(storage)
    assert (state.flow, state.step) == ("report", "kind")
    assert (await _person(storage))["consent"] == 1


@pytest.mark.parametrize("typed", ["Đồng ý", "đồng ý!", "OK", "có"])
async def test_a_typed_yes_at_the_consent_question_is_an_agreement(
    chat: FakeChat, storage: Storage, typed: str
) -> None:
    await chat.says("/start")
    await chat.says(typed)
    assert (await _person(storage))["consent"] == 1
    assert "Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng." in chat.text


async def test_a_typed_no_at_the_consent_question_stores_nothing(
    chat: FakeChat, storage: Storage
) -> None:
    await chat.says("/start")
    await chat.says("không")
    assert await _person(storage) == {"display_name": None, "username": None, "consent": 0}


async def test_agreeing_stores_the_name(chat: FakeChat, storage: Storage) -> None:
    await agree(chat)
    assert "Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng." in chat.text
    assert await _person(storage) == {
        "display_name": "Trần Thị Bình", "username": None, "consent": 1}
    await chat.says("/report")
    assert ASK_KIND in chat.text
    assert (await _state(storage)).step == "kind"
