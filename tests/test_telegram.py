"""Telegram end to end: the real python-telegram-bot Application, only the Bot API wire faked.

Every test drives real `telegram.Update` objects through `Application.process_update` and
asserts on exactly what went out on the wire: method, chat, text, parse mode and buttons.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from telegram.error import NetworkError
from telegram.request import RequestData

from bot.channels.telegram import set_commands
from bot.config import Settings
from bot.dialog import Dialog
from bot.logs import RedactSecrets, setup_logging
from bot.messages import Choice, Reply, esc
from bot.storage import NewStory, Storage
from tests.conftest import GOOD_DESCRIPTION, TelegramApp, start_telegram
from tests.wire import TOKEN, Call, RecordingRequest, TelegramPerson

LAN = 4242

# --- the words the bot must use (bot/content/vi.toml) -----------------------------------------

CONSENT_YES = "✅ Tôi đồng ý"
KIND_GOOD_DEED = "Gương người tốt, việc tốt"
CONTENT_1 = "1. Chấp hành chủ trương, chính sách, pháp luật"
ASK_TITLE = "<b>Bước 6/12.</b> Đặt một tiêu đề ngắn cho câu chuyện (tối đa 120 ký tự)."
ASK_HONOREE_ROLE = (
    "<b>Bước 5/12.</b> Người/tập thể đó là ai, làm gì, ở đơn vị nào? Ví dụ:"
    " <i>nông dân ấp Mỹ Thạnh</i>, <i>giáo viên Trường THCS Bình Đức</i>."
)
ASK_LOCATION = (
    "<b>Bước 10/12.</b> Bạn có muốn gửi vị trí nơi diễn ra việc này không? Bấm nút gửi vị trí,"
    " gõ tọa độ (ví dụ <i>10.3759, 105.4185</i>), hoặc <b>Bỏ qua</b>."
)
ASK_PHONE = (
    "<b>Bước 11/12.</b> Để Ban Thi đua liên hệ xác minh khi cần, bạn có thể chia sẻ số điện thoại"
    " (không bắt buộc, không bao giờ công khai). Bấm nút chia sẻ, gõ số, hoặc <b>Bỏ qua</b>."
)
SHARE_LOCATION = "📍 Gửi vị trí"
SHARE_PHONE = "📱 Chia sẻ số điện thoại"
SKIP, DONE = "Bỏ qua", "Xong"
SHOW_NAME_YES = "Có, ghi tên tôi"
SUBMIT = "📨 Gửi"
ASK_CONSENT = "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?"
ASK_SHOW_NAME = ("<b>Bước 12/12.</b> Khi câu chuyện được đăng, có ghi tên bạn (<b>Lan Nguyễn</b>)"
                 " là người gửi không?")
STALE = "Nút này thuộc một tin nhắn cũ và không còn dùng được."
UNSUPPORTED = "Mình chưa đọc được loại tin nhắn này (nhãn dán, ghi âm, tệp…)."
NO_PHOTO_HERE = "Bước này cần câu trả lời bằng chữ, không phải ảnh."
NEXT_PAGE, PREV_PAGE = "Trang sau ▶️", "◀️ Trang trước"


# --- a person whose button presses are counted ----------------------------------------------


class Resident(TelegramPerson):
    """A TelegramPerson that remembers the id of every callback query it sent."""

    def __init__(self, app: Any, wire: RecordingRequest, user_id: int = LAN, **kw: Any) -> None:
        super().__init__(app, wire, user_id, **kw)
        self.pressed: list[str] = []

    async def _process(self, payload: dict[str, Any]) -> None:
        if "callback_query" in payload:
            self.pressed.append(payload["callback_query"]["id"])
        await super()._process(payload)


# --- reading the wire ----------------------------------------------------------------------------


def inline_buttons(call: Call) -> list[dict[str, Any]]:
    """Every inline button a call carried (none for other markups)."""
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def labels(call: Call) -> list[str]:
    return [b["text"] for b in inline_buttons(call)]


def paging(call: Call) -> list[str]:
    """The page buttons among a message's buttons."""
    return [label for label in labels(call) if label in (NEXT_PAGE, PREV_PAGE)]


