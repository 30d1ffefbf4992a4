"""Search by words: a folded full-text index kept by triggers, ranked, paged, safe against any
input; /search for everyone (published stories) and reviewers (their communes, any status), and
words after /stories and /pending."""

from __future__ import annotations

import unicodedata

import pytest

from bot.content import fold, localities
from bot.dialog import Dialog
from bot.storage import Storage, StoryFilter
from tests.archive_data import a_story, publish, reporter
from tests.conftest import FakeChat

LONG_XUYEN, PHU_QUOC = 30307, 31078
CAU_KHI = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
PUBLISHED = StoryFilter(("published",))


@pytest.fixture(autouse=True)
async def someone(storage: Storage) -> int:
    """The reporter of the stories filed here (person #1)."""
    return await reporter(storage)


def _every_vietnamese_letter() -> list[str]:
    letters = {"đ", "Đ"}
    for base in "aăâeêioôơuưy":
        for tone in ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323"):
            letter = unicodedata.normalize("NFC", base + tone)
            letters.update((letter, letter.upper()))
    return sorted(letters)


async def test_the_index_folds_every_vietnamese_letter_exactly_as_bot_content_fold(
    storage: Storage,
) -> None:
    words = [f"x{letter}x" for letter in _every_vietnamese_letter()]
    assert len(words) == 146
    await storage.stories.file(a_story("k1", title=" ".join(words)))
    async with storage.db.transaction() as tx:
        await tx.execute("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, story_search,"
                         " 'col')")
        async with tx.execute("SELECT term FROM temp.terms WHERE col = 'title'") as cur:
            indexed = {row[0] for row in await cur.fetchall()}
        await tx.execute("DROP TABLE temp.terms")
    assert indexed == {fold(word) for word in words}
    assert "xdx" in indexed and "xax" in indexed and "xox" in indexed and "xux" in indexed


async def test_a_journalist_finds_cau_khi_typing_it_without_accents(storage: Storage) -> None:
    wanted = await storage.stories.file(a_story("k1", title=CAU_KHI))
    await storage.stories.file(a_story("k2", title="Hiến đất làm đường",
                                       description="Bà Tư hiến 200 mét vuông đất làm đường."))
    await storage.stories.file(a_story("k3", title="Đường điện cho ấp",
                                       description="Bà con góp tiền kéo điện."))
    for typed in ("cau khi", "CẦU KHỈ", "Cau Khi", "khỉ cầu", "  cầu\tkhỉ  "):
        total, found = await storage.search.find(typed, StoryFilter(), 0, 10)
        assert (total, [s.id for s in found]) == (1, [wanted]), typed
    total, _ = await storage.search.find("duong", StoryFilter(), 0, 10)
    assert total == 2, "'đường' is found as 'duong'"
    pending = StoryFilter(("pending",))
    assert (await storage.search.find("duong", pending, 0, 1))[0] == 2
    assert await storage.search.find("duong", pending, 10, 5) == (2, []), "a page past the end"
    assert await storage.search.find("duong", PUBLISHED, 0, 5) == (0, [])


async def test_a_word_in_the_title_ranks_above_the_same_word_in_a_description(
    storage: Storage,
) -> None:
    inside = await storage.stories.file(a_story(
        "k1", title="Tổ tự quản đường làng", description="Cả tổ cùng sửa cầu khỉ hư."))
    titled = await storage.stories.file(a_story("k2", title="Cây cầu khỉ mới"))
    _, found = await storage.search.find("cau khi", StoryFilter(), 0, 10)
    assert [s.id for s in found] == [titled, inside]


@pytest.mark.parametrize("typed", [
    '"', "*", "NEAR", "near(cầu khỉ)", "cầu OR khỉ", "cầu AND NOT khỉ", "-cầu", "title:cầu",
    "{title description}: cầu", "^cầu", "cầu*", '"cầu khỉ', "(", ")", "'; DROP TABLE stories;--",
    "\\", "!!!", "🙂", "cầu + khỉ", "NOT", "AND", "OR", "x" * 5000, " ".join(["cầu"] * 500),
])
async def test_punctuation_and_search_syntax_are_plain_words_and_never_an_error(
    storage: Storage, typed: str,
) -> None:
    await storage.stories.file(a_story("k1", title=CAU_KHI))
    total, found = await storage.search.find(typed, StoryFilter(), 0, 10)
    assert total == len(found)
    words = set(fold(typed).split())
    if words <= {"cau", "khi"} and words:
        assert total == 1, f"{typed!r} is the words cầu/khỉ and should find the story"
    else:
        assert total == 0, f"{typed!r} matched although the story lacks some of its words"
    assert tuple(await storage.db.fetchone("SELECT COUNT(*) FROM stories") or ()) == (1,)


