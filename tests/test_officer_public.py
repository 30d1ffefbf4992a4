"""What the public sees of a story an officer filed for a resident: the gallery and its feed name
the resident only when she allowed it, and never show her contact or the officer's name."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.storage import Storage
from tests.archive_data import a_story, publish, reporter
from tests.gallery_site import gallery_settings, web_app

OFFICER = "Phạm Thị Chi"
CONTACT = "0987654321, tổ 5 khóm Bình Khánh"


async def test_the_gallery_names_a_resident_only_when_she_allowed_it(
    storage: Storage, settings: Settings
) -> None:
    chi = await reporter(storage, OFFICER, "7070")
    resident = {"resident_contact": CONTACT, "resident_consent_at": "2025-09-03T08:00:00+07:00",
                "resident_is": "teller", "reporter_phone": None, "latitude": None,
                "longitude": None}
    named = await storage.stories.file(a_story(
        "r1", reporter_id=chi, title="Bà Sáu kể chuyện cầu khỉ", resident_name="Võ Thị Sáu",
        resident_shown=True, **resident))
    hidden = await storage.stories.file(a_story(
        "r2", reporter_id=chi, title="Ông Bảy kể chuyện đường làng",
        resident_name="Trần Văn Bảy", **resident))
    for story_id in (named, hidden):
        await publish(storage, story_id)
    async with TestClient(TestServer(web_app(storage, gallery_settings(settings)))) as http:
        pages = {}
        for story_id in (named, hidden):
            response = await http.get(f"/cau-chuyen/{story_id}")
            assert response.status == 200
            pages[story_id] = await response.text()
        listing = await (await http.get("/")).text()
        feed = await (await http.get("/feed.atom")).text()
    assert "Người gửi: Võ Thị Sáu" in pages[named]
    assert "Trần Văn Bảy" not in pages[hidden] and "Người gửi" not in pages[hidden]
    for body in (*pages.values(), listing, feed):
        assert OFFICER not in body
        assert "0987654321" not in body and "Bình Khánh" not in body
