"""POST /zalo-oa/webhook: only authentic, recent events are taken; each is answered 200 at once,
kept in the database, handled once in the background (across restarts), replayed after a crash;
and each documented event becomes the right Incoming."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from bot.channels.zalo_oa import to_incoming
from bot.config import Settings
from bot.dialog import Dialog
from bot.messages import Contact, DeliveryError, Incoming, Location, Reply
from bot.storage import Storage
from tests.fake_zalo_oa import APP_ID, APP_SECRET, OA_ID, SECRET_KEY, FakeOa
from tests.oa_harness import OaBot, OaPerson, start_oa

USER = "6012345678901234567"
STALE = "Nút này thuộc một tin nhắn cũ và không còn dùng được."
CONSENT = "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?"


async def nothing_changed(storage: Storage, oa: FakeOa) -> None:
    """No event kept, nobody known, nothing sent."""
    assert await storage.db.fetchall("SELECT * FROM zalo_oa_events") == []
    assert await storage.db.fetchall("SELECT * FROM people") == []
    assert await storage.db.fetchall("SELECT * FROM zalo_oa_users") == []
    assert oa.calls("message/cs") == []


async def test_what_is_not_an_authentic_recent_event_is_refused_and_changes_nothing(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    text = oa.event("user_send_text", USER, message={"msg_id": "m1", "text": "/start"})
    raw = json.dumps(text).encode()
    stamp = text["timestamp"]
    old = {**text, "timestamp": str(int(stamp) - 14 * 3600 * 1000)}  # 14 h ago (limit 13 h)
    ahead = {**text, "timestamp": str(int(stamp) + 3600 * 1000)}
    untimed = {k: v for k, v in text.items() if k != "timestamp"}
    by_other_app = oa.sign(raw, stamp, app_id="1111111111111111111")
    cases: list[tuple[str, dict[str, Any], dict[str, Any], int]] = [
        ("no signature", text, {"signature": ""}, 401),
        ("a wrong signature", text, {"signature": "mac=" + "0" * 64}, 403),
        ("a signature of another body", text, {"signature": oa.sign(b"{}", stamp)}, 403),
        ("another app's id", text, {"signature": by_other_app, "raw": raw}, 403),
        ("a body that is not JSON", text, {"raw": b'{"event_name": "user_se'}, 400),
        ("a JSON list", text, {"raw": b"[1, 2]"}, 400),
        ("an old timestamp", old, {}, 403),
        ("a timestamp an hour ahead", ahead, {}, 403),
        ("no timestamp", untimed, {}, 400),
    ]
    for name, event, how, status in cases:
        assert await oa.deliver(event, **how) == status, name
    await bot.channel.drain()
    await nothing_changed(storage, oa)

    # Authentic and recent, but not for the bot: acknowledged (no retries), nothing changes.
    for event in (oa.event("user_seen_message", USER, message={"msg_ids": ["m0"]}),
                  oa.event("oa_send_text", OA_ID, message={"msg_id": "m2", "text": "hi"}),
                  oa.event("user_click_chatnow", USER)):
        assert await oa.deliver(event) == 200
    await bot.channel.drain()
    await nothing_changed(storage, oa)


async def test_an_event_is_answered_200_before_it_is_handled_and_a_retry_is_handled_once(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog,
) -> None:
    gate = asyncio.Event()  # the dialog waits until the platform has its answer

    async def handle(incoming: Incoming) -> list[Reply]:
        await gate.wait()
        return await dialog.handle(incoming)

    gated = Dialog(storage, settings)
    gated.handle = handle  # type: ignore[method-assign]
    bot = await start_oa(settings, storage, gated, oa, oa.grant())
    try:
        event = oa.event("user_send_text", USER, message={"msg_id": "m1", "text": "/start"})
        assert await asyncio.wait_for(oa.deliver(event), timeout=2) == 200
        assert oa.calls("message/cs") == []  # answered before the dialog ran
        rows = await storage.db.fetchall("SELECT key, body IS NOT NULL FROM zalo_oa_events")
        assert [tuple(r) for r in rows] == [("msg:m1", 1)]  # kept until answered
        gate.set()
        await bot.channel.drain()
        assert oa.texts(USER)[-1] == CONSENT
        sent = len(oa.calls("message/cs"))

        assert await oa.deliver(event) == 200  # the platform retries the same message
        await bot.channel.drain()
        assert len(oa.calls("message/cs")) == sent
    finally:
        await bot.stop()

    # After a restart, the same message is still recognised.
    bot = await start_oa(settings, storage, dialog, oa)
    try:
        assert await oa.deliver(event) == 200
        await bot.channel.drain()
        assert len(oa.calls("message/cs")) == sent
        rows = await storage.db.fetchall("SELECT key, body FROM zalo_oa_events")
        assert [tuple(r) for r in rows] == [("msg:m1", None)]  # the text itself is not kept
    finally:
        await bot.stop()


async def test_a_person_s_messages_are_answered_in_the_order_they_came(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    """The first message waits for the person's profile; the second must not overtake it."""
    oa.profiles[USER] = "Trần Thị Bình"
    oa.detail_delays = [0.3]
    for text in ("/start", "1"):  # "1": the first option of the consent question
        event = oa.event("user_send_text", USER, message={"msg_id": oa.message_id(),
                                                          "text": text})
        assert await oa.deliver(event) == 200
    await bot.channel.drain()
    assert oa.texts(USER)[2] == CONSENT
    assert oa.texts(USER)[3].startswith("Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng.")
    who = await storage.people.find("zalo_oa", USER)
    assert who is not None and who.consent is True


