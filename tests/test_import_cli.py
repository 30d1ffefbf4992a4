"""`python -m bot import FILE.xlsx [--as PERSON]`, run as an operator runs it: a child process
over a database file, printing the same report as /import."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.config import Settings
from bot.content import load_library
from bot.import_cli import import_file
from bot.storage import open_storage
from tests.import_files import row, workbook

PROJECT = Path(__file__).resolve().parent.parent
VARIABLES = {name.upper() for name in Settings.model_fields}
LONG_XUYEN = 30307


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command, with no setting from the caller's environment but the database."""
    environ = {k: v for k, v in os.environ.items() if k.upper() not in VARIABLES}
    environ.update(DATABASE_PATH=str(tmp_path / "data" / "bot.sqlite3"), PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "bot", "import", *args], cwd=tmp_path,
                          env=environ, capture_output=True, text=True, encoding="utf-8",
                          timeout=120, check=False, stdin=subprocess.DEVNULL)


async def an_officer(tmp_path: Path) -> int:
    """Chi on Telegram, an officer of Long Xuyên, in the database the command opens."""
    storage = await open_storage(tmp_path / "data" / "bot.sqlite3")
    try:
        chi = await storage.people.get_or_create("telegram", "7070", "vi")
        await storage.roles.grant(chi.id, "officer", (LONG_XUYEN,))
        await storage.people.get_or_create("telegram", "8080", "vi")  # a citizen
        return chi.id
    finally:
        await storage.close()


async def stories(tmp_path: Path) -> list[tuple[object, ...]]:
    storage = await open_storage(tmp_path / "data" / "bot.sqlite3")
    try:
        rows = await storage.db.fetchall(
            "SELECT s.id, p.channel, p.external_id, s.resident_name FROM stories s"
            " JOIN people p ON p.id = s.reporter_id ORDER BY s.id")
        return [tuple(r) for r in rows]
    finally:
        await storage.close()


async def test_the_shell_imports_a_file_as_the_officer_once_and_refuses_a_bad_one(
    tmp_path: Path,
) -> None:
    await an_officer(tmp_path)
    good = tmp_path / "xa-long-xuyen.xlsx"
    good.write_bytes(workbook([row(1), row(2), row(3, commune="long xuyen")]))

    done = run(tmp_path, str(good), "--as", "telegram:7070")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("✅ Đã nhập 3 câu chuyện từ “xa-long-xuyen.xlsx” (dòng 2–4):"
                                  " #1–#3.")
    assert await stories(tmp_path) == [(n, "telegram", "7070", f"Trần Thị Dân {n}")
                                       for n in (1, 2, 3)]

    again = run(tmp_path, str(good), "--as", "telegram:7070")
    assert again.returncode == 0
    assert again.stdout.startswith("Tệp “xa-long-xuyen.xlsx” đã được nhập trước đây")
    assert len(await stories(tmp_path)) == 3

    bad = tmp_path / "sai.xlsx"
    bad.write_bytes(workbook([row(4, commune="Long Xuyên"), row(5, commune="Phú Quốc")]))
    refused = run(tmp_path, str(bad), "--as", "telegram:7070")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.splitlines()[1] == (
        "• Dòng 3, cột “Xã, phường, đặc khu”: Đặc khu Phú Quốc không thuộc địa bàn bạn phụ trách")
    assert len(await stories(tmp_path)) == 3


async def test_the_command_names_what_is_wrong_in_one_line(tmp_path: Path) -> None:
    await an_officer(tmp_path)
    settings = Settings(_env_file=None, database_path=tmp_path / "data" / "bot.sqlite3")  # type: ignore[call-arg]
    library = load_library(None)
    good = tmp_path / "a.xlsx"
    good.write_bytes(workbook([row(1)]))
    text = tmp_path / "a.csv"
    text.write_text("Xã,Loại\n", encoding="utf-8")
    cases = [
        ((tmp_path / "missing.xlsx", None), 2,
         f"{tmp_path / 'missing.xlsx'}: No such file or directory"),
        ((good, "telegram:8080"), 2,
         "--as telegram:8080: Lệnh /import dành cho cán bộ xã, cán bộ thẩm định và quản trị"
         " viên."),
        ((good, "@nobody"), 2, "--as @nobody: Không tìm thấy người dùng “@nobody”."),
        ((text, None), 1, "Tệp “a.csv” không phải bảng tính Excel .xlsx. Hãy điền vào mẫu (gõ"
                          " /import để nhận) và lưu dạng .xlsx. Không có gì được nhập."),
    ]
    for (path, person), code, line in cases:
        said, exit_code = await import_file(settings, library, path, person)
        assert exit_code == code, said
        assert said.startswith(line) and "\n" not in said, said
    assert await stories(tmp_path) == []

    # Without --as, the operator at this terminal files them, for any commune.
    good.write_bytes(workbook([row(1, commune="Phú Quốc")]))
    said, exit_code = await import_file(settings, library, good, None)
    assert exit_code == 0, said
    ((_, channel, _, resident),) = await stories(tmp_path)
    assert (channel, resident) == ("console", "Trần Thị Dân 1")