async def test_the_index_follows_any_writer_of_a_story(storage: Storage) -> None:
    story_id = await storage.stories.file(a_story("k1", title=CAU_KHI,
                                                  description="Ông An làm việc tốt."))
    await storage.db.write("UPDATE stories SET title = ?, honoree_name = ? WHERE id = ?",
                           ("Đắp đê giữ lúa", "Tổ hợp tác Bình Hòa", story_id))
    assert (await storage.search.find("cau khi", StoryFilter(), 0, 5))[0] == 0
    assert (await storage.search.find("dap de", StoryFilter(), 0, 5))[0] == 1
    assert (await storage.search.find("binh hoa", StoryFilter(), 0, 5))[0] == 1
    await storage.db.write("DELETE FROM stories WHERE id = ?", (story_id,))
    assert (await storage.search.find("dap de", StoryFilter(), 0, 5))[0] == 0


async def test_a_commune_is_found_by_its_name_with_or_without_accents(storage: Storage) -> None:
    before = await storage.stories.file(a_story("k1", commune_code=LONG_XUYEN))
    units = localities(91).units
    assert await storage.search.use_communes({u.code: u.name for u in units}) == len(units)
    after = await storage.stories.file(a_story("k2", commune_code=PHU_QUOC))
    _, found = await storage.search.find("long xuyen", StoryFilter(), 0, 5)
    assert [s.id for s in found] == [before]
    _, found = await storage.search.find("Phú Quốc cầu khỉ", StoryFilter(), 0, 5)
    assert [s.id for s in found] == [after]
    assert await storage.search.use_communes({u.code: u.name for u in units}) == 0
    await storage.search.use_communes({LONG_XUYEN: "Phường Mới"})
    assert (await storage.search.find("long xuyen", StoryFilter(), 0, 5))[0] == 0
    assert (await storage.search.find("phuong moi", StoryFilter(), 0, 5))[0] == 1
    assert (await storage.search.find("phu quoc", StoryFilter(), 0, 5))[0] == 0


# --- /search, /stories and /pending in the dialog -----------------------------------------------


async def _join(chat: FakeChat) -> int:
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    found = await chat.dialog.storage.people.find(chat.channel, chat.user_id)
    assert found is not None
    return found.id


async def _stories(storage: Storage) -> dict[str, int]:
    """A published and a pending story about a monkey bridge in Long Xuyên, one in Phú Quốc."""
    person = await reporter(storage)
    ids = {
        "published": await storage.stories.file(a_story("k1", title=CAU_KHI,
                                                        reporter_id=person)),
        "pending": await storage.stories.file(a_story("k2", title="Làm lại cầu khỉ ấp Hòa",
                                                      reporter_id=person)),
        "elsewhere": await storage.stories.file(a_story("k3", title="Cầu khỉ ở đảo",
                                                        commune_code=PHU_QUOC,
                                                        reporter_id=person)),
    }
    await publish(storage, ids["published"])
    return ids


async def test_everyone_searches_published_stories_and_reviewers_their_own_communes(
    dialog: Dialog, storage: Storage,
) -> None:
    ids = await _stories(storage)
    resident, reviewer = FakeChat(dialog, "u9"), FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    await _join(resident)
    await storage.roles.grant(await _join(reviewer), "reviewer", (LONG_XUYEN,))

    await resident.says("/search cau khi")
    assert resident.text.startswith("Tìm “cau khi”: 1 câu chuyện — trang 1/1")
    assert resident.options() == [f"#{ids['published']} · {CAU_KHI}"]
    await resident.picks(f"#{ids['published']}")
    assert resident.text.startswith(f"#{ids['published']} · {CAU_KHI}\n📢 Đã đăng")
    assert "0912345678" not in resident.text

    await reviewer.says("/search cầu khỉ")
    assert reviewer.text.startswith("Tìm “cầu khỉ”: 2 câu chuyện")
    assert sorted(reviewer.options()) == sorted([
        f"#{ids['published']} · {CAU_KHI}", f"#{ids['pending']} · Làm lại cầu khỉ ấp Hòa"])
    await reviewer.picks(f"#{ids['pending']}")
    assert "Duyệt" in " ".join(reviewer.options()), "a reviewer's result opens the review card"


async def test_search_answers_plainly_when_there_are_no_words_or_no_stories(
    dialog: Dialog, storage: Storage,
) -> None:
    chat = FakeChat(dialog, "u9")
    await _join(chat)
    await chat.says("/search")
    assert chat.text == ("Cách dùng: /search <từ cần tìm>, có dấu hoặc không dấu."
                         " Ví dụ: /search cau khi")
    await chat.says('/search "* : -')
    assert chat.text == "Hãy gõ vài chữ hoặc số cần tìm, ví dụ: /search cau khi"
    await chat.says("/search cầu <b>khỉ</b>")
    assert chat.text == "Không có câu chuyện nào chứa “cầu <b>khỉ</b>”."


