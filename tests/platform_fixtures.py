"""Fixtures shared by the tests of the Zalo channels (a pytest plugin, loaded by conftest.py):
the fake Bot Platform with a client and a polling channel over the real dialog, and the fake
Official Account with the OA channel running against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import Storage
from tests.fake_zalo import FakeZalo
from tests.fake_zalo_oa import FakeOa, TravelClock
from tests.oa_harness import OaBot, start_oa


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot Platform, on a local port until the test ends."""
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def client(zalo: FakeZalo) -> AsyncIterator[ZaloClient]:
    """The bot's client of the fake platform."""
    api = ZaloClient(zalo.api_url, zalo.token, timeout=5.0)
    yield api
    await api.close()


@pytest.fixture
async def polling(client: ZaloClient, dialog: Dialog) -> AsyncIterator[ZaloChannel]:
    """ZaloChannel.poll running against the fake platform until the test ends."""
    channel = ZaloChannel(client, dialog.handle)
    stop = asyncio.Event()
    task = asyncio.create_task(channel.poll(stop, timeout=1))
    yield channel
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    await channel.drain()
    assert channel.state == "stopped"


@pytest.fixture
async def oa() -> AsyncIterator[FakeOa]:
    """The fake Zalo Official Account platform, its clock movable."""
    async with FakeOa(TravelClock()) as fake:
        yield fake


@pytest.fixture
async def bot(settings: Settings, storage: Storage, dialog: Dialog, oa: FakeOa
              ) -> AsyncIterator[OaBot]:
    """The OA channel over the real dialog, authorised, until the test ends."""
    running = await start_oa(settings, storage, dialog, oa, oa.grant())
    yield running
    await running.stop()
