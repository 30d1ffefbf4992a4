"""An operator upgrades the bot: whatever schema version the database file is at, it is migrated
to the latest on open, and nothing already stored is lost."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, migrations, open_storage

LATEST = len(migrations())

# Representative rows for the tables each migration creates, inserted once that version is reached.
# A new migration must add its own entry here (see test_every_migration_has_representative_rows).
ROWS: dict[int, list[tuple[str, tuple[object, ...]]]] = {
    1: [
        (
            "INSERT INTO people (id, channel, external_id, display_name, username, language,"
            " consent, consent_at, role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (1, "telegram", "4242", "Trần Thị Bình", "binh", "vi", 1, "2025-09-01T01:00:00+00:00",
             "citizen", "2025-09-01T01:00:00+00:00"),
        ),
        (
            "INSERT INTO people (id, channel, external_id, language, role, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (2, "console", "lan", "en", "admin", "2025-09-02T01:00:00+00:00"),
        ),
        (
            "INSERT INTO dialogs (channel, chat_id, person_id, flow, step, data, prompt,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ("telegram", "4242", 1, "report", "title",
             json.dumps({"key": "abc", "kind": "good_deed", "content": 1, "commune": 30307,
                         "honoree": "Nguyễn Văn An"}, ensure_ascii=False),
             json.dumps({"nonce": "n1", "values": ["r:back", "r:cancel"],
                         "labels": ["⬅️ Quay lại", "✖️ Hủy"]}, ensure_ascii=False),
             "2025-09-03T01:00:00+00:00"),
        ),
    ],
    2: [
        (
            "INSERT INTO stories (id, reporter_id, submission_key, channel, kind, content,"
            " movement, commune_code, honoree_name, honoree_role, title, description,"
            " event_date, latitude, longitude, reporter_phone, show_name, status, version,"
            " created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (7, 1, "key-7", "telegram", "good_deed", 2, 0, 30307, "Nguyễn Văn An",
             "nông dân ấp Mỹ Thạnh", "Sửa cầu khỉ", "Ông An sửa cầu khỉ cho bà con đi lại.",
             "2025-09-02", 10.3759, 105.4185, "0912345678", 1, "pending", 1,
             "2025-09-03T02:00:00+00:00", "2025-09-03T02:00:00+00:00"),
        ),
        (
            "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
            (7, 0, "photo-ref-0"),
        ),
        (
            "INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
            (7, 1, "photo-ref-1"),
        ),
    ],
    3: [
        (
            "INSERT INTO people (id, channel, external_id, display_name, language, consent, role,"
            " created_at, banned_at, ban_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (3, "telegram", "5151", "Kẻ quấy rối", "vi", 1, "citizen",
             "2025-09-04T01:00:00+00:00", "2025-09-05T01:00:00+00:00", "gửi tin rác"),
        ),
        ("INSERT INTO reviewer_scopes (person_id, commune_code) VALUES (?, ?)", (2, 30307)),
        (
            "INSERT INTO story_events (story_id, actor_id, action, from_status, to_status, note,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (7, 2, "request_changes", "pending", "needs_changes", "Thêm ảnh",
             "2025-09-05T02:00:00+00:00"),
        ),
        (
            "INSERT INTO outbox (person_id, channel, chat_id, template, params, story_id,"
            " next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (1, "telegram", "4242", "notify.needs_changes",
             json.dumps({"id": 7, "note": "Thêm ảnh"}, ensure_ascii=False), 7,
             "2025-09-05T02:00:00+00:00", "2025-09-05T02:00:00+00:00"),
        ),
    ],
    4: [
        ("UPDATE people SET stopped_at = ? WHERE id = ?", ("2025-09-06T01:00:00+00:00", 2)),
        (
            "INSERT INTO subscriptions (person_id, topic, created_at) VALUES (?, ?, ?)",
            (1, "reminders", "2025-09-06T01:00:00+00:00"),
        ),
        (
            "INSERT INTO broadcasts (id, key, topic, template, params, body, audience, created_by,"
            " status, total, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (5, "quoc_khanh:2025:reminder", "reminders", None, "{}", "Chào mừng Quốc khánh 2/9",
             "subscribers", 2, "active", 1, "2025-09-06T01:00:00+00:00"),
        ),
        (
            "INSERT INTO deliveries (broadcast_id, person_id, status, attempts, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (5, 1, "pending", 0, "2025-09-06T01:00:00+00:00"),
        ),
    ],
    5: [
        ("UPDATE stories SET campaign = ? WHERE id = ?", ("an-giang-2025", 7)),
        (
            "INSERT INTO nominations (story_id, award, reason, nominated_by, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (7, "bang_khen", "Gương tiêu biểu của xã", 2, "2025-09-07T01:00:00+00:00"),
        ),
    ],
    6: [
        ("UPDATE stories SET kind = ? WHERE id = ?", ("model_practice", 7)),
    ],
    7: [
        ("UPDATE stories SET status = ?, commune_code = ? WHERE id = ?", ("rejected", 30316, 7)),
    ],
}


def _raw(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read the file with a plain sqlite3 connection, outside the bot."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    """A read through the bot's own reader connection, as plain tuples."""
    return [tuple(row) for row in await db.fetchall(sql)]


