"""Campaigns over time: stories keep their campaign and its keys, and every list, count and export
can be narrowed to one campaign.

Stories are filed through storage as the bot files them; what the repositories return is what a
reviewer's list or count would show.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.storage import NewStory, Person, Storage
from tests.conftest import GOOD_DESCRIPTION
from tests.senders import member

LONG_XUYEN, CHAU_DOC = 30307, 30316


async def put(storage: Storage, reporter: Person, key: str, campaign: str, content: str | None,
              *, status: str = "pending", commune: int = LONG_XUYEN, **extra: Any) -> int:
    """File a story under a campaign, then give it a status."""
    story_id = await storage.stories.file(NewStory(
        submission_key=key, reporter_id=reporter.id, channel="fake", campaign=campaign,
        kind="good_deed", content=content, movement=extra.pop("movement", None),
        commune_code=commune, honoree_name="Nguyễn Văn An", honoree_role="nông dân",
        title=f"Câu chuyện {key}", description=GOOD_DESCRIPTION, event_date=date(2025, 5, 1),
        **extra), notify_reviewers=False)
    await storage.db.write("UPDATE stories SET status = ? WHERE id = ?", (status, story_id))
    return story_id


async def two_years(storage: Storage) -> dict[str, list[int]]:
    """Three 2025 stories and two of the standing campaign, in two communes."""
    lan = await member(storage, "lan")
    admin = await member(storage, "admin", role="admin", communes=(0,))
    ids = {
        "an-giang-2025": [
            await put(storage, lan, "a", "an-giang-2025", "key_movements",
                      movement="for_the_poor"),
            await put(storage, lan, "b", "an-giang-2025", "policy_law", status="published"),
            await put(storage, lan, "c", "an-giang-2025", "celebrations", status="approved",
                      commune=CHAU_DOC),
        ],
        "thuong-xuyen": [
            await put(storage, lan, "d", "thuong-xuyen", None),
            await put(storage, lan, "e", "thuong-xuyen", "policy_law", status="published"),
        ],
    }
    outcome = await storage.reports.nominate(ids["an-giang-2025"][2], "bang_khen", "Tiêu biểu",
                                             admin.id)
    assert outcome.ok
    return ids


async def test_a_story_records_its_campaign_and_keys_and_may_leave_the_content_open(
    storage: Storage,
) -> None:
    ids = await two_years(storage)
    story = await storage.stories.get(ids["an-giang-2025"][0])
    assert story is not None
    assert (story.campaign, story.content, story.movement) == (
        "an-giang-2025", "key_movements", "for_the_poor")
    unchosen = await storage.stories.get(ids["thuong-xuyen"][0])
    assert unchosen is not None and unchosen.content is None
    assert sorted(await storage.stories.keys_in_use(), key=repr) == sorted([
        ("an-giang-2025", "key_movements", "for_the_poor", 1),
        ("an-giang-2025", "policy_law", None, 1),
        ("an-giang-2025", "celebrations", None, 1),
        ("thuong-xuyen", None, None, 1),
        ("thuong-xuyen", "policy_law", None, 1),
    ], key=repr)


async def test_the_queue_and_the_published_list_narrow_to_one_campaign(storage: Storage) -> None:
    ids = await two_years(storage)
    a, b, _ = ids["an-giang-2025"]
    d, e = ids["thuong-xuyen"]
    stories = storage.stories
    assert [s.id for s in (await stories.queue(None, None, None, 0, 10))[1]] == [a, d]
    assert [s.id for s in (await stories.queue(None, None, None, 0, 10,
                                               campaign="an-giang-2025"))[1]] == [a]
    assert (await stories.queue(None, None, None, 0, 10, campaign="thuong-xuyen"))[0] == 1
    assert [s.id for s in (await stories.published(None, None, 0, 10))[1]] == [e, b]
    assert [s.id for s in (await stories.published(None, None, 0, 10,
                                                   campaign="thuong-xuyen"))[1]] == [e]
    assert (await stories.published(None, None, 0, 10, campaign="an-giang-2027"))[0] == 0


async def test_counts_lists_and_nominations_narrow_to_one_campaign(storage: Storage) -> None:
    ids = await two_years(storage)
    reports = storage.reports
    every = await reports.counts(None)
    assert sum(c.n for c in every) == 5
    only_2025 = await reports.counts(None, campaign="an-giang-2025")
    assert {(c.campaign, c.content, c.status, c.n) for c in only_2025} == {
        ("an-giang-2025", "key_movements", "pending", 1),
        ("an-giang-2025", "policy_law", "published", 1),
        ("an-giang-2025", "celebrations", "approved", 1)}
    standing = [r["id"] async for r in reports.stories(None, None, None,
                                                        campaign="thuong-xuyen")]
    assert standing == ids["thuong-xuyen"]
    assert await reports.filed_between(None, "2000-01-01", "2100-01-01",
                                        campaign="thuong-xuyen") == 2
    daily = await reports.daily(None, "2000-01-01", 420, campaign="an-giang-2025")
    assert sum(n for _, _, n in daily) == 3
    (nominated,) = await reports.nominations(None, campaign="an-giang-2025")
    assert (nominated.story_id, nominated.campaign) == (ids["an-giang-2025"][2], "an-giang-2025")
    assert await reports.nominations(None, campaign="thuong-xuyen") == []
