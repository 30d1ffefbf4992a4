"""The OA's tokens: refreshed ahead of expiry, one refresh at a time (tasks and processes racing
never lose the single-use refresh token), saved before use, a refusal told to the admins once
and shown by /healthz, and `python -m bot zalo-oa authorize` with PKCE."""

from __future__ import annotations

import asyncio
import io
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.channels.zalo_oa_api import OaApi
from bot.channels.zalo_oa_auth import authorize, challenge_of
from bot.channels.zalo_oa_send import ZaloOaSender
from bot.channels.zalo_oa_tokens import NEEDS_REAUTH, ReauthNeeded, TokenKeeper
from bot.config import Settings
from bot.messages import DeliveryError, Reply
from bot.storage import Storage, open_storage
from bot.storage.zalo_oa import ZaloOaStore
from tests.fake_zalo_oa import APP_ID, APP_SECRET, FakeOa
from tests.oa_harness import oa_settings

PROJECT = Path(__file__).resolve().parent.parent
USER = "6012345678901234567"
REDIRECT = "https://guongsang.example/zalo-oa/callback"


@pytest.fixture
async def api(oa: FakeOa) -> AsyncIterator[OaApi]:
    client = OaApi(APP_ID, APP_SECRET, api_url=oa.url, oauth_url=oa.url, timeout=5.0)
    yield client
    await client.close()


def keeper(storage: Storage, api: OaApi, oa: FakeOa, **options: Any) -> TokenKeeper:
    return TokenKeeper(ZaloOaStore(storage.db), api, clock=oa.clock, **options)


async def stored(storage: Storage) -> dict[str, Any]:
    row = await storage.db.fetchone("SELECT * FROM zalo_oa_tokens")
    assert row is not None
    return dict(row)


