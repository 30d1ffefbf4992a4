"""Shared fixtures: settings over a temporary database, storage, the dialog core, a fake channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels.telegram import build_application
from bot.config import Settings
from bot.dialog import Dialog
from bot.messages import ChannelTraits, Contact, Incoming, Location, Reply, plain_text
from bot.storage import Storage, open_storage
from tests.wire import TOKEN, RecordingRequest

pytest_plugins = ["tests.platform_fixtures"]

NUMBERED = ChannelTraits(buttons=False, max_text=2000, max_caption=2000, can_request_contact=False,
                         can_request_location=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "test.sqlite3"


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=db_path, admin_ids=(9001,))  # type: ignore[call-arg]


@pytest.fixture
async def storage(settings: Settings) -> AsyncIterator[Storage]:
    store = await open_storage(settings.database_path)
    yield store
    await store.close()


@pytest.fixture
def dialog(storage: Storage, settings: Settings) -> Dialog:
    return Dialog(storage, settings)


TelegramApp = tuple[Any, RecordingRequest]


async def start_telegram(
    settings: Settings, dialog: Dialog, wire: RecordingRequest | None = None, **overrides: Any
) -> TelegramApp:
    """The real python-telegram-bot Application over a recording wire, initialised."""
    wire = wire if wire is not None else RecordingRequest()
    tg_settings = settings.model_copy(
        update={"telegram_bot_token": SecretStr(TOKEN), **overrides}
    )
    app = build_application(tg_settings, dialog, request=wire, rate_limit=False)
    await app.initialize()
    return app, wire


@pytest.fixture
async def tg(dialog: Dialog, settings: Settings) -> AsyncIterator[TelegramApp]:
    """The Telegram application with only the Bot API wire faked: (app, wire)."""
    app, wire = await start_telegram(settings, dialog)
    yield app, wire
    await app.shutdown()


class FakeChat:
    """A person on a channel without buttons: types text and numbers, reads plain replies."""

    def __init__(self, dialog: Dialog, user_id: str = "u1", name: str = "Trần Thị Bình",
                 channel: str = "fake", traits: ChannelTraits = NUMBERED,
                 username: str | None = None) -> None:
        self.dialog, self.user_id, self.name = dialog, user_id, name
        self.channel, self.traits, self.username = channel, traits, username
        self.replies: list[Reply] = []
        self.now: datetime | None = None

    async def _send(self, **content: Any) -> list[Reply]:
        incoming = Incoming(self.channel, self.user_id, self.user_id, self.traits,
                            display_name=self.name, username=self.username, **content)
        self.replies = await self.dialog.handle(incoming, self.now or datetime.now(UTC))
        return self.replies

    async def says(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            head, *args = text.split()
            return await self._send(command=head[1:], args=tuple(args))
        return await self._send(text=text)

    async def picks(self, label: str) -> list[Reply]:
        """Type the number of the option whose label contains `label`."""
        options = [plain_text(c.label) for r in self.replies for c in r.flat_choices()]
        for number, option in enumerate(options, start=1):
            if label in option:
                return await self.says(str(number))
        raise AssertionError(f"no option {label!r} in {options}")

    async def photo(self, ref: str) -> list[Reply]:
        return await self._send(photos=(ref,))

    async def location(self, lat: float, lon: float) -> list[Reply]:
        return await self._send(location=Location(lat, lon))

    async def contact(self, phone: str, own: bool = True) -> list[Reply]:
        return await self._send(contact=Contact(phone, own))

    async def sticker(self) -> list[Reply]:
        return await self._send(unsupported="sticker")

    @property
    def text(self) -> str:
        """Everything the bot just said, as plain text."""
        return "\n".join(plain_text(r.text) for r in self.replies)

    def options(self) -> list[str]:
        return [plain_text(c.label) for r in self.replies for c in r.flat_choices()]


@pytest.fixture
def chat(dialog: Dialog) -> FakeChat:
    return FakeChat(dialog)


GOOD_DESCRIPTION = (
    "Ông Nguyễn Văn An đã tự bỏ tiền và công sức sửa cây cầu khỉ bắc qua kênh Xáng, "
    "giúp hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày."
)


async def file_report(chat: FakeChat, title: str = "Sửa cầu khỉ cho bà con ấp Mỹ Thạnh") -> str:
    """Walk the whole report from /start to #id; return what the bot said last."""
    await chat.says("/start")
    await chat.picks("Tôi đồng ý")
    await chat.says("/report")
    await chat.picks("Gương người tốt, việc tốt")
    await chat.picks("Chấp hành tốt chủ trương")
    await chat.says("long xuyen")
    await chat.says("Nguyễn Văn An")
    await chat.says("nông dân ấp Mỹ Thạnh")
    await chat.says(title)
    await chat.says(GOOD_DESCRIPTION)
    await chat.says("02/09/2025")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Bỏ qua")
    await chat.picks("Không, giấu tên tôi")
    await chat.picks("Gửi")
    return chat.text

