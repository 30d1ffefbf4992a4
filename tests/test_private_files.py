"""Files with personal data: the database, its -wal and -shm, and every backup are readable by
the bot's own user only; nightly backups are pruned to BACKUP_KEEP; the privacy notice says so;
a backup path with '?' or '#' copies the real database."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.backup import backup, dated_name, prune
from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import open_storage
from tests.conftest import FakeChat

PROJECT = Path(__file__).resolve().parent.parent
VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual permissive umask (022), as a shell gives it, whatever the runner's is."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


async def test_the_database_its_wal_and_shm_are_created_private(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "srv" / "gs.sqlite3"
    storage = await open_storage(path)
    try:
        await storage.people.get_or_create("telegram", "4242", "vi")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert [mode(f) for f in files] == [0o600, 0o600, 0o600]
        assert mode(path.parent) == 0o700
    finally:
        await storage.close()


async def test_an_existing_world_readable_database_is_made_private_at_open(
    tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "gs.sqlite3"
    storage = await open_storage(path)
    await storage.people.get_or_create("telegram", "4242", "vi")
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        file.chmod(0o644)  # as an older version left them
    await storage.close()
    path.chmod(0o644)
    storage = await open_storage(path)
    try:
        assert await storage.people.find("telegram", "4242") is not None
        assert [mode(f) for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))] == [
            0o600, 0o600, 0o600]
    finally:
        await storage.close()


async def test_a_backup_is_private(tmp_path: Path, open_umask: None) -> None:
    path = tmp_path / "gs.sqlite3"
    storage = await open_storage(path)
    await storage.people.get_or_create("telegram", "4242", "vi")
    await storage.close()
    out = tmp_path / "backups" / "copy.sqlite3"
    backup(path, out)
    assert mode(out) == 0o600
    assert mode(out.parent) == 0o700


def test_prune_keeps_the_newest_dated_copies_and_nothing_else_is_touched(tmp_path: Path) -> None:
    first = date(2026, 1, 1)
    for n in range(20):
        (tmp_path / dated_name(first + timedelta(days=n))).write_bytes(b"copy")
    (tmp_path / "keep-me.sqlite3").write_bytes(b"operator's own copy")
    removed = prune(tmp_path, 14)
    assert sorted(p.name for p in removed) == [
        dated_name(first + timedelta(days=n)) for n in range(6)]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["keep-me.sqlite3",
                           *(dated_name(first + timedelta(days=n)) for n in range(6, 20))])


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k.upper() not in VARIABLES}
    environ.update({"PYTHONIOENCODING": "utf-8", **env})
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=environ,
                          capture_output=True, text=True, encoding="utf-8", timeout=60,
                          check=False)


async def test_backup_dir_writes_tonights_dated_copy_and_keeps_backup_keep(
    tmp_path: Path, open_umask: None
) -> None:
    source = tmp_path / "gs.sqlite3"
    storage = await open_storage(source)
    await storage.people.get_or_create("telegram", "4242", "vi")
    await storage.close()
    folder = tmp_path / "backups"
    folder.mkdir()
    for n in range(1, 6):
        (folder / dated_name(date(2020, 1, n))).write_bytes(b"old")
    done = _cli(tmp_path, "backup", "--dir", str(folder), DATABASE_PATH=str(source),
                BACKUP_KEEP="3")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 3 and names[:2] == [dated_name(date(2020, 1, 4)),
                                             dated_name(date(2020, 1, 5))]
    tonight = folder / names[2]
    assert done.stdout.splitlines() == [
        f"{tonight}: copy of {source} (schema version {len(_versions())})",
        "removed 3 older backup(s), keeping 3"]
    assert mode(tonight) == 0o600
    conn = sqlite3.connect(tonight)
    assert conn.execute("SELECT external_id FROM people").fetchall() == [("4242",)]
    conn.close()


def _versions() -> list[object]:
    from bot.storage import migrations
    return list(migrations())


async def test_a_backup_path_with_question_marks_and_hashes_copies_the_real_database(
    tmp_path: Path,
) -> None:
    source = tmp_path / "dữ liệu?#1" / "gs#main?.sqlite3"
    storage = await open_storage(source)
    await storage.people.get_or_create("telegram", "4242", "vi")
    await storage.close()
    out = tmp_path / "sao lưu?x=1#y" / "copy?#.sqlite3"
    done = _cli(tmp_path, "backup", "--out", str(out), DATABASE_PATH=str(source))
    assert done.returncode == 0, done.stderr
    conn = sqlite3.connect(out)
    assert conn.execute("SELECT external_id FROM people").fetchall() == [("4242",)]
    conn.close()


async def test_the_privacy_notice_states_how_long_backups_are_kept(
    dialog: Dialog, settings: Settings
) -> None:
    chat = FakeChat(dialog)
    await chat.says("/privacy")
    assert ("Bản sao lưu hằng đêm được giữ 14 ngày rồi tự xóa, nên dữ liệu bạn đã xóa cũng mất"
            " khỏi bản sao lưu sau 14 ngày.") in chat.text
    shorter = Dialog(dialog.storage, settings.model_copy(update={"backup_keep": 7}))
    chat = FakeChat(shorter, "u2")
    await chat.says("/privacy")
    assert "được giữ 7 ngày rồi tự xóa" in chat.text


def test_a_backup_of_a_missing_database_says_so_naming_database_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.sqlite3"
    done = _cli(tmp_path, "backup", "--out", str(tmp_path / "copy.sqlite3"),
                DATABASE_PATH=str(missing))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"Backup failed: DATABASE_PATH {missing}: there is no database file there"]
    assert not (tmp_path / "copy.sqlite3").exists()


async def test_a_damaged_database_is_one_error_naming_database_path_and_leaves_no_thread(
    tmp_path: Path,
) -> None:
    import threading

    from bot.storage import DatabaseFileError

    path = tmp_path / "gs.sqlite3"
    storage = await open_storage(path)
    await storage.close()
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * 3996  # the header reads fine; the schema page is garbage
    path.write_bytes(bytes(data))
    before = set(threading.enumerate())
    with pytest.raises(DatabaseFileError) as caught:
        await open_storage(path)
    assert str(caught.value).startswith(f"DATABASE_PATH {path}: ")
    assert "\n" not in str(caught.value)
    for thread in set(threading.enumerate()) - before:  # none may keep the process alive
        thread.join(timeout=5)
        assert not thread.is_alive(), thread
