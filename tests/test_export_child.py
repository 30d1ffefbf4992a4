"""The workbook is read and written by its writer, not by the bot's event loop.

The bot hands the writer (a worker thread, or above IN_PROCESS stories the writing process
bot.export_child) only which stories to list: the database file, the scope, the campaign and
the period. The writer reads the counts, the list and the nominations itself, in one snapshot,
so not one story passes through the event loop. The scope a reviewer has stays theirs; a writer
that cannot read gets the usual apology.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

import tests.test_workbook as workbook_tests
from tests.test_stats_export import CHAU_DOC, SPECS, expected
from tests.test_stats_export import export as export_via_chat
from tests.test_workbook import table

# The fixture province of the workbook's tests, with its admin and reviewers.
settings = workbook_tests.settings
board = workbook_tests.board


def _reads(storage: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every long read the bot's storage runs from now on, by its statement."""
    seen: list[str] = []
    real = storage.db.fetchall_long

    async def recorded(sql: str, params: Any = ()) -> Any:
        seen.append(sql)
        return await real(sql, params)

    monkeypatch.setattr(storage.db, "fetchall_long", recorded)
    return seen


WRITERS = pytest.mark.parametrize("in_child", [False, True],
                                  ids=["in a thread", "in a child process"])


@WRITERS
async def test_the_export_is_read_by_its_writer(
    board: Any, monkeypatch: pytest.MonkeyPatch, in_child: bool
) -> None:
    if in_child:
        monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)
    reads = _reads(board.storage, monkeypatch)
    wb = await export_via_chat(board.admin)
    assert [r[0] for r in table(wb["Danh sách"])[0]] == list(range(1, len(SPECS) + 1))
    assert sum(r[-1] for r in table(wb["Theo địa bàn"])[0]) == len(SPECS)
    assert len(table(wb["Đề nghị khen thưởng"])[0]) == 2
    # The bot only counted the stories (to choose where to write them): the list, the counts
    # and the nominations were read by the writer.
    assert [sql.split(" FROM ")[0] for sql in reads] == ["SELECT COUNT(*)"]


async def test_a_reviewers_province_sized_export_keeps_to_their_communes(
    board: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)  # (in a thread: test_workbook)
    wb = await export_via_chat(board.rcd)
    mine = expected(CHAU_DOC)
    listing, _ = table(wb["Danh sách"])
    assert len(listing) == len(mine) and {r[6] for r in listing} == {"Phường Châu Đốc"}
    assert [r[0] for r in table(wb["Theo địa bàn"])[0]] == ["Phường Châu Đốc"]
    assert [r[3] for r in table(wb["Đề nghị khen thưởng"])[0]] == ["Phường Châu Đốc"]


@WRITERS
async def test_a_writer_that_cannot_read_gets_the_apology_and_a_log_line(
    board: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    in_child: bool
) -> None:
    if in_child:
        monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database, as a failing disk might return" * 200)
    db = board.storage.db
    real = db.file
    db.file = damaged  # what the writer opens; the bot's own connections are unaffected
    with caplog.at_level(logging.ERROR):
        replies = await board.admin.says("/export")
    assert board.admin.text == ("Xin lỗi, đã có lỗi xảy ra. Câu trả lời của bạn chưa bị mất"
                                " — vui lòng thử lại.")
    assert replies[0].files == ()
    assert "DatabaseError: file is not a database" in caplog.text
    assert not list(tmp_path.glob("**/*.part"))

    db.file = real
    wb = await export_via_chat(board.admin)  # the next export is whole
    assert len(table(wb["Danh sách"])[0]) == len(SPECS)
