"""Review and publishing over Telegram: the real python-telegram-bot Application, wire faked.

A resident files a story, reviewers act on it with inline buttons and commands, and the
outbox worker delivers notifications and the channel post through the same TelegramSender.
Every assertion is on what went out on the fake Bot API wire (method, chat, text, parse mode,
buttons) or on what storage holds afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from telegram.request import RequestData

from bot.config import Settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.storage import Storage, open_storage
from tests.conftest import GOOD_DESCRIPTION, start_telegram
from tests.wire import TOKEN, Call, RecordingRequest, TelegramPerson, after_press

LAN = 4242  # the resident who reports
ADMIN = 9001  # bootstrap admin through ADMIN_IDS
MENU = 1  # the worker's first run also sets that admin's own command menu (test_staff_menus)
OTHER_REVIEWER = 5005
CITIZEN = 5151
PUBLISH_CHAT = "-100777"
CHANNEL = int(PUBLISH_CHAT)

TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
PHONE = "0912345678"
OPEN_1 = f"#1 · {TITLE}"

# --- the words the bot must use (bot/content/vi.toml) -----------------------------------------

CONSENT_YES = "✅ Tôi đồng ý"
KIND_GOOD_DEED = "Gương người tốt, việc tốt"
CONTENT_1 = "1. Chấp hành chủ trương, chính sách, pháp luật"
DONE = "Xong"
SHOW_NAME_YES, SHOW_NAME_NO = "Có, ghi tên tôi", "Không, giấu tên tôi"
SUBMIT = "📨 Gửi"

APPROVE, CHANGES, REJECT, CORRECT, SKIP = (
    "✅ Duyệt", "✏️ Yêu cầu bổ sung", "❌ Từ chối", "📝 Sửa", "⏭ Bỏ qua",
)
CARD_BUTTONS = [[APPROVE, CHANGES], [REJECT, CORRECT], [SKIP]]
APPROVED_1 = "✅ Đã duyệt #1."
QUEUE_EMPTY = "Không có câu chuyện nào đang chờ duyệt. 🎉"
NOTIFY_APPROVED = f"Câu chuyện <b>#1</b> “{TITLE}” của bạn: <b>✅ Đã duyệt</b>."
NOTIFY_PUBLISHED = f"Câu chuyện <b>#1</b> “{TITLE}” của bạn: <b>📢 Đã đăng</b>."
POST_CARD = (
    f"<b>{TITLE}</b>\n\n{GOOD_DESCRIPTION}\n\n"
    "👤 Nguyễn Văn An — nông dân ấp Mỹ Thạnh\n"
    "📍 Phường Long Xuyên · 📅 02/09/2025\n\n"
    "#PhuongLongXuyen #GuongNguoiTotViecTot"
)
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
REFUSED = "Wrong file identifier/http url specified"  # as python-telegram-bot words it
NOT_MEMBER = "Forbidden: bot is not a member of the channel chat"
BLOCKED = "Forbidden: bot was blocked by the user"
PUBLISH_FAILED = (
    f"⚠️ Không đăng được câu chuyện <b>#1</b>: {NOT_MEMBER}. Câu chuyện vẫn ở trạng thái đã"
    " duyệt; kiểm tra quyền của bot trong kênh rồi gõ /publish 1."
)
PUBLISH_QUEUED = "Đã xếp #1 vào hàng chờ đăng."

NOTE = "<b>thêm ảnh</b> & số liệu"
NOTE_SHOWN = "&lt;b&gt;thêm ảnh&lt;/b&gt; &amp; số liệu"
ASK_NOTE = "Cần người gửi bổ sung gì cho #1? Gõ ghi chú (tối đa 500 ký tự)."
CHANGES_ASKED_1 = "✏️ Đã yêu cầu bổ sung #1."
NOTIFY_NEEDS_CHANGES = (
    f"Câu chuyện <b>#1</b> “{TITLE}” cần bổ sung.\n"
    f"Ghi chú của cán bộ thẩm định: {NOTE_SHOWN}\n\n"
    "Để sửa và gửi lại: gõ /mystories, chọn #1, chọn “✏️ Sửa và gửi lại”: bạn sửa được mọi"
    " mục, thêm hoặc bỏ ảnh, thêm số điện thoại. Lưu ý: phần mô tả sẽ được đăng công khai;"
    " số điện thoại thì không bao giờ công khai — hãy ghi số điện thoại ở mục Số điện thoại,"
    " đừng ghi vào mô tả."
)
AMEND, RESUBMIT = "✏️ Sửa và gửi lại", "📨 Gửi lại để duyệt"
MINE_BUTTONS = [AMEND, RESUBMIT, "↩️ Rút lại", "⬅️ Danh sách"]


async def amends_the_description(person: TelegramPerson) -> None:
    """From the own card: the whole summary editor, the description changed, resent."""
    await person.presses(AMEND)
    await person.presses("✏️ Sửa")
    await person.presses("Mô tả")
    await person.says(NEW_DESCRIPTION)
    await person.presses(RESUBMIT)
NEW_DESCRIPTION = (
    "Ông Nguyễn Văn An đã góp 12 triệu đồng và ba ngày công sửa cầu khỉ qua kênh Xáng; "
    "kèm ảnh trước và sau khi sửa, có xác nhận của trưởng ấp Mỹ Thạnh."
)
NOTIFY_RESUBMITTED = (
    f"📥 Câu chuyện <b>#1</b> “{TITLE}” đã được bổ sung và gửi lại. Gõ /pending để xem."
)
CHANGED_BY_OTHER = (
    "Câu chuyện #1 vừa được người khác xử lý (hiện: ✅ Đã duyệt). Không có gì thay đổi."
)
NOT_PUBLIC_1 = "Câu chuyện #1 chưa được đăng."


# --- a wire that can fail one chat, and remembers what it answered --------------------------


@dataclass
class Answer:
    """One request and the answer the fake Bot API gave it."""

    call: Call
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.status == 200


@dataclass
class ReviewWire(RecordingRequest):
    """RecordingRequest with failures aimed at one chat, and every answer kept.

    `chat_failures[chat] = (status, description)` fails every call to that chat until removed;
    `once[(method, chat)]` holds whole error bodies, each the answer to one such call, in order.
    """

    chat_failures: dict[int, tuple[int, str]] = field(default_factory=dict)
    refused_photos: set[str] = field(default_factory=set)
    once: dict[tuple[str, int], list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, *args: Any,
        **kwargs: Any,
    ) -> tuple[int, bytes]:
        status, raw = await super().do_request(url, method, request_data, *args, **kwargs)
        call = self.calls[-1]
        chat = call.params.get("chat_id")
        if status == 200 and chat is not None:
            queued = self.once.get((call.method, int(chat)))
            if self._refuses_photo(call):
                status = 400
                raw = json.dumps({"ok": False, "error_code": 400,
                                  "description": WRONG_FILE}).encode()
            elif queued:
                status, body = queued.pop(0)
                raw = json.dumps(body).encode()
            elif int(chat) in self.chat_failures:
                status, description = self.chat_failures[int(chat)]
                raw = json.dumps(
                    {"ok": False, "error_code": status, "description": description}
                ).encode()
        self.answers.append(Answer(call, status, json.loads(raw)))
        return status, raw

    def _refuses_photo(self, call: Call) -> bool:
        """Telegram cannot fetch a photo (an expired URL, a file too large): the call is refused."""
        if call.method == "sendPhoto":
            return call.params.get("photo") in self.refused_photos
        if call.method == "sendMediaGroup":
            return any(m["media"] in self.refused_photos for m in call.params["media"])
        return False

    def delivered(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Calls of one method (to one chat) that Telegram accepted."""
        return [a.call for a in self.answers if a.ok and a.call.method == method
                and (chat_id is None or int(a.call.params.get("chat_id", 0)) == chat_id)]

    def result_of(self, call: Call) -> Any:
        """What the fake Bot API returned for a call."""
        return next(a.body["result"] for a in self.answers if a.call is call)


