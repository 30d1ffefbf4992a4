"""What an operator sees when the start goes wrong: the real `python -m bot` in a subprocess, a
bad setting or database path named in one line, a refused token never printed, network failures
retried with one line per attempt, and never a hang."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.storage import migrations
from tests.fake_zalo import FakeZalo
from tests.ports import unused_port

PROJECT = Path(__file__).resolve().parent.parent
VARIABLES = [name.upper() for name in Settings.model_fields]
TOKEN = "7000001234:AAE-refused-token-never-printed"


def _env(tmp_path: Path, **env: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k.upper() not in VARIABLES}
    environ.update({"DATABASE_PATH": str(tmp_path / "data" / "gs.sqlite3"),
                    "TELEGRAM_BOT_TOKEN": "", "PYTHONIOENCODING": "utf-8", **env})
    return environ


def _start(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args], cwd=tmp_path, env=_env(tmp_path, **env),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        encoding="utf-8",
    )


def _finish(process: subprocess.Popen[str], stdin: str = "") -> tuple[int, str, str]:
    """Wait (never more than 30 s: a hang fails the test) and collect what was printed."""
    try:
        out, err = process.communicate(stdin, timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"{process.args} hung")
    return process.returncode, out, err


# --- 14. a bad DATABASE_PATH, or a database newer than the code -------------------------------


def _database_cases(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    text = tmp_path / "notes.txt"
    text.write_text("Danh sách khen thưởng năm 2025\n" * 50, encoding="utf-8")
    folder = tmp_path / "a-folder"
    folder.mkdir()
    plain_file = tmp_path / "plain"
    plain_file.write_text("x")
    if os.geteuid() == 0:  # root writes anywhere it has permission bits for; /proc/self it cannot
        locked = Path("/proc/self")
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o555)
    newer = tmp_path / "newer.sqlite3"
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {len(migrations()) + 5}")
    conn.close()
    return {
        "a text file": (text, f"DATABASE_PATH {text} is not an SQLite database"),
        "a folder": (folder, f"DATABASE_PATH {folder} is a folder, not a database file"),
        "an unwritable folder": (locked / "gs.sqlite3",
                                 f"DATABASE_PATH {locked / 'gs.sqlite3'}: the folder {locked}"
                                 " is not writable"),
        "a path under a file": (plain_file / "data" / "gs.sqlite3",
                                f"DATABASE_PATH {plain_file / 'data' / 'gs.sqlite3'}:"
                                f" {plain_file} is a file, not a folder"),
        "a newer schema": (newer, f"DATABASE_PATH {newer} has schema version"
                                  f" {len(migrations()) + 5}, newer than this code knows"
                                  f" ({len(migrations())}): run the newer version of the bot, or"
                                  " restore a backup made by this one"),
    }


def test_a_bad_database_path_stops_the_start_with_one_line_naming_database_path(
    tmp_path: Path,
) -> None:
    cases = _database_cases(tmp_path)
    before = {name: path.read_bytes() if path.is_file() else None
              for name, (path, _) in cases.items()}
    running = {name: _start(tmp_path, "console", DATABASE_PATH=str(path))
               for name, (path, _) in cases.items()}
    for name, process in running.items():
        code, out, err = _finish(process, "/start\n")
        assert code == 2, (name, out, err)
        assert err.strip().splitlines() == [cases[name][1]], name
        assert out == "", name
    for name, (path, _) in cases.items():
        assert (path.read_bytes() if path.is_file() else None) == before[name], name


def test_a_database_file_opened_by_the_bot_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "data" / "gs.sqlite3"
    code, _, err = _finish(_start(tmp_path, "console", DATABASE_PATH=str(path)), "/start\n1\n")
    assert code == 0, err
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


# --- 14. settings outside what the platforms accept --------------------------------------------


BAD_SETTINGS = [
    ("PROVINCE_CODE", "999", "Invalid setting PROVINCE_CODE: unknown province code 999"),
    ("PUBLISH_CHAT_ID", "12345",
     "Invalid setting PUBLISH_CHAT_ID: must be a channel id (-100 and digits) or @channelname"),
    ("PUBLISH_CHAT_ID", "kenh guong sang",
     "Invalid setting PUBLISH_CHAT_ID: must be a channel id (-100 and digits) or @channelname"),
    ("TELEGRAM_WEBHOOK_SECRET", "has spaces and ?",
     "Invalid setting TELEGRAM_WEBHOOK_SECRET: must be 1 to 256 of A-Z, a-z, 0-9, _ and -"),
    ("TELEGRAM_WEBHOOK_SECRET", "x" * 257,
     "Invalid setting TELEGRAM_WEBHOOK_SECRET: must be 1 to 256 of A-Z, a-z, 0-9, _ and -"),
    ("ZALO_WEBHOOK_SECRET", "short",
     "Invalid setting ZALO_WEBHOOK_SECRET: must be 8 to 256 characters"),
    ("BACKUP_KEEP", "0", "Invalid setting BACKUP_KEEP: Input should be greater than or equal to 1"),
]


def test_settings_the_platforms_would_refuse_stop_the_start_naming_the_variable(
    tmp_path: Path,
) -> None:
    running = [(line, _start(tmp_path, "console", **{name: value}))
               for name, value, line in BAD_SETTINGS]
    for line, process in running:
        code, out, err = _finish(process, "/start\n")
        assert (code, err.strip().splitlines(), out) == (2, [line], ""), line
        assert TOKEN not in err
    assert not (tmp_path / "data").exists()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.mark.parametrize(("name", "value"), [
    ("PUBLISH_CHAT_ID", "-1001234567890"), ("PUBLISH_CHAT_ID", "@guongsang_angiang"),
    ("TELEGRAM_WEBHOOK_SECRET", "Abc_09-" * 36), ("ZALO_WEBHOOK_SECRET", "8 chars!"),
    ("PROVINCE_CODE", "79"),
])
def test_values_the_platforms_accept_are_taken(clean_env: pytest.MonkeyPatch, name: str,
                                               value: str) -> None:
    clean_env.setenv(name, value)
    settings = load_settings()
    got = getattr(settings, name.lower())
    got = got.get_secret_value() if hasattr(got, "get_secret_value") else got
    assert str(got) == value


def test_a_dotenv_the_user_may_not_read_is_one_line(clean_env: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    """On a server .env is root's (mode 600); an operator running the CLI from its folder as the
    service user gets one line, not a traceback. (Root reads any file, so the refusal is
    simulated where the file is opened.)"""
    (tmp_path / ".env").write_text("BACKUP_KEEP=7\n", encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", ".env")

    clean_env.setattr("dotenv.main.DotEnv._get_stream", refuse)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert str(caught.value) == ("Cannot read .env: Permission denied; run from another folder"
                                 " or as the file's owner")


def test_a_bad_setting_in_process_is_a_config_error(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("PROVINCE_CODE", "0")
    with pytest.raises(ConfigError):
        load_settings()


# --- 9. a refused token never reaches any output ----------------------------------------------


class _Refusing(BaseHTTPRequestHandler):
    """A Bot API that refuses every call, as Telegram does a revoked token (or a wrong URL)."""

    status = 401

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        phrase = "Unauthorized" if self.status == 401 else "Not Found"
        body = json.dumps({"ok": False, "error_code": self.status, "description": phrase})
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def refusing_api(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Refusing", (_Refusing,), {"status": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("refusing_api", "line"), [
    (401, "Telegram refused the token (401): check TELEGRAM_BOT_TOKEN"),
    (404, "Telegram refused the token (404): check TELEGRAM_BOT_TOKEN and TELEGRAM_API_URL"),
], indirect=["refusing_api"])
def test_a_refused_token_is_one_line_without_the_token_and_a_nonzero_exit(
    tmp_path: Path, refusing_api: str, line: str
) -> None:
    code, out, err = _finish(_start(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN,
                                    TELEGRAM_API_URL=refusing_api))
    assert code == 1, err
    assert TOKEN not in out + err and TOKEN.split(":")[1] not in out + err
    assert "Traceback" not in err
    assert [entry for entry in err.splitlines() if "refused" in entry] == [line]
    assert err.strip().splitlines()[-1] == line


def test_a_network_failure_at_start_is_retried_with_backoff_one_line_per_attempt(
    tmp_path: Path,
) -> None:
    port = unused_port()  # a port nobody listens on
    process = _start(tmp_path, "run", TELEGRAM_BOT_TOKEN=TOKEN,
                     TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot")
    assert process.stderr is not None
    attempts: list[str] = []
    deadline = time.monotonic() + 30
    while len(attempts) < 2 and time.monotonic() < deadline:
        entry = process.stderr.readline()
        if not entry:
            break
        if "retrying" in entry:
            attempts.append(entry.rstrip("\n"))
    process.send_signal(signal.SIGTERM)
    code, out, err = _finish(process)
    assert [a.split(": ", 1)[1] for a in attempts] == [
        "Telegram is not reachable (ConnectError); retrying in 1s",
        "Telegram is not reachable (ConnectError); retrying in 2s",
    ], attempts
    assert code == 0, err
    assert "Traceback" not in err and TOKEN not in out + err + "".join(attempts)


# --- 9. Zalo at start: a refused token is one line; a good one starts polling ---------------


async def _run_async(tmp_path: Path, **env: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=_env(tmp_path, **env),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)


async def test_zalo_refusing_the_token_at_start_is_one_line_and_a_good_token_starts_polling(
    tmp_path: Path,
) -> None:
    async with FakeZalo() as zalo:
        (tmp_path / "wrong").mkdir()
        wrong = await _run_async(tmp_path / "wrong", ZALO_BOT_TOKEN="1234:not-the-token",
                                 ZALO_API_URL=zalo.api_url)
        right = await _run_async(tmp_path, ZALO_BOT_TOKEN=zalo.token, ZALO_API_URL=zalo.api_url)
        out, err = await asyncio.wait_for(wrong.communicate(), timeout=30)
        assert wrong.returncode == 1, err
        text = (out + err).decode()
        assert text.strip().splitlines()[-1] == (
            "Zalo refused the token (401): check ZALO_BOT_TOKEN")
        assert "not-the-token" not in text and "Traceback" not in text

        deadline = time.monotonic() + 30
        while not zalo.calls("getUpdates") and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        right.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(right.communicate(), timeout=30)
    assert right.returncode == 0, err
    assert sorted((c.method, c.status) for c in zalo.calls() if c.method != "getUpdates") == [
        ("deleteWebhook", 200), ("getMe", 200), ("getMe", 401)]
    assert zalo.calls("getUpdates"), "the good token never started polling"
    assert zalo.token not in (out + err).decode()
