"""The webhook server against hostile or repeated requests: bytes that are not UTF-8 in the secret
header, JSON nested too deep, and Telegram's retries of the same update_id."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.webhooks import build_web_app

ZALO_SECRET = "zalo-webhook-secret-0123456789"
TELEGRAM_SECRET = "telegram-webhook-secret-0123456789"
ROUTES = [
    ("/zalo/webhook", "X-Bot-Api-Secret-Token", ZALO_SECRET),
    ("/telegram/webhook", "X-Telegram-Bot-Api-Secret-Token", TELEGRAM_SECRET),
]


class Accepting:
    def __init__(self) -> None:
        self.zalo: list[dict[str, Any]] = []
        self.telegram: list[dict[str, Any]] = []

    async def accept_zalo(self, update: dict[str, Any]) -> None:
        self.zalo.append(update)

    async def accept_telegram(self, update: dict[str, Any]) -> None:
        self.telegram.append(update)


async def healthy() -> dict[str, Any]:
    return {"storage": "ok", "channels": {}}


def server(accepting: Accepting) -> TestServer:
    return TestServer(build_web_app(healthy, zalo=(ZALO_SECRET, accepting.accept_zalo),
                                    telegram=(TELEGRAM_SECRET, accepting.accept_telegram)))


async def raw_post(srv: TestServer, path: str, header: bytes, body: bytes) -> tuple[int, bytes]:
    """One request written byte by byte, so a header can carry bytes no client would send."""
    assert srv.port is not None
    reader, writer = await asyncio.open_connection("127.0.0.1", srv.port)
    request = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n"
               b"Content-Type: application/json\r\nConnection: close\r\n" + header + b"\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    writer.write(request)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), rest


@pytest.mark.parametrize(("path", "header", "secret"), ROUTES)
async def test_a_secret_header_with_bytes_that_are_not_utf8_is_refused_403(
    path: str, header: str, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    accepting = Accepting()
    async with server(accepting) as srv:
        for value in (secret.encode()[:-1] + b"\xff", b"\xc3\x28" + secret.encode()):
            status, body = await raw_post(srv, path, header.encode() + b": " + value,
                                          b'{"update_id": 1}')
            assert status == 403, body
            assert json.loads(body)["ok"] is False
    assert accepting.zalo == [] and accepting.telegram == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


@pytest.mark.parametrize(("path", "header", "secret"), ROUTES)
async def test_json_nested_too_deep_is_refused_400(
    path: str, header: str, secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    accepting = Accepting()
    deep = b'{"a": ' * 100_000 + b"1" + b"}" * 100_000
    async with TestClient(server(accepting)) as http:
        response = await http.post(path, data=deep, headers={
            header: secret, "Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["ok"] is False
    assert accepting.zalo == [] and accepting.telegram == []
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_telegram_retries_of_one_update_id_are_handled_once() -> None:
    accepting = Accepting()
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
               "Content-Type": "application/json"}
    first = {"update_id": 501, "message": {"message_id": 1, "text": "/start"}}
    second = {"update_id": 502, "message": {"message_id": 2, "text": "/help"}}
    async with TestClient(server(accepting)) as http:
        for update in (first, first, second, first, second):
            response = await http.post("/telegram/webhook", data=json.dumps(update),
                                       headers=headers)
            assert response.status == 200
            assert await response.json() == {"ok": True}
    assert accepting.telegram == [first, second]


async def test_an_update_the_channel_cannot_take_is_logged_in_one_line_not_a_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def refuse(update: dict[str, Any]) -> None:
        raise TypeError("not a Telegram update")

    app = build_web_app(healthy, telegram=(TELEGRAM_SECRET, refuse))
    async with TestClient(TestServer(app)) as http:
        response = await http.post("/telegram/webhook", data=b'{"update_id": "x"}', headers={
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
            "Content-Type": "application/json"})
        assert response.status == 200
        assert await response.json() == {"ok": False, "error": "update not taken"}
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.webhooks"]
    assert lines == ["webhook /telegram/webhook: update not taken (TypeError)"]
    assert not [r for r in caplog.records if r.exc_info]