async def test_an_event_taken_just_before_a_crash_is_answered_after_the_restart(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog,
) -> None:
    async def never(incoming: Incoming) -> list[Reply]:
        await asyncio.Event().wait()
        return []

    dying = Dialog(storage, settings)
    dying.handle = never  # type: ignore[method-assign]
    bot = await start_oa(settings, storage, dying, oa, oa.grant())
    # The token is fresh before the crash: a crash in the middle of a refresh holds the lease
    # for its full minute (tests/test_zalo_oa_tokens.py), which is not what this test is about.
    await bot.channel.keeper.access_token()
    event = oa.event("follow", USER)
    assert await oa.deliver(event) == 200
    for task in list(bot.channel._tasks):  # the process dies with the event in hand
        task.cancel()
    await bot.stop()
    assert oa.calls("message/cs") == []

    bot = await start_oa(settings, storage, dialog, oa)
    try:
        await bot.channel.drain()
        assert oa.texts(USER)[-1] == CONSENT
        assert len(oa.texts(USER)) == 3
        rows = await storage.db.fetchall("SELECT body FROM zalo_oa_events")
        assert [r["body"] for r in rows] == [None]
    finally:
        await bot.stop()


async def test_upkeep_refreshes_ahead_of_expiry_and_forgets_old_event_keys(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    async def upkeep() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(bot.channel.maintain(stop, every=0.01))
        await asyncio.sleep(0.05)
        stop.set()
        await running

    person = OaPerson(oa, bot, USER)
    await person.follows()
    refreshed = len(oa.refreshes())
    oa.clock.travel(hours=24, minutes=30)
    await upkeep()
    assert len(oa.refreshes()) == refreshed + 1  # renewed with no message to send
    oa.clock.travel(hours=2)  # the follow is now 26.5 hours old: twice the 13 h accepted
    await person.says("/help")
    await upkeep()
    rows = await storage.db.fetchall("SELECT key FROM zalo_oa_events")
    assert len(rows) == 1 and rows[0]["key"].startswith("msg:")  # only the /help


async def test_events_that_come_while_the_oa_needs_reauthorisation_are_answered_after_it(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    oa.refresh.clear()  # the app was removed from the OA: its refresh token is dead
    await bot.channel.keeper.access_token_quietly()
    assert bot.states == {"zalo_oa": "needs re-authorisation"}
    assert await oa.deliver(oa.event("follow", USER)) == 200
    await bot.channel.drain()
    assert oa.calls("message/cs") == []
    rows = await storage.db.fetchall("SELECT body IS NOT NULL AS kept FROM zalo_oa_events")
    assert [r["kept"] for r in rows] == [1]

    # An OA admin grants the app again (`python -m bot zalo-oa authorize`, another process).
    await bot.channel.store.authorised("", oa.grant(), oa.clock(), oa.clock())
    stop = asyncio.Event()
    upkeep = asyncio.create_task(bot.channel.maintain(stop, every=0.01))
    await asyncio.sleep(0.05)
    stop.set()
    await upkeep
    await bot.channel.drain()
    assert bot.states == {"zalo_oa": "webhook"}
    assert len(oa.texts(USER)) == 3 and oa.texts(USER)[-1] == CONSENT  # answered once
    rows = await storage.db.fetchall("SELECT body FROM zalo_oa_events")
    assert [r["body"] for r in rows] == [None]


@pytest.mark.parametrize(("key", "reading", "accepted"), [
    (SECRET_KEY, "app_id+secret_key", True),
    (APP_SECRET, "app_id+secret_key", False),
    (APP_SECRET, "app_id+app_secret", True),
    (SECRET_KEY, "oa_id+secret_key", False),
])
async def test_the_signature_readings_accepted_are_the_ones_configured(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog, key: str, reading: str,
    accepted: bool, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo_oa_webhook")
    oa.key = key
    bot = await start_oa(settings, storage, dialog, oa, oa.grant(),
                         zalo_oa_signature=(reading,))
    try:
        status = await oa.deliver(oa.event("follow", USER))
        await bot.channel.drain()
    finally:
        await bot.stop()
    assert status == (200 if accepted else 403)
    assert bool(oa.texts(USER)) is accepted


async def test_the_oa_id_first_reading_when_configured(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog,
) -> None:
    bot = await start_oa(settings, storage, dialog, oa, oa.grant(),
                         zalo_oa_signature=("oa_id+secret_key",))
    try:
        event = oa.event("user_send_text", USER, message={"msg_id": "m1", "text": "/start"})
        raw = json.dumps(event).encode()
        by_app = oa.sign(raw, event["timestamp"])
        assert await oa.deliver(event, raw=raw, signature=by_app) == 403
        by_oa = oa.sign(raw, event["timestamp"], app_id=OA_ID)
        assert await oa.deliver(event, raw=raw, signature=by_oa.upper().replace("MAC=", "")) == 200
        await bot.channel.drain()
    finally:
        await bot.stop()
    assert oa.texts(USER)[-1] == CONSENT


async def test_by_default_both_key_readings_pass_and_the_one_seen_is_logged(
    oa: FakeOa, bot: OaBot, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.zalo_oa_webhook")
    oa.key = APP_SECRET
    assert await oa.deliver(oa.event("follow", USER)) == 200
    oa.key = SECRET_KEY
    assert await oa.deliver(oa.event("follow", "6098765432109876543")) == 200
    await bot.channel.drain()
    logged = [r.getMessage() for r in caplog.records if "signature matched" in r.getMessage()]
    assert logged == ["zalo_oa webhook signature matched the reading app_id+app_secret;"
                      " ZALO_OA_SIGNATURE=app_id+app_secret accepts only it"]
    for record in caplog.records:
        assert APP_SECRET not in record.getMessage() and SECRET_KEY not in record.getMessage()


async def test_an_unfollow_stops_deliveries_until_the_person_writes_again(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    person = OaPerson(oa, bot, USER)
    await person.follows()
    await person.taps("Tôi đồng ý")
    assert await person.unfollows() == []
    who = await storage.people.find("zalo_oa", USER)
    assert who is not None and who.stopped
    mark = len(oa.requests)
    with pytest.raises(DeliveryError) as raised:
        await bot.channel.sender.send(USER, Reply("Tin nhắc"))
    assert raised.value.stopped and raised.value.permanent
    assert oa.requests[mark:] == []

    said = await person.follows()
    assert said and said[0].startswith("Chào mừng bạn trở lại")
    who = await storage.people.find("zalo_oa", USER)
    assert who is not None and not who.stopped
    await bot.channel.sender.send(USER, Reply("Tin nhắc"))
    assert oa.texts(USER)[-1] == "Tin nhắc"


async def test_a_button_of_an_earlier_question_is_refused_and_changes_nothing(
    oa: FakeOa, bot: OaBot, storage: Storage,
) -> None:
    person = OaPerson(oa, bot, USER)
    await person.follows()
    old = person.buttons()
    await person.taps("Tôi đồng ý")
    person.last = [{"text": "", "attachment": {"payload": {"buttons": old}}}]
    said = await person.taps("Không, để sau")  # a tap on the consent question, answered already
    assert said[0].startswith(STALE + "\n\n")
    who = await storage.people.find("zalo_oa", USER)
    assert who is not None and who.consent is True


# --- each documented event, as Incoming -------------------------------------------------------


def _event(name: str, **fields: Any) -> dict[str, Any]:
    return {"app_id": APP_ID, "event_name": name, "sender": {"id": USER},
            "recipient": {"id": OA_ID}, "timestamp": "1760000000000", **fields}


@pytest.mark.parametrize(("event", "expected"), [
    (_event("user_send_text", message={"msg_id": "1", "text": "Nguyễn Văn An"}),
     {"text": "Nguyễn Văn An"}),
    (_event("user_send_text", message={"msg_id": "1", "text": "/Report long xuyen"}),
     {"command": "report", "args": ("long", "xuyen")}),
    (_event("user_send_text", message={"msg_id": "1", "text": "#Ab3dE_fG:2"}),
     {"callback": "Ab3dE_fG:2"}),
    (_event("user_send_text", message={"msg_id": "1", "text": "#unsub:anniversaries"}),
     {"callback": "unsub:anniversaries"}),
    (_event("user_send_text", message={"msg_id": "1", "text": "#12 rất hay"}),
     {"text": "#12 rất hay"}),
    (_event("user_send_image", message={"msg_id": "1", "attachments": [
        {"type": "image", "payload": {"url": "https://z.example/a.jpg"}},
        {"type": "image", "payload": {"url": "https://z.example/b.jpg"}}]}),
     {"photos": ("https://z.example/a.jpg", "https://z.example/b.jpg")}),
    (_event("user_send_location", message={"msg_id": "1", "attachments": [
        {"type": "location", "payload": {"coordinates": {"latitude": "10.3759",
                                                         "longitude": "105.4185"}}}]}),
     {"location": Location(10.3759, 105.4185)}),
    (_event("user_send_location", message={"msg_id": "1", "location": {
        "latitude": "10.5", "longitude": "105.1"}}),
     {"location": Location(10.5, 105.1)}),
    (_event("user_send_location", message={"msg_id": "1", "attachments": [
        {"type": "location", "payload": {"coordinates": {"latitude": "91", "longitude": "0"}}}]}),
     {"unsupported": "location"}),
    (_event("user_send_audio", message={"msg_id": "1", "attachments": [{"type": "audio"}]}),
     {"unsupported": "voice"}),
    (_event("user_send_sticker", message={"msg_id": "1"}), {"unsupported": "sticker"}),
    (_event("user_send_file", message={"msg_id": "1"}), {"unsupported": "document"}),
    (_event("user_submit_info", info={"name": "Bình", "phone": "0912345678"}),
     {"contact": Contact("0912345678")}),
    (_event("user_submit_info", info={"name": "Bình"}), {"unsupported": "info"}),
    ({"oa_id": OA_ID, "follower": {"id": USER}, "event_name": "follow",
      "timestamp": "1760000000000"}, {"command": "start"}),
])
def test_each_documented_event_becomes_the_right_incoming(
    event: dict[str, Any], expected: dict[str, Any],
) -> None:
    incoming = to_incoming(event, "Bình")
    assert incoming is not None
    assert (incoming.channel, incoming.chat_id, incoming.user_id, incoming.display_name) == (
        "zalo_oa", USER, USER, "Bình")
    for name, value in expected.items():
        assert getattr(incoming, name) == value, name
    others = {"text": None, "command": None, "callback": None, "photos": (), "location": None,
              "contact": None, "unsupported": None}
    for name, empty in others.items():
        if name not in expected:
            assert getattr(incoming, name) == empty, name


@pytest.mark.parametrize("event", [
    {"oa_id": OA_ID, "follower": {"id": USER}, "event_name": "unfollow", "timestamp": "1"},
    _event("oa_send_text", message={"msg_id": "1", "text": "echo"}),
    _event("user_seen_message", message={"msg_ids": ["1"]}),
    {"event_name": "user_send_text", "message": {"msg_id": "1", "text": "no sender"}},
])
def test_what_the_bot_does_not_answer_is_no_incoming(event: dict[str, Any]) -> None:
    assert to_incoming(event) is None
