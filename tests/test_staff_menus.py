"""Reviewers and admins see every command they have in their phone's menu (issue 12, item 10):
a menu of their own chat (BotCommandScopeChat), set through the outbox when their role changes
(granted, revoked, an ADMIN_IDS admin's first message), when they change language, and for every
staff member at start; in their language; never for anyone else."""

from __future__ import annotations

import asyncio
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels import telegram
from bot.config import Settings
from bot.content import catalogue
from bot.delivery import OutboxWorker
from bot.dialog import Dialog
from bot.handlers import COMMANDS
from bot.menus import ADMIN, EVERYONE, REVIEWER
from bot.storage import Storage, open_storage
from tests.conftest import FakeChat, TelegramApp
from tests.senders import member
from tests.wire import TOKEN, Call, RecordingRequest, TelegramPerson

BOOTSTRAP_ADMIN, REVIEWER_ID, CITIZEN_ID = 9001, 5151, 6161
REFUSED = "Bot_command_description_invalid"  # python-telegram-bot's rendering of the 400


def worker(app: Any, storage: Storage) -> OutboxWorker:
    return OutboxWorker(storage, {"telegram": app.bot_data["sender"]}, 91)


def menus(wire: RecordingRequest, method: str = "setMyCommands") -> list[Call]:
    """The menu calls made for one chat's own menu (scope 'chat')."""
    return [c for c in wire.sent(method) if (c.params.get("scope") or {}).get("type") == "chat"]


def menu_of(call: Call) -> dict[str, str]:
    return {c["command"]: c["description"] for c in call.params["commands"]}


async def people_of_the_town(app: Any, wire: RecordingRequest) -> dict[str, TelegramPerson]:
    town = {"admin": TelegramPerson(app, wire, BOOTSTRAP_ADMIN, "Minh", "Trần"),
            "reviewer": TelegramPerson(app, wire, REVIEWER_ID, "Bình", "Lê"),
            "citizen": TelegramPerson(app, wire, CITIZEN_ID, "Chi", "Võ")}
    for person in town.values():
        await person.says("/start")
        await person.presses("✅ Tôi đồng ý")
    return town


