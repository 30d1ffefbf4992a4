"""`python -m bot run` with a Zalo OA: the webhook and /healthz served by the real app, the
channel's state shown; and the OA settings, each refused in one line naming the variable."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

import bot.app as app_module
from bot.app import configured_channels, run_bot
from bot.config import ConfigError, Settings, load_settings
from bot.storage import open_storage
from tests.fake_zalo_oa import FakeOa
from tests.oa_harness import oa_settings
from tests.ports import unused_port

USER = "6012345678901234567"




async def _until(check: object, timeout: float = 10.0) -> None:
    async def poll() -> None:
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_run_serves_the_oa_webhook_and_healthz_says_when_it_needs_reauthorisation(
    oa: FakeOa, settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    stop = asyncio.Event()
    monkeypatch.setattr(app_module, "_stop_event", lambda: stop)
    port = unused_port()
    configured = oa_settings(settings, oa, http_port=port,
                             zalo_oa_refresh_token=SecretStr(oa.grant()))
    assert configured_channels(configured) == ["zalo_oa"]
    running = asyncio.create_task(run_bot(configured))
    base = f"http://127.0.0.1:{port}"
    oa.webhook_url = f"{base}/zalo-oa/webhook"
    oa.profiles[USER] = "Trần Thị Bình"
    try:
        async with aiohttp.ClientSession() as http:
            async def health() -> dict[str, object] | None:
                try:
                    async with http.get(f"{base}/healthz") as response:
                        return dict(await response.json())
                except aiohttp.ClientError:
                    return None

            async def up() -> bool:
                return await health() is not None

            await _until(up)
            assert await health() == {
                "storage": "ok", "channels": {"zalo_oa": "webhook"},
                "tasks": {"zalo_oa": "webhook", "engine": "running", "scheduler": "running",
                          "archive": "running", "duplicates": "running"}}
            assert await oa.deliver(oa.event("follow", USER)) == 200

            async def welcomed() -> bool:
                return len(oa.texts(USER)) == 3

            await _until(welcomed)

            oa.refresh.clear()  # the refresh token dies (revoked by the OA admin)
            oa.revoke_access()
            assert await oa.deliver(oa.event("user_send_text", USER, message={
                "msg_id": "m2", "text": "/help"})) == 200

            async def down() -> bool:
                report = await health()
                return report is not None and report["channels"] == {
                    "zalo_oa": "needs re-authorisation"}

            await _until(down)
            assert len(oa.texts(USER)) == 3
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=15)
    storage = await open_storage(configured.database_path)
    try:
        rows = await storage.db.fetchall("SELECT channel, chat_id, template FROM outbox")
        assert [tuple(r) for r in rows] == [("telegram", "9001", "zalo_oa.reauth_needed")]
    finally:
        await storage.close()


@pytest.mark.parametrize(("environ", "line"), [
    ({"ZALO_OA_APP_ID": "1"}, "Invalid setting ZALO_OA_APP_SECRET: required when"
                              " ZALO_OA_APP_ID is set"),
    ({"ZALO_OA_APP_ID": "1", "ZALO_OA_APP_SECRET": "s"},
     "Invalid setting ZALO_OA_SECRET_KEY: required when ZALO_OA_APP_ID is set"),
    ({"ZALO_OA_APP_ID": "1", "ZALO_OA_APP_SECRET": "s", "ZALO_OA_SECRET_KEY": "k",
      "ZALO_OA_WEBHOOK_URL": "http://gs.example/zalo-oa/webhook"},
     "Invalid setting ZALO_OA_WEBHOOK_URL: must start with https://"),
    ({"ZALO_OA_TEMPLATES": "notify.status"},
     "Invalid setting ZALO_OA_TEMPLATES: expected kind=template_id, got 'notify.status'"),
    ({"ZALO_OA_TEMPLATES": "{notify.status"},
     "Invalid setting ZALO_OA_TEMPLATES: not a JSON object of notice kind to template id"),
    ({"ZALO_OA_SIGNATURE": "app_id+hmac"}, "Invalid setting ZALO_OA_SIGNATURE: unknown reading"
                                           " 'app_id+hmac'; use app_id+secret_key,"
                                           " app_id+app_secret, oa_id+secret_key,"
                                           " oa_id+app_secret"),
    ({"ZALO_OA_WINDOW_HOURS": "200"}, "Invalid setting ZALO_OA_WINDOW_HOURS: Input should be"
                                      " less than or equal to 168"),
    ({"ZALO_OA_TEMPLATE_RECIPIENT": "phone"}, "Invalid setting ZALO_OA_TEMPLATE_RECIPIENT:"),
])
def test_a_bad_oa_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], line: str,
) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        load_settings(_env_file=None)
    assert str(raised.value).startswith(line) and "\n" not in str(raised.value)


def test_the_oa_settings_read_templates_both_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("ZALO_OA_TEMPLATES", '{"notify.status": 123456}')
    assert load_settings(_env_file=None).zalo_oa_templates == {"notify.status": "123456"}
    monkeypatch.setenv("ZALO_OA_TEMPLATES", "notify.status=1, notify.needs_changes=2")
    settings = load_settings(_env_file=None)
    assert settings.zalo_oa_templates == {"notify.status": "1", "notify.needs_changes": "2"}
    assert settings.zalo_oa_signature == ("app_id+secret_key", "app_id+app_secret")
    assert (settings.zalo_oa_window_hours, settings.zalo_oa_buttons, settings.zalo_oa_pkce) == (
        168.0, 5, True)
    assert configured_channels(settings) == []


def test_every_oa_setting_is_in_env_example_and_the_readme() -> None:
    project = Path(__file__).resolve().parent.parent
    example = (project / ".env.example").read_text(encoding="utf-8")
    readme = (project / "README.md").read_text(encoding="utf-8")
    names = [n.upper() for n in Settings.model_fields if n.startswith("zalo_oa_")]
    assert len(names) == 15
    for name in names:
        assert f"\n{name}=" in example, name
        assert f"`{name}`" in readme, name
