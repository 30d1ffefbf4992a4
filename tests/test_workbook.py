"""The workbook an officer hands in, opened with openpyxl and read as the officer would read it.

Five sheets, each with the campaign's name and the period above a frozen, filtered header row;
dates that are dates; names, never keys; totals under the filter, not in it; long text wrapped;
printed landscape, one page wide, the header repeated. The fixture province (30 stories in
three communes) comes from test_stats_export.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string

from bot.config import Settings
from bot.content import catalogue, fold
from bot.dialog import Dialog
from bot.storage import Storage, open_storage
from tests.conftest import FakeChat
from tests.test_stats_export import (
    CHAU_DOC,
    KIND_NAMES,
    LONG_XUYEN,
    NAMES,
    NOW,
    PHU_QUOC,
    RISKY,
    SHEETS,
    SPECS,
    STATUS_NAMES,
    Board,
    expected,
    person,
    populate,
    put,
)
from tests.test_stats_export import export as export_via_chat

PROJECT = Path(__file__).resolve().parent.parent
BOM = b"\xef\xbb\xbf"
LIST_HEADERS = [
    "Số", "Ngày gửi", "Ngày diễn ra", "Loại", "Nội dung thi đua", "Phong trào",
    "Xã, phường, đặc khu", "Người/tập thể được nêu gương", "Vai trò, đơn vị", "Tiêu đề", "Mô tả",
    "Trạng thái", "Người gửi", "Điện thoại người gửi", "Ghi tên khi đăng", "Kênh", "Số ảnh",
    "Vĩ độ", "Kinh độ", "Ghi chú thẩm định", "Đợt thi đua", "Liên kết bài đăng",
    "Người dân được kể thay", "Liên lạc người dân",
]
NOMINATION_HEADERS = [
    "Số", "Hình thức khen thưởng", "Lý do", "Xã, phường, đặc khu", "Tiêu đề",
    "Người/tập thể được nêu gương", "Trạng thái", "Người đề nghị", "Ngày đề nghị",
]
CAMPAIGN = ("Đợt thi đua đặc biệt lập thành tích chào mừng Đại hội Đảng bộ các cấp nhiệm kỳ"
            " 2025-2030, Đại hội Thi đua yêu nước tỉnh An Giang lần thứ VII và Đại hội Thi đua"
            " yêu nước toàn quốc lần thứ XI")
SHORT = "Đợt thi đua đặc biệt năm 2025"  # the campaign's short name, in the list's column
SUBJECTS = {
    "Tổng hợp": "Tổng hợp theo xã, phường, đặc khu và loại câu chuyện",
    "Theo nội dung thi đua": "Số câu chuyện theo nội dung thi đua",
    "Theo địa bàn": "Số câu chuyện theo xã, phường, đặc khu",
    "Danh sách": "Danh sách câu chuyện",
    "Đề nghị khen thưởng": "Danh sách đề nghị khen thưởng",
}
CONTENTS = {
    1: "Chấp hành tốt chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước",
    2: "Thực hiện có hiệu quả các phong trào thi đua trọng tâm trong phạm vi cả nước",
    3: "Hoàn thành vượt mức và về trước hạn 100% các nhiệm vụ, chỉ tiêu, kế hoạch được giao",
    4: "Xây dựng, củng cố hệ thống chính trị; bảo vệ an ninh chính trị, trật tự an toàn xã hội,"
       " bảo vệ Tổ quốc",
    5: "Tổ chức thành công Đại hội Thi đua / Hội nghị Điển hình tiên tiến, Đại hội Đảng bộ các"
       " cấp; lập thành tích chào mừng các ngày lễ lớn",
}
KINDS = list(KIND_NAMES)
STATUS_ORDER = ["pending", "recommended", "needs_changes", "approved", "published", "rejected",
                "withdrawn"]
ALL_STATUS_NAMES = {**STATUS_NAMES, "recommended": "Đã đề nghị lên cấp tỉnh",
                    "withdrawn": "Đã rút lại"}
STATUS_HEADERS = [ALL_STATUS_NAMES[s] for s in STATUS_ORDER]
KIND_HEADERS = [KIND_NAMES[k] for k in KINDS]
HEADER, FIRST = 4, 5  # the header row and the first data row, as Excel numbers them
SUBTOTAL = re.compile(r"^=SUBTOTAL\(109,([A-Z]+)(\d+):([A-Z]+)(\d+)\)$")


@pytest.fixture
def settings(db_path: Path) -> Settings:
    return Settings(_env_file=None, database_path=db_path, admin_ids=(9001,),  # type: ignore[call-arg]
                    publish_chat_id="-100777")


@pytest.fixture
async def board(dialog: Dialog, storage: Storage) -> Board:
    """The fixture province with an admin, a province reviewer, Châu Đốc's reviewer, a citizen."""
    await populate(storage)
    await person(storage, "rcd", "Lê Văn Đốc", "reviewer", (CHAU_DOC,))
    chats = [FakeChat(dialog, "9001", name="Quản Trị Viên", channel="telegram"),
             FakeChat(dialog, "rp", name="Võ Thị Tỉnh"), FakeChat(dialog, "rcd", name="Lê Văn Đốc"),
             FakeChat(dialog, "u1")]
    for chat in chats:
        chat.now = NOW
    return Board(storage, *chats)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def admin_book(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Any]:
    """The admin's workbook of the whole fixture province, exported once for the tests that
    only read it."""
    path = tmp_path_factory.mktemp("province") / "gs.sqlite3"
    store = await open_storage(path)
    try:
        await populate(store)
        settings = Settings(_env_file=None, database_path=path,  # type: ignore[call-arg]
                            admin_ids=(9001,), publish_chat_id="-100777")
        admin = FakeChat(Dialog(store, settings), "9001", name="Quản Trị Viên",
                         channel="telegram")
        admin.now = NOW
        wb = await export_via_chat(admin)
        assert admin.text == "📊 Bảng tổng hợp Gương Sáng từ trước đến nay: 30 câu chuyện."
        yield wb
    finally:
        await store.close()


