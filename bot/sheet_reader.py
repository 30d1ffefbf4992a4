"""Reading a spreadsheet someone sent, as untrusted input: its size capped before it is opened,
its zip checked before openpyxl sees it, read-only with no formula evaluated, and refused whole
for formulas, merged cells or too many rows."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "Sheet",
    "SheetRefused",
    "read_sheet",
]

MAX_BYTES = 5 * 1024 * 1024  # the file as sent
# Rows with something in them, after the header. One file is filed in one transaction, during
# which other chats' writes wait: 1,000 rows take about 1.5 s; 10,000 would take 15.
MAX_ROWS = 1_000
MAX_COLUMNS = 40  # columns read; the template has far fewer
_MAX_UNZIPPED = 64 * 1024 * 1024  # every part of the file once unpacked (a zip bomb stops here)
_MAX_PARTS = 2_000
_REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\"")
_CHUNK = 64 * 1024


class SheetRefused(Exception):
    """The file cannot be imported: `key` names why in the catalogue, with its values."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(slots=True)
class Sheet:
    """The first worksheet: its header cells, and each non-empty row with its number."""

    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def read_sheet(data: bytes, max_rows: int = MAX_ROWS) -> Sheet:
    """The first worksheet's header and rows, or SheetRefused: too large, not an xlsx file
    (checked without parsing it), merged cells, a formula, more than `max_rows` rows."""
    if len(data) > MAX_BYTES:
        raise SheetRefused("officer.import_too_big", size=_megabytes(len(data)),
                           max=_megabytes(MAX_BYTES))
    if not data.startswith(b"PK\x03\x04"):
        raise SheetRefused("officer.import_not_xlsx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _check_parts(archive)
            merged = _merged_cells(archive)
    except zipfile.BadZipFile:
        raise SheetRefused("officer.import_not_xlsx") from None
    if merged:
        raise SheetRefused("officer.import_merged", cells=", ".join(merged[:5]))
    try:
        from openpyxl import load_workbook  # 20 MB of modules: loaded when a file comes

        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except SheetRefused:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or encrypted file
        raise SheetRefused("officer.import_broken") from None
    try:
        return _rows(book.worksheets[0], max_rows)
    except SheetRefused:
        raise
    except Exception:
        raise SheetRefused("officer.import_broken") from None
    finally:
        book.close()


def _count(number: int) -> str:
    """1.000, as Vietnamese writes it."""
    return f"{number:,}".replace(",", ".")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".replace(".", ",")


def _check_parts(archive: zipfile.ZipFile) -> None:
    """An xlsx package, small enough once unpacked."""
    parts = archive.infolist()
    names = {p.filename for p in parts}
    if len(parts) > _MAX_PARTS or not all(name in names for name in _REQUIRED_PARTS):
        raise SheetRefused("officer.import_not_xlsx")
    if sum(p.file_size for p in parts) > _MAX_UNZIPPED:
        raise SheetRefused("officer.import_too_big", size=">64", max=_megabytes(MAX_BYTES))


def _merged_cells(archive: zipfile.ZipFile) -> list[str]:
    """The ranges merged in any worksheet, read from its XML a piece at a time."""
    found: list[str] = []
    for part in archive.infolist():
        if not (part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")):
            continue
        tail = b""
        with archive.open(part) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                found.extend(m.group(1).decode() for m in _MERGE.finditer(window)
                             if m.end() > len(tail))
                tail = window[-512:]
    return list(dict.fromkeys(found))


def _rows(worksheet: Any, max_rows: int) -> Sheet:
    """Header and rows; a formula anywhere, or one row too many, refuses the whole file.

    Only the first `MAX_COLUMNS` columns are read, and no more rows than three times the limit
    (empty ones included), whatever size the file claims to be.
    """
    sheet: Sheet | None = None
    for seen, cells in enumerate(worksheet.iter_rows(max_col=MAX_COLUMNS)):
        if seen > 3 * max_rows + 100:
            raise SheetRefused("officer.import_too_many_rows", max=_count(max_rows))
        values: list[Any] = []
        number = 0
        for cell in cells:
            if cell.data_type == "f":
                raise SheetRefused("officer.import_formula", cell=cell.coordinate)
            number = number or getattr(cell, "row", 0) or 0
            values.append(cell.value)
        if sheet is None:
            if any(_filled(v) for v in values):
                sheet = Sheet([_header(v) for v in values])
            continue
        if not any(_filled(v) for v in values):
            continue  # an empty row is no story
        if len(sheet.rows) >= max_rows:
            raise SheetRefused("officer.import_too_many_rows", max=_count(max_rows))
        sheet.rows.append((number, values))
    if sheet is None or not sheet.rows:
        raise SheetRefused("officer.import_empty")
    return sheet


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _header(value: Any) -> str:
    return "" if value is None else " ".join(str(value).split())
