"""The archive on Telegram, through the real python-telegram-bot Application with the wire faked:
photos fetched with getFile, reviewers' cards and the channel post uploading the archived
copies, a card that still arrives when a photo is lost; and backups carrying the archive."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.archive import ArchiveWorker
from bot.channels.downloads import HttpDownloads, downloads_for
from bot.config import Settings
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.imaging import WEB
from bot.storage import Storage, open_storage
from tests.archive_data import a_story, phone_photo, reporter, worker_for
from tests.conftest import start_telegram
from tests.test_review_telegram import REFUSED, ReviewWire, texts_to
from tests.wire import TOKEN, RecordingRequest, TelegramPerson

ADMIN = 9001
CHANNEL = "-100777"
GALLERY = "https://guongsang.example.vn"
PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class World:
    app: Any
    wire: RecordingRequest
    storage: Storage
    archive: ArchiveWorker
    outbox: OutboxWorker

    def admin(self) -> TelegramPerson:
        return TelegramPerson(self.app, self.wire, ADMIN, "Minh", "Trần")


@pytest.fixture
async def world(db_path: Path) -> AsyncIterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,), publish_chat_id=CHANNEL,
        telegram_bot_token=SecretStr(TOKEN), gallery_url=GALLERY,
    )
    storage = await open_storage(db_path, publish_chat=CHANNEL)
    app, wire = await start_telegram(settings, Dialog(storage, settings))
    senders = {"telegram": app.bot_data["sender"]}
    http = HttpDownloads()
    archive = ArchiveWorker(storage.photos, downloads_for(senders), http, max_attempts=2)
    outbox = OutboxWorker(storage, senders, settings.province_code, gallery_url=GALLERY)
    yield World(app, wire, storage, archive, outbox)
    await http.close()
    await app.shutdown()
    await storage.close()


def _later(minutes: int = 1) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


async def test_a_telegram_photo_is_fetched_with_getfile_and_the_card_uploads_the_archived_copy(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    wire.files["AgACAgIAAx-photo-1"] = phone_photo(1280, 960, 7)
    person = await reporter(storage)
    story_id = await storage.stories.file(
        a_story("k1", ["AgACAgIAAx-photo-1"], reporter_id=person))
    assert wire.sent("getFile") == [], "filing waited for a download"

    assert await world.archive.run_once(_later()) == 1
    assert [c.params["file_id"] for c in wire.sent("getFile")] == ["AgACAgIAAx-photo-1"]
    assert len(wire.sent("download")) == 1
    (photo,) = await storage.photos.of_story(story_id)
    assert photo.state == "archived" and photo.digest is not None
    archived = storage.photos.files.path(photo.digest, WEB).read_bytes()

    await world.admin().says(f"/story {story_id}")
    (sent,) = wire.sent("sendPhoto", ADMIN)
    assert list(sent.uploads.values()) == [archived]
    assert "AgACAgIAAx-photo-1" not in str(sent.params)
    card = wire.last_text(ADMIN)
    assert card.startswith(f"<b>#{story_id}") and "⚠️" not in card


async def test_the_review_card_arrives_with_a_note_when_a_photo_could_not_be_downloaded(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    person = await reporter(storage)
    story_id = await storage.stories.file(a_story("k1", ["expired-file-id"], reporter_id=person))
    await world.archive.run_once(_later())
    await world.archive.run_once(_later(10))
    assert len(wire.sent("getFile")) == 2
    assert [p.state for p in await storage.photos.of_story(story_id)] == ["failed"]
    wire.failures["sendPhoto"] = (400, "Bad Request: wrong file identifier/HTTP URL specified")

    await world.admin().says(f"/story {story_id}")

    (tried,) = wire.sent("sendPhoto", ADMIN)
    assert tried.params["photo"] == "expired-file-id"  # the original reference, as a fallback
    card = wire.last_text(ADMIN)
    assert card.startswith(f"<b>#{story_id}")
    # The archive's note, then the channel's line for the photo Telegram refused (main's engine).
    assert card.endswith("⚠️ 1 ảnh không lưu được vào kho ảnh (không tải được). Ảnh gốc vẫn"
                         " được gửi kèm nếu còn xem được.\n\n⚠️ Không hiển thị được ảnh 1/1"
                         " (Wrong file identifier/http url specified).")
    assert "Duyệt" in str(wire.last_keyboard_message(ADMIN).params["reply_markup"])


async def test_the_channel_post_uploads_the_archived_photos_and_links_to_the_gallery_page(
    world: World,
) -> None:
    wire, storage = world.wire, world.storage
    wire.files.update({"ph-a": phone_photo(800, 600, 1), "ph-b": phone_photo(800, 600, 2)})
    person = await reporter(storage)
    story_id = await storage.stories.file(a_story("k1", ["ph-a", "ph-b"], reporter_id=person))
    await world.archive.run_once(_later())
    admin = world.admin()
    await admin.says(f"/approve {story_id}")
    assert wire.last_text(ADMIN) == f"✅ Đã duyệt #{story_id}."

    await world.outbox.run_once(_later())

    (album,) = wire.sent("sendMediaGroup", int(CHANNEL))
    assert [m["media"].startswith("attach://") for m in album.params["media"]] == [True, True]
    assert len(album.uploads) == 2
    post = wire.last_text(int(CHANNEL))
    link = f"{GALLERY}/cau-chuyen/{story_id}"
    assert post.endswith(f"\n🔗 Xem ảnh và đọc trên trang Gương Sáng: {link}")
    assert (await storage.stories.get(story_id)).status == "published"  # type: ignore[union-attr]

    citizen = TelegramPerson(world.app, wire, 5151, "Hòa")
    await citizen.says(f"/story {story_id}")
    assert wire.last_text(5151).endswith(f"🔗 Trang của câu chuyện: {link}")
    assert len(wire.sent("sendMediaGroup", 5151)[0].uploads) == 2


async def test_the_channel_post_keeps_every_message_id_of_the_uploaded_album(world: World) -> None:
    wire, storage = world.wire, world.storage
    wire.files.update({"ph-a": phone_photo(800, 600, 1), "ph-b": phone_photo(800, 600, 2)})
    story_id = await storage.stories.file(
        a_story("k1", ["ph-a", "ph-b"], reporter_id=await reporter(storage)))
    await world.archive.run_once(_later())
    await world.admin().says(f"/approve {story_id}")

    await world.outbox.run_once(_later())

    (album,) = wire.sent("sendMediaGroup", int(CHANNEL))
    assert len(album.uploads) == 2
    (text,) = wire.sent("sendMessage", int(CHANNEL))
    posted = [(p.part, p.chat_id) for p in await storage.stories.posts(story_id)]
    assert posted == [("photo", CHANNEL), ("photo", CHANNEL), ("text", CHANNEL)]
    assert text.params["text"].endswith(f"{GALLERY}/cau-chuyen/{story_id}")


async def test_a_post_mixing_archived_copies_and_a_refused_reference_leaves_out_only_that_photo(
    db_path: Path,
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,), publish_chat_id=CHANNEL,
        telegram_bot_token=SecretStr(TOKEN), gallery_url=GALLERY,
    )
    storage = await open_storage(db_path, publish_chat=CHANNEL)
    app, _ = await start_telegram(settings, Dialog(storage, settings), wire := ReviewWire())
    try:
        story_id = await storage.stories.file(
            a_story("k1", ["ph-a", "expired-ph-b"], reporter_id=await reporter(storage)))
        await worker_for(storage, {"ph-a": phone_photo(800, 600, 1)}).run_once(_later())
        first, second = await storage.photos.of_story(story_id)
        assert (first.state, second.state) == ("archived", "pending")
        assert first.digest is not None
        wire.refused_photos.add("expired-ph-b")  # Telegram can no longer fetch it
        await TelegramPerson(app, wire, ADMIN, "Minh", "Trần").says(f"/approve {story_id}")
        outbox = OutboxWorker(storage, {"telegram": app.bot_data["sender"]},
                              settings.province_code, gallery_url=GALLERY)

        await outbox.run_once(_later())

        to_channel = [a for a in wire.answers
                      if int(a.call.params.get("chat_id", 0)) == int(CHANNEL)]
        assert [(a.call.method, a.ok) for a in to_channel] == [
            ("sendMediaGroup", False), ("sendPhoto", True), ("sendPhoto", False),
            ("sendMessage", True)]
        archived = storage.photos.files.path(first.digest, WEB).read_bytes()
        assert list(to_channel[1].call.uploads.values()) == [archived]
        photo_id = str(to_channel[1].body["result"]["message_id"])
        text_id = str(to_channel[3].body["result"]["message_id"])
        assert [(p.part, p.message_id) for p in await storage.stories.posts(story_id)] == [
            ("photo", photo_id), ("text", text_id)]
        assert (await storage.stories.get(story_id)).status == "published"  # type: ignore[union-attr]
        mark = len(wire.calls)
        await outbox.run_once(_later())
        assert texts_to(wire.calls[mark:], ADMIN) == [
            f"⚠️ Câu chuyện <b>#{story_id}</b> đã đăng nhưng thiếu ảnh 2/2 ({REFUSED})."]
    finally:
        await app.shutdown()
        await storage.close()


def _cli(*args: str, database: Path, **env: str) -> subprocess.CompletedProcess[str]:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(database), PYTHONIOENCODING="utf-8", **env)
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=PROJECT, env=environ,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          encoding="utf-8", timeout=60, check=False)


async def test_a_backup_mirrors_the_photo_archive_beside_the_database_copy(
    db_path: Path, tmp_path: Path,
) -> None:
    storage = await open_storage(db_path)
    try:
        binh, lan = await reporter(storage), await reporter(storage, "Lê Văn Lân", "5151")
        files = {"p1": phone_photo(640, 480, 1), "p2": phone_photo(640, 480, 2)}
        kept = await storage.stories.file(a_story("k1", ["p1"], reporter_id=binh))
        erased = await storage.stories.file(a_story("k2", ["p2"], reporter_id=lan))
        worker = worker_for(storage, files)
        await worker.run_once(_later())
        (first,), (second,) = await storage.photos.of_story(kept), \
            await storage.photos.of_story(erased)
    finally:
        await storage.close()
    assert first.digest is not None and second.digest is not None
    out = tmp_path / "backups" / "guongsang-2025-09-03.sqlite3"
    media = tmp_path / "backups" / "media"

    done = _cli("backup", "--out", str(out), database=db_path)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"{media}: photo archive, 2 items (2 copied, 0 removed)"
    for digest in (first.digest, second.digest):
        original = db_path.parent / "media" / digest[:2] / digest / WEB
        assert (media / digest[:2] / digest / WEB).read_bytes() == original.read_bytes()

    storage = await open_storage(db_path)
    try:
        await storage.erase_person(lan)
        await worker_for(storage, files).run_once(_later())
    finally:
        await storage.close()
    again = _cli("backup", "--out", str(out.with_name("guongsang-2025-09-04.sqlite3")),
                 database=db_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == f"{media}: photo archive, 1 items (0 copied, 1 removed)"
    assert (media / first.digest[:2] / first.digest / WEB).is_file()
    assert not (media / second.digest[:2] / second.digest).exists(), "an erased photo stays"


async def test_the_nightly_backup_dir_mirrors_the_archive_beside_its_dated_copies(
    db_path: Path, tmp_path: Path,
) -> None:
    storage = await open_storage(db_path)
    try:
        kept = await storage.stories.file(
            a_story("k1", ["p1"], reporter_id=await reporter(storage)))
        await worker_for(storage, {"p1": phone_photo(640, 480, 1)}).run_once(_later())
        (photo,) = await storage.photos.of_story(kept)
    finally:
        await storage.close()
    assert photo.digest is not None
    folder = tmp_path / "backups"
    folder.mkdir()
    for day in range(1, 4):
        (folder / f"guongsang-2020-01-0{day}.sqlite3").write_bytes(b"old")

    done = _cli("backup", "--dir", str(folder), database=db_path, BACKUP_KEEP="1")

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[1:] == ["removed 3 older backup(s), keeping 1",
                         f"{folder / 'media'}: photo archive, 1 items (1 copied, 0 removed)"]
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 2 and names[1] == "media" and names[0].startswith("guongsang-20")
    mirrored = folder / "media" / photo.digest[:2] / photo.digest / WEB
    assert mirrored.read_bytes() == (db_path.parent / "media" / photo.digest[:2] / photo.digest
                                     / WEB).read_bytes()