async def test_results_come_a_page_at_a_time_and_a_demoted_reviewer_cannot_turn_the_page(
    dialog: Dialog, storage: Storage,
) -> None:
    person = await reporter(storage)
    for n in range(7):
        await storage.stories.file(a_story(f"k{n}", title=f"Cầu khỉ số {n + 1}",
                                           reporter_id=person))
    reviewer = FakeChat(dialog, "r1", name="Lê Văn Duyệt")
    reviewer_id = await _join(reviewer)
    await storage.roles.grant(reviewer_id, "reviewer", (LONG_XUYEN,))

    await reviewer.says("/search cau khi")
    assert reviewer.text.startswith("Tìm “cau khi”: 7 câu chuyện — trang 1/2")
    assert len(reviewer.options()) == 6 and reviewer.options()[-1] == "Trang sau ▶️"
    await reviewer.picks("Trang sau")
    assert reviewer.text.startswith("Tìm “cau khi”: 7 câu chuyện — trang 2/2")
    assert len(reviewer.options()) == 3

    await reviewer.picks("Trang trước")
    await storage.roles.revoke(reviewer_id)
    await reviewer.picks("Trang sau")
    assert reviewer.text == "Lệnh này chỉ dành cho cán bộ thẩm định."


async def test_stories_and_pending_take_words_beside_a_commune_or_a_kind(
    dialog: Dialog, storage: Storage,
) -> None:
    ids = await _stories(storage)
    resident, reviewer = FakeChat(dialog, "u9"), FakeChat(dialog, "rp", name="Võ Thị Tỉnh")
    await _join(resident)
    await storage.roles.grant(await _join(reviewer), "reviewer", (0,))

    await resident.says("/stories long xuyen cau khi")
    assert resident.text.startswith("Tìm “cau khi” (Phường Long Xuyên): 1 câu chuyện")
    assert resident.options() == [f"#{ids['published']} · {CAU_KHI}"]
    await resident.says("/stories phu quoc cau khi")
    assert resident.text == "Không có câu chuyện nào chứa “cau khi” (Đặc khu Phú Quốc)."
    await resident.says("/stories xyzxyz")
    assert resident.text.startswith("Không tìm thấy xã/phường/đặc khu “xyzxyz”.")

    await reviewer.says("/pending cau khi")
    assert reviewer.text.startswith("Tìm “cau khi”: 2 câu chuyện")
    assert sorted(reviewer.options()) == sorted([
        f"#{ids['pending']} · Làm lại cầu khỉ ấp Hòa", f"#{ids['elsewhere']} · Cầu khỉ ở đảo"])
    await reviewer.says("/pending good_deed dao")
    assert reviewer.options() == [f"#{ids['elsewhere']} · Cầu khỉ ở đảo"]


async def test_a_campaign_named_before_the_words_narrows_the_search_and_its_pages(
    dialog: Dialog, storage: Storage,
) -> None:
    person = await reporter(storage)
    for n in range(6):
        await storage.stories.file(a_story(f"k{n}", title=f"Cầu khỉ số {n + 1}",
                                           reporter_id=person))
    standing = await storage.stories.file(a_story(
        "s1", title="Cầu khỉ quanh năm", campaign="thuong-xuyen", reporter_id=person))
    reviewer, resident = FakeChat(dialog, "r1", name="Lê Văn Duyệt"), FakeChat(dialog, "u9")
    await storage.roles.grant(await _join(reviewer), "reviewer", (LONG_XUYEN,))
    await _join(resident)
    special = "(đợt Đợt thi đua đặc biệt năm 2025)"

    await reviewer.says("/pending cau khi")
    assert reviewer.text.startswith("Tìm “cau khi”: 7 câu chuyện — trang 1/2")
    await reviewer.says("/pending 2025 cau khi")
    assert reviewer.text.startswith(f"Tìm “cau khi” {special}: 6 câu chuyện — trang 1/2")
    await reviewer.picks("Trang sau")
    assert reviewer.text.startswith(f"Tìm “cau khi” {special}: 6 câu chuyện — trang 2/2")
    assert reviewer.options() == ["#1 · Cầu khỉ số 1", "◀️ Trang trước"]
    await reviewer.says("/pending thuong-xuyen long xuyen cau khi")
    assert reviewer.options() == [f"#{standing} · Cầu khỉ quanh năm"]
    await reviewer.says("/pending 2031 cau khi")
    assert reviewer.text == "Không có đợt thi đua nào ứng với “2031”."

    await publish(storage, standing)
    await resident.says("/stories thuong-xuyen cau khi")
    assert resident.options() == [f"#{standing} · Cầu khỉ quanh năm"]
    await resident.says("/stories 2025 cau khi")
    assert resident.text == ("Không tìm thấy xã/phường/đặc khu “cau khi”. Cũng không có câu"
                             f" chuyện nào chứa các từ này {special}.")
