"""Voice notes: an elderly resident tells their story by voice at the description step (Telegram,
Zalo, a Zalo Official Account); a short written line is then enough; the summary says "Ghi âm: 1
(0:42)"; the note is archived as sent, in the background, and a reviewer listens to it on the
card; it is never published and goes when its reporter is erased. Anywhere else a voice note is
told where it is welcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.archive import ArchiveWorker
from bot.channels.downloads import HttpDownloads, downloads_for
from bot.channels.zalo_oa import to_incoming as oa_incoming
from bot.config import Settings
from bot.dialog import Dialog
from bot.messages import Voice
from bot.storage import NewStory, Storage, open_storage
from tests.conftest import FakeChat, start_telegram
from tests.fake_zalo import ZaloPerson
from tests.test_review_storage import person, rows
from tests.test_telegram import CONSENT_YES, CONTENT_1, KIND_GOOD_DEED, SKIP, SUBMIT
from tests.test_zalo_platform import RESIDENT, resident

__all__ = ["resident"]  # the Zalo platform's resident fixture, shared
from tests.wire import TOKEN, RecordingRequest, TelegramPerson, after_press

ADMIN, LAN = 9001, 4242
OGG = b"OggS\x00\x02" + bytes(200)  # the start of an Opus voice note as Telegram records it
AAC = b"\xff\xf1\x50\x80" + bytes(300)  # an ADTS frame, as Zalo's .aac notes begin


def soon() -> datetime:
    """A moment just after the files are queued (the queue stamps them with the real clock)."""
    return datetime.now(UTC) + timedelta(minutes=1)


@dataclass
class World:
    app: Any
    wire: RecordingRequest
    storage: Storage
    archive: ArchiveWorker


@pytest.fixture
async def world(db_path: Path) -> AsyncIterator[World]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=db_path, admin_ids=(ADMIN,),
        telegram_bot_token=SecretStr(TOKEN),
    )
    storage = await open_storage(db_path)
    app, wire = await start_telegram(settings, Dialog(storage, settings))
    http = HttpDownloads(httpx.MockTransport(
        lambda r: httpx.Response(200, content=AAC if r.url.path.endswith(".aac") else b"<html>")))
    archive = ArchiveWorker(storage.photos, downloads_for({"telegram": app.bot_data["sender"]}),
                            http, max_attempts=2)
    yield World(app, wire, storage, archive)
    await http.close()
    await app.shutdown()
    await storage.close()


def last(wire: RecordingRequest, chat: int = LAN) -> str:
    return wire.last_text(chat)


async def to_description(lan: TelegramPerson) -> None:
    await lan.says("/start")
    await lan.presses(CONSENT_YES)
    await lan.says("/report")
    await lan.presses(KIND_GOOD_DEED)
    await lan.presses(CONTENT_1)
    await lan.says("long xuyen")
    await lan.says("Nguyễn Văn An")
    await lan.says("nông dân ấp Mỹ Thạnh")
    await lan.says("Sửa cầu khỉ cho bà con ấp Mỹ Thạnh")


async def test_an_elderly_resident_tells_their_story_by_voice_on_telegram(world: World) -> None:
    wire, storage = world.wire, world.storage
    lan = TelegramPerson(world.app, wire, LAN)
    await to_description(lan)
    assert "🎙 Ngại gõ chữ? Bạn có thể gửi một <b>tin nhắn thoại</b>" in last(wire)

    await lan.sends_voice("AwACAgIAAx-voice-1", 42)
    said = [c.params["text"] for c in wire.sent("sendMessage", LAN)[-2:]]
    assert said[0] == "🎙 Đã nhận ghi âm (0:42). Cảm ơn bạn!"
    assert said[1].startswith("<b>Bước 7/12.</b> 🎙 Câu chuyện đã có ghi âm (0:42).")
    assert lan.buttons()[:2] == ["🎙 Chỉ gửi ghi âm", "🗑 Bỏ ghi âm"]

    await lan.says("Xem ghi âm")  # ten characters: a line is enough with a voice note
    assert last(wire).startswith("<b>Bước 8/12.</b>")
    await lan.says("02/09/2025")
    await lan.presses(SKIP)
    await lan.says(SKIP)
    await lan.says(SKIP)
    await lan.presses("Không, giấu tên tôi")
    summary = last(wire)
    assert "<b>Ảnh:</b> không có\n<b>Ghi âm:</b> 1 (0:42)\n" in summary
    await lan.presses(SUBMIT)

    [story] = await rows(storage, "SELECT id, description, voice_ref, voice_seconds FROM stories")
    assert story == {"id": 1, "description": "Xem ghi âm", "voice_ref": "AwACAgIAAx-voice-1",
                     "voice_seconds": 42}
    assert wire.sent("getFile") == [], "filing waited for the voice note"
    [queued] = await rows(storage, "SELECT kind, state FROM archived_media")
    assert queued == {"kind": "voice", "state": "pending"}


async def test_without_a_voice_note_the_line_is_too_short_and_voice_only_uses_the_title(
    world: World,
) -> None:
    wire = world.wire
    lan = TelegramPerson(world.app, wire, LAN)
    await to_description(lan)
    await lan.says("Xem ghi âm")
    too_short = wire.sent("sendMessage", LAN)[-2].params["text"]
    assert too_short.startswith("Hơi ngắn quá: cần ít nhất 40 ký tự")
    await lan.sends_voice("AwACAgIAAx-voice-1", 5)
    await lan.sends_voice("AwACAgIAAx-voice-2", 75)
    assert "🎙 Đã nhận ghi âm mới (1:15), thay cho ghi âm trước." in [
        c.params["text"] for c in wire.sent("sendMessage", LAN)]
    await lan.presses("🎙 Chỉ gửi ghi âm")
    assert after_press(last(wire), "🎙 Chỉ gửi ghi âm").startswith("<b>Bước 8/12.</b>")
    state = await world.storage.dialogs.load("telegram", str(LAN))
    assert state is not None
    assert state.data["description"] == "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh"
    assert state.data["voice"] == {"ref": "AwACAgIAAx-voice-2", "seconds": 75}


async def test_a_voice_note_at_another_step_is_told_where_it_is_welcome(world: World) -> None:
    wire = world.wire
    lan = TelegramPerson(world.app, wire, LAN)
    await lan.says("/start")
    await lan.presses(CONSENT_YES)
    await lan.sends_voice("AwACAgIAAx-voice-1", 3)
    assert last(wire).startswith("Bạn có thể gửi ghi âm ở bước kể lại việc làm")
    await lan.says("/report")
    await lan.presses(KIND_GOOD_DEED)
    await lan.sends_voice("AwACAgIAAx-voice-1", 3)
    said = [c.params["text"] for c in wire.sent("sendMessage", LAN)[-2:]]
    assert said[0].startswith("Bạn có thể gửi ghi âm ở bước kể lại việc làm")
    assert said[1].startswith("<b>Bước 2/12.</b>")
    state = await world.storage.dialogs.load("telegram", str(LAN))
    assert state is not None and state.step == "content" and "voice" not in state.data


async def told_by_voice(storage: Storage, ref: str, channel: str = "telegram",
                        published: bool = False) -> int:
    reporter = await person(storage, "777", "Bà Tư", channel=channel)
    story_id = await storage.stories.file(NewStory(
        submission_key=ref, reporter_id=reporter.id, channel=channel, campaign="thuong-xuyen",
        kind="good_deed", content="policy_law", movement=None, commune_code=30307,
        honoree_name="Nguyễn Văn An", honoree_role="nông dân", title="Sửa cầu khỉ",
        description="Xem ghi âm", event_date=date(2025, 9, 2), voice_ref=ref, voice_seconds=42,
    ), notify_reviewers=False)
    if published:
        async with storage.db.transaction() as tx:
            await tx.execute("UPDATE stories SET status = 'published', published_at = ?"
                             " WHERE id = ?", (soon().isoformat(), story_id))
    return story_id


async def test_the_reviewer_listens_to_the_voice_note_on_the_card(world: World) -> None:
    wire, storage = world.wire, world.storage
    story_id = await told_by_voice(storage, "AwACAgIAAx-voice-1")
    admin = TelegramPerson(world.app, wire, ADMIN, "Minh")
    await admin.says("/pending")
    await admin.presses(f"#{story_id} · Sửa cầu khỉ")
    [by_id] = wire.sent("sendVoice", ADMIN)
    assert by_id.params["voice"] == "AwACAgIAAx-voice-1", "before archiving: the file id"
    assert "🎙 <b>Ghi âm:</b> 1 (0:42) — người gửi kể bằng giọng nói" in last(wire, ADMIN)

    wire.files["AwACAgIAAx-voice-1"] = OGG
    assert await world.archive.run_once(soon()) == 1
    (item,) = await rows(storage, "SELECT state, digest FROM archived_media")
    assert item["state"] == "archived"
    stored = storage.voices.stored(item["digest"])
    assert stored is not None and stored.name == "voice.ogg" and stored.read_bytes() == OGG

    await admin.says("/pending")
    await admin.presses(f"#{story_id} · Sửa cầu khỉ")
    uploaded = wire.sent("sendVoice", ADMIN)[-1]
    assert uploaded.uploads["voice"] == OGG, "the archived copy is uploaded"


async def test_a_zalo_voice_note_is_taken_at_the_description_step(
    resident: ZaloPerson, storage: Storage,
) -> None:
    await resident.says("/start")
    await resident.says("1")
    await resident.picks("Để sau")
    for answer in ("/report", "1", "1", "long xuyen", "Nguyễn Văn An", "nông dân",
                   "Sửa cầu khỉ cho bà con"):
        await resident.says(answer)
    assert "Bạn có thể gửi một tin nhắn thoại (ghi âm) để kể lại." in resident.last[-1]
    said = await resident.sends_voice("https://f2-voice-aac-dl.zdn.vn/abc/v1.aac")
    assert said[0] == "🎙 Đã nhận ghi âm. Cảm ơn bạn!"
    assert "1. 🎙 Chỉ gửi ghi âm" in said[1]
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and state.step == "description"
    assert state.data["voice"] == {"ref": "https://f2-voice-aac-dl.zdn.vn/abc/v1.aac",
                                   "seconds": None}
    await resident.picks("Chỉ gửi ghi âm")
    for answer in ("02/09/2025",):
        await resident.says(answer)
    for option in ("Bỏ qua", "Bỏ qua", "Bỏ qua", "Không, giấu tên tôi"):
        await resident.picks(option)
    assert "Ghi âm: 1\n" in resident.last[0]


def test_a_zalo_oa_audio_message_is_a_voice_note() -> None:
    event = {"event_name": "user_send_audio", "sender": {"id": "u1"}, "timestamp": "1",
             "message": {"msg_id": "m1", "attachments": [
                 {"type": "audio", "payload": {"url": "https://z.example/v.m4a"}}]}}
    incoming = oa_incoming(event, "Bình")
    assert incoming is not None and incoming.voice == Voice("https://z.example/v.m4a")
    assert incoming.traits.voice


async def test_a_voice_note_is_archived_as_sent_refused_when_no_audio_and_never_published(
    world: World,
) -> None:
    storage = world.storage
    good = await told_by_voice(storage, "https://zalo.example/v1.aac", channel="zalo",
                               published=True)
    bad = await told_by_voice(storage, "https://zalo.example/page.html", channel="zalo")
    assert await world.archive.run_once(soon()) == 2
    kept, refused = await storage.voices.of_story(good), await storage.voices.of_story(bad)
    assert kept is not None and kept.state == "archived" and kept.digest is not None
    assert refused is not None and (refused.state, refused.error) == ("failed", "not_audio")
    stored = storage.voices.stored(kept.digest)
    assert stored is not None and (stored.name, stored.read_bytes()) == ("voice.aac", AAC)
    shown = await storage.public.get(good)
    assert shown is not None and shown.photos == (), "the gallery shows no voice note"
    assert await storage.public.photo(good, 0) is None, "nor serves its file"


async def test_erasure_removes_the_voice_note_even_of_a_published_story(world: World) -> None:
    storage = world.storage
    story_id = await told_by_voice(storage, "https://zalo.example/v1.aac", channel="zalo",
                                   published=True)
    await world.archive.run_once(soon())
    kept = await storage.voices.of_story(story_id)
    assert kept is not None and kept.digest is not None
    stored = storage.voices.stored(kept.digest)
    assert stored is not None and stored.exists()
    [reporter] = await rows(storage, "SELECT reporter_id FROM stories WHERE id = ?", story_id)

    await storage.erase_person(reporter["reporter_id"])
    await world.archive.run_once(soon())

    assert await storage.voices.of_story(story_id) is None
    assert await rows(storage, "SELECT * FROM archived_media") == []
    assert not stored.exists()
    story = await storage.stories.get(story_id)
    assert story is not None and story.status == "published"


async def test_a_console_is_not_told_about_voice_notes(chat: FakeChat) -> None:
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.says("/report")
    for step in ("Gương người tốt, việc tốt", "Chấp hành tốt chủ trương"):
        await chat.picks(step)
    for answer in ("long xuyen", "Nguyễn Văn An", "nông dân", "Sửa cầu khỉ cho bà con"):
        await chat.says(answer)
    assert "Kể lại việc làm đó" in chat.text and "tin nhắn thoại" not in chat.text
