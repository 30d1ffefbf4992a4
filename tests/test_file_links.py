"""Zalo cannot carry a file the bot made: a reviewer's /export workbook, an officer's /import
template and the /stats charts reach a Zalo user as a download link on the public site
(GALLERY_URL), kept a day; without a public site they are told plainly. Telegram still gets the
file itself."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openpyxl import load_workbook
from PIL import Image
from pydantic import SecretStr

from bot.app import run_bot
from bot.channels.telegram_send import TRAITS as TELEGRAM
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.config import Settings
from bot.content import catalogue
from bot.dialog import Dialog
from bot.file_links import LIFETIME, install
from bot.storage import Storage, open_storage
from tests.archive_data import a_story, phone_photo, publish, reporter, worker_for
from tests.conftest import NUMBERED, FakeChat, TelegramApp
from tests.fake_zalo import TOKEN, FakeZalo, ZaloPerson
from tests.fake_zalo_oa import FakeOa
from tests.oa_harness import OaPerson, start_oa
from tests.ports import unused_port
from tests.wire import TelegramPerson

ADMIN = "6011111111111111111"
SITE = "https://guongsang.example.gov.vn/guong-sang"
LINK = re.compile(r"(https?://\S+/tep/([A-Za-z0-9_-]{32})/(\S+))")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _admin(storage: Storage, channel: str, external: str) -> None:
    person = await storage.people.get_or_create(channel, external, "vi")
    await storage.people.set_consent(person, True, "Lê Văn Duyệt", None)
    await storage.roles.grant(person.id, "admin", (0,))


async def _kept(storage: Storage) -> list[tuple[str, str, str]]:
    rows = await storage.db.fetchall(
        "SELECT p.external_id, f.name, f.kind FROM file_links f JOIN people p"
        " ON p.id = f.person_id ORDER BY f.created_at, f.name")
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


@pytest.fixture
async def site(storage: Storage) -> AsyncIterator[TestServer]:
    """The public site's file route alone, over the test's storage."""
    app = web.Application()
    install(app, storage, SITE, catalogue("vi"))
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    yield server
    await server.close()


async def _fetch(server: TestServer, url: str) -> tuple[int, dict[str, str], bytes]:
    path = url.split("guongsang.example.gov.vn", 1)[1]
    async with aiohttp.ClientSession() as http, http.get(server.make_url(path)) as response:
        return response.status, dict(response.headers), await response.read()


@asynccontextmanager
async def _admin_on_zalo(settings: Settings, storage: Storage, zalo: FakeZalo,
                         gallery: str | None) -> AsyncIterator[ZaloPerson]:
    """An admin on the Zalo Bot Platform, the bot polling for them, GALLERY_URL as given."""
    await _admin(storage, "zalo", ADMIN)
    configured = settings.model_copy(update={"gallery_url": gallery})
    client = ZaloClient(zalo.api_url, zalo.token, timeout=5.0)
    channel = ZaloChannel(client, Dialog(storage, configured).handle)
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(stop, timeout=1))
    try:
        yield ZaloPerson(zalo, channel, ADMIN, "Lê Văn Duyệt")
    finally:
        stop.set()
        await task
        await client.close()


async def test_a_zalo_reviewer_gets_the_workbook_as_a_link_that_serves_it_for_a_day(
    settings: Settings, storage: Storage, zalo: FakeZalo, site: TestServer,
) -> None:
    who = await reporter(storage)
    story = await storage.stories.file(a_story("k1", reporter_id=who))
    await publish(storage, story)
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        said = await person.says("/export")
    text = "\n".join(said)
    assert "📎 Tệp guongsang-" in text and "không gửi được qua kênh này" in text
    assert "Liên kết dùng được trong 24 giờ" in text
    url, token, name = LINK.findall(text)[0]
    assert url.startswith(f"{SITE}/tep/") and name.endswith(".xlsx")
    assert await _kept(storage) == [(ADMIN, name, "document")]

    status, headers, body = await _fetch(site, url)
    assert status == 200 and headers["Content-Type"] == XLSX
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"] == f"attachment; filename*=UTF-8''{name}"
    book = load_workbook(io.BytesIO(body))
    assert "Nguyễn Văn An" in [c.value for sheet in book.worksheets for row in sheet.iter_rows()
                               for c in row]

    later = datetime.now(UTC) + LIFETIME + timedelta(minutes=1)
    assert await storage.file_links.get(token, later) is None  # a day on, the link is dead
    assert await storage.file_links.get(token, datetime.now(UTC)) is not None


async def test_a_wrong_or_unknown_link_is_a_404_in_words_and_serves_nothing(
    storage: Storage, site: TestServer,
) -> None:
    for token in ("x" * 32, "short", "%2E%2E%2Fbot.sqlite3"):
        status, headers, body = await _fetch(site, f"{SITE}/tep/{token}/a.xlsx")
        assert status == 404 and headers["Cache-Control"] == "no-store"
        assert body.decode() == ("Liên kết tải tệp đã hết hạn hoặc không đúng. Xin gõ lại lệnh"
                                 " trong bot để nhận liên kết mới.")


async def test_without_a_public_site_a_zalo_reviewer_is_told_where_to_get_the_file(
    settings: Settings, storage: Storage, zalo: FakeZalo,
) -> None:
    story = await storage.stories.file(a_story("k1", reporter_id=await reporter(storage)))
    await publish(storage, story)
    async with _admin_on_zalo(settings, storage, zalo, None) as person:
        said = await person.says("/export")
        stats = await person.says("/stats")
    assert stats[-1].endswith(
        "\n\nBiểu đồ không gửi được qua kênh này; các con số ở trên là đầy đủ.")
    assert any(line.startswith("📎 Tệp guongsang-") and line.endswith(
        "không gửi được qua kênh này. Xin mở bot trên Telegram để nhận tệp, hoặc nhờ quản trị"
        " viên gửi giúp.") for line in "\n".join(said).splitlines())
    assert "/tep/" not in "\n".join(said + stats)
    assert await _kept(storage) == []
    assert zalo.photos(ADMIN) == []


async def test_a_file_that_cannot_be_kept_is_named_plainly_and_the_bot_answers_on(
    settings: Settings, storage: Storage, zalo: FakeZalo, monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def full(*_: object) -> str:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(storage.file_links, "keep", full)
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        said = "\n".join(await person.says("/export"))
        again = await person.says("/help")
    assert "📎 Tệp guongsang-" in said and "Xin mở bot trên Telegram để nhận tệp" in said
    assert "/tep/" not in said and again  # told plainly; the next message is answered


async def test_the_stats_charts_reach_zalo_as_pictures_by_their_link(
    settings: Settings, storage: Storage, zalo: FakeZalo, site: TestServer,
) -> None:
    story = await storage.stories.file(a_story("k1", reporter_id=await reporter(storage)))
    await publish(storage, story)
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        said = await person.says("/stats")
    photos = zalo.photos(ADMIN)
    assert [p.rsplit("/", 1)[1] for p in photos] == ["stats-weekly.png", "stats-communes.png"]
    assert "/tep/" not in "\n".join(said) and "Biểu đồ" not in "\n".join(said)
    status, headers, body = await _fetch(site, photos[0])
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert "Content-Disposition" not in headers and body.startswith(b"\x89PNG")


async def test_a_zalo_reviewer_sees_the_archived_photos_of_a_story_filed_on_telegram(
    settings: Settings, storage: Storage, zalo: FakeZalo, site: TestServer,
) -> None:
    story = await storage.stories.file(a_story("k1", ["tg-photo-1", "tg-photo-2"],
                                               reporter_id=await reporter(storage)))
    picture = phone_photo()
    archived = await worker_for(storage, {"tg-photo-1": picture}).run_once(
        datetime.now(UTC) + timedelta(minutes=1))
    assert archived == 2  # the first kept, the second unreachable (its card says so)
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        card = "\n".join(await person.says(f"/story {story}"))
        shown = zalo.photos(ADMIN)
        await person.says(f"/story {story}")  # opened again: the same link
    assert "Sửa cầu khỉ cho bà con" in card and "/tep/" not in card
    assert len(shown) == 1 and shown[0].startswith(f"{SITE}/tep/")  # no Telegram file id sent
    assert zalo.photos(ADMIN) == shown * 2
    assert await _kept(storage) == [(ADMIN, f"{story}-1.jpg", "photo")]
    status, headers, body = await _fetch(site, shown[0])
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(body)).format == "JPEG"


async def test_without_a_site_a_zalo_reviewer_is_told_the_telegram_photos_are_elsewhere(
    settings: Settings, storage: Storage, zalo: FakeZalo,
) -> None:
    story = await storage.stories.file(a_story("k1", ["tg-photo-1", "https://z.example/2.jpg"],
                                               reporter_id=await reporter(storage)))
    async with _admin_on_zalo(settings, storage, zalo, None) as person:
        card = "\n".join(await person.says(f"/story {story}"))
    assert ("📷 Có 1 ảnh gửi qua Telegram chưa xem được ở đây: xem trên Telegram, hoặc mở lại"
            " thẻ này sau.") in card
    assert zalo.photos(ADMIN) == ["https://z.example/2.jpg"]  # a web address shows anywhere


async def test_a_zalo_reviewer_listens_to_a_voice_note_filed_on_telegram_by_its_link(
    settings: Settings, storage: Storage, zalo: FakeZalo, site: TestServer,
) -> None:
    ogg = b"OggS\x00\x02" + bytes(200)  # the start of an Opus voice note as Telegram records it
    story = await storage.stories.file(a_story("k1", reporter_id=await reporter(storage),
                                               voice_ref="tg-voice-1", voice_seconds=42))
    assert await worker_for(storage, {"tg-voice-1": ogg}).run_once(
        datetime.now(UTC) + timedelta(minutes=1)) == 1
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        card = "\n".join(await person.says(f"/story {story}"))
    assert ("🎙 Ghi âm: 1 (0:42) — người gửi kể bằng giọng nói (nghe bằng liên kết ở cuối tin"
            " này).") in card
    assert "mở thẻ này trên Telegram" not in card
    assert "🎙 Nghe ghi âm (mở bằng trình duyệt, dùng được trong 24 giờ" in card
    url, _, name = LINK.findall(card)[0]
    assert name == f"{story}-ghi-am.ogg"
    status, headers, body = await _fetch(site, url)
    assert status == 200 and body == ogg and headers["Content-Type"] == "audio/ogg"
    assert "Content-Disposition" not in headers  # plays in the browser


async def test_a_chart_zalo_cannot_fetch_is_named_and_the_figures_still_arrive(
    settings: Settings, storage: Storage, zalo: FakeZalo,
) -> None:
    story = await storage.stories.file(a_story("k1", reporter_id=await reporter(storage)))
    await publish(storage, story)
    zalo.fail_next("sendPhoto", code=400, description="Bad Request: cannot fetch the photo")
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        said = await person.says("/stats")
    assert len(zalo.photos(ADMIN)) == 1  # the second chart went
    assert said[0].startswith("Thống kê — toàn tỉnh: 1 câu chuyện")
    assert said[-1].endswith(
        "\n\n⚠️ Không hiển thị được ảnh 1/2 (Bad Request: cannot fetch the photo).")


async def test_on_the_oa_a_refused_chart_is_named_and_the_figures_still_arrive(
    settings: Settings, storage: Storage, oa: FakeOa,
) -> None:
    story = await storage.stories.file(a_story("k1", reporter_id=await reporter(storage)))
    await publish(storage, story)
    await _admin(storage, "zalo_oa", "oa-admin")
    configured = settings.model_copy(update={"gallery_url": SITE})
    bot = await start_oa(configured, storage, Dialog(storage, configured), oa, oa.grant(),
                         gallery_url=SITE)
    try:
        person = OaPerson(oa, bot, "oa-admin", "Lê Văn Duyệt")
        await person.says("/help")
        oa.fail_next("message/cs", -201)  # the first chart: "invalid parameter"
        said = await person.says("/stats")
    finally:
        await bot.stop()
    pictures = [m for m in person.last if "attachment" in m and "text" not in m]
    assert len(pictures) == 1  # the second chart went
    assert said[0].startswith("Thống kê — toàn tỉnh: 1 câu chuyện")
    assert "⚠️ Không hiển thị được ảnh 1/2 (zalo_oa -201" in said[-1]


async def test_an_officer_on_the_zalo_oa_gets_the_import_template_as_a_link(
    settings: Settings, storage: Storage, dialog: Dialog, oa: FakeOa, site: TestServer,
) -> None:
    await _admin(storage, "zalo_oa", "oa-officer")
    configured = settings.model_copy(update={"gallery_url": SITE})
    bot = await start_oa(configured, storage, Dialog(storage, configured), oa, oa.grant(),
                         gallery_url=SITE)
    try:
        said = await OaPerson(oa, bot, "oa-officer", "Lê Văn Duyệt").says("/import")
    finally:
        await bot.stop()
    text = "\n".join(said)
    assert "\n3. Gửi tệp vào cuộc trò chuyện này.\n" in text  # the OA takes the filled file
    url, _, name = LINK.findall(text)[0]
    assert name == "mau-nhap-cau-chuyen.xlsx"
    status, _, body = await _fetch(site, url)
    assert status == 200 and load_workbook(io.BytesIO(body)).sheetnames


async def test_on_the_zalo_bot_platform_import_says_where_the_filled_file_can_go(
    settings: Settings, storage: Storage, zalo: FakeZalo,
) -> None:
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        said = "\n".join(await person.says("/import"))
        after = await person.says("xin chào")
    assert ("\n3. Kênh này không nhận tệp từ bạn được: xin gửi tệp đã điền qua bot trên Telegram,"
            " hoặc nhờ quản trị viên nhập giúp.\n") in said
    assert "Gửi tệp vào cuộc trò chuyện này" not in said
    assert LINK.findall(said)[0][2] == "mau-nhap-cau-chuyen.xlsx"
    assert not any("Mình đang chờ tệp bảng tính" in text for text in after)  # nothing awaited


async def test_erasing_a_person_drops_the_files_kept_for_them(
    settings: Settings, storage: Storage, zalo: FakeZalo,
) -> None:
    async with _admin_on_zalo(settings, storage, zalo, SITE) as person:
        await person.says("/export")
    assert len(await _kept(storage)) == 1
    found = await storage.people.find("zalo", ADMIN)
    assert found is not None
    await storage.erase_person(found.id)
    assert await _kept(storage) == []


async def test_the_running_bot_serves_the_link_it_gave_on_zalo(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    setup = await open_storage(path)
    await _admin(setup, "zalo", ADMIN)
    await setup.close()
    port = unused_port()
    async with FakeZalo() as zalo:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_path=path, zalo_bot_token=SecretStr(TOKEN),
            zalo_api_url=zalo.api_url, http_port=port,
            gallery_url=f"http://127.0.0.1:{port}/trang")
        stop = asyncio.Event()
        running = asyncio.create_task(run_bot(settings, stop))
        try:
            for _ in range(500):
                if zalo.calls("getUpdates"):
                    break
                await asyncio.sleep(0.02)
            zalo.push(ZaloPerson(zalo, None, ADMIN).update("message.text.received",
                                                              text="/export"))
            for _ in range(500):
                if LINK.search("\n".join(zalo.sent(ADMIN))):
                    break
                await asyncio.sleep(0.02)
            url = LINK.findall("\n".join(zalo.sent(ADMIN)))[0][0]
            assert url.startswith(f"http://127.0.0.1:{port}/trang/tep/")
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == XLSX
                assert load_workbook(io.BytesIO(await response.read())).sheetnames
        finally:
            stop.set()
            await running


async def test_a_big_file_is_kept_whole_and_the_same_bytes_keep_their_link_as_allowed(
    storage: Storage,
) -> None:
    await _admin(storage, "zalo", ADMIN)
    found = await storage.people.find("zalo", ADMIN)
    assert found is not None
    now = datetime.now(UTC)
    big = bytes(range(256)) * 8192  # 2 MB, hashed and written off the loop
    first = await storage.file_links.keep(found.id, "a.xlsx", "document", big, now, LIFETIME)
    again = await storage.file_links.keep(found.id, "a.xlsx", "document", big, now, LIFETIME)
    other = await storage.file_links.keep(found.id, "a.xlsx", "document", big[1:], now, LIFETIME)
    late = await storage.file_links.keep(found.id, "a.xlsx", "document", big,
                                         now + LIFETIME * 0.6, LIFETIME)
    assert first == again and len({first, other, late}) == 3  # late: too little time was left
    await _admin(storage, "zalo", "someone-else")
    second = await storage.people.find("zalo", "someone-else")
    assert second is not None
    theirs = await storage.file_links.keep(second.id, "a.xlsx", "document", big, now, LIFETIME)
    assert theirs not in {first, other, late}  # a document is only ever its own person's
    photo = await storage.file_links.keep(found.id, "1-1.jpg", "photo", big, now, LIFETIME)
    assert await storage.file_links.keep(second.id, "1-1.jpg", "photo", big, now,
                                         LIFETIME) == photo  # a story's photo, one copy
    kept = await storage.file_links.get(first, now)
    assert kept is not None and kept.data == big
    assert (kept.name, kept.kind) == ("a.xlsx", "document")


@pytest.mark.parametrize("site", [SITE, None])
async def test_a_file_over_the_channel_s_cap_goes_as_a_link_or_says_how_to_ask_for_less(
    settings: Settings, storage: Storage, site: str | None,
) -> None:
    assert TELEGRAM.max_file == 50 * 1024 * 1024  # the Bot API's upload limit
    small_cap = replace(NUMBERED, max_file=1000)  # a workbook is a few kilobytes
    dialog = Dialog(storage, settings.model_copy(update={"gallery_url": site}))
    await _admin(storage, "fake", "u1")
    chat = FakeChat(dialog, "u1", traits=small_cap)
    [reply] = await chat.says("/export")
    assert reply.files == ()
    if site is None:
        assert reply.text.endswith(
            " MB, lớn quá để gửi qua kênh này (tối đa 0 MB). Xin thu hẹp lại, ví dụ chọn một đợt"
            " thi đua hoặc một khoảng thời gian ngắn hơn, hoặc nhờ quản trị viên lấy tệp bằng"
            " dòng lệnh.")
        assert await _kept(storage) == []
    else:
        assert LINK.findall(reply.text)[0][2].startswith("guongsang-")
        assert len(await _kept(storage)) == 1
    roomy = FakeChat(dialog, "u1", traits=replace(NUMBERED, max_file=10 * 1024 * 1024))
    [whole] = await roomy.says("/export")  # under the cap: the file itself
    assert [f.filename[:10] for f in whole.files] == ["guongsang-"] and "/tep/" not in whole.text


async def test_a_workbook_telegram_refuses_still_leaves_the_answer_with_a_word(
    storage: Storage, tg: TelegramApp,
) -> None:
    app, wire = tg
    await _admin(storage, "telegram", "9001")
    wire.failures["sendDocument"] = (413, "Request Entity Too Large")
    await TelegramPerson(app, wire, 9001, "Duyệt").says("/export")
    assert [c.method for c in wire.calls if c.method.startswith("send")] == [
        "sendDocument", "sendMessage"]
    text = wire.last_text(9001)
    assert text.startswith("Không có câu chuyện nào từ trước đến nay.")
    assert re.search(r"\n\n⚠️ Tệp <b>guongsang-[\d-]+\.xlsx</b> chưa gửi được\. Xin gõ lại lệnh"
                     r" sau ít phút\.$", text), text
