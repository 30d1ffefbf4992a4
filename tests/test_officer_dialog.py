"""A commune officer tells residents' stories through /report (issue 13, item 5), on a channel
without buttons: the admin makes Chi an officer of Long Xuyên; she files Bà Sáu's story with Bà
Sáu's name, contact and consent; the reviewers see the resident, the public never sees her
contact; her limit on behalf of residents is OFFICER_REPORTS_PER_DAY."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.cards import post_card, public_card
from bot.config import Settings
from bot.content import catalogue, load_library
from bot.dialog import Dialog
from bot.grant_cli import grant_role
from bot.storage import NewStory, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat
from tests.test_review_journey import join, staff

LONG_XUYEN = 30307
NOT_REVIEWER = "Lệnh này chỉ dành cho cán bộ thẩm định."
ASK_FOR_WHOM = "Bạn muốn kể câu chuyện của ai?"
SAU, SAU_PHONE = "Võ Thị Sáu", "0912345678"


async def officer_of_long_xuyen(dialog: Dialog) -> FakeChat:
    """Chi, who agreed to the notice, made an officer of Long Xuyên by the admin's /grant."""
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await join(admin)
    chi = FakeChat(dialog, "o1", name="Phạm Thị Chi")
    await join(chi)
    await admin.says("/grant fake:o1 officer long_xuyen")
    assert admin.text == ("Đã giao Phạm Thị Chi (fake:o1) làm cán bộ xã (kể thay người dân, nhập"
                          " từ bảng tính): Phường Long Xuyên.\nTrước: người dân.\n"
                          "Nay: cán bộ xã — Phường Long Xuyên.")
    return chi


async def resident_questions(chat: FakeChat, *, role: str = "Người kể lại câu chuyện",
                             shown: str | None = "Có, ghi tên", contact: str = "0912 345 678"
                             ) -> None:
    """/report as staff, for Bà Sáu, up to her consent."""
    await chat.says("/report")
    assert chat.text.startswith(ASK_FOR_WHOM)
    await chat.picks("Kể cho người dân")
    await chat.says(SAU)
    await chat.says(contact)
    await chat.picks(role)
    if shown:
        await chat.picks(shown)
    assert "Người dân đã đồng ý cho lưu và chia sẻ câu chuyện này?" in chat.text
    await chat.picks("Người dân đã đồng ý")


async def the_report(chat: FakeChat, honoree: bool = True) -> str:
    """The report after the resident's questions, to #id; the summary as it was shown."""
    await chat.picks("Gương người tốt, việc tốt")
    await chat.picks("Chấp hành tốt chủ trương")
    await chat.says("long xuyen")
    if honoree:
        await chat.says("Nguyễn Văn An")
    await chat.says("nông dân ấp Mỹ Thạnh")
    await chat.says("Sửa cầu khỉ cho bà con ấp Mỹ Thạnh")
    await chat.says(GOOD_DESCRIPTION)
    await chat.says("02/09/2025")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    summary = chat.text
    await chat.picks("Gửi")
    return summary


