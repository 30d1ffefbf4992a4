"""Zalo as the platform really behaves: photos in `photo_url`, voice notes, both webhook body
shapes, odd payloads, and what each documented error code means for a send.

The fake platform (tests/fake_zalo.py) answers with the documented shapes; every assertion is on
what the fake received, what the sender raised, or what the SQLite file holds.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.zalo import ZaloChannel, ZaloClient, ZaloSender
from bot.dialog import Dialog
from bot.health import State
from bot.messages import DeliveryError, Reply
from bot.storage import Storage
from bot.webhooks import build_web_app
from tests.fake_zalo import FakeZalo, ZaloPerson, dumps, webhook_body

RESIDENT = "6012345678901234567"
PHOTO = "https://photo-stal-1.zdn.vn/abc/p1.jpg"
SECRET = "zalo-webhook-secret-0123456789"
VOICE_ELSEWHERE = (
    "Bạn có thể gửi ghi âm ở bước kể lại việc làm (khi bot hỏi “Kể lại việc làm đó”). Ở bước"
    " này, bạn vui lòng trả lời như bot hỏi."
)
PHOTO_RECEIVED = "Đã nhận ảnh 1/5. Gửi thêm hoặc chọn Xong."


@pytest.fixture
def resident(zalo: FakeZalo, polling: ZaloChannel) -> ZaloPerson:
    return ZaloPerson(zalo, polling, RESIDENT)


async def to_photo_step(person: ZaloPerson) -> None:
    """/start, consent, no reminders, and /report typed up to the photo step."""
    await person.says("/start")
    await person.says("1")
    await person.picks("Để sau")
    for answer in ("/report", "1", "1", "long xuyen", "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh",
                   "Sửa cầu khỉ cho bà con", "Ông An đã tự bỏ tiền và công sức sửa cây cầu khỉ"
                   " bắc qua kênh Xáng cho bà con đi lại.", "02/09/2025"):
        await person.says(answer)
    assert person.last[0].startswith("Bước 9/12. Gửi tối đa 5 ảnh minh họa")


# --- 11. photos arrive in photo_url -------------------------------------------------------------


async def test_a_picture_sent_on_zalo_is_kept_from_its_photo_url(
    resident: ZaloPerson, storage: Storage
) -> None:
    await to_photo_step(resident)
    said = await resident.sends_photo(PHOTO, caption="Cây cầu sau khi sửa")
    assert said[0].startswith(PHOTO_RECEIVED), said
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and state.data["photos"] == [PHOTO]


async def test_an_image_event_with_the_older_photo_field_is_still_read(
    resident: ZaloPerson, storage: Storage
) -> None:
    await to_photo_step(resident)
    said = await resident.send(resident.update("message.image.received", photo=PHOTO))
    assert said[0].startswith(PHOTO_RECEIVED), said
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and state.data["photos"] == [PHOTO]


# --- 13. voice notes, unknown events, both body shapes, odd payloads --------------------------


async def test_a_voice_note_at_the_photo_step_says_where_it_is_welcome_and_the_step_stays(
    resident: ZaloPerson, storage: Storage
) -> None:
    await to_photo_step(resident)
    said = await resident.sends_voice()
    assert said[0] == VOICE_ELSEWHERE
    assert said[1].startswith("Bước 9/12. Gửi tối đa 5 ảnh minh họa")
    state = await storage.dialogs.load("zalo", RESIDENT)
    assert state is not None and (state.step, state.data.get("photos", [])) == ("photos", [])


async def post(http: TestClient, body: bytes) -> int:
    headers = {"X-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    response = await http.post("/zalo/webhook", data=body, headers=headers)
    return response.status


async def healthy() -> dict[str, Any]:
    return {"storage": "ok", "channels": {"zalo": "webhook"}}


async def test_a_webhook_body_wrapped_in_ok_result_and_a_bare_one_are_both_answered(
    zalo: FakeZalo, client: ZaloClient, dialog: Dialog
) -> None:
    channel = ZaloChannel(client, dialog.handle)

    async def accept(update: dict[str, Any]) -> None:
        channel.accept(update)

    wrapped_person = ZaloPerson(zalo, channel, RESIDENT)
    bare_person = ZaloPerson(zalo, channel, "6098765432109876543")
    app = build_web_app(healthy, zalo=(SECRET, accept))
    async with TestClient(TestServer(app)) as http:
        assert await post(http, webhook_body(
            wrapped_person.update("message.text.received", text="/start"))) == 200
        assert await post(http, dumps(
            bare_person.update("message.text.received", text="/start"))) == 200
        await channel.drain()
    for person in (wrapped_person, bare_person):
        welcome = zalo.sent(person.user_id)
        assert len(welcome) == 3, welcome
        assert welcome[0].startswith("Xin chào, Trần Thị Bình! Đây là Gương Sáng")


@pytest.mark.parametrize("body", [
    {"ok": True, "result": {"event_name": "message.location.received",
                            "message": {"from": {"id": RESIDENT}, "chat": {"id": RESIDENT}}}},
    {"event_name": "user.follow", "follower": {"id": RESIDENT}},
    {"event_name": "message.text.received", "message": {"from": "someone", "chat": 42,
                                                        "text": "/start"}},
    {"event_name": "message.text.received", "message": {"from": {"id": RESIDENT},
                                                        "chat": {"id": RESIDENT}, "text": 7}},
    {"event_name": ["message.text.received"], "message": []},
    {"ok": True, "result": "nothing"},
    {},
])
async def test_unknown_events_and_odd_payloads_are_taken_without_error(
    zalo: FakeZalo, client: ZaloClient, dialog: Dialog, storage: Storage, body: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    channel = ZaloChannel(client, dialog.handle)

    async def accept(update: dict[str, Any]) -> None:
        channel.accept(update)

    app = build_web_app(healthy, zalo=(SECRET, accept))
    async with TestClient(TestServer(app)) as http:
        assert await post(http, json.dumps(body).encode()) == 200
        await channel.drain()
    assert not [r for r in caplog.records if r.exc_info], "a payload raised"
    sent = zalo.calls("sendMessage")
    assert all(call.ok for call in sent)
    assert len(sent) <= 3  # at most the welcome, when the text was readable as "7"


# --- 12. the documented error codes, and what a send makes of them ----------------------------


@pytest.mark.parametrize(("code", "meaning"), [
    (401, "channel_down"),
    (403, "retry"),
    (408, "retry"),
    (429, "back_off"),
    (500, "retry"),
    (400, "refused"),
])
async def test_each_zalo_error_code_means_what_the_platform_documents(
    zalo: FakeZalo, client: ZaloClient, code: int, meaning: str
) -> None:
    zalo.fail_next("sendMessage", 1, code)
    with pytest.raises(DeliveryError) as caught:
        await ZaloSender(client).send(RESIDENT, Reply("Xin chào"))
    (call,) = zalo.calls("sendMessage")
    assert call.status == code
    assert call.answer["ok"] is False and call.answer["error_code"] == code
    assert call.answer["description"]
    error = caught.value
    assert error.stopped is False, "a Zalo error never means the person blocked the bot"
    assert error.channel_down is (meaning == "channel_down")
    assert error.permanent is (meaning == "refused")
    assert (error.retry_after is not None and error.retry_after > 0) is (meaning == "back_off")
    assert error.window_closed is False


async def test_a_refused_token_while_polling_is_said_once_shown_unhealthy_then_polling_resumes(
    zalo: FakeZalo, client: ZaloClient, dialog: Dialog, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.fail_next("getUpdates", times=4, code=401)
    channel = ZaloChannel(client, dialog.handle, first_wait=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(stop, timeout=1))
    try:
        for _ in range(300):
            if len(zalo.calls("getUpdates")) >= 2:
                break
            await asyncio.sleep(0.01)
        assert channel.poll_state() == State(
            "retrying: ZaloApiError: 401 Unauthorized: invalid or expired token", ok=False)
        for _ in range(300):
            if len(zalo.calls("getUpdates")) >= 5:
                break
            await asyncio.sleep(0.01)
        person = ZaloPerson(zalo, channel, RESIDENT)
        said = await person.says("/start")
        assert said and said[0].startswith("Xin chào")
        assert channel.poll_state() == State("polling")
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=5)
        await channel.drain()
    failed = [r for r in caplog.records if "zalo getUpdates failed" in r.getMessage()]
    assert len(failed) == 1, "one line while it lasts, not one per try"
    assert any("zalo getUpdates works again after 4 failures" in r.getMessage()
               for r in caplog.records)
