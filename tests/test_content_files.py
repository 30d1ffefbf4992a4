"""An operator's own content (CONTENT_DIR): campaign files, local, lunar and one-off days, and
`python -m bot content check`; the lunar calendar checked against days anyone can verify.

Files are written to a temporary CONTENT_DIR as an operator would; what the bot prints and
exits with is read from a real `python -m bot` process; reminders go through `Reminders`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import date, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.content import check_content, load_library
from bot.content.lunar import lunar_of, solar_of
from bot.messages import plain_text
from bot.scheduler import Reminders
from bot.storage import NewStory, open_storage
from tests.conftest import GOOD_DESCRIPTION
from tests.senders import RecordingSender, broadcast_rows, deliver, engine_for, member

PROJECT = Path(__file__).resolve().parent.parent
EXAMPLE = PROJECT / "deploy" / "content-example"
SHIPPED_2025 = PROJECT / "bot" / "content" / "campaigns" / "an-giang-2025.toml"
TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def run_bot(*args: str, content: Path, db: Path, **env: str) -> tuple[int, str, str]:
    """`python -m bot ARGS` with CONTENT_DIR and DATABASE_PATH set: (exit code, out, err)."""
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(db), CONTENT_DIR=str(content), TELEGRAM_BOT_TOKEN="",
                   PYTHONIOENCODING="utf-8", **env)
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT, env=environ,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """The operator's folder holding the example files shipped in deploy/content-example/."""
    folder = tmp_path / "content"
    shutil.copytree(EXAMPLE, folder)
    return folder


# --- the lunar calendar ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lunar", "year", "solar"),
    [
        ((10, 3), 2025, date(2025, 4, 7)),  # Giỗ Tổ Hùng Vương 2025
        ((10, 3), 2026, date(2026, 4, 26)),  # Giỗ Tổ Hùng Vương 2026
        ((1, 1), 2025, date(2025, 1, 29)),  # Tết Ất Tỵ
        ((1, 1), 2026, date(2026, 2, 17)),  # Tết Bính Ngọ
    ],
)
def test_lunar_days_fall_on_the_solar_days_vietnam_keeps(
    lunar: tuple[int, int], year: int, solar: date
) -> None:
    assert solar_of(*lunar, year) == solar
    assert lunar_of(solar) == (*lunar, False)
    assert lunar_of(solar - timedelta(days=1))[:2] != lunar


def test_day_30_of_a_short_lunar_month_does_not_exist() -> None:
    # Lunar month 1 of 2026 runs from Tết (17/02) to the day before month 2 starts.
    second = solar_of(1, 2, 2026)
    assert second is not None
    length = (second - date(2026, 2, 17)).days
    assert length in (29, 30)
    assert (solar_of(30, 1, 2026) is None) == (length == 29)


# --- the shipped files and CONTENT_DIR ------------------------------------------------------


def test_the_shipped_files_and_the_example_files_have_no_problem(content: Path) -> None:
    assert check_content(None) == []
    assert check_content(content) == []
    library = load_library(content)
    assert [c.key for c in library.campaigns.all] == ["an-giang-2025", "an-giang-2026",
                                                      "thuong-xuyen"]
    assert {"gio_to_hung_vuong", "hoi_nghi_dien_hinh_2026", "ho_so_khen_thuong_2026",
            "an-giang-2026:summary_report"} <= set(library.calendar.ids())


def test_content_dir_defaults_to_a_folder_beside_the_database(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, database_path=tmp_path / "data" / "bot.sqlite3")  # type: ignore[call-arg]
    assert settings.content_folder == tmp_path / "data" / "content"
    chosen = Settings(_env_file=None, database_path=tmp_path / "x.sqlite3",  # type: ignore[call-arg]
                      content_dir=tmp_path / "mine")
    assert chosen.content_folder == tmp_path / "mine"


def test_content_check_says_the_files_are_fine(content: Path, tmp_path: Path) -> None:
    code, out, err = run_bot("content", "check", content=content, db=tmp_path / "d.sqlite3")
    assert (code, err) == (0, "")
    assert out.strip() == f"Content files are fine: shipped ones and {content}."
    assert not (tmp_path / "d.sqlite3").exists()


