"""The one door: every action on a story writes exactly one audit row, in the same transaction
as the change and the messages it causes; and nothing else in storage writes a status or an
audit row of a story."""

from __future__ import annotations

import ast
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.storage import Change, Storage, open_storage
from bot.storage.reviews import Reviews
from bot.workflow import Action, NominationState
from tests.story_world import PUBLISH_CHAT, Cast, bring, make_cast
from tests.test_review_storage import file, rows

STORAGE = Path(__file__).parent.parent / "bot" / "storage"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(db_path, publish_chat=PUBLISH_CHAT)
    yield opened
    await opened.close()


@pytest.fixture
async def cast(store: Storage) -> Cast:
    return await make_cast(store)


# Each action: the status it is taken from, who takes it, and what it carries.
CASES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "approve": ("pending", "reviewer", {}),
    "recommend": ("pending", "reviewer", {}),
    "request_changes": ("pending", "reviewer", {"note": "Xin thêm ảnh"}),
    "reject": ("pending", "reviewer", {"note": "Không xác minh được"}),
    "mark_duplicate": ("pending", "reviewer", {"duplicate_of": 0}),
    "correct": ("pending", "reviewer", {"fields": {"title": "Cầu khỉ mới ấp Mỹ Thạnh"}}),
    "resubmit": ("needs_changes", "reporter", {}),
    "amend": ("needs_changes", "reporter", {"fields": {"reporter_phone": "0912345678"}}),
    "withdraw": ("pending", "reporter", {}),
    "publish": ("approved", "publisher", {}),
    "unpublish": ("published", "admin", {"note": "Đăng nhầm"}),
    "revert": ("approved", "admin", {"note": "Duyệt nhầm"}),
    "nominate": ("approved", "reviewer", {"note": "Tiêu biểu của phường", "award": "bang_khen"}),
    "nomination_outcome": ("approved", "admin", {"nomination": NominationState.GRANTED}),
}
# What each action queues in the outbox (reporter notices, posts, reviewers, removals).
QUEUES = {"approve", "request_changes", "reject", "mark_duplicate", "resubmit", "publish",
          "unpublish", "revert", "nominate", "nomination_outcome"}


async def prepare(store: Storage, cast: Cast, action: str) -> int:
    """A story in the status the action is taken from, and what the action refers to."""
    story_id = await bring(store, cast, CASES[action][0])
    if action == "nomination_outcome":
        assert (await store.reports.nominate(story_id, "bang_khen", "Tiêu biểu", cast.reviewer.id)
                ).ok
    if action == "mark_duplicate":
        await file(store, cast.reporter, key="original", notify=False)
    return story_id


async def snapshot(store: Storage) -> dict[str, list[tuple[Any, ...]]]:
    tables = ("stories", "story_photos", "story_events", "outbox", "nominations", "story_posts")
    return {t: [tuple(r) for r in await store.db.fetchall(f"SELECT * FROM {t} ORDER BY 1, 2")]
            for t in tables}


@pytest.mark.parametrize("action", sorted(CASES))
async def test_each_action_writes_exactly_one_audit_row(
    store: Storage, cast: Cast, action: str
) -> None:
    source = CASES[action][0]
    story_id = await prepare(store, cast, action)
    before = await rows(store, "SELECT id FROM story_events WHERE story_id = ?", story_id)

    outcome = await take(store, cast, action, story_id)

    assert outcome is True or outcome.ok, outcome
    after = await rows(store, "SELECT * FROM story_events WHERE story_id = ? ORDER BY id",
                       story_id)
    assert len(after) == len(before) + 1
    event = after[-1]
    assert event["action"] == action
    assert event["from_status"] == source
    story = await store.stories.get(story_id)
    assert story is not None and event["to_status"] == story.status
    if action == "publish":
        assert (event["actor_id"], event["system_actor"]) == (None, "publisher")
    else:
        assert event["actor_id"] is not None and event["system_actor"] is None


@pytest.mark.parametrize("action", sorted(CASES))
async def test_when_the_audit_row_cannot_be_written_nothing_changes(
    store: Storage, cast: Cast, action: str
) -> None:
    story_id = await prepare(store, cast, action)
    async with store.db.transaction() as tx:
        await tx.execute(f"CREATE TRIGGER no_audit BEFORE INSERT ON story_events WHEN"
                         f" NEW.action = '{action}' BEGIN SELECT RAISE(ABORT, 'audit is down');"
                         " END")
    before = await snapshot(store)

    with pytest.raises(Exception, match="audit is down"):
        await take(store, cast, action, story_id)

    assert await snapshot(store) == before