# --- the world: settings with a publish chat, storage, the app, the outbox worker ----------


@dataclass
class World:
    app: Any
    wire: ReviewWire
    storage: Storage
    settings: Settings
    worker: OutboxWorker

    def person(self, user_id: int, first_name: str = "Lan", last_name: str = "Nguyễn"
               ) -> TelegramPerson:
        return TelegramPerson(self.app, self.wire, user_id, first_name, last_name)


@pytest.fixture
def review_settings(db_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,),
        publish_chat_id=PUBLISH_CHAT, telegram_bot_token=SecretStr(TOKEN),
    )


@pytest.fixture
async def review_storage(review_settings: Settings) -> AsyncIterator[Storage]:
    store = await open_storage(review_settings.database_path, publish_chat=PUBLISH_CHAT)
    yield store
    await store.close()


@pytest.fixture
async def world(review_settings: Settings, review_storage: Storage) -> AsyncIterator[World]:
    dialog = Dialog(review_storage, review_settings)
    app, wire = await start_telegram(review_settings, dialog, ReviewWire())
    assert isinstance(wire, ReviewWire)
    worker = OutboxWorker(review_storage, {"telegram": app.bot_data["sender"]},
                          review_settings.province_code)
    yield World(app, wire, review_storage, review_settings, worker)
    await app.shutdown()


# --- reading the wire ----------------------------------------------------------------------------


def button_rows(call: Call) -> list[list[str]]:
    markup = call.params.get("reply_markup") or {}
    return [[b["text"] for b in row] for row in markup.get("inline_keyboard", [])]


def labels(call: Call) -> list[str]:
    return [label for row in button_rows(call) for label in row]