def _applied(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The migrations logged as applied."""
    return [r.getMessage() for r in caplog.records if "applying migration" in r.getMessage()]


def _dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, in a stable order."""
    tables = [name for (name,) in _raw(
        path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {t: sorted(_raw(path, f"SELECT * FROM {t}"), key=repr) for t in tables}


async def _insert_rows(db: Database, first: int, last: int) -> None:
    """The representative rows of migrations `first` … `last`, in one transaction."""
    async with db.transaction() as tx:
        for v in range(first, last + 1):
            for sql, params in ROWS.get(v, []):  # a missing entry fails its own test
                await tx.execute(sql, params)


async def _pragmas(db: Database) -> tuple[str, int, int]:
    """journal_mode, and foreign_keys on the writer and on the reader connection."""
    async with db.transaction() as tx, tx.execute("PRAGMA foreign_keys") as cur:
        writer_fk = (await cur.fetchone())[0]
    mode = await db.fetchone("PRAGMA journal_mode")
    reader_fk = await db.fetchone("PRAGMA foreign_keys")
    assert mode is not None and reader_fk is not None
    return str(mode[0]).lower(), int(writer_fk), int(reader_fk[0])


def test_migrations_are_numbered_one_two_three() -> None:
    assert [v for v, _, _ in migrations()] == list(range(1, LATEST + 1))
    assert LATEST >= 2


def test_every_migration_has_representative_rows() -> None:
    assert sorted(ROWS) == list(range(1, LATEST + 1))


async def test_an_empty_file_is_migrated_to_the_latest_version(tmp_path: Path) -> None:
    path = tmp_path / "new" / "guongsang.sqlite3"
    db = await Database.open(path)
    try:
        assert await db.version() == LATEST
        assert await _pragmas(db) == ("wal", 1, 1)
        await _insert_rows(db, 1, LATEST)
    finally:
        await db.close()
    assert _raw(path, "PRAGMA user_version") == [(LATEST,)]
    assert _raw(path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in _raw(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"people", "dialogs", "stories", "story_photos"} <= tables


@pytest.mark.parametrize("old", range(LATEST))
async def test_a_file_at_an_older_version_is_upgraded_and_keeps_its_rows(
    tmp_path: Path, old: int
) -> None:
    path = tmp_path / "guongsang.sqlite3"
    db = await Database.open(path, upto=old)
    try:
        assert await db.version() == old
        await _insert_rows(db, 1, old)
    finally:
        await db.close()
    assert _raw(path, "PRAGMA user_version") == [(old,)]

    storage = await open_storage(path)
    try:
        assert await storage.db.version() == LATEST
        assert await _pragmas(storage.db) == ("wal", 1, 1)

        if old >= 1:
            binh = await storage.people.find("telegram", "4242")
            assert binh is not None
            assert (binh.id, binh.display_name, binh.consent, binh.language) == (
                1, "Trần Thị Bình", True, "vi")
            lan = await storage.people.find("console", "lan")
            assert lan is not None
            assert (lan.consent, lan.role, lan.language) == (None, "admin", "en")
            state = await storage.dialogs.load("telegram", "4242")
            assert state is not None
            assert (state.flow, state.step) == ("report", "title")
            assert state.data["honoree"] == "Nguyễn Văn An"
            assert state.prompt.labels == ["⬅️ Quay lại", "✖️ Hủy"]
        if old >= 2:
            story = await storage.stories.get(7)
            assert story is not None
            assert (story.title, story.status, story.reporter_id) == ("Sửa cầu khỉ", "pending", 1)
            assert story.photos == ["photo-ref-0", "photo-ref-1"]
        if old >= 3:
            banned = await storage.people.find("telegram", "5151")
            assert banned is not None and banned.display_name == "Kẻ quấy rối"
            assert await _rows(storage.db, "SELECT ban_reason FROM people WHERE id = 3") == [
                ("gửi tin rác",)]
            scopes = await _rows(storage.db, "SELECT person_id, commune_code FROM reviewer_scopes")
            assert scopes == [(2, 30307)]
            assert await _rows(storage.db, "SELECT story_id, action, note FROM story_events") == [
                (7, "request_changes", "Thêm ảnh")]
            assert await _rows(storage.db, "SELECT person_id, template FROM outbox") == [
                (1, "notify.needs_changes")]
        if old >= 4:
            assert await _rows(storage.db, "SELECT stopped_at FROM people WHERE id = 2") == [
                ("2025-09-06T01:00:00+00:00",)]
            assert await _rows(storage.db, "SELECT person_id, topic FROM subscriptions") == [
                (1, "reminders")]
            assert await _rows(
                storage.db,
                "SELECT b.body, d.person_id, d.status FROM broadcasts b"
                " JOIN deliveries d ON d.broadcast_id = b.id",
            ) == [("Chào mừng Quốc khánh 2/9", 1, "pending")]

        # The upgraded file takes everything the latest schema holds, for old and new people.
        await _insert_rows(storage.db, old + 1, LATEST)
        assert (await storage.stories.get(7)) is not None
        assert await storage.stories.count_by_reporter(1) == 1
    finally:
        await storage.close()
    assert _raw(path, "PRAGMA user_version") == [(LATEST,)]
    assert _raw(path, "PRAGMA journal_mode") == [("wal",)]


async def test_foreign_keys_are_enforced_after_an_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "guongsang.sqlite3"
    await (await Database.open(path, upto=1)).close()
    db = await Database.open(path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as tx:
                await tx.execute(
                    "INSERT INTO dialogs (channel, chat_id, person_id, updated_at)"
                    " VALUES ('fake', 'x', 999, '2025-01-01T00:00:00+00:00')"
                )
        assert await db.fetchone("SELECT * FROM dialogs") is None
    finally:
        await db.close()


async def test_reopening_an_up_to_date_file_applies_nothing_and_keeps_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "guongsang.sqlite3"
    caplog.set_level(logging.INFO, logger="bot.storage.database")
    db = await Database.open(path)
    await _insert_rows(db, 1, LATEST)
    await db.close()
    assert len(_applied(caplog)) == LATEST
    schema = _raw(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    contents = _dump(path)
    inserts = sum(sql.startswith("INSERT") for rows in ROWS.values() for sql, _ in rows)
    assert sum(len(rows) for rows in contents.values()) == inserts
    caplog.clear()

    storage = await open_storage(path)
    try:
        assert _applied(caplog) == []
        assert await storage.db.version() == LATEST
        person = await storage.people.find("telegram", "4242")
        assert person is not None and person.display_name == "Trần Thị Bình"
        story = await storage.stories.get(7)
        assert story is not None and story.photos == ["photo-ref-0", "photo-ref-1"]
    finally:
        await storage.close()
    assert _raw(path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert _dump(path) == contents
