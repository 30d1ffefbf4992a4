"""An operator upgrades the bot: whatever schema version the database file is at, it is migrated
to the latest on open, and nothing already stored is lost."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, StoryFilter, migrations, open_storage

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
        ("UPDATE outbox SET status = ? WHERE person_id = ?", ("held", 1)),
        ("UPDATE deliveries SET status = ? WHERE person_id = ?", ("out_of_window", 1)),
    ],
    8: [
        (
            "INSERT INTO zalo_oa_tokens (id, access_token, refresh_token, expires_at, state,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (1, "at-1", "rt-1", "2025-09-08T02:00:00.000+00:00", "ok",
             "2025-09-07T01:00:00.000+00:00"),
        ),
        (
            "INSERT INTO zalo_oa_pkce (id, code_verifier, state, created_at) VALUES (?, ?, ?, ?)",
            (1, "v" * 43, "st-1", "2025-09-07T01:00:00.000+00:00"),
        ),
        (
            "INSERT INTO zalo_oa_users (user_id, last_inbound_at) VALUES (?, ?)",
            ("6012345678901234567", "2025-09-07T01:00:00.000+00:00"),
        ),
        (
            "INSERT INTO zalo_oa_events (key, body, received_at) VALUES (?, ?, ?)",
            ("msg:abc", None, "2025-09-07T01:00:00.000+00:00"),
        ),
    ],
}
# Tables the triggers of the archive_search migration write (the photo queue, the search index
# and its shadow tables): they follow the rows above rather than being inserted themselves.
DERIVED = ("archived_media", "story_search", "duplicate_scans")


def _derived(table: str) -> bool:
    return table in DERIVED or table.startswith("story_search_")


def _version(topic: str) -> int:
    """The number of the migration named `<number>_<topic>.sql` (numbers change at merges)."""
    return next(v for v, name, _ in migrations() if name.endswith(f"_{topic}.sql"))


# The photo archive and search: a commune's name for the index, and a photo archived.
ROWS[_version("archive_search")] = [
    ("INSERT INTO commune_names (code, name) VALUES (?, ?)", (30307, "Phường Long Xuyên")),
    (
        "UPDATE archived_media SET state = 'archived', digest = ?, width = ?, height = ?"
        " WHERE story_id = ? AND position = ?",
        ("ab" * 32, 1280, 960, 7, 0),
    ),
]


# One door for a story's changes: corrections kept, posts remembered, the audit log, marks.
ROWS[_version("transitions")] = [
        (
            "UPDATE stories SET original = ?, duplicate_of = NULL WHERE id = ?",
            (json.dumps({"title": "Sửa cầu", "commune_code": 30316}), 7),
        ),
        (
            "INSERT INTO story_posts (story_id, chat_id, message_id, part, posted_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (7, "-100777", "501", "photo", "2025-09-08T01:00:00+00:00"),
        ),
        (
            "INSERT INTO story_events (story_id, actor_id, system_actor, action, from_status,"
            " to_status, note, details, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (7, 2, None, "correct", "pending", "pending", None,
             json.dumps({"changes": [{"field": "title", "old": "Sửa cầu", "new": "Sửa cầu khỉ"}]},
                        ensure_ascii=False),
             "2025-09-08T02:00:00+00:00"),
        ),
        ("UPDATE nominations SET state = ?, decided_by = ?, decided_at = ? WHERE story_id = ?",
         ("granted", 2, "2025-09-09T01:00:00+00:00", 7)),
        (
            "INSERT INTO audit_log (actor_id, system_actor, action, person_id, details,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (2, None, "grant", 1, json.dumps({"role": "reviewer", "communes": [30307]}),
             "2025-09-09T02:00:00+00:00"),
        ),
        ("INSERT INTO filing_marks (account, filed_at) VALUES (?, ?)",
         ("ab" * 32, "2025-09-09T03:00:00+00:00")),
    ]


# Stopping everything, and the reviewers' digest of a day.
ROWS[_version("ux")] = [
    ("UPDATE people SET opted_out_at = ? WHERE id = ?", ("2025-09-10T01:00:00+00:00", 1)),
    ("INSERT INTO review_digests (person_id, day) VALUES (?, ?)", (2, "2025-09-10")),
]


# Groups told once to write privately; admins who came from ADMIN_IDS.
ROWS[_version("groups_listed_admins")] = [
    ("INSERT INTO group_chats (channel, chat_id, told_at) VALUES (?, ?, ?)",
     ("zalo", "g-1", "2025-09-08T01:00:00+00:00")),
    ("UPDATE people SET admin_from_list = 1 WHERE id = ?", (2,)),
]


# A story an officer filed for a resident: her name, how to reach her, and when she agreed.
ROWS[_version("officer")] = [
    ("UPDATE people SET role = 'officer' WHERE id = ?", (3,)),
    (
        "INSERT INTO stories (id, reporter_id, submission_key, channel, campaign, kind, content,"
        " commune_code, honoree_name, honoree_role, title, description, event_date, status,"
        " created_at, updated_at, resident_name, resident_contact, resident_consent_at,"
        " resident_is, resident_shown)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (9, 2, "key-9", "telegram", "an-giang-2025", "good_deed", "policy_law", 30307,
         "Võ Thị Sáu", "nông dân", "Nhường đất làm đường", "Bà Sáu hiến đất làm đường ấp.",
         "2025-09-01", "pending", "2025-09-11T01:00:00+00:00", "2025-09-11T01:00:00+00:00",
         "Võ Thị Sáu", "ấp Mỹ Thạnh, 0912345678", "2025-09-11T01:00:00+00:00", "honoree", 1),
    ),
]


# /stats by week: story 7 not approved in the commune of story 8 (the weekly series leaves it out).
ROWS[_version("stats_weekly")] = [
    ("UPDATE stories SET status = ?, commune_code = ? WHERE id = ?", ("rejected", 30316, 7)),
]


# Staff found by role (filing notifies the commune's reviewers and every admin): an admin stays one.
ROWS[_version("people_role")] = [
    ("UPDATE people SET role = ? WHERE id = ?", ("admin", 2)),
]


# A workbook kept a day for a Zalo reviewer (person 2) who cannot be sent the file itself.
ROWS[_version("file_links")] = [
    ("INSERT INTO file_links (token, person_id, name, kind, data, digest, created_at,"
     " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
     ("t" * 32, 2, "guongsang-2025.xlsx", "document", b"PK\x03\x04", "e" * 64,
      "2025-09-12T01:00:00+00:00", "2025-09-13T01:00:00+00:00")),
]


# Stories keep content and movement keys: a story of the standing campaign, content not chosen.
KEYS = _version("campaign_keys")
ROWS[KEYS] = [
    (
        "INSERT INTO stories (id, reporter_id, submission_key, channel, campaign, kind, content,"
        " movement, commune_code, honoree_name, honoree_role, title, description, event_date,"
        " show_name, status, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (8, 2, "key-8", "zalo", "thuong-xuyen", "good_deed", None, None, 30316, "Lê Thị Hoa",
         "giáo viên", "Dạy bơi miễn phí", "Cô Hoa dạy bơi miễn phí cho trẻ em trong ấp.",
         "2026-07-01", 0, "pending", "2026-07-02T01:00:00+00:00", "2026-07-02T01:00:00+00:00"),
    ),
]


# Duplicates and voice notes: story 8 told by voice (queued for the archive), and found like 7.
ROWS[_version("dupvoice")] = [
    ("UPDATE stories SET voice_ref = ?, voice_seconds = ? WHERE id = ?",
     ("https://zalo.example/v8.aac", 42, 8)),
    ("INSERT INTO duplicate_candidates (story_id, candidate_id, score) VALUES (?, ?, ?)",
     (8, 7, 0.7)),
]


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
            status = "rejected" if old >= _version("stats_weekly") else "pending"
            assert (story.title, story.status, story.reporter_id) == ("Sửa cầu khỉ", status, 1)
            assert story.photos == ["photo-ref-0", "photo-ref-1"]
        if 2 <= old < KEYS:
            # Content 2, movement 0 of the 2025 plan, as positions: now that file's keys.
            assert story is not None
            assert (story.campaign, story.content, story.movement) == (
                "an-giang-2025", "key_movements", "new_rural_areas")
        if 1 <= old < KEYS:
            state = await storage.dialogs.load("telegram", "4242")
            assert state is not None and state.data["content"] == "policy_law"
        if old >= 3:
            banned = await storage.people.find("telegram", "5151")
            assert banned is not None and banned.display_name == "Kẻ quấy rối"
            assert await _rows(storage.db, "SELECT ban_reason FROM people WHERE id = 3") == [
                ("gửi tin rác",)]
            scopes = await _rows(storage.db, "SELECT person_id, commune_code FROM reviewer_scopes")
            assert scopes == [(2, 30307)]
            corrected = [(7, "correct", None)] if old >= _version("transitions") else []
            assert await _rows(storage.db, "SELECT story_id, action, note FROM story_events") == [
                (7, "request_changes", "Thêm ảnh"), *corrected]
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
            ) == [("Chào mừng Quốc khánh 2/9", 1,
                   "out_of_window" if old >= _version("engine") else "pending")]

        if 1 <= old < _version("groups_listed_admins"):  # an admin from before ADMIN_IDS
            lan_after = await storage.people.find("console", "lan")  # was recorded: granted
            assert lan_after is not None and lan_after.admin_from_list is False

        if old >= 2:
            photos = await storage.photos.of_story(7)
            first = "archived" if old >= _version("archive_search") else "pending"
            assert [(p.file_ref, p.state) for p in photos] == [
                ("photo-ref-0", first), ("photo-ref-1", "pending")]
            total, found = await storage.search.find("cau khi", StoryFilter(), 0, 5)
            assert (total, [line.id for line in found]) == (1, [7])

        # The upgraded file takes everything the latest schema holds, for old and new people.
        await _insert_rows(storage.db, old + 1, LATEST)
        assert (await storage.stories.get(7)) is not None
        assert await storage.stories.count_by_reporter(1) == 1
        unchosen = await storage.stories.get(8)
        assert unchosen is not None
        assert (unchosen.campaign, unchosen.content, unchosen.movement) == (
            "thuong-xuyen", None, None)
        resident = await storage.stories.get(9)
        assert resident is not None
        assert (resident.resident_name, resident.resident_contact, resident.resident_is,
                resident.public_name) == ("Võ Thị Sáu", "ấp Mỹ Thạnh, 0912345678", "honoree",
                                          "Võ Thị Sáu")
        assert await storage.behalf.filed_since(2, "2025-09-01") == 1
        # /stats by week seeks stories_weekly: story 8 (2026) and story 9 (2025) counted, story
        # 7 left out as not approved; only story 8 within its campaign.
        weeks = ["2025-09-01T00:00:00+00:00", "2025-09-15T00:00:00+00:00",
                 "2026-06-29T00:00:00+00:00", "2026-07-06T00:00:00+00:00"]
        left_out = ("rejected", "withdrawn")
        assert await storage.reports.weekly(None, weeks, left_out) == [
            (0, "good_deed", 1), (2, "good_deed", 1)]
        assert await storage.reports.weekly(None, weeks, left_out, "thuong-xuyen") == [
            (2, "good_deed", 1)]
        # What was held for a person is released when they write again.
        assert await storage.outbox.release_held(1) == 1
        assert await _rows(storage.db, "SELECT status FROM outbox") == [("pending",)]
    finally:
        await storage.close()
    assert _raw(path, "PRAGMA user_version") == [(LATEST,)]
    assert _raw(path, "PRAGMA journal_mode") == [("wal",)]
    indexes = {name for (name,) in _raw(path, "SELECT name FROM sqlite_master"
                                              " WHERE type = 'index' AND tbl_name = 'stories'")}
    assert "stories_weekly" in indexes and "stories_daily" not in indexes


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
    assert sum(len(rows) for t, rows in contents.items() if not _derived(t)) == inserts
    assert [row[:3] + row[5:6] for row in contents["archived_media"]] == [
        (7, "photo", 0, "archived"), (7, "photo", 1, "pending"), (8, "voice", 0, "pending")]
    # Story 7, the standing campaign's story 8 that the campaign_keys rows add, and story 9 an
    # officer filed for a resident (the officer rows).
    assert [row[0] for row in contents["story_search"]] == [
        "Dạy bơi miễn phí", "Nhường dất làm dường", "Sửa cầu khỉ"]
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


async def test_version_seven_keeps_old_audit_rows_and_posts_and_anonymises_erased_people(
    tmp_path: Path,
) -> None:
    """0007: publish events get their system actor, the reporter's original title and text move
    into `original`, a published post's message is remembered, and people erased before it lose
    their platform id, their chat and the messages addressed to them."""
    path = tmp_path / "guongsang.sqlite3"
    db = await Database.open(path, upto=6)
    stamp = "2025-09-10T01:00:00+00:00"
    try:
        await _insert_rows(db, 1, 6)
        async with db.transaction() as tx:
            await tx.execute(
                "INSERT INTO people (id, channel, external_id, language, role, created_at,"
                " erased_at) VALUES (8, 'telegram', '8888', 'vi', 'reviewer', ?, ?)",
                (stamp, stamp))
            await tx.execute("INSERT INTO reviewer_scopes (person_id, commune_code)"
                             " VALUES (8, 0)")
            await tx.execute(
                "INSERT INTO dialogs (channel, chat_id, person_id, updated_at)"
                " VALUES ('telegram', '8888', 8, ?)", (stamp,))
            for status in ("pending", "sent"):
                await tx.execute(
                    "INSERT INTO outbox (person_id, channel, chat_id, template, params, status,"
                    " next_attempt_at, created_at) VALUES (8, 'telegram', '8888',"
                    " 'notify.status', '{\"id\": 7}', ?, ?, ?)", (status, stamp, stamp))
            await tx.execute(
                "UPDATE stories SET status = 'published', original_title = 'Sửa cầu',"
                " published_message_id = '321', published_at = ? WHERE id = 7", (stamp,))
            await tx.execute(
                "INSERT INTO outbox (kind, channel, chat_id, template, story_id, status,"
                " next_attempt_at, created_at) VALUES ('publish', 'telegram', '-100777',"
                " 'publish', 7, 'sent', ?, ?)", (stamp, stamp))
            await tx.execute(
                "INSERT INTO story_events (story_id, actor_id, action, from_status, to_status,"
                " note, created_at) VALUES (7, NULL, 'publish', 'approved', 'published', '321',"
                " ?)", (stamp,))
    finally:
        await db.close()

    storage = await open_storage(path)
    try:
        story = await storage.stories.get(7)
        assert story is not None
        assert (story.original, story.original_title, story.original_description) == (
            {"title": "Sửa cầu"}, "Sửa cầu", None)
        assert [(p.chat_id, p.message_id, p.part) for p in await storage.stories.posts(7)] == [
            ("-100777", "321", "text")]
        history = await storage.reviews.history(7)
        assert [(e.action, e.actor_id, e.system) for e in history] == [
            ("request_changes", 2, None), ("publish", None, "publisher")]
        assert await storage.people.find("telegram", "8888") is None
        erased = await storage.people.get(8)
        assert erased is not None and erased.external_id.startswith("erased:")
        assert erased.role == "citizen" and await storage.roles.scopes(8) == frozenset()
        assert await _rows(storage.db, "SELECT * FROM dialogs WHERE person_id = 8") == []
        assert await _rows(storage.db, "SELECT status, chat_id, params FROM outbox"
                                       " WHERE person_id = 8") == [("sent", "", "{}")]
        binh = await storage.people.find("telegram", "4242")
        assert binh is not None and binh.display_name == "Trần Thị Bình"  # not erased: kept
    finally:
        await storage.close()