async def test_an_admin_makes_a_commune_officer_who_files_but_reviews_nothing(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await admin.says("/reviewers")
    assert "• Phạm Thị Chi (fake:o1) — cán bộ xã: Phường Long Xuyên" in admin.text
    await admin.says("/audit")
    assert "giao quyền cán bộ xã cho Phạm Thị Chi (fake:o1)" in admin.text
    await chi.says("/help")
    assert "/import — nhận mẫu bảng tính" in chi.text
    assert "/pending" not in chi.text
    for command in ("/pending", "/approve 1", "/reject 1 sai", "/changes 1 thêm ảnh"):
        await chi.says(command)
        assert chi.text == NOT_REVIEWER, command
    person = await storage.people.find("fake", "o1")
    assert person is not None and person.role == "officer"
    assert await storage.roles.scopes(person.id) == frozenset({LONG_XUYEN})


async def test_an_officer_files_a_residents_story_that_the_public_reads_without_her_contact(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi)
    assert chi.text.startswith("Cảm ơn bạn!")  # the report itself begins
    assert "Bước 1/10." in chi.text  # no question about Chi's own phone or name
    summary = await the_report(chi)
    assert "Người dân: Võ Thị Sáu — 🗣 Người kể lại câu chuyện" in summary
    assert "Liên lạc: 0912345678" in summary
    assert "Ghi tên người dân khi đăng: có" in summary
    assert "Số điện thoại" not in summary
    assert chi.text.startswith("✅ Đã gửi! Câu chuyện của bạn là #1.")

    story = await storage.stories.get(1)
    chi_person = await storage.people.find("fake", "o1")
    assert story is not None and chi_person is not None
    assert story.reporter_id == chi_person.id
    assert (story.resident_name, story.resident_contact, story.resident_is,
            story.resident_shown) == (SAU, SAU_PHONE, "teller", True)
    assert story.resident_consent_at is not None and not story.show_name
    assert story.honoree_name == "Nguyễn Văn An"
    events = await storage.db.fetchall("SELECT actor_id, action FROM story_events")
    assert [tuple(e) for e in events] == [(chi_person.id, "submit")]

    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(reviewer, "reviewer", (LONG_XUYEN,))
    await reviewer.says("/story 1")
    assert ("Kể thay người dân: Võ Thị Sáu (🗣 Người kể lại câu chuyện) · liên lạc: 0912345678"
            in reviewer.text)
    await reviewer.says("/approve 1")
    await storage.db.write("UPDATE stories SET status = 'published' WHERE id = 1")

    citizen = FakeChat(dialog, "u9", name="Trần Văn Đọc")
    await join(citizen)
    await citizen.says("/story 1")
    assert "Sửa cầu khỉ" in citizen.text and SAU_PHONE not in citizen.text
    assert "Người kể: Võ Thị Sáu" in citizen.text and "Phạm Thị Chi" not in citizen.text
    published = await storage.stories.get(1)
    assert published is not None
    campaigns = load_library(None).campaigns
    post = post_card(published, catalogue("vi"), 91, campaigns)
    assert "✍️ Người kể: Võ Thị Sáu" in post
    assert SAU_PHONE not in post and "Phạm Thị Chi" not in post


async def test_a_resident_who_is_the_honoree_is_not_asked_for_and_is_named_only_as_honoree(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi, role="Người được nêu gương", shown=None,
                             contact="ấp Mỹ Thạnh, phường Long Xuyên")
    assert "Bước 1/9." in chi.text
    summary = await the_report(chi, honoree=False)
    assert "Người/tập thể được nêu gương: Võ Thị Sáu — nông dân ấp Mỹ Thạnh" in summary
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.honoree_name, story.resident_is, story.resident_contact) == (
        SAU, "honoree", "ấp Mỹ Thạnh, phường Long Xuyên")
    assert story.public_name is None
    card = public_card(story, catalogue("vi"), 91, load_library(None).campaigns)
    assert "Người kể" not in card and "Người gửi" not in card and "ấp Mỹ Thạnh, phường" not in card


