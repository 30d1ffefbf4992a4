"""The photo archive: a story's photos are downloaded in the background into a content-addressed
folder beside the database, upright and without the GPS position phones write into them;
bombs and non-images are refused unread; failures are retried, then reported; the queue
survives a restart; photos of stories never to be published go when their reporter is erased;
backups carry the archive."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageFile

from bot.channels.downloads import HttpDownloads
from bot.health import State
from bot.imaging import FULL, MAX_PIXELS, THUMB, WEB, Refused
from bot.storage import Storage, media_folder, open_storage
from tests.archive_data import a_story, phone_photo, publish, reporter, worker_for

# A moment just after the photos are queued (the queue stamps them with the real clock): set
# afresh for every test, so a slow run before this module cannot leave the queue in its future.
NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _moment() -> None:
    global NOW
    NOW = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)


def _at(seconds: int) -> str:
    return (NOW + timedelta(seconds=seconds)).isoformat()


def _files(storage: Storage) -> list[Path]:
    return sorted(p for p in storage.photos.files.folder.rglob("*") if p.is_file())


def _gps_free(data: bytes) -> None:
    """No EXIF at all, so no GPS IFD; no XMP either (it can carry the position too)."""
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        assert dict(exif) == {}
        assert dict(exif.get_ifd(0x8825)) == {}
        assert "exif" not in image.info and "xmp" not in image.info
    assert b"Exif\x00\x00" not in data
    assert b"GPSLatitude" not in data and b"PhoneMaker" not in data


async def test_a_phone_photo_is_kept_upright_in_three_sizes_without_its_gps_position(
    storage: Storage, db_path: Path,
) -> None:
    person = await reporter(storage)
    taken = phone_photo(1600, 1200, orientation=6)  # held sideways: the phone says turn it
    with Image.open(io.BytesIO(taken)) as original:
        assert dict(original.getexif().get_ifd(0x8825))[2] == (10.0, 22.0, 33.0)
    story_id = await storage.stories.file(a_story("k1", ["ph-1"], reporter_id=person))

    assert await worker_for(storage, {"ph-1": taken}).run_once(NOW) == 1

    (photo,) = await storage.photos.of_story(story_id)
    assert (photo.state, photo.width, photo.height, photo.error) == ("archived", 1200, 1600, None)
    assert photo.digest is not None and storage.photos.files.has(photo.digest)
    assert storage.photos.files.folder == media_folder(db_path) == db_path.parent / "media"
    sizes = {}
    for name in (FULL, WEB, THUMB):
        data = storage.photos.files.path(photo.digest, name).read_bytes()
        _gps_free(data)
        with Image.open(io.BytesIO(data)) as copy:
            sizes[name] = copy.size
    assert sizes == {FULL: (1200, 1600), WEB: (960, 1280), THUMB: (180, 240)}


async def test_the_same_photo_sent_for_two_stories_is_kept_once(storage: Storage) -> None:
    person = await reporter(storage)
    same = phone_photo(800, 600)
    first = await storage.stories.file(a_story("k1", ["a"], reporter_id=person))
    second = await storage.stories.file(a_story("k2", ["b"], reporter_id=person))
    await worker_for(storage, {"a": same, "b": same}).run_once(NOW)
    (one,), (two,) = await storage.photos.of_story(first), await storage.photos.of_story(second)
    assert one.digest == two.digest
    assert len(_files(storage)) == 3


def _claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims another size, as a decompression bomb does."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    data = bytearray(out.getvalue())
    start = data.index(b"IHDR")
    data[start + 4 : start + 12] = struct.pack(">II", width, height)
    data[start + 17 : start + 21] = struct.pack(">I", zlib.crc32(data[start : start + 17]))
    return bytes(data)


async def test_an_image_bomb_and_a_file_that_is_no_image_are_refused_without_decoding(
    storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = await reporter(storage)
    bomb = _claiming(20_000, 20_000)  # a few bytes on the wire, 400 MP once decoded
    big = _claiming(9_000, 8_000)  # under Pillow's own limit, over ours
    assert MAX_PIXELS < 9_000 * 8_000
    files = {"bomb": bomb, "big": big, "pdf": b"%PDF-1.7\n%\xe2\xe3\n1 0"}
    ids = [await storage.stories.file(a_story(f"k-{ref}", [ref], reporter_id=person))
           for ref in files]

    def never(self: ImageFile.ImageFile) -> None:
        raise AssertionError("a refused file was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", never)
    worker = worker_for(storage, files)
    assert await worker.run_once(NOW) == 3

    found = [(await storage.photos.of_story(i))[0] for i in ids]
    assert [(p.state, p.error) for p in found] == [
        ("failed", "too_many_pixels"), ("failed", "too_many_pixels"), ("failed", "not_image")]
    assert _files(storage) == []
    assert await worker.run_once(NOW + timedelta(days=1)) == 0, "a refused file is tried again"


async def test_a_download_is_abandoned_as_soon_as_it_passes_the_cap() -> None:
    pulled = 0

    async def endless() -> object:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"\xff" * 65_536

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/declared.jpg":
            return httpx.Response(200, headers={"content-length": str(50 * 1024 * 1024)},
                                  content=b"")
        return httpx.Response(200, content=endless())  # type: ignore[arg-type]

    downloads = HttpDownloads(httpx.MockTransport(answer))
    try:
        with pytest.raises(Refused) as refused:
            await downloads("https://photos.example/endless.jpg", 1024 * 1024)
        assert refused.value.reason == "too_large"
        assert pulled <= 17, f"{pulled} chunks of 64 kB read for a 1 MB cap"
        with pytest.raises(Refused):
            await downloads("https://photos.example/declared.jpg", 1024 * 1024)
    finally:
        await downloads.close()


async def test_a_photo_that_cannot_be_downloaded_is_retried_with_backoff_then_reported(
    storage: Storage,
) -> None:
    person = await reporter(storage)
    story_id = await storage.stories.file(a_story("k1", ["gone"], reporter_id=person))
    worker = worker_for(storage, {}, max_attempts=3, base_delay=30.0)

    assert await worker.run_once(NOW) == 1
    rows = await storage.db.fetchall("SELECT attempts, next_attempt_at, state FROM archived_media")
    assert [tuple(r) for r in rows] == [(1, _at(30), "pending")]
    assert await worker.run_once(NOW + timedelta(seconds=29)) == 0, "tried before its time"
    assert await worker.run_once(NOW + timedelta(seconds=30)) == 1
    rows = await storage.db.fetchall("SELECT attempts, next_attempt_at FROM archived_media")
    assert [tuple(r) for r in rows] == [(2, _at(120))]  # 30 s after the first, 90 s after that
    assert await worker.run_once(NOW + timedelta(minutes=2)) == 1

    (photo,) = await storage.photos.of_story(story_id)
    assert (photo.state, photo.error) == ("failed", "unreachable")
    assert await worker.run_once(NOW + timedelta(days=1)) == 0


async def test_photos_waiting_to_be_archived_are_archived_after_a_restart(
    db_path: Path,
) -> None:
    storage = await open_storage(db_path)
    person = await reporter(storage)
    story_id = await storage.stories.file(a_story("k1", ["p1", "p2"], reporter_id=person))
    await storage.close()

    storage = await open_storage(db_path)
    try:
        photos = {"p1": phone_photo(640, 480, 1), "p2": phone_photo(640, 480, 2)}
        assert await worker_for(storage, photos).run_once(NOW) == 2
        assert [p.state for p in await storage.photos.of_story(story_id)] == ["archived"] * 2
    finally:
        await storage.close()


async def test_erasing_a_reporter_removes_the_photos_of_stories_never_published(
    storage: Storage,
) -> None:
    binh = await reporter(storage)
    lan = await reporter(storage, "Lê Văn Lân", "5151")
    shared = phone_photo(640, 480, 3)
    pending = await storage.stories.file(a_story("k1", ["own", "shared-1"], reporter_id=binh))
    published = await storage.stories.file(a_story("k2", ["pub"], reporter_id=binh))
    others = await storage.stories.file(a_story("k3", ["shared-2"], reporter_id=lan))
    await publish(storage, published)
    files = {"own": phone_photo(640, 480, 4), "pub": phone_photo(640, 480, 5),
             "shared-1": shared, "shared-2": shared}
    worker = worker_for(storage, files)
    await worker.run_once(NOW)
    await worker.run_once(NOW)
    own, _ = await storage.photos.of_story(pending)
    (kept,) = await storage.photos.of_story(published)
    (theirs,) = await storage.photos.of_story(others)
    assert own.digest and kept.digest and theirs.digest
    assert len(_files(storage)) == 9

    assert await storage.erase_person(binh) == 1
    assert await storage.photos.of_story(pending) == []
    assert (await storage.stories.get(pending)).photos == []  # type: ignore[union-attr]
    await worker.run_once(NOW)

    assert not storage.photos.files.has(own.digest)
    assert storage.photos.files.has(kept.digest), "a published story keeps its photos"
    assert storage.photos.files.has(theirs.digest), "another person's copy of it stays"
    assert len(_files(storage)) == 6
    assert [p.state for p in await storage.photos.of_story(published)] == ["archived"]


async def test_a_database_that_refuses_is_waited_out_said_once_and_shown_by_healthz(
    storage: Storage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    story_id = await storage.stories.file(
        a_story("k1", ["ph-1"], reporter_id=await reporter(storage)))
    worker = worker_for(storage, {"ph-1": phone_photo(640, 480, 1)}, poll=0.01)
    real_due, tries = storage.photos.due, []

    async def locked(*args: object, **kwargs: object) -> object:
        tries.append(1)
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(storage.photos, "due", locked)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        for _ in range(200):
            if len(tries) >= 3:
                break
            await asyncio.sleep(0.01)
        assert worker.state() == State("retrying: OperationalError: database is locked", ok=False)
        said = [r for r in caplog.records if "photo archive failed" in r.getMessage()]
        assert len(tries) >= 3 and len(said) == 1, "one line, not one per pass"

        monkeypatch.setattr(storage.photos, "due", real_due)
        for _ in range(500):  # the state turns back once the pass that archived returns
            if ((await storage.photos.of_story(story_id))[0].state == "archived"
                    and worker.state().ok):
                break
            await asyncio.sleep(0.01)
        assert [p.state for p in await storage.photos.of_story(story_id)] == ["archived"]
        assert worker.state() == State("running")
        assert any("photo archive works again" in r.getMessage() for r in caplog.records)
    finally:
        stop.set()
        await running