def rows(ws: Any, first: int = FIRST) -> list[list[Any]]:
    """The values from a row on, as an officer reads them."""
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def table(ws: Any) -> tuple[list[list[Any]], list[Any] | None]:
    """The filtered rows under the header, and the total row after them (if any)."""
    last = int(ws.auto_filter.ref.split(":")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    body = rows(ws)[: last - HEADER]
    after = rows(ws, last + 1)
    return body, (after[0] if after else None)


def shown(ws: Any, value: Any) -> Any:
    """What Excel shows for a total cell: the SUBTOTAL over its rows, summed here."""
    if not isinstance(value, str) or not value.startswith("="):
        return value
    match = SUBTOTAL.match(value)
    assert match, value
    column, top, same, bottom = match.groups()
    assert column == same
    index = column_index_from_string(column)
    return sum(ws.cell(row, index).value or 0 for row in range(int(top), int(bottom) + 1))


def count_row(specs: list[Any]) -> list[int]:
    """Kinds, then statuses, then the total: the numbers of a breakdown row."""
    kinds, statuses = Counter(s.kind for s in specs), Counter(s.status for s in specs)
    return [*(kinds[k] for k in KINDS), *(statuses[s] for s in STATUS_ORDER), len(specs)]


def test_every_sheet_has_the_title_the_period_and_a_frozen_filtered_header(admin_book: Any) -> None:
    wb = admin_book

    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws["A1"].value == CAMPAIGN
        assert ws["A1"].font.b
        assert ws["A2"].value == (f"{SUBJECTS[ws.title]} · Thời gian: từ trước đến nay"
                                  " · Phạm vi: toàn tỉnh · 30 câu chuyện · Lập ngày 18/06/2025")
        width = len(list(ws.iter_cols(min_row=HEADER, max_row=HEADER)))
        merged = {str(r) for r in ws.merged_cells.ranges}
        last = ws.cell(HEADER, width).column_letter
        assert {f"A1:{last}1", f"A2:{last}2"} <= merged
        assert ws.freeze_panes == f"A{FIRST}"
        assert ws.auto_filter.ref.startswith(f"A{HEADER}:{last}")
        assert all(c.font.b for c in ws[HEADER])


def test_each_sheet_prints_landscape_one_page_wide_with_the_header_on_every_page(
    admin_book: Any,
) -> None:
    wb = admin_book
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows == f"$3:${HEADER}"
        assert ws.oddFooter.center.text == "Trang &P/&N"


async def test_the_list_speaks_in_names_and_its_dates_are_dates(
    board: Board, storage: Storage
) -> None:
    async with storage.db.transaction() as tx:
        await tx.execute("UPDATE stories SET channel = 'zalo' WHERE id = 1")
    wb = await export_via_chat(board.admin)
    ws = wb["Danh sách"]
    first = SPECS[0]
    assert (first.weeks_ago, first.content, first.status) == (0, 2, "pending")

    assert rows(ws)[0] == [
        1, datetime(2025, 6, 16), datetime(2025, 6, 2), KIND_NAMES[first.kind], CONTENTS[2],
        "Cả nước chung tay xóa nhà tạm, nhà dột nát trong năm 2025", NAMES[first.commune],
        "Nguyễn Văn An", "nông dân ấp Mỹ Thạnh", "Cầu khỉ mới cho ấp Mỹ Thạnh",
        "Ông An bỏ tiền sửa cầu khỉ.", "Đang chờ duyệt", "Trần Thị Bình", "0912345678", "có",
        "Zalo", 2, 10.3759, 105.4185, "Đã xác minh", SHORT, "https://t.me/c/777/55", None, None,
    ]
    for cell in (ws[f"B{FIRST}"], ws[f"C{FIRST}"]):
        assert cell.is_date and cell.number_format == "dd/mm/yyyy"
    assert [r[0] for r in rows(ws)] == list(range(1, 31))
    second = rows(ws)[1]
    assert second[14] == "không" and second[16] == 0 and second[21] is None
    assert second[15] == "fake"  # a channel the bot does not know keeps its key


async def test_a_story_filed_for_a_resident_lists_the_resident_and_how_to_reach_them(
    storage: Storage, board: Board
) -> None:
    async with storage.db.transaction() as tx:
        await tx.execute(
            "UPDATE stories SET resident_name = 'Võ Thị Sáu', resident_contact = '0987654321',"
            " resident_consent_at = '2025-06-01T08:00:00+07:00', resident_is = 'teller'"
            " WHERE id = 2")
    ws = (await export_via_chat(board.admin))["Danh sách"]
    listed = {r[0]: r for r in rows(ws)}
    assert listed[2][22:] == ["Võ Thị Sáu", "0987654321"]
    assert ws[f"X{FIRST + 1}"].data_type == "s"  # the phone keeps its leading zero
    assert listed[1][22:] == [None, None]


def test_long_text_wraps_and_phone_numbers_keep_their_zeros(admin_book: Any) -> None:
    wb = admin_book
    ws = wb["Danh sách"]
    for column in ("J", "K", "T"):  # title, description, review note
        assert ws[f"{column}{FIRST}"].alignment.wrap_text, column
    assert ws.column_dimensions["K"].width >= 60
    assert not ws[f"D{FIRST}"].alignment.wrap_text
    assert ws[f"N{FIRST}"].value == "0912345678" and ws[f"N{FIRST}"].data_type == "s"
    assert wb["Theo nội dung thi đua"][f"B{FIRST}"].alignment.wrap_text
    assert wb["Đề nghị khen thưởng"][f"C{FIRST}"].alignment.wrap_text  # the reason


def test_the_sheet_by_content_follows_the_plan_with_totals_under_the_filter(
    admin_book: Any,
) -> None:
    wb = admin_book
    ws = wb["Theo nội dung thi đua"]

    assert rows(ws, HEADER)[0] == ["STT", "Nội dung thi đua", *KIND_HEADERS, *STATUS_HEADERS,
                                   "Tổng"]
    group = {str(r) for r in ws.merged_cells.ranges}
    assert {"C3:F3", "G3:M3"} <= group
    assert (ws["C3"].value, ws["G3"].value) == ("Theo loại", "Theo trạng thái")
    body, total = table(ws)
    assert body == [[n, CONTENTS[n], *count_row([s for s in SPECS if s.content == n])]
                    for n in range(1, 6)]
    assert ws.auto_filter.ref == f"A{HEADER}:N{HEADER + 5}"
    assert total is not None and total[0] == "Tổng cộng"
    assert [shown(ws, v) for v in total[2:]] == count_row(SPECS)
    assert all(SUBTOTAL.match(v).group(2, 4) == (str(FIRST), str(HEADER + 5))  # type: ignore[union-attr]
               for v in total[2:])


def test_the_sheet_by_commune_lists_every_commune_alphabetically(admin_book: Any) -> None:
    wb = admin_book
    ws = wb["Theo địa bàn"]

    assert rows(ws, HEADER)[0] == ["Xã, phường, đặc khu", *KIND_HEADERS, *STATUS_HEADERS, "Tổng"]
    body, total = table(ws)
    assert len(body) == 102  # the province's communes, wards and special zones, none left out
    names = [r[0] for r in body]
    assert names == sorted(names, key=fold)
    assert names[0].startswith("Đặc khu")  # 'Đ' sorts with 'D', not after 'X'
    by_name = {r[0]: r[1:] for r in body}
    for code, name in NAMES.items():
        assert by_name[name] == count_row(expected(code)), name
    assert sum(1 for r in body if r[-1] == 0) == 99
    assert total is not None and total[0] == "Tổng cộng"
    assert [shown(ws, v) for v in total[1:]] == count_row(SPECS)


def test_the_summary_sheet_has_a_row_per_commune_and_kind(admin_book: Any) -> None:
    wb = admin_book
    ws = wb["Tổng hợp"]

    assert rows(ws, HEADER)[0] == ["Xã, phường, đặc khu", "Loại", *STATUS_HEADERS, "Tổng"]
    body, total = table(ws)
    pairs = Counter((NAMES[s.commune], KIND_NAMES[s.kind]) for s in SPECS)
    assert {(r[0], r[1]): r[-1] for r in body} == dict(pairs)
    assert all(sum(r[2:-1]) == r[-1] for r in body)
    assert [fold(r[0]) for r in body] == sorted(fold(r[0]) for r in body)
    assert total is not None and total[:2] == ["Tổng cộng", None]
    statuses = Counter(s.status for s in SPECS)
    assert [shown(ws, v) for v in total[2:]] == [*(statuses[s] for s in STATUS_ORDER), 30]


def test_the_nominations_sheet_names_the_award_and_dates_the_nomination(admin_book: Any) -> None:
    wb = admin_book
    ws = wb["Đề nghị khen thưởng"]
    body, total = table(ws)
    cd = next(i + 1 for i, s in enumerate(SPECS)
              if s.commune == CHAU_DOC and s.status in ("approved", "published"))
    pq = next(i + 1 for i, s in enumerate(SPECS)
              if s.commune == PHU_QUOC and s.status in ("approved", "published"))
    assert body == [
        [cd, "Bằng khen của Chủ tịch UBND tỉnh", "Dạy bơi miễn phí cho trẻ em",
         "Phường Châu Đốc", f"Câu chuyện k{cd - 1:02d}", "Nguyễn Văn An",
         STATUS_NAMES[SPECS[cd - 1].status], "Võ Thị Tỉnh", datetime(2025, 6, 18)],
        [pq, "Giấy khen của Thủ trưởng đơn vị", "Giữ đường hoa sạch đẹp", "Đặc khu Phú Quốc",
         f"Câu chuyện k{pq - 1:02d}", "Nguyễn Văn An", STATUS_NAMES[SPECS[pq - 1].status],
         "Võ Thị Tỉnh", datetime(2025, 6, 18)],
    ]
    assert total is None
    assert ws[f"I{FIRST}"].number_format == "dd/mm/yyyy"


async def test_a_province_sized_export_written_in_a_child_process_is_the_same_workbook(
    board: Board, admin_book: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)  # as if the province had 20,000 more
    wb = await export_via_chat(board.admin)
    assert wb.sheetnames == admin_book.sheetnames
    for ws in wb.worksheets:
        same = admin_book[ws.title]
        assert rows(ws, 1) == rows(same, 1), ws.title
        assert ws.auto_filter.ref == same.auto_filter.ref
        assert ws.print_title_rows == same.print_title_rows and ws.freeze_panes == same.freeze_panes
        merged = {str(r) for r in ws.merged_cells.ranges}
        assert merged == {str(r) for r in same.merged_cells.ranges}


async def test_a_reviewers_workbook_holds_only_their_communes(board: Board) -> None:
    wb = await export_via_chat(board.rcd)
    mine = expected(CHAU_DOC)
    assert wb["Danh sách"]["A2"].value == ("Danh sách câu chuyện · Thời gian: từ trước đến nay"
                                           " · Phạm vi: Phường Châu Đốc · 9 câu chuyện"
                                           " · Lập ngày 18/06/2025")
    listing, _ = table(wb["Danh sách"])
    assert len(listing) == len(mine) and {r[6] for r in listing} == {"Phường Châu Đốc"}
    communes, _ = table(wb["Theo địa bàn"])
    assert communes == [["Phường Châu Đốc", *count_row(mine)]]
    contents, _ = table(wb["Theo nội dung thi đua"])
    assert sum(r[-1] for r in contents) == len(mine)
    assert [r[3] for r in table(wb["Đề nghị khen thưởng"])[0]] == ["Phường Châu Đốc"]
    assert {r[0] for r in table(wb["Tổng hợp"])[0]} == {"Phường Châu Đốc"}


async def test_an_empty_period_gives_a_workbook_that_says_so(board: Board) -> None:
    replies = await board.rp.says("/export 01/01/2030 02/01/2030")
    assert board.rp.text == ("Không có câu chuyện nào từ 01/01/2030 đến 02/01/2030."
                             " Tệp vẫn có đủ các trang (để trống).")
    data = replies[0].files[0].data
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws["A2"].value.endswith(
            "Thời gian: từ 01/01/2030 đến 02/01/2030 · Phạm vi: toàn tỉnh"
            " · không có câu chuyện nào trong thời gian này · Lập ngày 18/06/2025"), ws.title
        assert ws[HEADER][0].value is not None  # the header row is there
    assert table(wb["Danh sách"])[0] == []
    assert table(wb["Đề nghị khen thưởng"])[0] == []
    contents, total = table(wb["Theo nội dung thi đua"])
    assert [r[-1] for r in contents] == [0] * 5
    assert total is not None and shown(wb["Theo nội dung thi đua"], total[-1]) == 0


async def test_text_that_looks_like_a_formula_is_stored_as_text(
    board: Board, storage: Storage
) -> None:
    lan = await storage.people.find("fake", "u1")
    assert lan is not None
    story_id = await put(storage, lan, "risky", commune=CHAU_DOC, kind="good_deed", content=1,
                         status="pending", created_at="2025-06-17T02:00:00+00:00", **RISKY,
                         review_note="=SUM(A1)")
    wb = await export_via_chat(board.rcd)
    ws = wb["Danh sách"]
    row = next(r for r in ws.iter_rows(min_row=FIRST) if r[0].value == story_id)
    cells = {"honoree_name": row[7], "honoree_role": row[8], "title": row[9],
             "description": row[10], "review_note": row[19]}
    for field, cell in cells.items():
        assert cell.data_type == "s", field
        assert cell.value == {**RISKY, "review_note": "=SUM(A1)"}[field], field


async def test_a_range_keeps_the_stories_filed_in_it_by_local_day(board: Board) -> None:
    # Monday 16/06 to Tuesday 17/06 local: exactly this week's stories (all filed before NOW).
    wb = await export_via_chat(board.rp, "16/06/2025 17/06/2025")
    listing, _ = table(wb["Danh sách"])
    assert [r[0] for r in listing] == [i + 1 for i, s in enumerate(SPECS) if s.weeks_ago == 0]
    assert board.rp.text == (
        f"📊 Bảng tổng hợp Gương Sáng từ 16/06/2025 đến 17/06/2025: {len(listing)} câu chuyện.")
    assert {r[1] for r in listing} == {datetime(2025, 6, 16), datetime(2025, 6, 17)}
    assert "Thời gian: từ 16/06/2025 đến 17/06/2025" in wb["Danh sách"]["A2"].value


async def test_an_open_range_says_so_in_the_caption_and_the_title(board: Board) -> None:
    wb = await export_via_chat(board.rp, "17/06/2025")
    assert board.rp.text.startswith("📊 Bảng tổng hợp Gương Sáng từ 17/06/2025 đến nay:")
    assert "Thời gian: từ 17/06/2025 đến nay" in wb["Tổng hợp"]["A2"].value


# --- python -m bot export -----------------------------------------------------------------------


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    names = {name.upper() for name in Settings.model_fields}
    environ = {k: v for k, v in os.environ.items() if k.upper() not in names}
    environ.update(DATABASE_PATH=str(db), TELEGRAM_BOT_TOKEN="", PUBLISH_CHAT_ID="-100777",
                   PYTHONIOENCODING="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *args], cwd=PROJECT, env=environ,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8", timeout=60,
        check=False,
    )


# Filed at the edges of 2025-01-01 … 2025-06-30 in An Giang (UTC+7), as UTC instants.
EDGES = [
    ("2024-12-31T16:30:00+00:00", False),  # 31/12/2024 23:30 local
    ("2024-12-31T17:30:00+00:00", True),  # 01/01/2025 00:30 local
    ("2025-03-15T05:00:00+00:00", True),
    ("2025-06-30T16:30:00+00:00", True),  # 30/06/2025 23:30 local
    ("2025-06-30T17:30:00+00:00", False),  # 01/07/2025 00:30 local
]


@pytest.fixture
async def cli_db(tmp_path: Path) -> AsyncIterator[Path]:
    path = tmp_path / "cli" / "gs.sqlite3"
    store = await open_storage(path)
    try:
        lan = await person(store, "u1", "Trần Thị Bình")
        for i, (stamp, _) in enumerate(EDGES):
            await put(store, lan, f"e{i}", commune=LONG_XUYEN, kind="good_deed", content=1,
                      status="published" if i == 2 else "pending", created_at=stamp,
                      published_message_id="55" if i == 2 else None)
        await put(store, lan, "risky", commune=PHU_QUOC, kind="new_factor", content=3,
                  status="pending", created_at="2025-03-16T05:00:00+00:00", **RISKY)
    finally:
        await store.close()
    yield path


def test_the_cli_writes_a_csv_with_a_bom_and_guards_formulas(cli_db: Path,
                                                              tmp_path: Path) -> None:
    out = tmp_path / "out" / "x.csv"
    done = _cli(cli_db, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 6 stories"
    raw = out.read_bytes()
    assert raw.startswith(BOM)
    found = list(csv.reader(io.StringIO(raw[len(BOM):].decode("utf-8"))))
    assert found[0] == LIST_HEADERS
    assert [r[0] for r in found[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert found[3][1] == "15/03/2025" and found[3][21] == "https://t.me/c/777/55"
    assert found[3][20] == SHORT  # names, not keys, in the CSV too
    risky = found[6]
    assert risky[7] == "'-2+3"
    assert risky[8] == "'@SUM(A1:A9)"
    assert risky[9] == "'" + RISKY["title"]
    assert risky[10] == "'" + RISKY["description"]
    assert risky[6] == "Đặc khu Phú Quốc"


def test_the_cli_xlsx_keeps_the_stories_filed_in_the_range(cli_db: Path,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    done = _cli(cli_db, "--out", str(out), "--from", "2025-01-01", "--to", "2025-06-30")
    assert done.returncode == 0, done.stderr
    inside = [i + 1 for i, (_, kept) in enumerate(EDGES) if kept] + [6]
    assert done.stdout.strip() == f"{out}: {len(inside)} stories"
    wb = load_workbook(out)
    assert wb.sheetnames == SHEETS
    listing, _ = table(wb["Danh sách"])
    assert [r[0] for r in listing] == inside
    assert [r[1] for r in listing] == [datetime(2025, 1, 1), datetime(2025, 3, 15),
                                       datetime(2025, 6, 30), datetime(2025, 3, 16)]
    assert wb["Danh sách"]["A2"].value.startswith(
        "Danh sách câu chuyện · Thời gian: từ 01/01/2025 đến 30/06/2025 · Phạm vi: toàn tỉnh"
        f" · {len(inside)} câu chuyện · Lập ngày ")
    summary = wb["Tổng hợp"]
    _, total = table(summary)
    assert total is not None and shown(summary, total[-1]) == len(inside)


def test_the_cli_says_in_one_line_when_it_cannot_write(cli_db: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("a file where a folder should be")
    done = _cli(cli_db, "--out", str(blocker / "x.xlsx"))
    assert done.returncode == 2
    assert done.stderr.startswith("Export failed: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


async def test_the_csv_export_keeps_the_stories_filed_in_the_range(
    cli_db: Path, tmp_path: Path
) -> None:
    from bot.app import export as export_file

    settings = Settings(_env_file=None, database_path=cli_db,  # type: ignore[call-arg]
                        publish_chat_id="-100777")
    out = tmp_path / "range.csv"
    listed = await export_file(settings, out, date(2025, 1, 1), date(2025, 6, 30), "csv")
    inside = [i + 1 for i, (_, kept) in enumerate(EDGES) if kept] + [6]
    assert listed == len(inside)
    found = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert [int(r[0]) for r in found[1:]] == inside
    assert [r[1] for r in found[1:]] == ["01/01/2025", "15/03/2025", "30/06/2025", "16/03/2025"]


# --- when storage fails, or the person goes away -------------------------------------------------


@pytest.mark.parametrize("in_child", [False, True], ids=["in a thread", "in a child process"])
async def test_a_database_failing_mid_export_gets_the_usual_apology_and_no_file(
    board: Board, storage: Storage, monkeypatch: pytest.MonkeyPatch, in_child: bool
) -> None:
    if in_child:
        monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)
    real = storage.reports.stories

    async def failing(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        count = 0
        async for row in real(*args, **kwargs):
            if count == 10:
                raise sqlite3.OperationalError("disk I/O error")
            count += 1
            yield row

    monkeypatch.setattr(storage.reports, "stories", failing)
    replies = await board.admin.says("/export")
    assert board.admin.text == ("Xin lỗi, đã có lỗi xảy ra. Câu trả lời của bạn chưa bị mất"
                                " — vui lòng thử lại.")
    assert replies[0].files == ()

    monkeypatch.setattr(storage.reports, "stories", real)
    wb = await export_via_chat(board.admin)  # the next export is whole
    assert len(table(wb["Danh sách"])[0]) == 30


@pytest.mark.parametrize("in_child", [False, True], ids=["in a thread", "in a child process"])
async def test_an_abandoned_export_stops_its_writer_and_leaves_no_file(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, in_child: bool
) -> None:
    import bot.export_child

    if in_child:
        monkeypatch.setattr(bot.export_child, "IN_PROCESS", 0)
    from bot.export import ExportRange, Period
    from bot.handlers.stats import write_export

    await populate(storage)
    row = await anext(storage.reports.stories(None, None, None))
    pulled, waiting, closed = 0, asyncio.Event(), asyncio.Event()
    gate = asyncio.Event()  # never set: storage hangs after some batches

    async def hanging(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        nonlocal pulled
        try:
            while True:
                if pulled == 1200:
                    waiting.set()
                    await gate.wait()
                pulled += 1
                yield row
        finally:
            closed.set()

    started: list[asyncio.subprocess.Process] = []
    real_exec = asyncio.create_subprocess_exec

    async def recorded(*args: Any, **kwargs: Any) -> asyncio.subprocess.Process:
        child = await real_exec(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(storage.reports, "stories", hanging)
    monkeypatch.setattr(bot.export_child.asyncio, "create_subprocess_exec", recorded)
    folder = tmp_path / "out"
    folder.mkdir()
    period = Period(None, None, None, NOW.date())
    task = asyncio.create_task(write_export(
        storage, catalogue("vi"), folder / "book.xlsx",
        ExportRange(91, ZoneInfo("Asia/Ho_Chi_Minh"), None), period))
    await asyncio.wait_for(waiting.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    # The child, if there was one, was stopped, not left running.
    assert [child.returncode is not None for child in started] == ([True] if in_child else [])
    assert closed.is_set()  # storage's reading was closed
    assert list(folder.iterdir()) == []  # neither the workbook nor a half-written part
    assert pulled == 1200


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in writer is a shell script")
async def test_a_writer_that_fails_says_why_in_one_line_and_leaves_no_file(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.export import ExportRange, Period
    from bot.export_child import ExportFailed
    from bot.handlers.stats import write_export

    monkeypatch.setattr("bot.export_child.IN_PROCESS", 0)
    await populate(storage)
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\ncat > /dev/null\necho 'Traceback (most recent call last):' >&2\n"
                      "echo 'OSError: [Errno 28] No space left on device' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(broken))
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ExportFailed) as failed:
        await write_export(storage, catalogue("vi"), folder / "book.xlsx",
                           ExportRange(91, ZoneInfo("Asia/Ho_Chi_Minh"), None),
                           Period(None, None, None, NOW.date()))
    assert str(failed.value) == ("the workbook could not be written:"
                                 " OSError: [Errno 28] No space left on device")
    assert list(folder.iterdir()) == []


async def test_a_workbook_over_two_campaigns_names_both_and_each_content_with_its_campaign(
    storage: Storage, tmp_path: Path
) -> None:
    from tests.test_campaigns_over_time import staff_and_stories

    admin, ids = await staff_and_stories(storage, tmp_path)
    wb = await export_via_chat(admin)
    standing = "Phong trào thi đua yêu nước thường xuyên"
    for ws in wb.worksheets:
        assert ws["A1"].value == f"{CAMPAIGN}; {standing}"
    contents, total = table(wb["Theo nội dung thi đua"])
    named = {r[1]: r[-1] for r in contents}
    assert len(contents) == 11  # five contents in each campaign, and the story without one
    assert named["Đợt thi đua đặc biệt năm 2025: " + CONTENTS[1]] == 1
    assert named["Đợt thi đua đặc biệt năm 2025: " + CONTENTS[2]] == 1
    assert named["Phong trào thi đua thường xuyên: " + CONTENTS[1]] == 1
    assert named["Chưa xác định nội dung"] == 1
    assert sum(named.values()) == 5
    assert total is not None and shown(wb["Theo nội dung thi đua"], total[-1]) == 5
    listing, _ = table(wb["Danh sách"])
    assert {r[0]: r[20] for r in listing} == {
        **dict.fromkeys(ids["an-giang-2025"], SHORT),
        **dict.fromkeys(ids["thuong-xuyen"], "Phong trào thi đua thường xuyên")}

    wb = await export_via_chat(admin, "thuong-xuyen")
    assert wb["Danh sách"]["A1"].value == standing
    contents, _ = table(wb["Theo nội dung thi đua"])
    assert [r[1] for r in contents][:2] == [CONTENTS[1], CONTENTS[2]]  # one campaign: no prefix
    assert contents[-1][1] == "Chưa xác định nội dung"


def test_the_cli_counts_one_story_in_the_singular(cli_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.csv"
    done = _cli(cli_db, "--out", str(out), "--from", "2025-03-15", "--to", "2025-03-15")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 1 story"
