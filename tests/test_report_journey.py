"""A resident files a report from /start to #id through a channel without buttons."""

from __future__ import annotations

from bot.storage import Storage
from tests.conftest import GOOD_DESCRIPTION, FakeChat, file_report


async def test_a_resident_reports_a_good_deed_in_long_xuyen_and_gets_number_1(
    chat: FakeChat, storage: Storage
) -> None:
    said = await file_report(chat)
    assert "#1" in said
    story = await storage.stories.get(1)
    assert story is not None
    assert story.status == "pending"
    assert story.kind == "good_deed"
    assert (story.campaign, story.content) == ("thuong-xuyen", "policy_law")
    assert story.commune_code == 30307  # Phường Long Xuyên
    assert story.honoree_name == "Nguyễn Văn An"
    assert story.description == GOOD_DESCRIPTION
    assert story.event_date == "2025-09-02"
    assert story.show_name is False
    assert story.reporter_phone is None
