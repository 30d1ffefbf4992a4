"""Duplicates: the same deed filed by two neighbours is found in the background, shown on the
review card as "Có thể trùng với #1", compared side by side and closed in two taps through the
story's one door; its reporter is thanked and told which story theirs joined, and its photos are
offered to the story kept. Stories of another commune or older than sixty days are never
candidates; the door's refusals read well."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.content import catalogue
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.duplicates import DuplicateFinder, similarity
from bot.storage import Change, NewStory, Person, Storage, Telling, open_storage
from bot.workflow import Action
from tests.conftest import start_telegram
from tests.test_review_storage import outbox, person, rows
from tests.wire import TOKEN, RecordingRequest, TelegramPerson

ADMIN = 9001
LONG_XUYEN, PHU_QUOC = 30307, 31078
FIRST = (
    "Ông Nguyễn Văn An đã tự bỏ ra 35 triệu đồng mua cây và ván để sửa cây cầu khỉ bắc qua kênh"
    " Xáng. Cây cầu đã mục nát nhiều năm, học sinh đi học rất nguy hiểm. Hơn 50 hộ dân ấp Mỹ"
    " Thạnh nay đi lại an toàn mỗi ngày."
)
RETOLD = (
    "Hon 50 ho dan ap My Thanh nay di lai yen tam hang ngay. Chu Ut An bo tien tui 35 trieu dong"
    " mua cay va van de sua chua cay cau khi bac qua kenh Xang, vi cay cau da muc nat nhieu nam,"
    " cac em hoc sinh di hoc het suc nguy hiem."
)
OTHER_DEED = (
    "Bà Lê Thị Hoa mở lớp dạy bơi miễn phí cho hơn 80 em nhỏ ấp Bình Khánh suốt mùa hè, tự bỏ"
    " 6 triệu đồng mua phao và áo cứu sinh, giúp các em an toàn khi mùa nước nổi về."
)


@dataclass
class World:
    app: Any
    wire: RecordingRequest
    storage: Storage
    finder: DuplicateFinder
    outbox: OutboxWorker

    def admin(self) -> TelegramPerson:
        return TelegramPerson(self.app, self.wire, ADMIN, "Minh", "Trần")


@pytest.fixture
async def world(db_path: Path) -> AsyncIterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,),
        telegram_bot_token=SecretStr(TOKEN),
    )
    storage = await open_storage(db_path)
    app, wire = await start_telegram(settings, Dialog(storage, settings))
    senders = {"telegram": app.bot_data["sender"]}
    yield World(app, wire, storage, DuplicateFinder(storage.duplicates),
                OutboxWorker(storage, senders, settings.province_code))
    await app.shutdown()
    await storage.close()


async def tell(storage: Storage, reporter: Person, key: str, honoree: str, description: str,
               *, commune: int = LONG_XUYEN, photos: tuple[str, ...] = (),
               title: str = "Sửa cầu khỉ cho bà con") -> int:
    return await storage.stories.file(NewStory(
        submission_key=key, reporter_id=reporter.id, channel=reporter.channel,
        campaign="thuong-xuyen", kind="good_deed", content="policy_law", movement=None,
        commune_code=commune, honoree_name=honoree, honoree_role="nông dân", title=title,
        description=description, event_date=date(2025, 9, 2), photos=list(photos),
    ), notify_reviewers=False)


async def neighbours(storage: Storage) -> tuple[Person, Person]:
    return (await person(storage, "501", "Trần Thị Bình"),
            await person(storage, "502", "Lê Văn Cường"))


def texts(wire: RecordingRequest, chat: int) -> list[str]:
    return [str(c.params["text"]) for c in wire.sent("sendMessage", chat)]


async def test_a_reviewer_sees_the_duplicate_on_the_card_and_closes_it_in_two_taps(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    first = await tell(world.storage, binh, "k1", "Nguyễn Văn An", FIRST)
    await tell(world.storage, binh, "k2", "Lê Thị Hoa", OTHER_DEED, title="Lớp bơi miễn phí")
    second = await tell(world.storage, cuong, "k3", "chú Út An", RETOLD,
                        title="Cầu mới ở ấp Mỹ Thạnh")
    assert await world.finder.run_once() == 3
    admin = world.admin()

    await admin.says("/pending")
    await admin.presses(f"#{second} · Cầu mới ở ấp Mỹ Thạnh")
    card = world.wire.last_keyboard_message(ADMIN).params["text"]
    assert f"Có thể trùng với</b> #{first}" in card
    assert f"#{first + 1}" not in card.split("Có thể trùng")[1], "the swimming lessons matched"

    await admin.presses(f"🔍 So sánh với #{first}")  # tap one
    compared = world.wire.last_keyboard_message(ADMIN).params["text"]
    assert f"So sánh #{second} và #{first}" in compared
    assert f"#{second}: chú Út An — nông dân" in compared
    assert f"#{first}: Nguyễn Văn An — nông dân" in compared
    assert admin.buttons() == [f"🔁 Đánh dấu #{second} trùng với #{first}",
                               f"🔁 Đánh dấu #{first} trùng với #{second}",
                               f"⬅️ Quay lại #{second}"]

    await admin.presses(f"🔁 Đánh dấu #{second} trùng với #{first}")  # tap two
    said = texts(world.wire, ADMIN)
    assert any(f"Đã đánh dấu #{second} trùng với #{first}" in t for t in said)
    closed = await world.storage.stories.get(second)
    assert closed is not None and (closed.status, closed.duplicate_of) == ("rejected", first)
    [event] = [e for e in await world.storage.reviews.history(second)
               if e.action == "mark_duplicate"]
    assert (event.actor_id is not None, event.note, event.details) == (
        True, f"Trùng với #{first}", {"duplicate_of": first})
    kept_card = world.wire.last_keyboard_message(ADMIN).params["text"]
    assert kept_card.startswith(f"<b>#{first} · Sửa cầu khỉ cho bà con</b>")
    assert "Có thể trùng" not in kept_card, "a closed duplicate is no longer offered"


async def test_the_duplicates_reporter_is_thanked_and_told_which_story_it_joined(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    first = await tell(world.storage, binh, "k1", "Nguyễn Văn An", FIRST)
    second = await tell(world.storage, cuong, "k2", "Nguyen Van An", RETOLD)
    admin_id = (await world.storage.people.get_or_create("telegram", str(ADMIN), "vi")).id
    await world.storage.roles.grant(admin_id, "admin", (0,))
    outcome = await world.storage.reviews.apply(Change(
        Action.MARK_DUPLICATE, second, admin_id, duplicate_of=first, note=f"Trùng với #{first}"))
    assert outcome.ok

    [notice] = await outbox(world.storage, "duplicate.joined")
    assert notice["params"] == {"id": second, "title": "Sửa cầu khỉ cho bà con", "kept": first,
                                "kept_title": "Sửa cầu khỉ cho bà con"}
    assert await outbox(world.storage, "notify.status") == []
    await world.outbox.run_once(datetime.now(UTC))
    [told] = texts(world.wire, 502)
    assert told.startswith(f"Cảm ơn bạn đã gửi câu chuyện <b>#{second}</b>")
    assert f"cũng đã được kể trong câu chuyện <b>#{first}</b>" in told
    assert texts(world.wire, 501) == []


async def test_the_story_kept_is_offered_the_duplicates_photos_and_takes_them_in_one_tap(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    first = await tell(world.storage, binh, "k1", "Nguyễn Văn An", FIRST, photos=("ph-a",))
    second = await tell(world.storage, cuong, "k2", "ông Út An", RETOLD,
                        photos=("ph-b", "ph-c", "ph-a"))
    await world.finder.run_once()
    async with world.storage.db.transaction() as tx:  # the duplicate's photos were archived
        await tx.execute("UPDATE archived_media SET state = 'archived', digest = 'd-' || file_ref"
                         " WHERE story_id = ?", (second,))
    admin = world.admin()
    await admin.says("/pending")
    await admin.presses(f"#{second} · Sửa cầu khỉ cho bà con")
    await admin.presses(f"🔍 So sánh với #{first}")
    await admin.presses(f"🔁 Đánh dấu #{second} trùng với #{first}")

    assert f"🖼 Thêm 2 ảnh từ #{second}" in admin.buttons()
    await admin.presses(f"🖼 Thêm 2 ảnh từ #{second}")

    kept = await world.storage.stories.get(first)
    assert kept is not None and kept.photos == ["ph-a", "ph-b", "ph-c"]
    assert kept.original["photos"] == ["ph-a"]
    assert any(f"Đã thêm 2 ảnh từ #{second} vào #{first}" in t
               for t in texts(world.wire, ADMIN))
    [event] = [e for e in await world.storage.reviews.history(first) if e.action == "correct"]
    assert event.details == {"photos_added": ["ph-b", "ph-c"]}
    moved = {p.file_ref: (p.state, p.digest) for p in await world.storage.photos.of_story(first)}
    assert moved["ph-b"] == ("archived", "d-ph-b"), "the archived copy came with the photo"
    assert f"🖼 Thêm 2 ảnh từ #{second}" not in admin.buttons()


async def test_a_story_of_another_commune_or_filed_over_sixty_days_before_is_no_candidate(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    storage = world.storage
    old = await tell(storage, binh, "k1", "Nguyễn Văn An", FIRST)
    elsewhere = await tell(storage, binh, "k2", "Nguyễn Văn An", FIRST, commune=PHU_QUOC)
    recent = await tell(storage, binh, "k3", "Nguyễn Văn An", FIRST)
    withdrawn = await tell(storage, binh, "k4", "Nguyễn Văn An", FIRST)
    assert (await storage.reviews.apply(Change(Action.WITHDRAW, withdrawn, binh.id))).ok
    async with storage.db.transaction() as tx:
        stamp = (datetime.now(UTC) - timedelta(days=61)).isoformat(timespec="seconds")
        await tx.execute("UPDATE stories SET created_at = ? WHERE id = ?", (stamp, old))
    new = await tell(storage, cuong, "k5", "chú Út An", RETOLD)
    await world.finder.run_once()

    assert [c.id for c in await storage.duplicates.of(new)] == [recent]
    assert [c.id for c in await storage.duplicates.of(recent)] == [new]
    assert elsewhere not in [c.id for c in await storage.duplicates.of(elsewhere)]
    assert await rows(storage, "SELECT story_id FROM duplicate_scans WHERE state = 'pending'") == []


async def test_the_card_finds_candidates_itself_when_the_finder_has_not_run_yet(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    first = await tell(world.storage, binh, "k1", "Nguyễn Văn An", FIRST)
    second = await tell(world.storage, cuong, "k2", "Nguyễn V. An", RETOLD)
    admin = world.admin()
    await admin.says("/pending")
    await admin.presses(f"#{second} · Sửa cầu khỉ cho bà con")
    assert f"🔍 So sánh với #{first}" in admin.buttons()
    assert await world.storage.duplicates.scanned(second)


async def test_marking_a_story_a_duplicate_of_itself_of_a_missing_or_of_a_closed_story_is_refused(
    world: World,
) -> None:
    binh, cuong = await neighbours(world.storage)
    storage = world.storage
    reviewer = await person(storage, "601", "Duyệt", role="reviewer", communes=(LONG_XUYEN,))
    first = await tell(storage, binh, "k1", "Nguyễn Văn An", FIRST)
    second = await tell(storage, cuong, "k2", "Nguyễn Văn An", RETOLD)
    assert (await storage.reviews.apply(Change(Action.WITHDRAW, first, binh.id))).ok
    vi = catalogue("vi")
    for kept, words in (
        (second, f"Không thể đánh dấu #{second} trùng với chính nó."),
        (999, f"Không có câu chuyện gốc để đánh dấu #{second} là bản trùng."),
        (first, f"Không đánh dấu #{second} là bản trùng được: câu chuyện gốc đã đóng"),
    ):
        outcome = await storage.reviews.apply(Change(Action.MARK_DUPLICATE, second, reviewer.id,
                                                     duplicate_of=kept))
        assert outcome.refusal is not None
        assert vi.t(outcome.refusal, id=second).startswith(words)
    story = await storage.stories.get(second)
    assert story is not None and (story.status, story.duplicate_of) == ("pending", None)


def _telling(honoree: str, description: str, day: int = 2) -> Telling:
    return Telling(0, honoree, "Sửa cầu khỉ", description, date(2025, 9, day))


def test_one_deed_told_without_accents_and_a_nickname_is_alike_and_another_family_is_not() -> None:
    told = _telling("Ông Nguyễn Văn An", FIRST)
    assert similarity(told, _telling("chu Ut An", RETOLD, day=3)) >= 0.66
    assert similarity(told, _telling("Phạm Văn An", FIRST.replace("Nguyễn Văn An", "Phạm Văn An")
                                     .replace("35", "12").replace("Xáng", "Cái Sắn")
                                     .replace("50", "20").replace("Mỹ Thạnh", "Tân Hòa"))) < 0.66
    assert similarity(told, _telling("Lê Thị Hoa", OTHER_DEED)) < 0.4
