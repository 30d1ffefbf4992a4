"""Spreadsheets an officer might send to /import, good and bad (helpers for the import tests)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from openpyxl import Workbook, load_workbook

from bot.content import catalogue
from bot.handlers.import_rows import COLUMNS
from tests.conftest import GOOD_DESCRIPTION

HEADERS = [catalogue("vi").t(f"officer.col_{c.key}") for c in COLUMNS]
COMMUNES = ("Long Xuyên", "long xuyen", "Phường Long Xuyên", "Mỹ Thới", "my thoi")


def row(n: int, **changes: object) -> dict[str, object]:
    """Resident n's story, as a commune officer types it; `changes` replace cells by key."""
    cells: dict[str, object] = {
        "commune": COMMUNES[n % len(COMMUNES)],
        "kind": "Gương người tốt, việc tốt" if n % 2 else "Mô hình hay, cách làm hay",
        "content": str(1 + n % 5),
        "honoree": f"Nguyễn Văn Hộ {n}",
        "honoree_role": "nông dân ấp Mỹ Thạnh",
        "title": f"Việc tốt số {n} của bà con ấp Mỹ Thạnh",
        "description": f"{GOOD_DESCRIPTION} (câu chuyện thứ {n})",
        "date": date(2025, 8, 1 + n % 28),
        "resident": f"Trần Thị Dân {n}",
        "contact": f"09123456{n % 100:02d}",
        "resident_is": "người kể",
        "shown": "không",
        "consent": "có",
    }
    cells.update(changes)
    return cells


def workbook(rows: Iterable[dict[str, object] | None], headers: list[str] | None = None,
             prepare: Callable[[Any], None] | None = None) -> bytes:
    """A workbook whose first sheet has the headers and the rows (None: an empty row);
    `prepare(sheet)` may add what a test needs (a formula, merged cells)."""
    book = Workbook()
    sheet = book.active
    names = headers or HEADERS
    sheet.append(names)
    keys = [c.key for c in COLUMNS]
    for cells in rows:
        if cells is None:
            sheet.append([])
            continue
        sheet.append([cells.get(keys[HEADERS.index(h)]) if h in HEADERS else "x"
                      for h in names])
    if prepare:
        prepare(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filled_template(template: bytes, rows: Iterable[dict[str, object]]) -> bytes:
    """The bot's own template with its example row overwritten by `rows`, saved again."""
    book = load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    sheet.delete_rows(2)
    keys = [c.key for c in COLUMNS]
    for cells in rows:
        sheet.append([cells.get(k) for k in keys])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bomb() -> bytes:
    """A small file that claims an xlsx's parts and unpacks to far more than any sheet needs."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (70 * 1024 * 1024))
    return out.getvalue()