async def test_a_granted_reviewer_gets_the_review_commands_in_their_own_menu_only(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    town = await people_of_the_town(app, wire)
    await town["admin"].says(f"/grant {REVIEWER_ID} reviewer long_xuyen")
    assert wire.last_text(BOOTSTRAP_ADMIN).startswith("Đã giao")
    assert menus(wire) == []  # queued, not sent from the handler

    await worker(app, storage).run_once()

    calls = menus(wire)
    assert [c.params["scope"] for c in calls] == [
        {"type": "chat", "chat_id": BOOTSTRAP_ADMIN}, {"type": "chat", "chat_id": REVIEWER_ID}]
    admin_menu, reviewer_menu = (menu_of(c) for c in calls)
    assert list(reviewer_menu) == [*EVERYONE, *REVIEWER]
    assert list(admin_menu) == [*EVERYONE, *REVIEWER, *ADMIN]
    assert reviewer_menu["pending"] == "Câu chuyện chờ duyệt"
    assert reviewer_menu["report"] == "Kể một gương sáng"
    assert admin_menu["broadcast"] == "Gửi tin tới một nhóm người"
    assert not {"grant", "ban", "broadcast"} & set(reviewer_menu)
    assert all("language_code" not in c.params for c in calls)
    assert len(wire.sent("setMyCommands")) == 2  # nothing for the citizen, no global change
    assert wire.sent("deleteMyCommands") == []


async def test_a_revoked_reviewer_goes_back_to_everyones_menu(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    town = await people_of_the_town(app, wire)
    await town["admin"].says(f"/grant {REVIEWER_ID} reviewer long_xuyen")
    await worker(app, storage).run_once()

    await town["admin"].says(f"/revoke {REVIEWER_ID}")
    await worker(app, storage).run_once()

    (deleted,) = menus(wire, "deleteMyCommands")
    assert deleted.params["scope"] == {"type": "chat", "chat_id": REVIEWER_ID}
    assert len(menus(wire)) == 2  # no new menu was set


async def test_an_admin_from_admin_ids_gets_the_admin_menu_at_their_first_message(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    await TelegramPerson(app, wire, BOOTSTRAP_ADMIN, "Minh", "Trần").says("/help")
    await worker(app, storage).run_once()
    (call,) = menus(wire)
    assert call.params["scope"] == {"type": "chat", "chat_id": BOOTSTRAP_ADMIN}
    assert {"grant", "revoke", "reviewers", "broadcast", "pending", "stats"} <= set(menu_of(call))

    await TelegramPerson(app, wire, BOOTSTRAP_ADMIN, "Minh", "Trần").says("/help")
    await worker(app, storage).run_once()
    assert len(menus(wire)) == 1  # already an admin: nothing queued again


async def test_an_admin_taken_off_admin_ids_loses_the_admin_menu_at_their_next_message(
    tg: TelegramApp, dialog: Dialog, storage: Storage
) -> None:
    app, wire = tg
    admin = TelegramPerson(app, wire, BOOTSTRAP_ADMIN, "Minh", "Trần")
    await admin.says("/help")
    await worker(app, storage).run_once()
    assert len(menus(wire)) == 1

    dialog.settings = dialog.settings.model_copy(update={"admin_ids": ()})
    await admin.says("/help")
    await worker(app, storage).run_once()

    (deleted,) = menus(wire, "deleteMyCommands")
    assert deleted.params["scope"] == {"type": "chat", "chat_id": BOOTSTRAP_ADMIN}


async def test_the_menu_speaks_the_reviewers_language_and_follows_a_switch(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    town = await people_of_the_town(app, wire)
    await town["reviewer"].says("/language en")
    await town["admin"].says(f"/grant {REVIEWER_ID} reviewer all")
    await worker(app, storage).run_once()
    english = menu_of(menus(wire)[-1])
    assert english["pending"] == "Stories waiting for review"
    assert english["report"] == "Tell a bright example"

    await town["reviewer"].says("/language vi")
    await town["citizen"].says("/language en")  # a citizen's switch sets no menu
    await worker(app, storage).run_once()
    calls = menus(wire)
    assert calls[-1].params["scope"] == {"type": "chat", "chat_id": REVIEWER_ID}
    assert menu_of(calls[-1])["pending"] == "Câu chuyện chờ duyệt"
    assert CITIZEN_ID not in [c.params["scope"]["chat_id"] for c in calls]


async def test_staff_on_a_channel_without_menus_queue_nothing(
    storage: Storage, dialog: Dialog
) -> None:
    await member(storage, "admin", role="admin")
    await member(storage, "r1")
    admin = FakeChat(dialog, "admin")
    await admin.says("/grant fake:r1 reviewer long_xuyen")
    assert admin.text.startswith("Đã giao")
    await admin.says("/language en")
    assert await storage.db.fetchall("SELECT * FROM outbox WHERE kind = 'menu'") == []


async def test_a_refused_menu_is_recorded_and_does_not_stop_the_messages(
    tg: TelegramApp, storage: Storage
) -> None:
    app, wire = tg
    wire.failures["setMyCommands"] = (400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    town = await people_of_the_town(app, wire)
    await town["admin"].says(f"/grant {REVIEWER_ID} reviewer long_xuyen")

    assert await worker(app, storage).run_once() == 2

    rows = await storage.db.fetchall(
        "SELECT status, last_error FROM outbox WHERE kind = 'menu' ORDER BY id")
    assert [tuple(r) for r in rows] == [
        ("failed", REFUSED), ("failed", REFUSED)]


def test_every_menu_command_is_one_the_bot_answers_and_telegram_accepts() -> None:
    listed = EVERYONE + REVIEWER + ADMIN
    assert len(listed) == len(set(listed)) <= 100
    for name in listed:
        assert name in COMMANDS, f"/{name} is in a menu but the bot does not answer it"
        assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
        for language in ("vi", "en"):
            description = catalogue(language).t(f"commands.{name}")
            assert 1 <= len(description) <= 256
    assert telegram.MENU == EVERYONE  # everyone's menu is the start of the staff's


async def test_at_start_every_reviewer_and_admin_gets_their_menu(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bot.sqlite3"
    setup = await open_storage(path)
    for external, role in (("5151", "reviewer"), ("9002", "admin"), ("6161", "citizen")):
        person = await setup.people.get_or_create("telegram", external, "vi")
        if role != "citizen":
            await setup.roles.grant(person.id, role, (0,))
    zalo_reviewer = await setup.people.get_or_create("zalo", "z-1", "vi")
    await setup.roles.grant(zalo_reviewer.id, "reviewer", (0,))
    async with setup.db.transaction() as tx:  # as if those were set long ago
        await tx.execute("UPDATE outbox SET status = 'sent'")
    await setup.close()

    wire = RecordingRequest()
    monkeypatch.setattr(telegram, "build_application", partial(
        telegram.build_application, request=wire, rate_limit=False))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=path, telegram_bot_token=SecretStr(TOKEN))
    from bot.app import run_bot

    stop = asyncio.Event()
    bot = asyncio.create_task(run_bot(settings, stop))
    for _ in range(250):
        if len(menus(wire)) >= 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await bot

    scopes = sorted(c.params["scope"]["chat_id"] for c in menus(wire))
    assert scopes == [5151, 9002]
    assert len([c for c in wire.sent("setMyCommands") if "scope" not in c.params]) == 2
