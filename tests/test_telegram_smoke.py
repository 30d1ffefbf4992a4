"""The real python-telegram-bot Application, wire faked: /start shows the welcome and consent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.dialog import Dialog
from tests.wire import TOKEN, RecordingRequest, TelegramPerson


@pytest.fixture
async def tg(dialog: Dialog, settings: Settings) -> AsyncIterator[tuple[Any, RecordingRequest]]:
    wire = RecordingRequest()
    tg_settings = settings.model_copy(update={"telegram_bot_token": TOKEN})
    from pydantic import SecretStr

    tg_settings.telegram_bot_token = SecretStr(TOKEN)
    app = build_application(tg_settings, dialog, request=wire, rate_limit=False)
    await app.initialize()
    yield app, wire
    await app.shutdown()


async def test_start_sends_welcome_privacy_and_consent_buttons(tg: tuple[Any, RecordingRequest]) -> None:
    app, wire = tg
    lan = TelegramPerson(app, wire, 4242)
    await lan.says("/start")
    texts = [c.params["text"] for c in wire.sent("sendMessage", 4242)]
    assert "Gương Sáng" in texts[0]
    assert all(c.params["parse_mode"] == "HTML" for c in wire.sent("sendMessage", 4242))
    assert lan.buttons() == ["✅ Tôi đồng ý", "Không đồng ý"]
    await lan.presses("✅ Tôi đồng ý")
    assert wire.sent("answerCallbackQuery")
    assert "Cảm ơn" in wire.last_text(4242)