async def test_two_tasks_asking_at_once_share_one_refresh(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    tokens = keeper(storage, api, oa)
    await tokens.seed(oa.grant())
    oa.refresh_delay = 0.05
    first, second = await asyncio.gather(tokens.access_token(), tokens.access_token())
    assert first == second and first in oa.access
    assert [r.error for r in oa.refreshes()] == [0]
    row = await stored(storage)
    assert row["refresh_token"] in oa.refresh and row["state"] == "ok"


async def test_two_processes_refreshing_at_once_never_lose_the_refresh_token(
    oa: FakeOa, api: OaApi, storage: Storage, db_path: Path,
) -> None:
    """Two processes over one database file (each its own connection and keeper)."""
    await keeper(storage, api, oa).seed(oa.grant())
    other = await open_storage(db_path)
    try:
        oa.refresh_delay = 0.1  # the second asks while the first one's refresh is in flight
        one, two = keeper(storage, api, oa, poll=0.01), keeper(other, api, oa, poll=0.01)
        got = await asyncio.gather(one.access_token(), two.access_token())
        assert got[0] == got[1] and got[0] in oa.access
        assert [r.error for r in oa.refreshes()] == [0]  # one refresh, never a spent token
        oa.clock.travel(hours=24, minutes=30)  # both due again, both ask again
        got = await asyncio.gather(two.access_token(), one.access_token())
        # One refreshes; the other keeps the old token for its last half hour meanwhile.
        assert all(token in oa.access for token in got)
        assert [r.error for r in oa.refreshes()] == [0, 0]
        assert await one.access_token() == await two.access_token() == max(
            oa.access, key=oa.access.__getitem__)
        row = await stored(storage)
        assert row["refresh_token"] in oa.refresh and row["state"] == "ok"
        assert row["lease_until"] is None
    finally:
        await other.close()


async def test_a_refresh_interrupted_before_it_was_sent_is_taken_over_when_its_lease_lapses(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    seed = oa.grant()
    tokens = keeper(storage, api, oa, lease=timedelta(seconds=30), poll=0.01)
    await tokens.seed(seed)
    now = oa.clock()
    assert await tokens.store.claim(seed, now, now + timedelta(seconds=30))  # then it died
    oa.clock.travel(seconds=31)
    assert await tokens.access_token() in oa.access
    assert [r.body["refresh_token"] for r in oa.refreshes()] == [seed]


async def test_a_refused_refresh_keeps_the_token_tells_the_admins_once_and_shows_in_health(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    admin = await storage.people.get_or_create("telegram", "9001", "vi")
    await storage.people.set_role(admin, "admin")
    oa_admin = await storage.people.get_or_create("zalo_oa", "777", "vi")
    await storage.people.set_role(oa_admin, "admin")
    states: dict[str, str] = {}
    tokens = keeper(storage, api, oa, admin_chats=[("telegram", "9001"), ("telegram", "42")],
                    on_state=lambda s: states.__setitem__("zalo_oa", s))
    dead = "rt-spent-elsewhere"  # e.g. used by a copy of the bot on another machine
    await tokens.seed(dead)

    for _ in range(2):
        with pytest.raises(ReauthNeeded):
            await tokens.access_token()
    assert states == {"zalo_oa": NEEDS_REAUTH} and tokens.state == NEEDS_REAUTH
    row = await stored(storage)
    assert (row["refresh_token"], row["state"]) == (dead, "needs_reauth")
    assert row["error"].startswith("-14014")
    assert len(oa.refreshes()) == 1  # not asked again once refused
    alerts = await storage.db.fetchall(
        "SELECT channel, chat_id, template, params FROM outbox WHERE kind = 'message' ORDER BY id")
    assert [(r["channel"], r["chat_id"], r["template"]) for r in alerts] == [
        ("telegram", "9001", "zalo_oa.reauth_needed"), ("telegram", "42", "zalo_oa.reauth_needed")]

    sender = ZaloOaSender(api, tokens, tokens.store, clock=oa.clock)
    await tokens.store.seen(USER, oa.clock())
    mark = len(oa.requests)
    with pytest.raises(DeliveryError) as raised:
        await sender.send(USER, Reply("Câu chuyện #1 đã được duyệt."))
    assert raised.value.channel_down and not raised.value.stopped
    assert oa.requests[mark:] == []


async def test_a_refresh_that_cannot_reach_zalo_keeps_everything_and_tries_again(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    seed = oa.grant()
    tokens = keeper(storage, api, oa)
    await tokens.seed(seed)
    first = await tokens.access_token()
    oa.clock.travel(hours=24, minutes=30)  # due for a refresh, still valid for 30 minutes
    oa.oauth_down = 1
    assert await tokens.access_token() == first  # still valid: used while Zalo is away
    row = await stored(storage)
    assert row["state"] == "ok" and row["refresh_token"] in oa.refresh
    assert await tokens.access_token() != first  # Zalo is back: refreshed
    assert [r.status for r in oa.refreshes()] == [200, 503, 200]
    assert await storage.db.fetchall("SELECT * FROM outbox") == []


async def test_the_seed_is_used_once_and_again_only_after_the_pair_was_refused(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    seed = oa.grant()
    tokens = keeper(storage, api, oa)
    await tokens.seed(seed)
    await tokens.access_token()
    live = (await stored(storage))["refresh_token"]
    await tokens.seed(seed)  # a restart with the same settings
    assert (await stored(storage))["refresh_token"] == live
    assert await tokens.store.refused(live, "-14014 revoked", oa.clock())
    await tokens.seed(seed)  # the same (spent) seed is not stored over it
    assert (await stored(storage))["refresh_token"] == live
    fresh = oa.grant()
    await tokens.seed(fresh)  # an operator put a new one in the settings
    assert (await stored(storage))["refresh_token"] == fresh
    assert await tokens.access_token() in oa.access


async def test_a_refused_access_token_is_refreshed_once_then_the_channel_is_down(
    oa: FakeOa, api: OaApi, storage: Storage,
) -> None:
    tokens = keeper(storage, api, oa)
    await tokens.seed(oa.grant())
    sender = ZaloOaSender(api, tokens, tokens.store, clock=oa.clock)
    await tokens.store.seen(USER, oa.clock())
    oa.interacts(USER)
    await sender.send(USER, Reply("một"))
    oa.revoke_access()
    await sender.send(USER, Reply("hai"))
    assert [(r.path.rsplit("/", 1)[-1], r.error) for r in oa.requests[-3:]] == [
        ("cs", -216), ("access_token", 0), ("cs", 0)]
    oa.fail_next("message/cs", -216, -216)
    with pytest.raises(DeliveryError) as raised:
        await sender.send(USER, Reply("ba"))
    assert raised.value.channel_down
    assert [(r.path.rsplit("/", 1)[-1], r.error) for r in oa.requests[-3:]] == [
        ("cs", -216), ("access_token", 0), ("cs", -216)]
    assert oa.texts(USER) == ["một", "hai"]


# --- python -m bot zalo-oa authorize ------------------------------------------------------------


async def test_authorize_prints_the_link_with_pkce_and_saves_the_pair_from_the_pasted_address(
    oa: FakeOa, settings: Settings, storage: Storage,
) -> None:
    configured = oa_settings(settings, oa, zalo_oa_redirect_url=REDIRECT)
    first = io.StringIO()
    assert await authorize(configured, io.StringIO("\n"), first) == 2  # nothing pasted
    verifier = (await storage.db.fetchone("SELECT code_verifier FROM zalo_oa_pkce"))[0]
    assert len(verifier) == 43
    challenge = challenge_of(verifier)
    link = next(line for line in first.getvalue().splitlines() if line.startswith("http"))
    assert link.startswith(f"{oa.url}/v4/oa/permission?app_id={APP_ID}&redirect_uri=")
    assert f"&code_challenge={challenge}&state=" in link
    state = link.rsplit("state=", 1)[1]

    code = oa.consent(challenge)
    pasted = f"{REDIRECT}?code={code}&oa_id=2496711230432341234&state={state}\n"
    out = io.StringIO()
    assert await authorize(configured, io.StringIO(pasted), out) == 0
    row = await stored(storage)
    assert row["access_token"] in oa.access and row["refresh_token"] in oa.refresh
    assert row["state"] == "ok"
    exchange = oa.calls("access_token")[-1]
    assert exchange.body == {"code": code, "app_id": APP_ID, "grant_type": "authorization_code",
                             "code_verifier": verifier}
    assert exchange.headers["secret_key"] == APP_SECRET
    text = first.getvalue() + out.getvalue()
    assert "Authorised" in out.getvalue()
    for secret in (row["access_token"], row["refresh_token"], APP_SECRET, verifier):
        assert secret not in text
    # The verifier stays (its challenge may be saved in the app console): the same link.
    again = io.StringIO()
    await authorize(configured, io.StringIO(f"{REDIRECT}?code=x&state=other\n"), again)
    assert f"&code_challenge={challenge}&" in again.getvalue()
    assert "another permission link" in again.getvalue()
    assert (await stored(storage))["access_token"] == row["access_token"]
    renewed = io.StringIO()
    assert await authorize(configured, io.StringIO("\n"), renewed, renew=True) == 2
    assert challenge not in renewed.getvalue() and "code_challenge=" in renewed.getvalue()


async def test_authorize_without_pkce_and_with_a_refused_code(
    oa: FakeOa, settings: Settings, storage: Storage,
) -> None:
    configured = oa_settings(settings, oa, zalo_oa_redirect_url=REDIRECT, zalo_oa_pkce=False)
    out = io.StringIO()
    assert await authorize(configured, io.StringIO(), out, code="code-never-issued") == 2
    assert "Zalo refused the code" in out.getvalue() and "code_challenge" not in out.getvalue()
    assert await storage.db.fetchone("SELECT * FROM zalo_oa_tokens") is None
    code = oa.consent()
    assert await authorize(configured, io.StringIO(), io.StringIO(), code=code) == 0
    assert "code_verifier" not in oa.calls("access_token")[-1].body
    assert (await stored(storage))["access_token"] in oa.access


async def test_the_authorize_command_runs_from_the_command_line(
    oa: FakeOa, settings: Settings, tmp_path: Path,
) -> None:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    configured = oa_settings(settings, oa, zalo_oa_redirect_url=REDIRECT)
    for name, value in configured.model_dump().items():
        if name.startswith("zalo_oa_") and value is not None and not isinstance(value, dict):
            plain = value.get_secret_value() if isinstance(value, SecretStr) else value
            plain = ",".join(plain) if isinstance(plain, tuple) else plain
            environ[name.upper()] = str(plain).lower() if isinstance(plain, bool) else str(plain)
    environ.update(DATABASE_PATH=str(tmp_path / "cli.sqlite3"), PYTHONIOENCODING="utf-8")
    code = oa.consent()  # the stored challenge is unknown to the fake here: no PKCE check
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "zalo-oa", "authorize", "--code", code, cwd=PROJECT,
        env=environ, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert "Authorised: the tokens are saved" in stdout.decode()
    assert APP_SECRET not in stdout.decode() + stderr.decode()
    cli = await open_storage(tmp_path / "cli.sqlite3")
    try:
        tokens = await ZaloOaStore(cli.db).tokens()
        assert tokens is not None and tokens.access_token in oa.access
    finally:
        await cli.close()
