"""What an operator sees: settings from the environment, one-line errors, and `python -m bot`."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.storage import migrations, open_storage

PROJECT = Path(__file__).resolve().parent.parent
VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No setting from the caller's environment or a `.env` file leaks in."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_admin_ids_are_read_as_a_comma_separated_list(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ADMIN_IDS", "1, 2")
    assert load_settings().admin_ids == (1, 2)
    clean_env.setenv("ADMIN_IDS", " 123456789 ,")
    assert load_settings().admin_ids == (123456789,)
    clean_env.setenv("ADMIN_IDS", "")
    assert load_settings().admin_ids == ()


def test_the_defaults_are_an_giang_in_vietnamese(clean_env: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert (settings.timezone, settings.language, settings.province_code) == (
        "Asia/Ho_Chi_Minh", "vi", 91)
    assert settings.telegram_bot_token is None
    clean_env.setenv("TELEGRAM_BOT_TOKEN", "   ")
    assert load_settings().telegram_bot_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ADMIN_IDS", "abc"),
        ("ADMIN_IDS", "1, @lan"),
        ("TIMEZONE", "Mars/Base"),
        ("LANGUAGE", "fr"),
        ("DIALOG_TIMEOUT_HOURS", "0"),
        ("PROVINCE_CODE", "An Giang"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str
) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert name in message
    assert message.startswith(f"Invalid setting {name}:")


async def test_the_database_folder_is_created_on_open(clean_env: pytest.MonkeyPatch,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "srv" / "guongsang" / "data" / "gs.sqlite3"
    clean_env.setenv("DATABASE_PATH", str(path))
    settings = load_settings()
    assert settings.database_path == path
    assert not path.parent.exists()
    storage = await open_storage(settings.database_path)
    try:
        assert await storage.db.version() == len(migrations())
    finally:
        await storage.close()
    assert path.is_file()


# --- python -m bot ----------------------------------------------------------------------------


def _run(tmp_path: Path, *args: str, stdin: str | None = None,
         **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k.upper() not in VARIABLES}
    environ.update(
        DATABASE_PATH=str(tmp_path / "data" / "cli.sqlite3"),
        TELEGRAM_BOT_TOKEN="",
        PYTHONIOENCODING="utf-8",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=PROJECT,
        env=environ,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def test_without_a_token_or_a_terminal_it_exits_with_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "data" / "cli.sqlite3").exists()


def test_the_console_talks_vietnamese_and_exits_at_end_of_input(tmp_path: Path) -> None:
    done = _run(tmp_path, "console", stdin="/start\n1\n/report\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Đây là Gương Sáng — kênh để người dân, cán bộ và các đơn vị tỉnh An Giang" in out
    assert "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?" in out
    assert "  1. ✅ Tôi đồng ý" in out
    assert "Cảm ơn bạn! Bây giờ bạn có thể kể một gương sáng." in out
    assert "Bước 1/12. Bạn muốn kể về điều gì?" in out
    assert "  1. Gương người tốt, việc tốt" in out
    assert out.index("Xin chào") < out.index("Cảm ơn bạn!") < out.index("Bước 1/12.")
    assert "<b>" not in out  # plain text in a terminal
    assert "Traceback" not in done.stderr

    conn = sqlite3.connect(tmp_path / "data" / "cli.sqlite3")
    try:
        people = conn.execute("SELECT channel, consent FROM people").fetchall()
        dialogs = conn.execute("SELECT channel, flow, step FROM dialogs").fetchall()
    finally:
        conn.close()
    assert people == [("console", 1)]
    assert dialogs == [("console", "report", "kind")]


def test_a_bad_timezone_exits_2_naming_timezone_on_one_line(tmp_path: Path) -> None:
    done = _run(tmp_path, "console", stdin="/start\n", TIMEZONE="Mars/Base")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "TIMEZONE" in lines[0] and "Mars/Base" in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "data" / "cli.sqlite3").exists()


async def test_the_console_works_in_a_container_whose_user_has_no_name(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`docker run --user 1234 …`: no USER/LOGNAME and no passwd entry, so getuser() raises."""
    import io

    from bot.app import run_console_app

    def no_name() -> str:
        raise KeyError("getpwuid(): uid not found: 1234")

    monkeypatch.setattr("getpass.getuser", no_name)
    settings = Settings(_env_file=None, database_path=tmp_path / "c.sqlite3")  # type: ignore[call-arg]
    out = io.StringIO()
    await run_console_app(settings, stdin=io.StringIO("/start\n"), stdout=out)
    assert "Bạn có đồng ý để Gương Sáng lưu và xử lý thông tin như trên không?" in out.getvalue()
    conn = sqlite3.connect(tmp_path / "c.sqlite3")
    try:
        assert conn.execute("SELECT channel, consent FROM people").fetchall() == [("console", None)]
    finally:
        conn.close()