def texts_to(calls: list[Call], chat_id: int) -> list[str]:
    return [str(c.params["text"]) for c in calls
            if c.method == "sendMessage" and int(c.params.get("chat_id", 0)) == chat_id]


def media_of(call: Call) -> list[str]:
    return [m["media"] for m in call.params["media"]]


class _TelegramHTML(HTMLParser):
    """Finds what Telegram's HTML parse mode would refuse."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("b", "i", "u", "s", "code") or attrs:
            self.problems.append(f"<{tag}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}>")


_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+);")
_TAG = re.compile(r"</?(?:b|i|u|s|code)>")


def assert_telegram_html(markup: str) -> None:
    for i, ch in enumerate(markup):
        if ch == "&":
            assert _ENTITY.match(markup, i), f"bare & in {markup!r}"
        if ch == "<":
            assert _TAG.match(markup, i), f"stray < in {markup!r}"
    parser = _TelegramHTML()
    parser.feed(markup)
    parser.close()
    assert not parser.problems and not parser.open, (markup, parser.problems, parser.open)


def assert_wire_rules(wire: RecordingRequest) -> int:
    """Journey 7: every button's data ≤ 64 bytes; every text sent as valid HTML. → #buttons."""
    buttons = 0
    for call in wire.calls:
        markup = call.params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                buttons += 1
                data = button["callback_data"]
                assert 1 <= len(data.encode("utf-8")) <= 64, button
        if call.method in ("sendMessage", "editMessageText"):
            assert call.params.get("parse_mode") == "HTML", call
            assert_telegram_html(str(call.params["text"]))
    return buttons


# --- journeys --------------------------------------------------------------------------------


async def files_report(lan: TelegramPerson, show_name: bool = False) -> None:
    """/start to #1 on Telegram: two photos, a pin, the phone shared, name hidden by default."""
    await lan.says("/start")
    await lan.presses(CONSENT_YES)
    await lan.says("/report")
    await lan.presses(KIND_GOOD_DEED)
    await lan.presses(CONTENT_1)
    await lan.says("long xuyen")
    await lan.says("Nguyễn Văn An")
    await lan.says("nông dân ấp Mỹ Thạnh")
    await lan.says(TITLE)
    await lan.says(GOOD_DESCRIPTION)
    await lan.says("02/09/2025")
    await lan.sends_photo("ph-1")
    await lan.sends_photo("ph-2")
    await lan.presses(DONE)
    await lan.sends_location(10.3759, 105.4185)
    await lan.sends_contact("+84 912 345 678")
    await lan.presses(SHOW_NAME_YES if show_name else SHOW_NAME_NO)
    await lan.presses(SUBMIT)
    # The confirmation is written into the summary, under the label pressed.
    summary = lan.wire.drawn(lan.user_id)[-1]
    assert summary.method == "editMessageText"
    _, confirmation = summary.params["text"].split(f"\n\n➜ <b>{SUBMIT}</b>\n\n")
    assert confirmation.startswith("✅ Đã gửi! Câu chuyện của bạn là <b>#1</b>.")


async def opens_card_1(reviewer: TelegramPerson) -> None:
    await reviewer.says("/pending")
    await reviewer.presses(OPEN_1)


async def outbox_rows(storage: Storage) -> list[dict[str, Any]]:
    """The messages and posts queued (staff command menus are queued too: test_staff_menus)."""
    rows = await storage.db.fetchall("SELECT * FROM outbox WHERE kind != 'menu' ORDER BY id")
    return [dict(r) for r in rows]


async def status_of(storage: Storage, story_id: int = 1) -> str:
    story = await storage.stories.get(story_id)
    assert story is not None
    return story.status


# --- 1. approve on the card, publish through the outbox ---------------------------------------