def numbers_on_buttons(call: Call) -> set[str]:
    """Story numbers (#n) named on a message's buttons."""
    return set(re.findall(r"#(\d+)", " ".join(labels(call))))


def texts(calls: list[Call]) -> list[str]:
    return [str(c.params["text"]) for c in calls if c.method == "sendMessage"]


def answered(question: str, label: str, then: str) -> str:
    """A question as a press leaves it: the label pressed below it, then the next words."""
    return f"{question}\n\n➜ <b>{esc(label)}</b>\n\n{then}"


_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_TAG = re.compile(r"</?(?:b|i|u|s|code)>")


class _TelegramHTML(HTMLParser):
    """What Telegram's HTML parse mode would make of a text: visible text, or the problems."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.visible: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("b", "i", "u", "s", "code") or attrs:
            self.problems.append(f"unsupported tag <{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def visible(markup: str) -> str:
    """The text Telegram shows for HTML markup; fails on markup Telegram would refuse."""
    for i, ch in enumerate(markup):
        if ch == "&":
            assert _ENTITY.match(markup, i), f"bare & at {i}: {markup[max(0, i - 20):i + 20]!r}"
        if ch == "<":
            assert _TAG.match(markup, i), f"stray < at {i}: {markup[max(0, i - 20):i + 20]!r}"
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    assert not parser.problems and not parser.open, (parser.problems, parser.open)
    return "".join(parser.visible)


def telegram_length(markup: str) -> int:
    """Length as the Bot API counts it: characters after entity parsing (tdlib utf8_length)."""
    return len(visible(markup))


# --- walking the journey -----------------------------------------------------------------------


async def consents(person: TelegramPerson) -> None:
    await person.says("/start")
    await person.presses(CONSENT_YES)


async def reaches_title(
    person: TelegramPerson,
    honoree: str = "Nguyễn Văn An",
    role: str = "nông dân ấp Mỹ Thạnh",
    content: str = CONTENT_1,
    movement: str | None = None,
) -> None:
    """From /start to the title question."""
    await consents(person)
    await person.says("/report")
    await person.presses(KIND_GOOD_DEED)
    await person.presses(content)
    if movement is not None:
        await person.presses(movement)
    await person.says("long xuyen")
    await person.says(honoree)
    await person.says(role)


async def step_of(storage: Storage, user_id: int = LAN) -> tuple[str, str, dict[str, Any]]:
    state = await storage.dialogs.load("telegram", str(user_id))
    assert state is not None
    return state.flow, state.step, state.data


async def files_the_whole_report(lan: Resident) -> None:
    """The journey of test 1: every kind of answer Telegram can carry."""
    await lan.says("/start")
    await lan.presses(CONSENT_YES)
    await lan.says("/report")
    await lan.presses(KIND_GOOD_DEED)
    await lan.presses(CONTENT_1)
    await lan.says("long xuyen")
    await lan.says("Nguyễn Văn An")
    await lan.says("nông dân ấp Mỹ Thạnh")
    await lan.says("Sửa cầu khỉ cho bà con ấp Mỹ Thạnh")
    await lan.says(GOOD_DESCRIPTION)
    await lan.says("02/09/2025")
    await lan.sends_photo("ph-1")
    await lan.sends_photo("ph-2")
    await lan.presses(DONE)
    await lan.sends_location(10.3759, 105.4185)
    await lan.sends_contact("+84 912 345 678")
    await lan.presses(SHOW_NAME_YES)
    await lan.presses(SUBMIT)


# --- 0. the welcome ---------------------------------------------------------------------------


async def test_start_sends_welcome_privacy_and_consent_buttons(tg: TelegramApp) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, LAN)
    await lan.says("/start")
    sent = wire.sent("sendMessage", LAN)
    assert "Gương Sáng" in sent[0].params["text"]
    assert all(c.params["parse_mode"] == "HTML" for c in sent)
    assert lan.buttons() == [CONSENT_YES, "Không, để sau"]
    mark = len(wire.calls)
    await lan.presses(CONSENT_YES)
    # One call answers the press, one writes the answer and the next question into its message.
    after = wire.calls[mark:]
    assert [c.method for c in after] == ["answerCallbackQuery", "editMessageText"]
    thanks = after[1]
    assert thanks.params["message_id"] == 555
    assert thanks.params["text"].startswith(answered(
        ASK_CONSENT, CONSENT_YES, "Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng."))
    assert labels(thanks)[-1] == "Để sau"


# --- 1. the whole journey -----------------------------------------------------------------------


async def test_a_resident_files_a_report_through_telegram_from_start_to_number_1(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await files_the_whole_report(lan)

    summary = wire.sent("editMessageText", LAN)[-2].params["text"]
    assert summary.startswith(answered(ASK_SHOW_NAME, SHOW_NAME_YES, "<b>Xem lại câu chuyện"))
    assert wire.last_text(LAN).startswith(answered(
        summary, SUBMIT, "✅ Đã gửi! Câu chuyện của bạn là <b>#1</b>."))

    story = await storage.stories.get(1)
    assert story is not None
    assert story.status == "pending"
    assert story.commune_code == 30307  # Phường Long Xuyên
    assert story.title == "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
    assert story.description == GOOD_DESCRIPTION
    assert story.event_date == "2025-09-02"
    assert story.photos == ["ph-1", "ph-2"]  # the largest size of each, not "-small"
    assert (story.latitude, story.longitude) == (10.3759, 105.4185)
    assert story.reporter_phone == "0912345678"
    assert story.show_name is True

    sent = wire.sent("sendMessage", LAN)
    assert sent and all(c.params.get("parse_mode") == "HTML" for c in sent)

    # Location and phone were asked with reply keyboards that request them from the client.
    location_q = next(c for c in sent if c.params["text"] == ASK_LOCATION)
    keyboard = location_q.params["reply_markup"]["keyboard"]
    assert keyboard[0][0]["text"] == SHARE_LOCATION
    assert keyboard[0][0]["request_location"] is True
    assert not keyboard[0][0].get("request_contact")
    assert [row[0]["text"] for row in keyboard[1:]] == [SKIP, "⬅️ Quay lại", "✖️ Hủy"]
    phone_q = next(c for c in sent if c.params["text"] == ASK_PHONE)
    first = phone_q.params["reply_markup"]["keyboard"][0][0]
    assert first["text"] == SHARE_PHONE
    assert first["request_contact"] is True
    assert not first.get("request_location")

    # Six presses: consent, kind, content, Xong, show-name, Gửi — each answered exactly once.
    assert len(lan.pressed) == 6
    queries = [c.params["callback_query_id"] for c in wire.sent("answerCallbackQuery")]
    assert queries == lan.pressed
    # ... and each pressed message lost its buttons, so it cannot be pressed twice: five got
    # the next question (and its new buttons) written in below the answer, in the same call;
    # "Xong" is followed by the location question, whose keyboard an edit cannot carry.
    after_press = [c for i, c in enumerate(wire.calls)
                   if i and wire.calls[i - 1].method == "answerCallbackQuery"]
    assert [c.method for c in after_press] == ["editMessageText"] * 3 + [
        "editMessageReplyMarkup"] + ["editMessageText"] * 2
    assert all(c.params["message_id"] == 555 for c in after_press)
    assert not after_press[3].params.get("reply_markup")
    assert [labels(c)[0] for c in after_press if c.method == "editMessageText"] == [
        "🔔 Nhận cả hai", "1. Chấp hành chủ trương, chính sách, pháp luật", "⬅️ Quay lại",
        SUBMIT, "📝 Kể một gương sáng"]


# --- 2. markup typed by people --------------------------------------------------------------


async def test_markup_typed_by_a_resident_is_stored_literally_and_shown_escaped(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire, first_name="<i>Lan</i>", last_name="& Co")
    title = "<b>Cầu</b> & <script>"
    honoree = "Ông <u>Tư</u> & con"
    description = GOOD_DESCRIPTION + " <a href='x'>xem</a> & <pre>"
    await reaches_title(lan, honoree=honoree)
    await lan.says(title)
    await lan.says(description)
    await lan.says("02/09/2025")
    await lan.presses(SKIP)
    await lan.says(SKIP)
    await lan.says(SKIP)
    await lan.presses(SHOW_NAME_YES)

    summary = wire.last_keyboard_message(LAN).params["text"]
    assert "<b>Tiêu đề:</b> &lt;b&gt;Cầu&lt;/b&gt; &amp; &lt;script&gt;\n" in summary
    assert "Ông &lt;u&gt;Tư&lt;/u&gt; &amp; con — nông dân ấp Mỹ Thạnh" in summary
    assert esc(description) in summary
    assert f"<b>Tiêu đề:</b> {title}" not in summary
    # The display name (also typed by a person, in their Telegram profile) is escaped too.
    ask_name = next(t for t in texts(wire.calls) if "có ghi tên bạn" in t)
    assert "(<b>&lt;i&gt;Lan&lt;/i&gt; &amp; Co</b>)" in ask_name
    # Telegram would accept every message: only our own tags, every & an entity.
    for text in texts(wire.calls):
        visible(text)

    await lan.presses(SUBMIT)
    assert "<b>#1</b>" in wire.last_text(LAN)
    row = await storage.db.fetchone("SELECT title, honoree_name, description FROM stories")
    assert row is not None
    assert tuple(row) == (title, honoree, description)


# --- 3. forged and stale buttons -------------------------------------------------------------


JUNK_64 = "Zm9yZ2VkLWNhbGxiYWNrLWRhdGEtdGhhdC1ub2JvZHktZXZlci1zZW50LXVzLTY0Yg"[:64]


@pytest.mark.parametrize(
    "data",
    ["zzz:0", "", JUNK_64, "{nonce}:999", "{nonce}:-1", "{nonce}:²"],
    ids=["unknown-key", "empty", "64-byte-junk", "index-out-of-range", "negative-index",
         "superscript-digit"],
)
async def test_a_forged_button_is_refused_and_the_dialog_stays_where_it_was(
    tg: TelegramApp, storage: Storage, data: str
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await reaches_title(lan)
    before = await step_of(storage)
    assert before[:2] == ("report", "title")
    state = await storage.dialogs.load("telegram", str(LAN))
    assert state is not None
    forged = data.format(nonce=state.prompt.nonce)
    assert len(forged.encode()) <= 64
    mark = len(wire.calls)

    await lan.presses_data(forged)

    after = wire.calls[mark:]
    said = texts(after)
    assert said[0] == STALE
    assert said[-1] == ASK_TITLE  # the question still open is asked again
    assert await step_of(storage) == before
    answers = [c for c in after if c.method == "answerCallbackQuery"]
    assert [c.params["callback_query_id"] for c in answers] == lan.pressed[-1:]


async def test_a_button_from_an_older_question_is_stale_once_the_dialog_moved_on(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await consents(lan)
    await lan.says("/report")
    kind_question = wire.last_keyboard_message(LAN)
    old = next(b for b in inline_buttons(kind_question) if b["text"] == KIND_GOOD_DEED)
    await lan.presses(KIND_GOOD_DEED)
    await lan.presses(CONTENT_1)
    await lan.says("long xuyen")
    await lan.says("Nguyễn Văn An")
    before = await step_of(storage)
    assert before[:2] == ("report", "honoree_role")
    mark = len(wire.calls)

    # The kind question is long gone; pressing its button again must not choose a kind.
    message = {"message_id": 321, "date": 0, "chat": {"id": LAN, "type": "private"},
               "from": {"id": 777000, "is_bot": True, "first_name": "Gương Sáng"},
               "text": kind_question.params["text"],
               "reply_markup": kind_question.params["reply_markup"]}
    await lan.presses_data(old["callback_data"], message)

    after = wire.calls[mark:]
    assert texts(after) == [STALE, ASK_HONOREE_ROLE]
    assert await step_of(storage) == before
    assert [c.params["callback_query_id"] for c in after if c.method == "answerCallbackQuery"] \
        == lan.pressed[-1:]
    assert any(c.method == "editMessageReplyMarkup" and c.params["message_id"] == 321
               for c in after)


async def test_when_telegram_refuses_the_edit_the_buttons_go_and_the_question_is_sent(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await consents(lan)
    await lan.says("/report")
    wire.failures["editMessageText"] = (400, "Bad Request: message can't be edited")
    mark = len(wire.calls)

    await lan.presses(KIND_GOOD_DEED)

    after = wire.calls[mark:]
    assert [c.method for c in after] == [
        "answerCallbackQuery", "editMessageText", "editMessageReplyMarkup", "sendMessage"]
    assert after[2].params["message_id"] == 555 and not after[2].params.get("reply_markup")
    assert after[3].params["text"].startswith("<b>Bước 2/12.</b> Câu chuyện thuộc nội dung")
    assert labels(after[3])[0] == CONTENT_1
    assert (await step_of(storage))[:2] == ("report", "content")


# --- 4. lengths ----------------------------------------------------------------------------------


async def test_a_5000_character_title_is_refused_as_too_long_and_the_step_stays(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await reaches_title(lan)
    title = ("Sửa cầu khỉ cho bà con. " * 300)[:4999] + "!"
    assert len(title) == 5000
    mark = len(wire.calls)

    await lan.says(title)

    assert texts(wire.calls[mark:]) == [
        "Dài quá: tối đa 120 ký tự (bạn đã gõ 5000).",
        ASK_TITLE,
    ]
    flow, step, data = await step_of(storage)
    assert (flow, step) == ("report", "title")
    assert "title" not in data


async def test_a_summary_at_every_length_limit_fits_telegram_with_buttons_on_its_last_part(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    honoree, role, title = "Hợp tác xã " + "A" * 109, "Đơn vị " + "R" * 193, "T" * 120
    sentence = "Bà con góp công & góp của sửa cầu <khỉ> cho học sinh đi học an toàn. "
    description = (sentence * 60)[:2999] + "."
    assert (len(honoree), len(role), len(title), len(description)) == (120, 200, 120, 3000)
    # the content and movement with the longest names, so every line of the summary is full
    await reaches_title(
        lan, honoree=honoree, role=role, content="2. Các phong trào thi đua trọng tâm",
        movement="Đẩy mạnh phát triển kết cấu hạ tầng đồng bộ, hiện đại; thực hành tiết kiệm,"
        " chống lãng phí",
    )
    assert (await step_of(storage))[1] == "title"
    await lan.says(title)
    await lan.says(description)
    await lan.says("02/09/2025")
    await lan.presses(SKIP)
    await lan.says("10.3759, 105.4185")
    await lan.says("0912345678")
    mark = len(wire.calls)
    await lan.presses(SHOW_NAME_YES)

    # Even at every limit, the question answered, the label pressed and the whole summary fit
    # one message: the summary is written into the pressed message with its buttons.
    after = wire.calls[mark:]
    assert [c.method for c in after] == ["answerCallbackQuery", "editMessageText"]
    summary = after[1]
    assert telegram_length(summary.params["text"]) <= 4096
    assert summary.params["parse_mode"] == "HTML"
    assert labels(summary) == [SUBMIT, "✏️ Sửa", "✖️ Hủy"]
    question, pressed, shown = visible(summary.params["text"]).split("\n\n", 2)
    assert (question, pressed) == (visible(ASK_SHOW_NAME), f"➜ {SHOW_NAME_YES}")
    assert shown.startswith("Xem lại câu chuyện của bạn")
    assert shown.endswith("Mọi thứ đã đúng chưa?")
    assert "".join(description.split()) in "".join(shown.split())

    await lan.presses(SUBMIT)
    story = await storage.stories.get(1)
    assert story is not None and story.description == description


async def test_a_reply_longer_than_telegram_allows_is_split_with_buttons_on_the_last_part(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    sender = app.bot_data["sender"]
    sentence = "Bà con ấp Mỹ Thạnh góp công & góp của sửa cầu <khỉ> cho học sinh. "
    body = esc((sentence * 150).strip())
    text = (f"<b>Xem lại câu chuyện của bạn</b>\n\n<b>Tiêu đề:</b> Cầu khỉ\n<b>Mô tả:</b> {body}"
            "\n\nMọi thứ đã đúng chưa?")
    assert telegram_length(text) > 2 * 4096
    rows = ((Choice(SUBMIT, "k1:0"),), (Choice("✏️ Sửa", "k1:1"), Choice("✖️ Hủy", "k1:2")))

    await sender.send(str(LAN), Reply(text, choices=rows))

    parts = wire.sent("sendMessage", LAN)
    assert len(parts) >= 3
    for part in parts:
        assert 0 < telegram_length(part.params["text"]) <= 4096
        assert part.params["parse_mode"] == "HTML"
    assert all(not p.params.get("reply_markup") for p in parts[:-1])
    assert labels(parts[-1]) == [SUBMIT, "✏️ Sửa", "✖️ Hủy"]
    shown = "".join(visible(p.params["text"]) for p in parts)
    assert "".join(shown.split()) == "".join(visible(text).split())


# --- 5. what is not text -------------------------------------------------------------------------


async def test_a_sticker_at_a_text_step_is_not_understood_and_the_question_is_asked_again(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await reaches_title(lan)
    before = await step_of(storage)
    mark = len(wire.calls)

    await lan.sends_sticker()

    assert texts(wire.calls[mark:]) == [UNSUPPORTED, ASK_TITLE]
    assert labels(wire.calls[-1]) == ["⬅️ Quay lại", "✖️ Hủy"]
    assert await step_of(storage) == before


async def test_a_photo_at_the_title_step_is_refused_with_need_text(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await reaches_title(lan)
    mark = len(wire.calls)

    await lan.sends_photo("ph-9")

    assert texts(wire.calls[mark:]) == [NO_PHOTO_HERE, ASK_TITLE]
    flow, step, data = await step_of(storage)
    assert (flow, step) == ("report", "title")
    assert "photos" not in data and "title" not in data


# --- 6. callback data --------------------------------------------------------------------------

MEANINGS = ("r:", "menu:", "consent:", "mystories:", "lang:", "mine:", "deleteme:", "review:")


async def test_every_button_the_bot_sent_carries_opaque_callback_data_of_at_most_64_bytes(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await files_the_whole_report(lan)
    await lan.says("/mystories")

    buttons = [b for c in wire.calls for b in inline_buttons(c)]
    assert len(buttons) > 30
    for button in buttons:
        data = button["callback_data"]
        assert 1 <= len(data.encode("utf-8")) <= 64, button
        # a short key looked up server-side, never the meaning itself
        assert not data.startswith(MEANINGS), button


# --- 7. the command menu -----------------------------------------------------------------------


async def test_set_commands_registers_the_vietnamese_menu_and_an_english_one(
    tg: TelegramApp,
) -> None:
    app, wire = tg
    await set_commands(app)

    calls = wire.sent("setMyCommands")
    assert len(calls) == 2
    vi, en = calls
    assert "language_code" not in vi.params
    assert en.params["language_code"] == "en"
    vi_menu = {c["command"]: c["description"] for c in vi.params["commands"]}
    en_menu = {c["command"]: c["description"] for c in en.params["commands"]}
    assert vi_menu["report"] == "Kể một gương sáng"
    assert vi_menu["mystories"] == "Câu chuyện của tôi"
    assert vi_menu["cancel"] == "Hủy việc đang làm"
    assert en_menu["report"] == "Tell a bright example"
    assert vi_menu["subscribe"] == "Nhận tin nhắc"
    assert en_menu["unsubscribe"] == "Stop reminders"
    assert vi_menu["search"] == "Tìm câu chuyện"
    assert list(vi_menu) == list(en_menu) == [
        "start", "report", "mystories", "stories", "search", "phongtrao", "subscribe",
        "unsubscribe", "help", "privacy", "language", "deleteme", "cancel",
    ]


async def test_set_commands_logs_a_refusal_and_carries_on(
    tg: TelegramApp, caplog: pytest.LogCaptureFixture
) -> None:
    app, wire = tg
    wire.failures["setMyCommands"] = (400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")

    with caplog.at_level(logging.WARNING, logger="bot.channels.telegram"):
        await set_commands(app)  # does not raise

    assert len(wire.sent("setMyCommands")) == 2  # the English menu is still tried
    refusals = [r for r in caplog.records
                if r.levelno == logging.WARNING and "setMyCommands" in r.getMessage()]
    assert len(refusals) == 2
    assert "(vi) refused" in refusals[0].getMessage()
    assert "(en) refused" in refusals[1].getMessage()
    # PTB drops "Bad Request: " and capitalises what is left; the reason itself is kept
    assert "bot_command_description_invalid" in refusals[0].getMessage().lower()


# --- 8. a self-hosted Bot API server ---------------------------------------------------------


async def test_a_self_hosted_bot_api_url_is_used_for_every_call(
    dialog: Dialog, settings: Settings
) -> None:
    app, wire = await start_telegram(settings, dialog, telegram_api_url="http://127.0.0.1:8081/bot")
    try:
        lan = Resident(app, wire)
        await consents(lan)
        await set_commands(app)
    finally:
        await app.shutdown()

    methods = {c.method for c in wire.calls}
    assert {"getMe", "sendMessage", "answerCallbackQuery", "editMessageText",
            "setMyCommands"} <= methods
    for call in wire.calls:
        assert call.url == f"http://127.0.0.1:8081/bot{TOKEN}/{call.method}"


# --- 9. secrets and paging ---------------------------------------------------------------------


class UnreachableWire(RecordingRequest):
    """A wire whose sendMessage fails with an error that quotes the request URL (token and all)."""

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        if url.endswith("/sendMessage"):
            raise NetworkError(f"httpx.ConnectError: connection refused for POST {url}")
        return await super().do_request(url, method, request_data, *args, **kwargs)


class Records(logging.Handler):
    """Keeps what a redacting handler would write."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def production_logging(secrets: list[str]) -> Iterator[io.StringIO]:
    """setup_logging as `python -m bot run` does it, writing to a buffer; undone afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    setup_logging(secrets)
    out = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(out)
    try:
        yield out
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)


async def test_the_token_never_reaches_a_log_line(dialog: Dialog, settings: Settings) -> None:
    app, wire = await start_telegram(settings, dialog, UnreachableWire())
    mine = Records()
    mine.addFilter(RedactSecrets([TOKEN]))
    with production_logging([TOKEN]) as out:
        handler = logging.getLogger().handlers[0]
        assert any(isinstance(f, RedactSecrets) for f in handler.filters)
        # first in line, so its own RedactSecrets filter is the one that sees the raw record
        logging.getLogger().handlers.insert(0, mine)
        try:
            await TelegramPerson(app, wire, LAN).says("/start")
            logging.getLogger("httpx").info("HTTP Request: POST %s", wire.calls[0].url)
        finally:
            logging.getLogger().removeHandler(mine)
            await app.shutdown()

    assert any(TOKEN in c.url for c in wire.calls)  # the token was really on the wire
    logged = out.getvalue()
    assert "update failed" in logged
    assert "http://" in logged or "https://" in logged
    assert "/bot***/sendMessage" in logged  # the URL is logged, the token is not
    assert TOKEN not in logged
    assert TOKEN.split(":")[1] not in logged
    assert "HTTP Request" not in logged  # per-request URL lines stay quiet
    failures = [line for line in mine.lines if "update failed" in line]
    assert failures and all("***" in line and TOKEN not in line for line in failures)


async def test_mystories_pages_by_editing_the_same_message(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await consents(lan)
    person = await storage.people.find("telegram", str(LAN))
    assert person is not None
    for n in range(1, 8):
        await storage.stories.file(NewStory(
            submission_key=f"key-{n}", reporter_id=person.id, channel="telegram",
            campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
            commune_code=30307,
            honoree_name="Nguyễn Văn An", honoree_role="nông dân ấp Mỹ Thạnh",
            title=f"Gương sáng số {n}", description=GOOD_DESCRIPTION,
            event_date=date(2025, 9, 2),
        ))

    await lan.says("/mystories")
    first = wire.sent("sendMessage", LAN)[-1]
    page_1 = first.params["text"]
    assert page_1.startswith("<b>Câu chuyện của bạn</b> (7) — trang 1/2\n\n")
    assert re.findall(r"<b>#(\d+)</b>", page_1) == ["7", "6", "5", "4", "3"]
    assert "<b>#7</b> Gương sáng số 7\n⏳ Đang chờ duyệt · " in page_1
    assert paging(first) == [NEXT_PAGE]
    assert numbers_on_buttons(first) <= {"7", "6", "5", "4", "3"}
    sent_before = len(wire.sent("sendMessage", LAN))
    mark = len(wire.calls)

    await lan.presses(NEXT_PAGE)

    after = wire.calls[mark:]
    assert len(wire.sent("sendMessage", LAN)) == sent_before  # nothing new in the chat
    edits = [c for c in after if c.method == "editMessageText"]
    assert len(edits) == 1
    edit = edits[0]
    assert int(edit.params["chat_id"]) == LAN and edit.params["message_id"] == 555
    assert edit.params["parse_mode"] == "HTML"
    assert edit.params["text"].startswith("<b>Câu chuyện của bạn</b> (7) — trang 2/2\n\n")
    assert re.findall(r"<b>#(\d+)</b>", edit.params["text"]) == ["2", "1"]
    assert paging(edit) == [PREV_PAGE]
    assert numbers_on_buttons(edit) <= {"2", "1"}
    assert [c.params["callback_query_id"] for c in after if c.method == "answerCallbackQuery"] \
        == lan.pressed[-1:]

    await lan.presses(PREV_PAGE)
    back = [c for c in wire.calls if c.method == "editMessageText"][-1]
    assert re.findall(r"<b>#(\d+)</b>", back.params["text"]) == ["7", "6", "5", "4", "3"]
    assert paging(back) == [NEXT_PAGE]


# --- the reply keyboard of a request step -------------------------------------------------------


async def test_the_share_phone_keyboard_is_taken_away_once_the_phone_is_given(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await reaches_title(lan)
    await lan.says("Sửa cầu khỉ cho bà con ấp Mỹ Thạnh")
    await lan.says(GOOD_DESCRIPTION)
    await lan.says("02/09/2025")
    await lan.presses(SKIP)
    await lan.says("10.3759, 105.4185")  # typed, so the one-time keyboard was never used
    mark = len(wire.calls)
    await lan.says("0912 345 678")  # typed too

    assert (await step_of(storage))[1] == "show_name"
    after = [c for c in wire.calls[mark:] if int(c.params.get("chat_id", 0)) == LAN]
    removals = [c for c in after if (c.params.get("reply_markup") or {}).get("remove_keyboard")]
    assert removals, (
        "after the phone step the 📱/Bỏ qua/Quay lại/Hủy reply keyboard stays on screen: "
        f"{[(c.method, c.params.get('reply_markup')) for c in after]}"
    )


async def test_a_page_telegram_refuses_to_edit_is_sent_once_after_its_buttons_go(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    lan = Resident(app, wire)
    await consents(lan)
    person = await storage.people.find("telegram", str(LAN))
    assert person is not None
    for n in range(1, 8):
        await storage.stories.file(NewStory(
            submission_key=f"key-{n}", reporter_id=person.id, channel="telegram",
            campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
            commune_code=30307,
            honoree_name="Nguyễn Văn An", honoree_role="nông dân ấp Mỹ Thạnh",
            title=f"Gương sáng số {n}", description=GOOD_DESCRIPTION,
            event_date=date(2025, 9, 2),
        ))
    await lan.says("/mystories")
    wire.failures["editMessageText"] = (400, "Bad Request: message can't be edited")
    mark = len(wire.calls)

    await lan.presses(NEXT_PAGE)

    after = wire.calls[mark:]
    assert [c.method for c in after] == [
        "answerCallbackQuery", "editMessageText", "editMessageReplyMarkup", "sendMessage"]
    assert after[3].params["text"].startswith("<b>Câu chuyện của bạn</b> (7) — trang 2/2\n\n")
    assert paging(after[3]) == [PREV_PAGE]