async def test_without_the_residents_consent_nothing_is_kept(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await chi.says("/report")
    await chi.picks("Kể cho người dân")
    await chi.says(SAU)
    await chi.says("0912 345 678")
    await chi.picks("Người được nêu gương")
    await chi.picks("Chưa đồng ý")
    assert chi.text.startswith("Chưa có sự đồng ý của Võ Thị Sáu nên câu chuyện không được lưu.")
    assert await storage.db.fetchall("SELECT id FROM stories") == []
    state = await storage.dialogs.load("fake", "o1")
    assert state is None or state.flow == ""


async def test_the_residents_questions_check_answers_like_the_report(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await chi.says("/report")
    await chi.picks("Kể cho người dân")
    assert "Gõ /back để quay lại bước trước, /cancel để hủy." in chi.text
    await chi.says("Huy")  # a name, not Hủy
    assert chi.text.startswith("Làm sao liên lạc với người dân này?")
    await chi.says("/back")
    assert chi.text.startswith("Họ và tên người dân?")
    await chi.says("A")
    assert chi.text.startswith("Hơi ngắn quá: cần ít nhất 2 ký tự")
    await chi.says(SAU)
    await chi.says("0912 34")  # looks like a phone: checked as one
    assert chi.text.startswith("Số điện thoại chưa đúng: hãy gõ số Việt Nam 10 chữ số, ví dụ"
                               " 0912 345 678, hoặc gõ địa chỉ của người dân.")
    await chi.says("+84 912 345 678")
    assert chi.text.startswith("Võ Thị Sáu là ai trong câu chuyện?")
    await chi.says("/cancel")
    assert chi.text.startswith("Đã hủy câu chuyện.")


async def test_an_officer_tells_residents_stories_only_in_her_communes(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi)
    await chi.picks("Gương người tốt, việc tốt")
    await chi.picks("Chấp hành tốt chủ trương")
    await chi.says("phu quoc")
    assert chi.text.startswith("Bạn chỉ kể thay người dân ở xã, phường mình phụ trách; Đặc khu"
                               " Phú Quốc không thuộc địa bàn của bạn.")
    await chi.says("long xuyen")
    assert "Địa bàn: Phường Long Xuyên" in chi.text


async def test_a_citizen_is_not_asked_whose_story_it_is(dialog: Dialog) -> None:
    lan = FakeChat(dialog, "u1")
    await join(lan)
    await lan.says("/report")
    assert ASK_FOR_WHOM not in lan.text
    assert "Gương người tốt, việc tốt" in lan.options()


def _story(key: str, reporter: int, resident: str | None) -> NewStory:
    return NewStory(
        submission_key=key, reporter_id=reporter, channel="fake", campaign="an-giang-2025",
        kind="good_deed", content="policy_law", movement=None, commune_code=LONG_XUYEN,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân", title="Sửa cầu khỉ",
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2), resident_name=resident,
        resident_contact="0912345678" if resident else None,
        resident_consent_at="2025-09-03T08:00:00+07:00" if resident else None,
        resident_is="teller" if resident else None)


@pytest.mark.parametrize("limit", [2, 7])
async def test_stories_for_residents_count_against_officer_reports_per_day_apart_from_her_own(
    storage: Storage, settings: Settings, limit: int
) -> None:
    dialog = Dialog(storage, settings.model_copy(update={"officer_reports_per_day": limit}))
    chi = await officer_of_long_xuyen(dialog)
    person = await storage.people.find("fake", "o1")
    assert person is not None
    for i in range(limit - 1):
        await storage.stories.file(_story(f"k{i}", person.id, SAU))
    for i in range(settings.reports_per_day):  # her own stories: their own limit, already full
        await storage.stories.file(_story(f"own{i}", person.id, None))
    await chi.says("/report")
    await chi.picks("Kể cho người dân")
    assert chi.text.startswith("Họ và tên người dân?")  # one more is allowed
    await chi.says("/cancel")
    await storage.stories.file(_story("last", person.id, SAU))
    await chi.says("/report")
    await chi.picks("Kể cho người dân")
    assert chi.text == (f"Bạn đã kể thay người dân {limit} câu chuyện trong 24 giờ qua — mức tối"
                        " đa mỗi ngày. Nhiều câu chuyện một lúc thì dùng /import để nhập từ bảng"
                        " tính.")
    await chi.says("/report")
    await chi.picks("Kể chuyện của tôi")
    assert chi.text.startswith("Bạn đã gửi 5 câu chuyện trong 24 giờ qua")
    chi.now = datetime.now(UTC) + timedelta(hours=25)  # a day later both limits are free
    await chi.says("/report")
    await chi.picks("Kể cho người dân")
    assert chi.text.startswith("Họ và tên người dân?")


async def test_an_officer_whose_commune_was_taken_away_meanwhile_cannot_send_the_story(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    person = await storage.people.find("fake", "o1")
    assert person is not None
    await storage.roles.widen(person.id, (30301,), role="officer")  # and Mỹ Thới
    await resident_questions(chi)
    await chi.picks("Gương người tốt, việc tốt")
    await chi.picks("Chấp hành tốt chủ trương")
    await chi.says("long xuyen")
    for answer in ("Nguyễn Văn An", "nông dân ấp Mỹ Thạnh", "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh",
                   GOOD_DESCRIPTION, "02/09/2025"):
        await chi.says(answer)
    await chi.picks("Bỏ qua")
    await chi.picks("Bỏ qua")
    await storage.roles.narrow(person.id, (LONG_XUYEN,))  # the admin's /revoke, meanwhile
    await chi.picks("Gửi")
    assert chi.text.startswith("Bạn chỉ kể thay người dân ở xã, phường mình phụ trách; Phường"
                               " Long Xuyên không thuộc địa bàn của bạn.")
    assert await storage.db.fetchall("SELECT id FROM stories") == []


async def test_an_officer_edits_a_residents_story_when_changes_are_asked_and_it_stays_hers(
    dialog: Dialog, storage: Storage
) -> None:
    chi = await officer_of_long_xuyen(dialog)
    await resident_questions(chi)
    await the_report(chi)
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(reviewer, "reviewer", (LONG_XUYEN,))
    await reviewer.says("/changes 1 Xin ghi rõ tên kênh")
    await chi.says("/mystories")
    await chi.picks("Mở #1")
    await chi.picks("Sửa và gửi lại")
    assert "Người dân: Võ Thị Sáu — 🗣 Người kể lại câu chuyện" in chi.text
    await chi.picks("Sửa")
    fields = chi.options()
    assert "Tiêu đề" in fields and "Số điện thoại" not in fields
    assert "Ghi tên khi đăng" not in fields  # the officer's own name is never published
    await chi.picks("Tiêu đề")
    await chi.says("Sửa cầu khỉ kênh Xáng cho bà con")
    await chi.picks("Gửi lại để duyệt")
    assert chi.text.startswith("📨 Đã gửi lại #1.")
    story = await storage.stories.get(1)
    assert story is not None
    assert (story.status, story.title, story.resident_name, story.resident_contact) == (
        "pending", "Sửa cầu khỉ kênh Xáng cho bà con", SAU, SAU_PHONE)


async def test_a_reviewer_or_an_admin_is_not_made_an_officer_by_mistake(
    dialog: Dialog, storage: Storage
) -> None:
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await join(admin)
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await staff(reviewer, "reviewer", (LONG_XUYEN,))
    await admin.says("/grant fake:r1 officer long_xuyen")
    assert admin.text.startswith("Lê Văn Duyệt (fake:r1) đang là cán bộ thẩm định, đã kể thay"
                                 " người dân và nhập bảng tính được")
    person = await storage.people.find("fake", "r1")
    assert person is not None and person.role == "reviewer"
    second = FakeChat(dialog, "a2", name="Hồ Văn Hai")
    await staff(second, "admin", (0,))
    await admin.says("/grant fake:a2 officer long_xuyen")
    assert admin.text.startswith("Hồ Văn Hai (fake:a2) đang là quản trị viên, đã kể thay người"
                                 " dân và nhập bảng tính được ở toàn tỉnh.")


async def test_the_operator_makes_an_officer_at_the_command_line(
    dialog: Dialog, storage: Storage, settings: Settings
) -> None:
    chi = FakeChat(dialog, "o1", name="Phạm Thị Chi")
    await join(chi)
    said = await grant_role(settings, load_library(None), ["fake:o1", "officer", "long xuyên"])
    assert not said.refused
    assert said.text.startswith("Đã giao Phạm Thị Chi (fake:o1) làm cán bộ xã")
    person = await storage.people.find("fake", "o1")
    assert person is not None and person.role == "officer"
    assert await storage.roles.scopes(person.id) == frozenset({LONG_XUYEN})