BROKEN = {
    "campaigns/an-giang-2026.toml": [("end = 2026-12-31", "end = 2025-12-31")],
    "calendar/an-giang.toml": [("day = 10\nmonth = 3", "day = 10\nmonth = 13"),
                               ('date = 2026-12-10', 'date = "soon"')],
}


def _break(content: Path) -> None:
    for name, changes in BROKEN.items():
        path = content / name
        text = path.read_text(encoding="utf-8")
        for old, new in changes:
            assert old in text
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")
    duplicate = SHIPPED_2025.read_text(encoding="utf-8")
    (content / "campaigns" / "copy-of-2025.toml").write_text(duplicate, encoding="utf-8")


def test_content_check_names_every_problem_by_file_and_field(
    content: Path, tmp_path: Path
) -> None:
    _break(content)
    code, out, err = run_bot("content", "check", content=content, db=tmp_path / "d.sqlite3")
    assert code == 1, (out, err)
    campaigns, calendar = content / "campaigns", content / "calendar"
    assert out.splitlines() == [
        f"Campaign file {campaigns / 'an-giang-2026.toml'}: end 2025-12-31 is before start"
        " 2026-01-01",
        f"Campaign file {campaigns / 'copy-of-2025.toml'}: key: 'an-giang-2025' is already"
        " the key of an-giang-2025.toml",
        f"Calendar {calendar / 'an-giang.toml'}: lunar entry 'gio_to_hung_vuong', field month:"
        " Input should be less than or equal to 12",
        f"Calendar {calendar / 'an-giang.toml'}: events entry 'hoi_nghi_dien_hinh_2026', field"
        " date: Input should be a valid date or datetime, input is too short",
    ]


@pytest.mark.parametrize("command", [["console"], ["reminders", "--date", "2026-04-26"]])
def test_the_bot_refuses_to_start_on_a_broken_file_with_the_same_line(
    content: Path, tmp_path: Path, command: list[str]
) -> None:
    _break(content)
    _, listed, _ = run_bot("content", "check", content=content, db=tmp_path / "d.sqlite3")
    code, out, err = run_bot(*command, content=content, db=tmp_path / "d.sqlite3")
    assert (code, out) == (2, "")
    assert err.splitlines() == [listed.splitlines()[0]]
    assert not (tmp_path / "d.sqlite3").exists()


def test_a_campaign_file_removed_while_stories_use_it_stops_the_start(
    content: Path, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "bot.sqlite3"

    async def file_one() -> None:
        storage = await open_storage(db)
        try:
            reporter = await member(storage, "lan")
            await storage.stories.file(NewStory(
                submission_key="k1", reporter_id=reporter.id, channel="fake",
                campaign="an-giang-2026", kind="good_deed", content="digital_services",
                movement="community_tech_teams", commune_code=30307, honoree_name="Tổ số",
                honoree_role="tổ công nghệ số cộng đồng", title="Hướng dẫn nộp hồ sơ",
                description=GOOD_DESCRIPTION, event_date=date(2026, 5, 2)))
        finally:
            await storage.close()

    asyncio.run(file_one())
    file_2026 = content / "campaigns" / "an-giang-2026.toml"
    text = file_2026.read_text(encoding="utf-8")
    file_2026.write_text(text.replace('key = "community_tech_teams"', 'key = "tech_teams"'),
                         encoding="utf-8")
    code, out, err = run_bot("console", content=content, db=db)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"Campaign file {file_2026}: contents.digital_services.movements: key"
        " 'community_tech_teams' is used by 1 stories but is no longer defined"]

    file_2026.unlink()
    code, out, err = run_bot("export", "--out", str(tmp_path / "x.xlsx"), content=content, db=db)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "Campaign 'an-giang-2026' is used by 1 stories but no campaign file defines it"
        " (was its file removed?)"]
    assert not (tmp_path / "x.xlsx").exists()


