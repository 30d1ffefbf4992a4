"""The OA channel wired to the fake platform: settings, a running webhook server, people on the OA.

`start_oa` builds the real channel from settings (bot.channels.zalo_oa_app.build_zalo_oa) over
the test's storage and dialog, serves its webhook on 127.0.0.1 and points the fake at it. An
`OaPerson` follows, types, taps buttons (sending the button's payload as the platform does),
sends photos, pins and the info form, and reads what the fake platform accepted for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from bot.channels.zalo_oa import ZaloOaChannel
from bot.channels.zalo_oa_app import build_zalo_oa
from bot.config import Settings
from bot.dialog import Dialog
from bot.storage import Storage
from bot.webhooks import build_web_app
from tests.fake_zalo_oa import APP_ID, APP_SECRET, SECRET_KEY, FakeOa

__all__ = ["OaBot", "OaPerson", "oa_settings", "start_oa"]


def oa_settings(settings: Settings, oa: FakeOa, **overrides: Any) -> Settings:
    """The test settings with a Zalo OA configured against the fake platform."""
    return settings.model_copy(update={
        "zalo_oa_app_id": APP_ID, "zalo_oa_app_secret": SecretStr(APP_SECRET),
        "zalo_oa_secret_key": SecretStr(SECRET_KEY),
        "zalo_oa_webhook_url": "https://guongsang.example/zalo-oa/webhook",
        "zalo_oa_api_url": oa.url, "zalo_oa_oauth_url": oa.url, **overrides,
    })


@dataclass
class OaBot:
    """A running OA channel: its webhook server, and what /healthz would say of it."""

    channel: ZaloOaChannel
    server: TestServer
    states: dict[str, str] = field(default_factory=dict)

    async def stop(self) -> None:
        """Finish what is being answered, close the server and the HTTP clients."""
        await self.channel.drain()
        await self.server.close()
        await self.channel.close()


async def start_oa(settings: Settings, storage: Storage, dialog: Dialog, oa: FakeOa,
                   refresh_token: str | None = None, **overrides: Any) -> OaBot:
    """Build the channel as `python -m bot run` does, seed its token, replay, serve the webhook."""
    configured = oa_settings(settings, oa, **overrides)
    states: dict[str, str] = {}
    channel, handler = build_zalo_oa(configured, storage.db, dialog.handle, clock=oa.clock,
                                     on_state=lambda s: states.__setitem__("zalo_oa", s))
    await channel.keeper.seed(refresh_token)
    states["zalo_oa"] = channel.state
    await channel.replay()

    async def health() -> dict[str, Any]:
        return {"storage": "ok", "channels": dict(states)}

    server = TestServer(build_web_app(health, zalo_oa=handler), host="127.0.0.1")
    await server.start_server()
    oa.webhook_url = str(server.make_url("/zalo-oa/webhook"))
    return OaBot(channel, server, states)


class OaPerson:
    """Someone on Zalo chatting with the Official Account."""

    def __init__(self, oa: FakeOa, bot: OaBot, user_id: str, name: str = "Trần Thị Bình") -> None:
        self.oa, self.bot, self.user_id = oa, bot, user_id
        oa.profiles[user_id] = name
        self.last: list[dict[str, Any]] = []

    async def send(self, event: dict[str, Any]) -> list[str]:
        """Deliver an event; wait until it was answered; the texts this person received."""
        before = len(self.oa.messages(self.user_id))
        status = await self.oa.deliver(event)
        assert status == 200, status
        await self.bot.channel.drain()
        self.last = self.oa.messages(self.user_id)[before:]
        return [m["text"] for m in self.last if "text" in m]

    def _message(self, **message: Any) -> dict[str, Any]:
        return {"msg_id": self.oa.message_id(), **message}

    async def says(self, text: str) -> list[str]:
        """Type a message."""
        return await self.send(self.oa.event("user_send_text", self.user_id,
                                             message=self._message(text=text)))

    async def follows(self) -> list[str]:
        """Follow the OA."""
        return await self.send(self.oa.event("follow", self.user_id))

    async def unfollows(self) -> list[str]:
        """Unfollow the OA."""
        return await self.send(self.oa.event("unfollow", self.user_id))

    async def sends_photo(self, url: str) -> list[str]:
        """Send a picture: the platform gives its URL."""
        attachment = {"type": "image", "payload": {"thumbnail": url, "url": url}}
        return await self.send(self.oa.event("user_send_image", self.user_id, message=self._message(
            text="", attachments=[attachment])))

    async def sends_file(self, url: str, name: str, size: object) -> list[str]:
        """Send a file: the platform gives its URL, name and size."""
        attachment = {"type": "file", "payload": {"url": url, "name": name, "size": size}}
        return await self.send(self.oa.event("user_send_file", self.user_id, message=self._message(
            attachments=[attachment])))

    async def sends_location(self, latitude: float, longitude: float) -> list[str]:
        """Share a map pin (coordinates come as strings)."""
        pin = {"coordinates": {"latitude": str(latitude), "longitude": str(longitude)}}
        return await self.send(self.oa.event("user_send_location", self.user_id,
                                             message=self._message(attachments=[
                                                 {"type": "location", "payload": pin}])))

    async def sends_sticker(self) -> list[str]:
        """Send a sticker."""
        sticker = {"type": "sticker", "payload": {"id": "stk1", "url": "https://z.example/s.png"}}
        return await self.send(self.oa.event("user_send_sticker", self.user_id,
                                             message=self._message(attachments=[sticker])))

    async def submits_info(self, phone: str, name: str = "Trần Thị Bình") -> list[str]:
        """Send the OA's information form."""
        info = {"name": name, "phone": phone, "address": "ấp Mỹ Thạnh", "city": "An Giang"}
        return await self.send(self.oa.event("user_submit_info", self.user_id, info=info))

    def buttons(self) -> list[dict[str, Any]]:
        """The buttons under the last message that had any."""
        for message in reversed(self.last):
            payload = (message.get("attachment") or {}).get("payload") or {}
            if "buttons" in payload:
                return list(payload["buttons"])
        return []

    def titles(self) -> list[str]:
        """The titles of those buttons."""
        return [b["title"] for b in self.buttons()]

    async def taps(self, label: str) -> list[str]:
        """Tap the button whose title contains `label`: the platform sends its payload as text."""
        for button in self.buttons():
            if label in button["title"]:
                assert button["type"] == "oa.query.hide"
                return await self.says(button["payload"])
        raise AssertionError(f"no button {label!r} in {self.titles()}")

    def option(self, label: str) -> str:
        """The number of the numbered line containing `label` in the last messages."""
        for message in reversed(self.last):
            for line in str(message.get("text", "")).splitlines():
                number, dot, rest = line.partition(". ")
                if dot and number.isdecimal() and label in rest:
                    return number
        raise AssertionError(f"no numbered option {label!r} in {self.last!r}")

    async def picks(self, label: str) -> list[str]:
        """Tap the button, or type the number where options came as numbered lines."""
        if any(label in title for title in self.titles()):
            return await self.taps(label)
        return await self.says(self.option(label))