async def test_a_reviewer_approves_on_the_card_and_the_worker_publishes_and_notifies(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)

    await admin.says("/pending")
    queue = wire.last_keyboard_message(ADMIN)
    assert queue.params["text"] == (
        "<b>Đang chờ duyệt: 1</b> — trang 1/1\nChọn một câu chuyện để mở:"
    )
    assert labels(queue) == [OPEN_1]
    mark = len(wire.calls)

    await admin.presses(OPEN_1)

    to_admin = [c for c in wire.calls[mark:] if c.method != "answerCallbackQuery"]
    assert [c.method for c in to_admin] == [
        "editMessageReplyMarkup", "sendMediaGroup", "sendMessage",
    ]
    assert all(int(c.params["chat_id"]) == ADMIN for c in to_admin)
    assert media_of(to_admin[1]) == ["ph-1", "ph-2"]
    card = to_admin[2]
    assert card.params["parse_mode"] == "HTML"
    assert card.params["text"].startswith(f"<b>#1 · {TITLE}</b>\n⏳ Đang chờ duyệt\n\n")
    assert PHONE in card.params["text"]  # reviewers see the phone; the public never does
    assert button_rows(card) == CARD_BUTTONS
    mark = len(wire.calls)

    await admin.presses(APPROVE)

    assert texts_to(wire.calls[mark:], ADMIN) == [APPROVED_1, QUEUE_EMPTY]
    assert await status_of(storage) == "approved"
    queued = await outbox_rows(storage)
    assert [(r["kind"], r["chat_id"], r["template"]) for r in queued] == [
        ("message", str(LAN), "notify.status"), ("publish", PUBLISH_CHAT, "publish"),
    ]
    mark = len(wire.calls)

    assert await world.worker.run_once() == 2 + MENU

    after = wire.calls[mark:]
    assert texts_to(after, LAN) == [NOTIFY_APPROVED]
    to_channel = [c for c in after if int(c.params.get("chat_id", 0)) == CHANNEL]
    assert [c.method for c in to_channel] == ["sendMediaGroup", "sendMessage"]
    assert media_of(to_channel[0]) == ["ph-1", "ph-2"]
    post = to_channel[1]
    assert post.params["parse_mode"] == "HTML"
    assert post.params["text"] == POST_CARD
    assert "#PhuongLongXuyen" in post.params["text"]
    assert "#GuongNguoiTotViecTot" in post.params["text"]
    for private in ("Lan", "Nguyễn Lan", "Người gửi", PHONE, "912 345 678"):
        assert private not in post.params["text"]  # show_name is false; phones never go out

    story = await storage.stories.get(1)
    assert story is not None
    assert story.status == "published"
    assert story.publish_error is None
    assert story.published_message_id == str(wire.result_of(post)["message_id"])
    history = await storage.reviews.history(1)
    assert [(e.action, e.to_status) for e in history] == [
        ("submit", "pending"), ("approve", "approved"), ("publish", "published"),
    ]
    mark = len(wire.calls)

    # Publishing queued the reporter's second notification; the next run delivers it.
    assert await world.worker.run_once() == 1
    assert texts_to(wire.calls[mark:], LAN) == [NOTIFY_PUBLISHED]
    assert await world.worker.run_once() == 0
    assert texts_to(wire.delivered(), LAN).count(NOTIFY_APPROVED) == 1
    assert texts_to(wire.delivered(), LAN).count(NOTIFY_PUBLISHED) == 1
    assert len(wire.delivered("sendMessage", CHANNEL)) == 1
    assert {r["status"] for r in await outbox_rows(storage)} == {"sent"}
    assert_wire_rules(wire)


# --- 2. the channel refuses the post; an admin retries with /publish -----------------------


