"""Sending on the OA within its rules: each refusal the platform documents becomes the
DeliveryError flag the outbox and broadcast engine act on; the window is checked before sending;
templates outside it; buttons where they fit, numbered lines where not; text under 2,000."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from bot.broadcast import BroadcastEngine
from bot.channels.zalo_oa_api import OaApi
from bot.channels.zalo_oa_send import OaOptions, ZaloOaSender, render
from bot.channels.zalo_oa_tokens import TokenKeeper
from bot.config import Settings
from bot.content.calendar import calendar
from bot.dialog import Dialog
from bot.messages import Choice, DeliveryError, Notice, Reply
from bot.scheduler import Reminders
from bot.storage import Storage
from bot.storage.zalo_oa import ZaloOaStore
from tests.fake_zalo_oa import APP_ID, APP_SECRET, FakeOa
from tests.oa_harness import OaBot, OaPerson, start_oa

USER = "6012345678901234567"
NOTICE = Notice("notify.status", (("id", "1"), ("title", "Sửa cầu khỉ"), ("status", "Đã duyệt")))


@pytest.fixture
async def api(oa: FakeOa) -> AsyncIterator[OaApi]:
    client = OaApi(APP_ID, APP_SECRET, api_url=oa.url, oauth_url=oa.url, timeout=5.0)
    yield client
    await client.close()


async def sender_for(storage: Storage, api: OaApi, oa: FakeOa, **options: Any) -> ZaloOaSender:
    """A sender with a fresh token, to a user who wrote a minute ago."""
    keeper = TokenKeeper(ZaloOaStore(storage.db), api, clock=oa.clock)
    await keeper.seed(oa.grant())
    await keeper.store.seen(USER, oa.clock() - timedelta(minutes=1))
    oa.interacts(USER)
    return ZaloOaSender(api, keeper, keeper.store, OaOptions(**options), clock=oa.clock)


@pytest.mark.parametrize(("code", "flag"), [
    (-230, "window_closed"), (-232, "window_closed"), (-213, "stopped"), (-32, "retry_after"),
    (-201, "permanent"), (-211, "transient"), (-234, "transient"),
])
async def test_each_documented_refusal_raises_the_flag_that_fits(
    oa: FakeOa, api: OaApi, storage: Storage, code: int, flag: str,
) -> None:
    sender = await sender_for(storage, api, oa)
    oa.fail_next("message/cs", code)
    with pytest.raises(DeliveryError) as raised:
        await sender.send(USER, Reply("Câu chuyện #1 đã được duyệt."))
    error = raised.value
    flags = {"window_closed": error.window_closed, "stopped": error.stopped,
             "retry_after": error.retry_after is not None, "channel_down": error.channel_down}
    assert {k for k, v in flags.items() if v} == ({flag} if flag in flags else set())
    if flag == "retry_after":
        assert error.retry_after == 60.0 and not error.permanent
    if flag in ("window_closed", "transient"):
        assert not error.permanent
    if flag in ("stopped", "permanent"):
        assert error.permanent
    assert str(code) in error.reason
    user = await ZaloOaStore(storage.db).user(USER)
    assert user.unfollowed is (code == -213)  # a non-follower gets nothing more until they write


async def test_a_platform_that_cannot_be_reached_is_a_transient_failure(
    oa: FakeOa, storage: Storage,
) -> None:
    gone = OaApi(APP_ID, APP_SECRET, api_url="http://127.0.0.1:9", oauth_url=oa.url, timeout=2)
    try:
        sender = await sender_for(storage, gone, oa)
        with pytest.raises(DeliveryError) as raised:
            await sender.send(USER, Reply("Xin chào"))
        assert not raised.value.permanent and raised.value.reason == "zalo_oa: ConnectError"
    finally:
        await gone.close()


async def test_outside_the_window_nothing_is_posted_unless_a_template_is_configured(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    oa.templates["tpl-status"] = ("id", "title", "status")
    sender = await sender_for(storage, api, oa, window=timedelta(hours=48),
                              templates={"notify.status": "tpl-status"})
    oa.clock.travel(days=3)  # inside the platform's 7 days, outside the 48 h configured
    mark = len(oa.requests)
    for reply in (Reply("Tin nhắc ngày lễ"), Reply("x", notice=Notice("notify.needs_changes"))):
        with pytest.raises(DeliveryError) as raised:
            await sender.send(USER, reply)
        assert raised.value.window_closed and not raised.value.permanent
    assert oa.requests[mark:] == []

    assert await sender.send(USER, Reply("Câu chuyện #1 đã được duyệt.", notice=NOTICE))
    (call,) = [r for r in oa.requests[mark:] if not r.path.endswith("access_token")]
    assert call.path == "/v3.0/oa/message/template" and call.error == 0
    assert call.body == {"template_id": "tpl-status", "user_id": USER, "template_data": {
        "id": "1", "title": "Sửa cầu khỉ", "status": "Đã duyệt"}}


async def test_the_template_recipient_can_be_sent_the_other_documented_way(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    oa.templates["tpl-status"] = ("id",)
    sender = await sender_for(storage, api, oa, templates={"notify.status": "tpl-status"},
                              template_recipient="recipient")
    oa.clock.travel(days=8)
    await sender.send(USER, Reply("…", notice=NOTICE))
    assert oa.calls("message/template")[-1].body["recipient"] == {"user_id": USER}
    assert "user_id" not in oa.calls("message/template")[-1].body


async def test_a_person_who_never_wrote_is_outside_the_window(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    sender = await sender_for(storage, api, oa)
    mark = len(oa.requests)
    with pytest.raises(DeliveryError) as raised:
        await sender.send("6000000000000000000", Reply("Xin chào"))
    assert raised.value.window_closed and oa.requests[mark:] == []


# --- drawing a reply --------------------------------------------------------------------------


def _choices(*labels: str) -> tuple[tuple[Choice, ...], ...]:
    return tuple((Choice(label, f"n0nce123:{i}"),) for i, label in enumerate(labels))


def test_options_are_buttons_when_they_fit_and_numbered_lines_when_not() -> None:
    three = Reply("Bạn chọn gì?", choices=_choices("Một", "Hai", "<b>Ba</b>"))
    assert render(three, 5, numbered=True) == [{"text": "Bạn chọn gì?", "attachment": {
        "type": "template", "payload": {"buttons": [
            {"title": "1. Một", "type": "oa.query.hide", "payload": "#n0nce123:0"},
            {"title": "2. Hai", "type": "oa.query.hide", "payload": "#n0nce123:1"},
            {"title": "3. Ba", "type": "oa.query.hide", "payload": "#n0nce123:2"}]}}}]
    six = Reply("Chọn:", choices=_choices(*"ABCDEF"))
    assert render(six, 5, numbered=True) == [
        {"text": "Chọn:\n\n1. A\n2. B\n3. C\n4. D\n5. E\n6. F"}]
    assert render(six, 5, numbered=False) == [{"text": "Chọn:"}]  # outside the conversation
    long = Reply("Chọn:", choices=_choices("x" * 101, "Bỏ qua"))
    assert render(long, 5, numbered=True) == [{"text": f"Chọn:\n\n1. {'x' * 101}\n2. Bỏ qua"}]
    assert render(three, 0, numbered=True) == [{"text": "Bạn chọn gì?\n\n1. Một\n2. Hai\n3. Ba"}]


def test_long_text_is_split_under_2000_with_the_buttons_on_the_last_part_after_the_photos(
) -> None:
    paragraph = "Ông An sửa cầu khỉ cho bà con đi lại an toàn mỗi ngày. " * 20
    reply = Reply("\n\n".join([paragraph.strip()] * 4), choices=_choices("Xong"),
                  photos=("https://zalo.example/a.jpg", "AgACAgIAAxkBAAI-telegram-file-id"))
    messages = render(reply, 5, numbered=True)
    assert messages[0] == {"attachment": {"type": "template", "payload": {
        "template_type": "media",
        "elements": [{"media_type": "image", "url": "https://zalo.example/a.jpg"}]}}}
    texts = [m["text"] for m in messages[1:]]
    assert len(texts) == 4 and all(0 < len(t) <= 2000 for t in texts)  # one per paragraph
    assert " ".join(texts).split() == reply.text.split()
    assert ["attachment" in m for m in messages[1:]] == [False, False, False, True]


async def test_the_fake_platform_accepts_everything_drawn(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    sender = await sender_for(storage, api, oa)
    reply = Reply("Chọn:\n\n" + "Câu chuyện hay. " * 200, choices=_choices("Một", "Hai"),
                  photos=("https://zalo.example/a.jpg",))
    assert await sender.answer(USER, reply)
    assert [r.error for r in oa.calls("message/cs")] == [0, 0, 0, 0]


# --- a reminder to OA subscribers: inside the window sent with a working button; outside not ---


async def test_a_reminder_reaches_subscribers_inside_the_window_only_and_its_button_works(
    oa: FakeOa, settings: Settings, storage: Storage, dialog: Dialog,
) -> None:
    bot: OaBot = await start_oa(settings, storage, dialog, oa, oa.grant())
    try:
        near, far = OaPerson(oa, bot, USER), OaPerson(oa, bot, "6098765432109876543", "Lan")
        for person in (far, near):
            await person.follows()
            await person.taps("Tôi đồng ý")
            await person.taps("Nhận cả hai")
            if person is far:
                oa.clock.travel(days=8)  # `far` wrote eight days ago, `near` just now
        reminders = Reminders(storage, calendar(), settings.tz, settings.reminder_time, 3)
        (broadcast,) = await reminders.send_due(date(2026, 4, 30))
        mark = len(oa.requests)
        engine = BroadcastEngine(storage, {"zalo_oa": bot.channel.sender}, 91, rate=None,
                                 per_chat=0.0)
        await engine.pump()
        await engine.drain()

        sent = [r.body for r in oa.requests[mark:]]
        assert [b["recipient"]["user_id"] for b in sent] == [USER]  # never posted to `far`
        message = sent[0]["message"]
        assert message["text"].startswith("🇻🇳 51 năm Ngày giải phóng miền Nam")
        assert message["attachment"]["payload"]["buttons"] == [
            {"title": "🔕 Ngừng nhận tin này", "type": "oa.query.hide",
             "payload": "#unsub:anniversaries"}]
        rows = await storage.db.fetchall(
            "SELECT p.external_id, d.status, d.error FROM deliveries d JOIN people p"
            " ON p.id = d.person_id WHERE d.broadcast_id = ? ORDER BY p.external_id",
            (broadcast,))
        by_user = {r["external_id"]: (r["status"], r["error"]) for r in rows}
        assert by_user[USER] == ("sent", None)
        assert by_user[far.user_id][0] != "sent"
        assert "interaction window" in by_user[far.user_id][1]

        near.last = [message]
        assert await near.taps("Ngừng nhận") == [
            "Đã ngừng nhận: Nhắc ngày lễ lớn."]
        who = await storage.people.find("zalo_oa", USER)
        assert who is not None
        assert await storage.broadcasts.topics(who.id) == {"stories"}
    finally:
        await bot.stop()