async def take(store: Storage, cast: Cast, action: str, story_id: int) -> Any:
    """Take `action` on a prepared story as the table says; the outcome (publish: True)."""
    _, who, carries = CASES[action]
    carries = dict(carries)
    if action == "mark_duplicate":
        [original] = await rows(store, "SELECT id FROM stories WHERE submission_key = 'original'")
        carries["duplicate_of"] = original["id"]
    if action == "publish":
        [item] = await rows(store, "SELECT id FROM outbox WHERE kind = 'publish'")
        return await store.outbox.published(item["id"], story_id, PUBLISH_CHAT, ["601"])
    if action == "recommend":
        return await Reviews(store.db, levels=2).apply(
            Change(Action.RECOMMEND, story_id, cast.reviewer.id))
    actor = {"reviewer": cast.reviewer, "reporter": cast.reporter, "admin": cast.admin}[who]
    return await store.reviews.apply(Change(Action(action), story_id, actor.id, **carries))


@pytest.mark.parametrize("action", sorted(QUEUES))
async def test_when_its_messages_cannot_be_queued_the_change_is_rolled_back(
    store: Storage, cast: Cast, action: str
) -> None:
    story_id = await prepare(store, cast, action)
    async with store.db.transaction() as tx:
        await tx.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox"
                         " BEGIN SELECT RAISE(ABORT, 'outbox is down'); END")
    before = await snapshot(store)

    with pytest.raises(Exception, match="outbox is down"):
        await take(store, cast, action, story_id)

    assert await snapshot(store) == before


async def test_filing_writes_the_story_its_photos_its_audit_row_and_notices_together(
    store: Storage, cast: Cast
) -> None:
    async with store.db.transaction() as tx:
        await tx.execute("CREATE TRIGGER no_outbox BEFORE INSERT ON outbox"
                         " BEGIN SELECT RAISE(ABORT, 'outbox is down'); END")
    with pytest.raises(Exception, match="outbox is down"):
        await file(store, cast.reporter)
    assert await rows(store, "SELECT id FROM stories") == []
    assert await rows(store, "SELECT * FROM story_events") == []


async def test_a_banned_person_cannot_file_even_past_the_handlers_check(
    store: Storage, cast: Cast
) -> None:
    from bot.storage import Refused

    await store.roles.ban(cast.reporter.id, "tin rác", by=cast.admin.id)
    with pytest.raises(Refused) as refused:
        await file(store, cast.reporter)
    assert refused.value.outcome.refusal == "review.banned"
    assert await rows(store, "SELECT id FROM stories") == []


# --- nothing else writes a story's status or its audit rows --------------------------------------

_DOOR = {"transitions.py"}
_STATUS_WRITE = re.compile(r"\bUPDATE\s+stories\s+SET\b(?P<sets>.*?)(\bWHERE\b|$)", re.I | re.S)
_EVENT_INSERT = re.compile(r"\bINSERT\s+(OR\s+\w+\s+)?INTO\s+story_events\b", re.I)
_STORY_INSERT = re.compile(r"\bINSERT\s+(OR\s+\w+\s+)?INTO\s+stories\b", re.I)


def _strings(path: Path) -> list[str]:
    """Every string constant of a module (adjacent literals already joined)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        if isinstance(node, ast.JoinedStr):
            found.append("".join(v.value for v in node.values
                                 if isinstance(v, ast.Constant) and isinstance(v.value, str)))
    return found


def _writes(text: str) -> list[str]:
    out = []
    for match in _STATUS_WRITE.finditer(text):
        if re.search(r"\bstatus\s*=", match.group("sets"), re.I):
            out.append("UPDATE stories SET status")
    if _EVENT_INSERT.search(text):
        out.append("INSERT INTO story_events")
    if _STORY_INSERT.search(text):
        out.append("INSERT INTO stories")
    return out


def test_the_scanner_finds_what_it_looks_for() -> None:
    assert _writes("UPDATE stories SET title = ?, status = 'x' WHERE id = ?") == [
        "UPDATE stories SET status"]
    assert _writes("UPDATE stories SET publish_error = ? WHERE status = 'approved'") == []
    assert _writes("insert into story_events (story_id) values (1)") == [
        "INSERT INTO story_events"]
    assert _writes("INSERT INTO stories (id) VALUES (1)") == ["INSERT INTO stories"]
    assert _writes("INSERT INTO story_photos (story_id) VALUES (1)") == []


def test_nothing_in_storage_but_the_door_writes_a_status_or_an_audit_row() -> None:
    offenders = {
        f"{path.name}: {what}"
        for path in sorted(STORAGE.glob("*.py")) if path.name not in _DOOR
        for text in _strings(path) for what in _writes(text)
    }
    assert offenders == set()
    door = [what for text in _strings(STORAGE / "transitions.py") for what in _writes(text)]
    assert set(door) == {"UPDATE stories SET status", "INSERT INTO story_events",
                         "INSERT INTO stories"}