async def test_a_refused_post_keeps_the_story_approved_tells_the_admin_and_publish_retries(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await opens_card_1(admin)
    await admin.presses(APPROVE)
    assert wire.last_text(ADMIN) == QUEUE_EMPTY
    wire.chat_failures[CHANNEL] = (403, NOT_MEMBER)
    mark = len(wire.calls)

    assert await world.worker.run_once() == 2 + MENU

    after = wire.calls[mark:]
    assert texts_to(after, LAN) == [NOTIFY_APPROVED]  # only the channel is refused
    assert [c.method for c in after if int(c.params.get("chat_id", 0)) == CHANNEL] == [
        "sendMediaGroup",
    ]
    assert not wire.delivered("sendMediaGroup", CHANNEL)
    story = await storage.stories.get(1)
    assert story is not None
    assert story.status == "approved"
    assert story.published_message_id is None
    assert story.publish_error == NOT_MEMBER
    publish_row = next(r for r in await outbox_rows(storage) if r["kind"] == "publish")
    assert (publish_row["status"], publish_row["attempts"]) == ("failed", 1)
    mark = len(wire.calls)

    assert await world.worker.run_once() == 1  # the admins' warning, queued by the failure

    warning = texts_to(wire.calls[mark:], ADMIN)
    assert warning == [PUBLISH_FAILED]
    assert "Không đăng được câu chuyện <b>#1</b>" in warning[0]
    assert "/publish 1" in warning[0]
    assert texts_to(wire.calls[mark:], LAN) == []  # the reporter is not told of the failure

    del wire.chat_failures[CHANNEL]  # the bot is added to the channel
    await admin.says("/publish 1")
    assert wire.last_text(ADMIN) == PUBLISH_QUEUED
    mark = len(wire.calls)

    assert await world.worker.run_once() == 1

    post = wire.delivered("sendMessage", CHANNEL)
    assert len(post) == 1 and post[0].params["text"] == POST_CARD
    assert media_of(wire.delivered("sendMediaGroup", CHANNEL)[0]) == ["ph-1", "ph-2"]
    story = await storage.stories.get(1)
    assert story is not None
    assert story.status == "published"
    assert story.publish_error is None
    assert story.published_message_id == str(wire.result_of(post[0])["message_id"])
    assert await world.worker.run_once() == 1
    assert texts_to(wire.calls[mark:], LAN) == [NOTIFY_PUBLISHED]
    assert_wire_rules(wire)


async def test_publish_is_for_admins_and_only_for_approved_stories(world: World) -> None:
    wire = world.wire
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await lan.says("/publish 1")
    assert wire.last_text(LAN) == "Lệnh này chỉ dành cho quản trị viên."
    await admin.says("/publish 1")
    assert wire.last_text(ADMIN) == (
        "Câu chuyện #1 đang ở trạng thái “⏳ Đang chờ duyệt”, không thể làm việc này."
    )
    assert not [r for r in await outbox_rows(world.storage) if r["kind"] == "publish"]
    assert_wire_rules(wire)


# --- 2b. a photo Telegram refuses is skipped; the text and buttons always arrive -----------


async def test_a_refused_photo_is_skipped_and_the_review_card_and_its_buttons_arrive(
    world: World,
) -> None:
    wire = world.wire
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    wire.refused_photos.add("ph-2")  # e.g. an expired Zalo image URL
    await admin.says("/pending")
    mark = len(wire.calls)

    await admin.presses(OPEN_1)

    to_admin = [c for c in wire.calls[mark:] if c.method != "answerCallbackQuery"]
    assert [c.method for c in to_admin] == [
        "editMessageReplyMarkup", "sendMediaGroup", "sendPhoto", "sendPhoto", "sendMessage",
    ]
    assert [c.params["photo"] for c in to_admin[2:4]] == ["ph-1", "ph-2"]
    assert len(wire.delivered("sendPhoto", ADMIN)) == 1  # ph-1 still shown
    card = to_admin[4]
    assert card.params["text"].startswith(f"<b>#1 · {TITLE}</b>\n⏳ Đang chờ duyệt\n\n")
    assert card.params["text"].endswith(
        f"\n\n⚠️ Không hiển thị được ảnh 2/2 ({REFUSED}).")
    assert button_rows(card) == CARD_BUTTONS
    await admin.presses(APPROVE)
    assert await status_of(world.storage) == "approved"
    assert_wire_rules(wire)


async def test_a_refused_photo_is_left_out_of_the_post_and_the_admins_are_told_which(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/approve 1")
    wire.refused_photos.add("ph-1")
    mark = len(wire.calls)

    await world.worker.run_once()

    to_channel = [c for c in wire.calls[mark:] if int(c.params.get("chat_id", 0)) == CHANNEL]
    assert [c.method for c in to_channel] == [
        "sendMediaGroup", "sendPhoto", "sendPhoto", "sendMessage"]
    assert [c.params["photo"] for c in wire.delivered("sendPhoto", CHANNEL)] == ["ph-2"]
    assert [c.params["text"] for c in wire.delivered("sendMessage", CHANNEL)] == [POST_CARD]
    assert await status_of(storage) == "published"
    mark = len(wire.calls)

    await world.worker.run_once()

    told = texts_to(wire.calls[mark:], ADMIN)
    assert told == [f"⚠️ Câu chuyện <b>#1</b> đã đăng nhưng thiếu ảnh 1/2 ({REFUSED})."]
    assert texts_to(wire.calls[mark:], LAN) == [NOTIFY_PUBLISHED]
    await world.worker.run_once()
    assert len(wire.delivered("sendMessage", CHANNEL)) == 1  # published once, never again
    assert_wire_rules(wire)


async def test_when_every_photo_is_refused_the_post_goes_out_with_text_only(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/approve 1")
    wire.refused_photos.update({"ph-1", "ph-2"})

    await world.worker.run_once()
    await world.worker.run_once()

    assert not wire.delivered("sendPhoto", CHANNEL)
    assert not wire.delivered("sendMediaGroup", CHANNEL)
    assert [c.params["text"] for c in wire.delivered("sendMessage", CHANNEL)] == [POST_CARD]
    assert await status_of(storage) == "published"
    assert any("thiếu ảnh 1/2, 2/2" in t for t in texts_to(wire.calls, ADMIN))


# --- 3. flood control and blocked users ---------------------------------------------------------


FLOOD = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
         "parameters": {"retry_after": 7}}


async def test_a_429_on_a_notification_waits_retry_after_and_then_delivers_once(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/changes 1 Cần thêm ảnh cây cầu sau khi sửa")
    assert wire.last_text(ADMIN) == CHANGES_ASKED_1
    wire.once[("sendMessage", LAN)] = [(429, FLOOD)]
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    mark = len(wire.calls)

    assert await world.worker.run_once(now) == 1 + MENU

    tried = [a for a in wire.answers[-(len(wire.calls) - mark):]
             if int(a.call.params.get("chat_id", 0)) == LAN]
    assert [(a.call.method, a.status) for a in tried] == [("sendMessage", 429)]
    (row,) = await outbox_rows(storage)
    assert row["status"] == "pending"
    assert row["attempts"] == 1
    due = datetime.fromisoformat(row["next_attempt_at"])
    assert abs((due - (now + timedelta(seconds=7))).total_seconds()) <= 1
    assert row["last_error"]

    assert await world.worker.run_once(now + timedelta(seconds=3)) == 0  # not before 7 s
    assert len(wire.calls) == mark + 1 + MENU

    assert await world.worker.run_once(now + timedelta(seconds=10)) == 1

    delivered = texts_to(wire.delivered(), LAN)
    notes = [t for t in delivered if "cần bổ sung" in t]
    assert len(notes) == 1
    assert notes[0].startswith(f"Câu chuyện <b>#1</b> “{TITLE}” cần bổ sung.")
    (row,) = await outbox_rows(storage)
    assert (row["status"], row["attempts"]) == ("sent", 2)
    assert await world.worker.run_once(now + timedelta(minutes=5)) == 0
    assert len([c for c in wire.calls if int(c.params.get("chat_id", 0)) == LAN
                and "cần bổ sung" in str(c.params.get("text"))]) == 2  # one 429, one sent
    assert_wire_rules(wire)


async def test_a_blocked_reporter_fails_the_notification_for_good(world: World) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/reject 1 Trùng với câu chuyện đã có")
    assert wire.last_text(ADMIN) == "❌ Đã từ chối #1."
    wire.chat_failures[LAN] = (403, BLOCKED)
    now = datetime.now(UTC) + timedelta(seconds=1)

    assert await world.worker.run_once(now) == 1 + MENU

    (row,) = await outbox_rows(storage)
    assert row["status"] == "failed"
    assert row["attempts"] == 1
    assert row["last_error"] == BLOCKED
    attempts_to_lan = len(wire.sent("sendMessage", LAN))
    del wire.chat_failures[LAN]  # even if they unblock, the old notification is not retried

    for later in (timedelta(minutes=1), timedelta(hours=1), timedelta(days=2)):
        assert await world.worker.run_once(now + later) == 0
    assert len(wire.sent("sendMessage", LAN)) == attempts_to_lan
    shown_to_lan = wire.delivered("sendMessage", LAN) + wire.delivered("editMessageText", LAN)
    assert max(wire.calls.index(c) for c in shown_to_lan) == wire.calls.index(
        wire.delivered("editMessageText", LAN)[-1])  # nothing since the confirmation:
    assert f"➜ <b>{SUBMIT}</b>\n\n✅ Đã gửi!" in shown_to_lan[-1].params["text"]
    assert_wire_rules(wire)


async def test_a_429_on_the_post_text_retries_without_posting_the_album_twice(
    world: World,
) -> None:
    """Channels are flood-limited: the album may pass and the card text get a 429."""
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/approve 1")
    assert wire.last_text(ADMIN) == APPROVED_1
    wire.once[("sendMessage", CHANNEL)] = [(429, FLOOD)]
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    assert await world.worker.run_once(now) == 2 + MENU
    assert await status_of(storage) == "approved"
    assert len(wire.delivered("sendMediaGroup", CHANNEL)) == 1
    assert not wire.delivered("sendMessage", CHANNEL)

    await world.worker.run_once(now + timedelta(seconds=10))

    assert await status_of(storage) == "published"
    assert [c.params["text"] for c in wire.delivered("sendMessage", CHANNEL)] == [POST_CARD]
    albums = wire.delivered("sendMediaGroup", CHANNEL)
    assert len(albums) == 1, (
        f"the channel shows the same photos {len(albums)} times: the retry posted the album"
        " again although only the card text had failed"
    )
    assert_wire_rules(wire)


async def test_a_notification_does_not_take_away_the_keyboard_of_an_open_question(
    world: World,
) -> None:
    """The reporter is at the share-phone step of a second report when #1 is approved."""
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await admin.says("/approve 1")
    await lan.says("/report")
    await lan.presses(KIND_GOOD_DEED)
    await lan.presses(CONTENT_1)
    for answer in ("long xuyen", "Trần Thị Bé", "giáo viên Trường THCS Bình Đức",
                   "Cô giáo dạy bơi miễn phí", GOOD_DESCRIPTION, "02/09/2025"):
        await lan.says(answer)
    await lan.presses("Bỏ qua")  # photos (inline)
    await lan.says("Bỏ qua")  # location (reply keyboard)
    ask_phone = wire.sent("sendMessage", LAN)[-1]
    assert ask_phone.params["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    mark = len(wire.calls)

    await world.worker.run_once()

    (notice,) = [c for c in wire.calls[mark:] if int(c.params.get("chat_id", 0)) == LAN]
    assert notice.params["text"] == NOTIFY_APPROVED
    assert "reply_markup" not in notice.params, (
        "a notification from the outbox removed the share-phone keyboard of the question the"
        f" reporter is answering: {notice.params['reply_markup']}"
    )
    state = await storage.dialogs.load("telegram", str(LAN))
    assert state is not None and (state.flow, state.step) == ("report", "phone")
    assert_wire_rules(wire)


# --- 4. changes requested on the card, edited and resubmitted from /mystories -------------------


async def test_changes_asked_on_the_card_are_escaped_and_the_resident_edits_and_resubmits(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    await files_report(lan)
    await opens_card_1(admin)
    await admin.presses(CHANGES)
    ask = wire.last_keyboard_message(ADMIN)  # written into the card, below it
    assert ask.method == "editMessageText"
    assert ask.params["text"].startswith(f"<b>#1 · {TITLE}</b>\n⏳ Đang chờ duyệt\n\n")
    assert ask.params["text"].endswith(f"\n\n➜ <b>{CHANGES}</b>\n\n{ASK_NOTE}")
    assert labels(ask) == ["✖️ Hủy"]
    mark = len(wire.calls)

    await admin.says(NOTE)

    assert texts_to(wire.calls[mark:], ADMIN) == [CHANGES_ASKED_1, QUEUE_EMPTY]
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.review_note) == ("needs_changes", NOTE)  # stored literally
    mark = len(wire.calls)

    assert await world.worker.run_once() == 1 + MENU

    told = texts_to(wire.calls[mark:], LAN)
    assert told == [NOTIFY_NEEDS_CHANGES]
    assert NOTE_SHOWN in told[0] and NOTE not in told[0]
    assert "/mystories" in told[0]

    await lan.says("/mystories")
    listing = wire.last_keyboard_message(LAN)
    assert "<b>#1</b> " + TITLE + "\n✏️ Cần bổ sung · " in listing.params["text"]
    assert labels(listing) == ["Mở #1"]
    mark = len(wire.calls)
    await lan.presses("Mở #1")
    after = [c for c in wire.calls[mark:] if int(c.params.get("chat_id", 0)) == LAN]
    assert [c.method for c in after] == [
        "editMessageReplyMarkup", "sendMediaGroup", "sendMessage", "sendMessage",
    ]
    assert media_of(after[1]) == ["ph-1", "ph-2"]
    own_card = after[2].params["text"]
    assert f"<b>Ghi chú thẩm định:</b> {NOTE_SHOWN}" in own_card
    assert PHONE not in own_card
    assert after[3].params["text"] == "Bạn muốn làm gì với #1?"
    assert labels(after[3]) == MINE_BUTTONS

    await lan.presses(AMEND)
    summary = wire.last_keyboard_message(LAN)  # written into the question, below the answer
    assert summary.method == "editMessageText"
    assert summary.params["text"].startswith(
        f"Bạn muốn làm gì với #1?\n\n➜ <b>{AMEND}</b>\n\n"
        "<b>Sửa câu chuyện #1</b>\nGhi chú của cán bộ")
    assert f"Ghi chú của cán bộ thẩm định: {NOTE_SHOWN}" in summary.params["text"]
    assert labels(summary) == [RESUBMIT, "✏️ Sửa", "✖️ Hủy"]
    await lan.presses("✏️ Sửa")
    await lan.presses("Mô tả")
    assert "Kể lại việc làm đó" in wire.last_text(LAN)
    assert len(NEW_DESCRIPTION) >= 40
    await lan.says(NEW_DESCRIPTION)
    assert f"<b>Mô tả:</b> {NEW_DESCRIPTION}" in wire.last_keyboard_message(LAN).params["text"]
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.description) == ("needs_changes", GOOD_DESCRIPTION)  # not yet

    await lan.presses(RESUBMIT)
    assert after_press(wire.last_text(LAN), RESUBMIT) == (
        "📨 Đã gửi lại #1. Ban Thi đua sẽ xem xét lại.")
    assert await status_of(storage) == "pending"
    story = await storage.stories.get(1)
    assert story is not None and story.description == NEW_DESCRIPTION
    mark = len(wire.calls)

    assert await world.worker.run_once() == 1

    assert texts_to(wire.calls[mark:], ADMIN) == [NOTIFY_RESUBMITTED]
    assert texts_to(wire.calls[mark:], LAN) == []  # the reporter did it; no echo
    history = await storage.reviews.history(1)
    assert [(e.action, e.to_status) for e in history] == [
        ("submit", "pending"), ("request_changes", "needs_changes"),
        ("amend", "needs_changes"), ("resubmit", "pending"),
    ]
    assert history[2].details["changes"] == [
        {"field": "description", "old": GOOD_DESCRIPTION, "new": NEW_DESCRIPTION}]
    # The reviewer's next look shows the new description, and it can be approved.
    await opens_card_1(admin)
    card = wire.last_keyboard_message(ADMIN)
    assert NEW_DESCRIPTION in card.params["text"]
    assert button_rows(card) == CARD_BUTTONS
    assert_wire_rules(wire)


# --- 5. a stale card ------------------------------------------------------------------------------


async def test_approving_on_a_card_another_reviewer_already_handled_changes_nothing(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    lan = world.person(LAN)
    a = world.person(ADMIN, "Minh", "Trần")
    b = world.person(OTHER_REVIEWER, "Hoa", "Lê")
    await files_report(lan)
    await b.says("/start")
    await a.says(f"/grant {OTHER_REVIEWER} reviewer all")
    assert "thẩm định: toàn tỉnh." in wire.last_text(ADMIN)
    await opens_card_1(a)
    assert button_rows(wire.last_keyboard_message(ADMIN)) == CARD_BUTTONS

    await b.says("/approve 1")
    assert wire.last_text(OTHER_REVIEWER) == APPROVED_1
    mark = len(wire.calls)

    await a.presses(APPROVE)

    assert texts_to(wire.calls[mark:], ADMIN) == [CHANGED_BY_OTHER]
    assert await status_of(storage) == "approved"
    approvals = [e for e in await storage.reviews.history(1) if e.action == "approve"]
    assert len(approvals) == 1
    b_person = await storage.people.find("telegram", str(OTHER_REVIEWER))
    assert b_person is not None and approvals[0].actor_id == b_person.id
    queued = await outbox_rows(storage)
    assert [(r["kind"], r["chat_id"]) for r in queued] == [
        ("message", str(LAN)), ("publish", PUBLISH_CHAT),
    ]  # one approval's worth of messages, not two
    assert_wire_rules(wire)


# --- 6. the public side --------------------------------------------------------------------------


async def test_anyone_lists_and_opens_a_published_story_without_the_reporters_phone(
    world: World,
) -> None:
    wire = world.wire
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    citizen = world.person(CITIZEN, "Tư", "Phạm")
    await files_report(lan)
    await citizen.says("/stories")
    assert wire.last_text(CITIZEN) == "Chưa có câu chuyện nào được đăng."
    await admin.says("/approve 1")
    assert wire.last_text(ADMIN) == APPROVED_1
    await world.worker.run_once()
    assert await status_of(world.storage) == "published"

    await citizen.says("/stories")

    listing = wire.last_keyboard_message(CITIZEN)
    assert listing.params["text"] == "<b>Gương sáng đã đăng</b>: 1 — trang 1/1"
    assert labels(listing)[0] == OPEN_1
    mark = len(wire.calls)

    await citizen.presses(OPEN_1)

    after = [c for c in wire.calls[mark:] if int(c.params.get("chat_id", 0)) == CITIZEN]
    assert [c.method for c in after] == [
        "editMessageReplyMarkup", "sendMediaGroup", "sendMessage",
    ]
    assert media_of(after[1]) == ["ph-1", "ph-2"]
    card = after[2].params["text"]
    assert card.startswith(f"<b>#1 · {TITLE}</b>\n📢 Đã đăng\n\n")
    assert GOOD_DESCRIPTION in card
    for private in (PHONE, "912 345 678", "Lan", "Người gửi", "điện thoại"):
        assert private not in card
    assert_wire_rules(wire)


async def test_story_by_a_citizen_for_a_pending_story_says_it_is_not_published(
    world: World,
) -> None:
    wire = world.wire
    await files_report(world.person(LAN))
    citizen = world.person(CITIZEN, "Tư", "Phạm")
    mark = len(wire.calls)

    await citizen.says("/story 1")

    assert texts_to(wire.calls[mark:], CITIZEN) == [NOT_PUBLIC_1]
    assert not wire.sent("sendMediaGroup", CITIZEN)  # not even the photos
    assert_wire_rules(wire)


# --- 7. every button and every message of the whole review journey -----------------------------


async def test_every_button_of_the_review_journeys_fits_64_bytes_and_every_text_is_html(
    world: World,
) -> None:
    wire = world.wire
    lan, admin = world.person(LAN), world.person(ADMIN, "Minh", "Trần")
    citizen = world.person(CITIZEN, "Tư", "Phạm")
    await files_report(lan, show_name=True)
    await opens_card_1(admin)
    await admin.presses(CHANGES)
    await admin.says(NOTE)
    await world.worker.run_once()
    await lan.says("/mystories")
    await lan.presses("Mở #1")
    await amends_the_description(lan)
    await world.worker.run_once()
    await opens_card_1(admin)
    await admin.presses(CORRECT)
    await admin.presses("Tiêu đề")
    await admin.says(TITLE + " (đã xác minh)")
    await admin.presses(APPROVE)
    await world.worker.run_once()
    await world.worker.run_once()
    await citizen.says("/stories")
    await citizen.presses(f"#1 · {TITLE} (đã xác minh)"[:60])
    await citizen.says("/story 1")

    assert await status_of(world.storage) == "published"
    post = wire.delivered("sendMessage", CHANNEL)
    assert len(post) == 1
    assert "✍️ Người gửi: Lan Nguyễn" in post[0].params["text"]  # show_name was true here
    assert PHONE not in post[0].params["text"]
    methods = {c.method for c in wire.calls}
    assert {"sendMessage", "sendMediaGroup", "answerCallbackQuery",
            "editMessageReplyMarkup"} <= methods
    assert assert_wire_rules(wire) > 40
