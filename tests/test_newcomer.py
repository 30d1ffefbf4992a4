"""A newcomer tries both sides of the bot in the terminal (issue 12, item 11): ADMIN_IDS names
people on every channel, `console --as NAME` chooses who you are, and `python -m bot grant`
gives a role at the command line. The README's walk is run here exactly as it is written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, load_settings
from bot.dialog import Dialog
from bot.storage import Storage, open_storage
from tests.conftest import FakeChat
from tests.test_config_cli import clean_env  # noqa: F401  (the fixture)

README = Path(__file__).parent.parent / "README.md"
REPORT_AS_LAN = "\n".join([
    "/start", "1", "4", "/report", "1", "1", "long xuyen", "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh",
    "Sửa cầu khỉ cho bà con",
    "Ông An tự bỏ tiền và công sức sửa cây cầu khỉ qua kênh Xáng cho học sinh đi học an toàn.",
    "hôm nay", "1", "1", "1", "1", "1", "",
])


def bot(tmp_path: Path, *argv: str, stdin: str = "", **env: str
        ) -> subprocess.CompletedProcess[str]:
    """`python -m bot …` as a newcomer runs it: from a folder without .env, no channel."""
    environ = {k: v for k, v in os.environ.items() if k not in ("ADMIN_IDS", "PUBLISH_CHAT_ID")}
    environ.update(DATABASE_PATH=str(tmp_path / "try" / "guongsang.sqlite3"),
                   TELEGRAM_BOT_TOKEN="", ZALO_BOT_TOKEN="", **env)
    return subprocess.run([sys.executable, "-m", "bot", *argv], input=stdin, env=environ,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)


def test_the_readme_walk_files_a_story_as_a_resident_and_reviews_it_as_an_admin(
    tmp_path: Path,
) -> None:
    readme = README.read_text(encoding="utf-8")
    for written in (".venv/bin/python -m bot console --as lan",
                    "ADMIN_IDS=console:admin .venv/bin/python -m bot console --as admin",
                    "`/pending`, `1` (open `#1`) and `1` (✅ Duyệt)",
                    "`/start`, `1` (agree), `4` (no reminders for now), then `/report`",
                    "`/mystories`"):
        assert written in readme, written

    lan = bot(tmp_path, "console", "--as", "lan", stdin=REPORT_AS_LAN)
    assert lan.returncode == 0, lan.stderr
    assert "Bạn đang dùng bot với tên console:lan." in lan.stdout
    assert "✅ Đã gửi! Câu chuyện của bạn là #1." in lan.stdout

    admin = bot(tmp_path, "console", "--as", "admin", stdin="/pending\n1\n1\n/stories\n",
                ADMIN_IDS="console:admin")
    assert admin.returncode == 0, admin.stderr
    assert "Đang chờ duyệt: 1" in admin.stdout
    assert "✅ Đã duyệt #1; câu chuyện đã được đăng trong mục Gương sáng (/stories)." in (
        admin.stdout)
    assert "Gương sáng đã đăng: 1" in admin.stdout
    assert "🔔" not in admin.stdout  # Lan's news waits for Lan

    back = bot(tmp_path, "console", "--as", "lan", stdin="/mystories\n")
    assert back.returncode == 0, back.stderr
    assert "🔔 ✅ Câu chuyện #1 “Sửa cầu khỉ cho bà con” của bạn đã được duyệt và đăng" in (
        back.stdout)
    assert "📢 Đã đăng" in back.stdout


def test_grant_at_the_command_line_answers_like_the_chat_and_is_audited_as_the_operator(
    tmp_path: Path,
) -> None:
    assert bot(tmp_path, "console", "--as", "lan", stdin="/start\n1\n4\n").returncode == 0

    unknown = bot(tmp_path, "grant", "console:nobody", "admin")
    assert (unknown.returncode, unknown.stdout) == (1, "")
    assert unknown.stderr == (
        "Không tìm thấy người dùng “console:nobody”. Hãy dùng @tên, mã số Telegram hoặc kênh:mã"
        " (ví dụ console:lan, zalo:123) của người đã nhắn tin cho bot.\n")
    bare = bot(tmp_path, "grant", "lan", "admin")
    assert (bare.returncode, bare.stderr) == (
        1, "Không tìm thấy người dùng “lan”. Có phải: console:lan? Hãy gõ đúng như vậy.\n")

    done = bot(tmp_path, "grant", "console:lan", "reviewer", "mỹ hòa hưng", "chau", "doc")
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "Đã giao lan (console:lan) thẩm định: Xã Mỹ Hòa Hưng, Phường Châu Đốc.\n"
        "Trước: người dân.\nNay: thẩm định — Xã Mỹ Hòa Hưng, Phường Châu Đốc.\n")

    audit = bot(tmp_path, "console", "--as", "boss", stdin="/audit console:lan\n",
                ADMIN_IDS="console:boss")
    assert ("người vận hành (dòng lệnh): giao quyền thẩm định cho lan (console:lan) — Xã Mỹ Hòa"
            " Hưng, Phường Châu Đốc") in audit.stdout
    listed = bot(tmp_path, "grant", "console:boss", "reviewer", ADMIN_IDS="console:boss")
    assert listed.returncode == 1
    assert "là quản trị viên theo ADMIN_IDS trong cấu hình" in listed.stderr


def test_a_console_name_is_one_word(tmp_path: Path) -> None:
    done = bot(tmp_path, "console", "--as", "Lan Nguyễn")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == ("--as 'Lan Nguyễn': a name is one word, without spaces, commas or"
                           " colons.\n")


# --- ADMIN_IDS names people on every channel -------------------------------------------------


def test_admin_ids_accept_every_channels_people(clean_env: pytest.MonkeyPatch) -> None:  # noqa: F811
    clean_env.setenv("ADMIN_IDS", "42, telegram:43, zalo:8841a, zalo_oa:77, console:lan")
    settings = load_settings()
    assert settings.admin_ids == (42, 43, "zalo:8841a", "zalo_oa:77", "console:lan")
    for channel, account in (("telegram", "42"), ("telegram", "43"), ("zalo", "8841a"),
                             ("zalo_oa", "77"), ("console", "lan")):
        assert settings.lists_admin(channel, account), (channel, account)
    assert not settings.lists_admin("zalo", "42")  # a bare number is a Telegram id
    assert not settings.lists_admin("console", "Lan")
    for bad, line in (
        ("facebook:1", "Invalid setting ADMIN_IDS: unknown channel 'facebook' in 'facebook:1'"
                       " (use telegram:, zalo:, zalo_oa:, console:)"),
        ("console:", "Invalid setting ADMIN_IDS: not an account id after console: in"
                     " 'console:' (one word, no spaces or commas)"),
        ("root", "Invalid setting ADMIN_IDS: not a person: 'root' (a Telegram user id, or"
                 " telegram:<id>, zalo:<id>, zalo_oa:<id>, console:<name>)"),
    ):
        clean_env.setenv("ADMIN_IDS", bad)
        with pytest.raises(ConfigError) as caught:
            load_settings()
        assert str(caught.value) == line


async def test_listed_people_on_the_console_and_zalo_are_admins_while_listed(
    storage: Storage, settings: Settings
) -> None:
    listed = Dialog(storage, settings.model_copy(update={"admin_ids": (
        9001, "console:lan", "zalo:8841a")}))
    lan = FakeChat(listed, "lan", name="lan", channel="console")
    zalo = FakeChat(listed, "8841a", name="Trần Văn Ba", channel="zalo")
    for chat in (lan, zalo):
        await chat.says("/pending")
        assert chat.text == "Không có câu chuyện nào đang chờ duyệt. 🎉"
    await lan.says("/revoke zalo:8841a")
    assert lan.text.startswith("zalo:8841a là quản trị viên theo ADMIN_IDS")

    unlisted = Dialog(storage, settings)
    await FakeChat(unlisted, "lan", name="lan", channel="console").says("/pending")
    found = await storage.people.find("console", "lan")
    assert found is not None and found.role == "citizen"


async def test_the_zalo_oa_alert_goes_to_the_admins_listed_on_other_channels(
    settings: Settings, tmp_path: Path,
) -> None:
    from bot.channels.zalo_oa_app import build_zalo_oa
    from bot.channels.zalo_oa_tokens import ReauthNeeded
    from tests.fake_zalo_oa import FakeOa, TravelClock
    from tests.oa_harness import oa_settings

    storage = await open_storage(tmp_path / "oa.sqlite3")
    try:
        async with FakeOa(TravelClock()) as oa:
            configured = oa_settings(settings.model_copy(update={"admin_ids": (
                9001, "zalo:8841a", "zalo_oa:77", "console:lan")}), oa)
            channel, _ = build_zalo_oa(configured, storage.db, lambda *a: None,  # type: ignore
                                       clock=oa.clock)
            await channel.keeper.seed("rt-spent-elsewhere")
            with pytest.raises(ReauthNeeded):
                await channel.keeper.access_token()
            await channel.close()
        rows = await storage.db.fetchall("SELECT channel, chat_id, template FROM outbox")
        assert sorted(tuple(r) for r in rows) == [
            ("console", "lan", "zalo_oa.reauth_needed"), ("telegram", "9001",
                                                           "zalo_oa.reauth_needed"),
            ("zalo", "8841a", "zalo_oa.reauth_needed")]
    finally:
        await storage.close()
