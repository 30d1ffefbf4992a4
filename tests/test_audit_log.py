"""Grants, revocations, bans, erasures and broadcasts leave an audit row — who, whom, when, what —
written in the same transaction as the change; and one newest-first view shows it with the
actions on stories, for a person or a story."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.dialog import Dialog
from bot.storage import Storage
from tests.conftest import FakeChat, file_report
from tests.test_review_storage import person


async def audit_rows(storage: Storage) -> list[dict[str, Any]]:
    found = [dict(r) for r in await storage.db.fetchall("SELECT * FROM audit_log ORDER BY id")]
    for row in found:
        row["details"] = json.loads(row["details"])
    return found


async def admin_chat(dialog: Dialog) -> FakeChat:
    """The bootstrap admin (ADMIN_IDS) on Telegram, who agreed to the notice."""
    chat = FakeChat(dialog, "9001", name="Quản Trị", channel="telegram")
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    return chat


async def test_role_changes_and_bans_by_an_admin_are_audited_with_actor_and_target(
    storage: Storage, dialog: Dialog
) -> None:
    admin = await admin_chat(dialog)
    boss = await storage.people.find("telegram", "9001")
    target = await person(storage, "4242", "Trần Thị Bình")
    assert boss is not None

    for command in ("/grant telegram:4242 reviewer long_xuyen", "/grant telegram:4242 admin",
                    "/revoke telegram:4242", "/ban telegram:4242 gửi tin rác",
                    "/unban telegram:4242"):
        await admin.says(command)

    log = await audit_rows(storage)
    # The first row is the bootstrap admin's own role, given by the configuration.
    assert (log[0]["action"], log[0]["system_actor"], log[0]["person_id"]) == (
        "grant", "config", boss.id)
    assert [(r["action"], r["actor_id"], r["person_id"]) for r in log[1:]] == [
        ("grant", boss.id, target.id), ("grant", boss.id, target.id),
        ("revoke", boss.id, target.id), ("ban", boss.id, target.id),
        ("unban", boss.id, target.id)]
    assert log[1]["details"] == {"role": "reviewer", "communes": [30307], "before": "citizen",
                                 "scope_before": []}
    assert log[2]["details"] == {"role": "admin", "communes": [0], "before": "reviewer",
                                 "scope_before": [30307]}
    assert log[3]["details"] == {"before": "admin", "scope_before": [0]}
    assert log[4]["details"] == {"reason": "gửi tin rác"}
    assert all(r["created_at"] for r in log)


async def test_a_broadcast_created_and_cancelled_is_audited(
    storage: Storage, dialog: Dialog
) -> None:
    admin = await admin_chat(dialog)
    boss = await storage.people.find("telegram", "9001")
    assert boss is not None
    broadcast_id = await storage.broadcasts.create("everyone", body="Chào mừng 2/9",
                                                   created_by=boss.id)
    reminder = await storage.broadcasts.create("topic:anniversaries", key="qk:2025:day",
                                               topic="anniversaries", template="reminder.day")

    await admin.says(f"/cancelbroadcast {broadcast_id}")

    log = [r for r in await audit_rows(storage) if r["action"].startswith("broadcast")]
    assert [(r["action"], r["actor_id"], r["system_actor"], r["broadcast_id"]) for r in log] == [
        ("broadcast_create", boss.id, None, broadcast_id),
        ("broadcast_create", None, "scheduler", reminder),
        ("broadcast_cancel", boss.id, None, broadcast_id)]
    assert log[0]["details"]["audience"] == "everyone"
    assert log[0]["details"]["recipients"] == 1
    assert log[2]["details"] == {"unsent": 1}


async def test_erasure_is_audited_under_the_anonymous_person(
    chat: FakeChat, storage: Storage
) -> None:
    await file_report(chat)
    me = await storage.people.find("fake", "u1")
    assert me is not None
    await chat.says("/deleteme")
    await chat.picks("Xóa dữ liệu của tôi")
    [erased] = [r for r in await audit_rows(storage) if r["action"] == "erase"]
    assert (erased["actor_id"], erased["person_id"], erased["details"]) == (
        me.id, me.id, {"withdrawn": 1, "role": "citizen"})


@pytest.mark.parametrize("change", ["grant", "revoke", "ban", "unban", "cancel"])
async def test_when_the_audit_row_cannot_be_written_the_change_is_rolled_back(
    storage: Storage, change: str
) -> None:
    target = await person(storage, "4242", "Trần Thị Bình", role="reviewer", communes=(0,))
    await storage.roles.ban(target.id, "x")
    broadcast_id = await storage.broadcasts.create("everyone", body="Tin")
    async with storage.db.transaction() as tx:
        await tx.execute("CREATE TRIGGER no_audit BEFORE INSERT ON audit_log"
                         " BEGIN SELECT RAISE(ABORT, 'audit is down'); END")
    tables = ("people", "reviewer_scopes", "broadcasts", "deliveries")
    before = {t: [tuple(r) for r in await storage.db.fetchall(f"SELECT * FROM {t}")]
              for t in tables}
    calls = {
        "grant": lambda: storage.roles.grant(target.id, "admin", (0,)),
        "revoke": lambda: storage.roles.revoke(target.id),
        "ban": lambda: storage.roles.ban(target.id, "y"),
        "unban": lambda: storage.roles.unban(target.id),
        "cancel": lambda: storage.broadcasts.cancel(broadcast_id),
    }
    with pytest.raises(Exception, match="audit is down"):
        await calls[change]()
    after = {t: [tuple(r) for r in await storage.db.fetchall(f"SELECT * FROM {t}")]
             for t in tables}
    assert after == before


async def test_the_log_reads_newest_first_for_a_person_or_a_story_in_pages(
    storage: Storage, dialog: Dialog
) -> None:
    await admin_chat(dialog)
    boss = await storage.people.find("telegram", "9001")
    assert boss is not None
    reporter = FakeChat(dialog, "u1")
    await file_report(reporter)
    other = await person(storage, "4242", "Trần Thị Bình")
    await storage.roles.grant(other.id, "reviewer", (0,), by=boss.id)
    await storage.reviews.act(1, "approve", other.id)
    await storage.roles.ban(other.id, None, by=boss.id)

    total, page = await storage.audit.page(limit=50)
    # No channel is configured: the approval published #1 in the gallery at once.
    assert [e.action for e in page] == ["ban", "publish", "approve", "grant", "submit", "grant"]
    assert total == 6

    total, page = await storage.audit.page(person_id=other.id, limit=2)
    assert total == 3
    assert [e.action for e in page] == ["ban", "approve"]
    _, rest = await storage.audit.page(person_id=other.id, offset=2, limit=2)
    assert [e.action for e in rest] == ["grant"]
    grant = rest[0]
    assert grant.actor is not None and grant.actor.name == "Quản Trị"
    assert grant.person is not None and grant.person.account == "telegram:4242"

    total, page = await storage.audit.page(story_id=1)
    assert total == 3
    assert [(e.action, e.story_id, e.from_status, e.to_status) for e in page] == [
        ("publish", 1, "approved", "published"), ("approve", 1, "pending", "approved"),
        ("submit", 1, None, "pending")]
