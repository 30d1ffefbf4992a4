"""Small holes a person could find: the pin on public cards, invisible letters, right-to-left
overrides reaching the channel, and arguments out of any sane range."""

from __future__ import annotations

from datetime import date

from bot.cards import post_card
from bot.content import catalogue, load_library
from bot.dialog import Dialog, normalise
from bot.storage import NewStory, Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat

LONG_XUYEN = 30307
PIN = "10.37590, 105.41850"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
INVISIBLE = "\u115f\u1160\u2800\u3164\uffa0\u200b\u2061\u180e"


async def member(dialog: Dialog, user_id: str, name: str = "Trần Thị Bình") -> FakeChat:
    chat = FakeChat(dialog, user_id, name=name)
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.picks("Để sau")
    return chat


async def published_story_with_a_pin(storage: Storage, reporter_id: int) -> int:
    story_id = await storage.stories.file(NewStory(
        submission_key="pin-1", reporter_id=reporter_id, channel="fake",
        campaign="an-giang-2025", kind="good_deed", content="policy_law", movement=None,
        commune_code=LONG_XUYEN, honoree_name="Nguyễn Văn An",
        honoree_role="nông dân ấp Mỹ Thạnh", title="Sửa cầu khỉ cho bà con",
        description=GOOD_DESCRIPTION, event_date=date(2025, 9, 2), latitude=10.3759,
        longitude=105.4185, show_name=True), notify_reviewers=False)
    await storage.db.write("UPDATE stories SET status = 'published' WHERE id = ?", (story_id,))
    return story_id


# --- 8. the public card shows the commune, not the pin -----------------------------------------


async def test_the_public_card_and_the_post_show_the_commune_and_reviewers_still_see_the_pin(
    dialog: Dialog, storage: Storage
) -> None:
    reporter = await member(dialog, "u1")
    person = await storage.people.find("fake", "u1")
    assert person is not None
    story_id = await published_story_with_a_pin(storage, person.id)
    neighbour = await member(dialog, "u2", name="Lê Văn Hàng Xóm")

    await neighbour.says(f"/story {story_id}")
    assert "Địa bàn: Phường Long Xuyên" in neighbour.text
    assert "10.37" not in neighbour.text and "105.41" not in neighbour.text
    assert "Vị trí" not in neighbour.text
    await reporter.says(f"/story {story_id}")
    assert "10.37" not in reporter.text

    story = await storage.stories.get(story_id)
    assert story is not None
    post = post_card(story, catalogue("vi"), 91, load_library(None).campaigns)
    assert "Phường Long Xuyên" in post and "10.37" not in post

    reviewer = await member(dialog, "r1", name="Lê Văn Duyệt")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (LONG_XUYEN,))
    await reviewer.says(f"/story {story_id}")
    assert f"Vị trí: {PIN}" in reviewer.text


# --- 15. invisible letters and right-to-left overrides ----------------------------------------


def test_normalise_drops_invisible_letters_and_direction_overrides() -> None:
    assert normalise(f"{INVISIBLE}Cầu{BIDI} khỉ{INVISIBLE}") == "Cầu khỉ"
    assert normalise(INVISIBLE * 10) == ""
    assert normalise("Sửa cầu\nkhỉ\tmới 👨‍👩‍👧") == "Sửa cầu\nkhỉ\tmới 👨👩👧"


async def test_invisible_letters_do_not_count_toward_the_minimum_length(dialog: Dialog) -> None:
    chat = await member(dialog, "u1")
    for answer in ("/report",):
        await chat.says(answer)
    await chat.picks("Gương người tốt, việc tốt")
    await chat.picks("Chấp hành tốt chủ trương")
    await chat.says("long xuyen")
    await chat.says("\u3164\u3164")
    assert chat.text.startswith("Hơi ngắn quá: cần ít nhất 2 ký tự (bạn đã gõ 0)."), chat.text
    await chat.says("Nguyễn Văn An")
    await chat.says("nông dân ấp Mỹ Thạnh")
    await chat.says("Sửa cầu khỉ cho bà con")
    await chat.says("\u3164" * 60 + "Tốt lắm")
    assert chat.text.startswith("Hơi ngắn quá: cần ít nhất 40 ký tự (bạn đã gõ 7)."), chat.text


async def test_direction_overrides_never_reach_the_stored_story_or_the_channel_post(
    dialog: Dialog, storage: Storage
) -> None:
    chat = await member(dialog, "u1", name=f"{BIDI[4]}Trần Thị Bình{BIDI[2]}")
    await chat.says("/report")
    await chat.picks("Gương người tốt, việc tốt")
    await chat.picks("Chấp hành tốt chủ trương")
    await chat.says("long xuyen")
    for answer in (f"Nguyễn{BIDI[4]} Văn An", "nông dân ấp Mỹ Thạnh",
                   f"{BIDI[3]}Sửa cầu khỉ{BIDI[8]}", GOOD_DESCRIPTION + BIDI, "02/09/2025"):
        await chat.says(answer)
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Có, ghi tên tôi")
    await chat.picks("Gửi")
    assert "#1" in chat.text
    story = await storage.stories.get(1)
    assert story is not None
    post = post_card(story, catalogue("vi"), 91, load_library(None).campaigns)
    assert "Trần Thị Bình" in post and "Sửa cầu khỉ" in post
    assert not set(BIDI) & set(post), [hex(ord(c)) for c in post if c in BIDI]
    for value in (story.title, story.description, story.honoree_name, story.reporter_name):
        assert value is not None and not set(BIDI) & set(value)


# --- 15. arguments out of range get clear answers ---------------------------------------------


async def test_an_export_from_year_one_is_refused_as_a_bad_date(dialog: Dialog,
                                                                storage: Storage) -> None:
    reviewer = await member(dialog, "r1", name="Lê Văn Duyệt")
    found = await storage.people.find("fake", "r1")
    assert found is not None
    await storage.roles.grant(found.id, "reviewer", (0,))
    for raw in ("0001-01-01", "9999-12-31"):
        await reviewer.says(f"/export {raw}")
        assert reviewer.text == (
            f"Không đọc được ngày “{raw}”. Dùng dạng ngày/tháng/năm, ví dụ 01/01/2025."), raw
        assert not reviewer.replies[0].files


async def test_cancelbroadcast_of_a_huge_number_says_there_is_no_such_broadcast(
    dialog: Dialog
) -> None:
    admin = FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram")
    await admin.says("/start")
    await admin.picks("Tôi đồng ý")
    await admin.says("/cancelbroadcast 99999999999999999999")
    assert admin.text == "Không hủy được đợt gửi #99999999999999999999 (không có hoặc đã xong)."
