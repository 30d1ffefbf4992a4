"""Hard news told kindly (issue 12, item 4): a rejected reporter is thanked, told why and invited
to tell another story; someone who may not send stories, and everyone reading /help or the
privacy notice, is told how to reach the board (CONTACT) when the operator set it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.storage import NewStory, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, TelegramApp, file_report
from tests.senders import RecordingSender, deliver, engine_for, member
from tests.wire import TelegramPerson

LONG_XUYEN = 30307
TITLE = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
REASON = "Trùng với câu chuyện đã có"
CONTACT = "0296 3852 123 · Sở Nội vụ, 14 Lê Triệu Kiết, Long Xuyên"
REJECTED = (
    f"Cảm ơn bạn đã gửi câu chuyện #1 “{TITLE}” tới Gương Sáng.\n\n"
    "Sau khi xem xét, Ban Thi đua - Khen thưởng chưa thể đăng câu chuyện này.\n"
    f"Lý do: {REASON}\n\n"
    "Mỗi việc tốt bạn kể lại đều đáng quý. Mời bạn tiếp tục gửi những câu chuyện khác bằng"
    " /report — chúng tôi luôn mong được đọc."
)
BANNED = ("Xin lỗi, tài khoản của bạn hiện không thể gửi câu chuyện. Nếu có thắc mắc, vui lòng"
          " liên hệ Ban Thi đua - Khen thưởng.")


def with_contact(storage: Storage, settings: Settings, contact: str | None = CONTACT) -> Dialog:
    return Dialog(storage, settings.model_copy(update={"contact": contact}))


async def reviewer_of_long_xuyen(dialog: Dialog) -> FakeChat:
    await member(dialog.storage, "r1", name="Lê Văn Duyệt", role="reviewer",
                 communes=(LONG_XUYEN,))
    return FakeChat(dialog, "r1", name="Lê Văn Duyệt")


# --- the rejection -------------------------------------------------------------------------------


async def test_a_rejected_reporter_is_thanked_told_why_and_invited_to_tell_another(
    dialog: Dialog, storage: Storage
) -> None:
    reporter = FakeChat(dialog, "u1")
    assert "Câu chuyện của bạn là #1." in await file_report(reporter, TITLE)
    reviewer = await reviewer_of_long_xuyen(dialog)
    await reviewer.says(f"/reject 1 {REASON}")
    assert "❌ Đã từ chối #1." in reviewer.text

    sender = RecordingSender()
    await deliver(engine_for(storage, sender))

    (told,) = sender.to("u1")
    assert told.text == REJECTED
    assert told.choices == ()


async def test_a_reporter_reading_english_gets_the_english_words(
    dialog: Dialog, storage: Storage
) -> None:
    reporter = FakeChat(dialog, "u1")
    await file_report(reporter, TITLE)
    await reporter.says("/language en")
    reviewer = await reviewer_of_long_xuyen(dialog)
    await reviewer.says("/pending")
    await reviewer.picks("#1")
    await reviewer.picks("Từ chối")
    await reviewer.picks("Không xác minh được thông tin")

    sender = RecordingSender()
    await deliver(engine_for(storage, sender))

    (told,) = sender.to("u1")
    assert told.text.startswith(f"Thank you for sending your story #1 “{TITLE}” to Gương Sáng.")
    assert "\nReason: Không xác minh được thông tin\n\n" in told.text  # the reviewer's words
    assert told.text.endswith("Please keep sending other stories with /report — we always look"
                              " forward to reading them.")


async def test_a_telegram_reporter_reads_the_reason_in_bold_and_escaped(
    tg: TelegramApp, dialog: Dialog, storage: Storage
) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, 4242)
    await lan.says("/start")
    await lan.presses("✅ Tôi đồng ý")
    person = await storage.people.find("telegram", "4242")
    assert person is not None
    await storage.stories.file(NewStory(
        submission_key="k1", reporter_id=person.id, channel="telegram", campaign="thuong-xuyen",
        kind="good_deed", content="policy_law", movement=None, commune_code=LONG_XUYEN,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân", title=TITLE,
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2)))
    reviewer = await reviewer_of_long_xuyen(dialog)
    await reviewer.says("/reject 1 Ảnh <không rõ> & thiếu ngày")

    await OutboxWorker(storage, {"telegram": app.bot_data["sender"]}, 91).run_once()

    text = wire.last_text(4242)
    assert text.startswith(f"Cảm ơn bạn đã gửi câu chuyện <b>#1</b> “{TITLE}” tới Gương Sáng.")
    assert "\n<b>Lý do:</b> Ảnh &lt;không rõ&gt; &amp; thiếu ngày\n\n" in text
    assert wire.sent("sendMessage", 4242)[-1].params["parse_mode"] == "HTML"


async def test_an_approval_still_reads_as_before(dialog: Dialog, storage: Storage) -> None:
    reporter = FakeChat(dialog, "u1")
    await file_report(reporter, TITLE)
    reviewer = await reviewer_of_long_xuyen(dialog)
    await reviewer.says("/approve 1")
    sender = RecordingSender()
    await deliver(engine_for(storage, sender))
    (told,) = sender.to("u1")  # no channel: approved and published in the gallery, told once
    assert told.text == (
        f"✅ Câu chuyện #1 “{TITLE}” của bạn đã được duyệt và đăng trong mục Gương sáng của bot."
        " Mọi người xem được bằng /story 1 hoặc /stories. Cảm ơn bạn đã chia sẻ!")


# --- how to reach the board ----------------------------------------------------------------------


async def test_a_banned_person_is_told_how_to_reach_the_board(
    storage: Storage, settings: Settings
) -> None:
    chat = FakeChat(with_contact(storage, settings), "u1")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    person = await storage.people.find("fake", "u1")
    assert person is not None
    await storage.roles.ban(person.id, "tin rác")

    await chat.says("/report")

    assert chat.text == ("Xin lỗi, tài khoản của bạn hiện không thể gửi câu chuyện. Nếu có thắc"
                         " mắc, vui lòng liên hệ Ban Thi đua - Khen thưởng:\n📞 " + CONTACT)
    assert await storage.stories.count_by_reporter(person.id) == 0


async def test_without_contact_the_ban_notice_says_what_it_always_said(
    storage: Storage, settings: Settings
) -> None:
    chat = FakeChat(with_contact(storage, settings, None), "u1")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    person = await storage.people.find("fake", "u1")
    assert person is not None
    await storage.roles.ban(person.id, None)
    await chat.says("/report")
    assert chat.text == BANNED


async def test_help_and_the_privacy_notice_end_with_the_contact(
    storage: Storage, settings: Settings
) -> None:
    chat = FakeChat(with_contact(storage, settings), "u1")
    await chat.says("/start")
    notice = chat.text
    assert f"📞 Hỏi về dữ liệu của bạn: Ban Thi đua - Khen thưởng, {CONTACT}" in notice
    await chat.picks("Tôi đồng ý")

    await chat.says("/help")
    assert chat.text.endswith(f"\n\n📞 Liên hệ Ban Thi đua - Khen thưởng: {CONTACT}")
    await chat.says("/privacy")
    assert chat.text.endswith(f"📞 Hỏi về dữ liệu của bạn: Ban Thi đua - Khen thưởng, {CONTACT}")
    await chat.says("/language en")
    await chat.says("/help")
    assert chat.text.endswith(f"\n\n📞 Contact the provincial emulation board: {CONTACT}")


@pytest.mark.parametrize("contact", [None, ""])
async def test_without_contact_help_and_privacy_say_nothing_odd(
    storage: Storage, settings: Settings, contact: str | None
) -> None:
    chat = FakeChat(with_contact(storage, settings, contact or None), "u1")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    for command in ("/help", "/privacy"):
        await chat.says(command)
        assert "📞" not in chat.text and "None" not in chat.text
        assert "Liên hệ Ban" not in chat.text
    assert chat.text.startswith("Quyền riêng tư của bạn")


async def test_markup_in_the_contact_is_shown_literally_on_telegram(
    tg: TelegramApp, dialog: Dialog
) -> None:
    app, wire = tg
    dialog.settings = dialog.settings.model_copy(update={"contact": "<b>0296</b> & 3852"})
    lan = TelegramPerson(app, wire, 4242)
    await lan.says("/help")
    assert wire.last_text(4242).endswith(
        "📞 Liên hệ Ban Thi đua - Khen thưởng: &lt;b&gt;0296&lt;/b&gt; &amp; 3852")


# --- the setting ---------------------------------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_contact_is_read_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    assert load_settings().contact is None
    clean_env.setenv("CONTACT", f"  {CONTACT}  ")
    assert load_settings().contact == CONTACT
    clean_env.setenv("CONTACT", "   ")
    assert load_settings().contact is None


@pytest.mark.parametrize("value", ["0296 3852 123\nSở Nội vụ", "x" * 201])
def test_a_contact_on_two_lines_or_too_long_stops_the_start_naming_it(
    clean_env: pytest.MonkeyPatch, value: str
) -> None:
    clean_env.setenv("CONTACT", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith("Invalid setting CONTACT: ")
    assert "\n" not in message


def test_every_setting_is_in_env_example_and_the_readme_table() -> None:
    project = Path(__file__).resolve().parent.parent
    example = (project / ".env.example").read_text(encoding="utf-8")
    readme = (project / "README.md").read_text(encoding="utf-8")
    for name in (n.upper() for n in Settings.model_fields):
        assert f"\n{name}=" in example, f"{name} is missing from .env.example"
        assert f"`{name}`" in readme, f"{name} is missing from the README's configuration table"


async def test_a_reporter_banned_while_editing_is_told_how_to_reach_the_board_on_resending(
    dialog: Dialog,
) -> None:
    from tests.test_corrections import _changes_asked
    from tests.test_review_journey import populate

    dialog.settings = dialog.settings.model_copy(update={"contact": CONTACT})
    town = await populate(dialog)
    await _changes_asked(town)
    await town.u1.picks("Sửa")
    await town.u1.picks("Tiêu đề")
    await town.u1.says("Một tiêu đề khác hẳn cho câu chuyện")
    await town.storage.roles.ban(town.reporter.id, "tin rác")

    await town.u1.picks("Gửi lại để duyệt")

    assert town.u1.text.startswith("Xin lỗi, tài khoản của bạn hiện không thể gửi câu chuyện.")
    assert "📞 " + CONTACT in town.u1.text
    story = await town.storage.stories.get(1)
    assert story is not None and story.status == "needs_changes" and story.title == TITLE