def test_a_content_dir_that_is_a_file_is_named_in_one_line(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "content.toml"
    not_a_folder.write_text("", encoding="utf-8")
    code, out, err = run_bot("content", "check", content=not_a_folder, db=tmp_path / "d.sqlite3")
    assert (code, out) == (2, "")
    assert err.strip() == f"Invalid setting CONTENT_DIR: {not_a_folder} is not a folder"


# --- lunar and one-off days are reminded on their day ---------------------------------------

GIO_TO_2026 = "Hôm nay là Giỗ Tổ Hùng Vương (ngày 10/3 âm lịch, tức 26/4/2026)."
CONFERENCE = "Hôm nay, 10/12/2026: Hội nghị biểu dương điển hình tiên tiến tỉnh An Giang năm 2026."


async def test_a_lunar_day_and_a_one_off_day_are_sent_on_their_day_only(
    content: Path, settings: Settings
) -> None:
    storage = await open_storage(settings.database_path)
    try:
        await member(storage, "lan", topics=("anniversaries",))
        await member(storage, "officer", role="reviewer", communes=(30307,),
                     topics=("deadlines",))
        reminders = Reminders(storage, load_library(content).calendar, TZ, time(7, 30), 3)
        for quiet in (date(2026, 4, 25), date(2026, 4, 7), date(2025, 12, 10),
                      date(2027, 12, 10)):
            assert await reminders.send_due(quiet) == [], quiet
        assert len(await reminders.send_due(date(2026, 4, 23))) == 1  # three days ahead
        assert len(await reminders.send_due(date(2026, 4, 26))) == 1
        assert len(await reminders.send_due(date(2026, 12, 10))) == 1
        assert len(await reminders.send_due(date(2026, 12, 8))) == 1  # deadline in 7 days
        assert await reminders.send_due(date(2026, 4, 26)) == []  # once
        keys = [r["key"] for r in await broadcast_rows(storage)]
        assert keys == ["gio_to_hung_vuong:2026:heads_up", "gio_to_hung_vuong:2026:day",
                        "hoi_nghi_dien_hinh_2026:2026:day",
                        "ho_so_khen_thuong_2026:2026:deadline7"]
        sender = RecordingSender()
        await deliver(engine_for(storage, sender))
    finally:
        await storage.close()
    texts = [plain_text(m.text) for m in sender.to("lan")]
    assert texts[0].startswith("📅 Còn 3 ngày nữa là Giỗ Tổ Hùng Vương (ngày 10/3 âm lịch,"
                               " tức 26/4/2026).")
    assert texts[1].startswith("🏮 " + GIO_TO_2026)
    assert texts[2].startswith("📣 " + CONFERENCE)
    assert all(t.strip().endswith("/unsubscribe.") for t in texts)
    (officer,) = sender.to("officer")
    assert plain_text(officer.text).startswith(
        "⏰ Còn 7 ngày nữa (hạn 15/12/2026): gửi hồ sơ đề nghị khen thưởng năm 2026")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-04-26", ["26/04/2026: 1 reminder(s)", "[gio_to_hung_vuong:2026:day]",
                        GIO_TO_2026]),
        ("2025-04-07", ["07/04/2025: 1 reminder(s)", "[gio_to_hung_vuong:2025:day]",
                        "(ngày 10/3 âm lịch, tức 7/4/2025)"]),
        ("2026-12-10", ["10/12/2026: 1 reminder(s)", "[hoi_nghi_dien_hinh_2026:2026:day]",
                        CONFERENCE]),
        ("2027-12-10", ["10/12/2027: 0 reminder(s)"]),
    ],
)
def test_the_cli_prints_lunar_and_one_off_days_on_their_day(
    content: Path, tmp_path: Path, day: str, expected: list[str]
) -> None:
    code, out, err = run_bot("reminders", "--date", day, content=content,
                             db=tmp_path / "d.sqlite3")
    assert (code, err) == (0, "")
    for line in expected:
        assert line in out, out


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ('key = "digital_skills"', 'key = "digital_services"',
         "duplicate content key 'digital_services'"),
        ("lead_days = [7, 1]", "lead_days = [7, 90]",
         "deadlines.0: lead_days must be between 0 and 60"),
        ('key = "an-giang-2026"', 'key = "An Giang 2026"',
         "key: String should match pattern"),
        ("start = 2026-01-01\nend = 2026-12-31\n", "",
         "start and end are required (or standing = true)"),
        ("end = 2026-12-31", "end = 2026-12-31\nstanding = true",
         "a standing campaign has no start or end"),
    ],
)
def test_a_broken_campaign_file_is_named_with_its_field(
    content: Path, old: str, new: str, line: str
) -> None:
    path = content / "campaigns" / "an-giang-2026.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    (problem,) = check_content(content)
    assert problem.startswith(f"Campaign file {path}: ")
    assert line in problem
    assert "\n" not in problem
