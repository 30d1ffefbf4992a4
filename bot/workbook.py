"""The workbook's layout, written by rustpy-xlsxwriter (the Python bindings of rust_xlsxwriter).

Every sheet has the campaign's name and the period above its table, a bold header row that is
frozen, filtered and repeated on each printed page, and prints landscape, one page wide. Rows
may come from an iterator: the writer streams them in constant memory (finished rows go to a
temporary file), so a sheet of any length costs the same memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from rustpy_xlsxwriter import FastExcel, Format

__all__ = ["FIRST_DATA", "HEADER_ROW", "Column", "Table", "Title", "save_workbook"]

HEADER_ROW = 3  # 0-based: title, period, group labels, then the column names
FIRST_DATA = HEADER_ROW + 1
DATE_FORMAT = "dd/mm/yyyy"
Style = Literal["", "wrap", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column: its header, its width in characters, and how its cells look."""

    header: str
    width: float
    style: Style = ""
    total: bool = False  # summed in the total row under the table


@dataclass(frozen=True, slots=True)
class Title:
    """What every sheet says above its table."""

    campaign: str
    subtitle: Callable[[str], str]  # the sheet's subject → its line with period, scope, date


@dataclass
class Table:
    """One sheet: its name, subject, columns, rows, and group labels over the header."""

    name: str
    subject: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    groups: Sequence[tuple[int, int, str]] = ()  # (first column, last column, label)
    total_label: str = ""
    quiet_columns: Sequence[str] = field(default_factory=tuple)  # digits kept as text on purpose


def _formats() -> dict[str, Format]:
    return {
        "title": Format().set_bold().set_font_size(14).set_text_wrap().set_align("vcenter"),
        "subtitle": Format().set_italic().set_text_wrap().set_align("vcenter"),
        "group": (Format().set_bold().set_align("center").set_align("vcenter")
                  .set_border("thin").set_background_color("#D9E1F2")),
        "header": (Format().set_bold().set_text_wrap().set_align("center").set_align("vcenter")
                   .set_border("thin").set_background_color("#D9E1F2")),
        "wrap": Format().set_text_wrap().set_align("top"),
        "date": Format().set_num_format(DATE_FORMAT).set_align("top"),
        "total": Format().set_bold().set_border_top("thin"),
    }


def _records(keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Rows as the dicts the writer takes; one empty row when there are none, so that the
    header row is still written (the writer takes the column names from the first row)."""
    empty = True
    for row in rows:
        empty = False
        yield dict(zip(keys, row, strict=True))
    if empty:
        yield dict.fromkeys(keys)


def _lines(text: str, width: float, wide: float = 1.0) -> int:
    """About how many lines `text` takes in a wrapped cell `width` characters wide."""
    per_line = max(1, int(width * 1.1 / wide))
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _heights(table: Table, subtitle: str, campaign: str) -> dict[int, float]:
    """Row heights in points, set ahead: spreadsheets that open the file without measuring
    wrapped text (LibreOffice, phone viewers) would otherwise cut it to one line."""
    width = sum(c.width for c in table.columns)
    heights = {0: 19.0 * _lines(campaign, width, 1.5), 1: 15.0 * _lines(subtitle, width),
               HEADER_ROW: 15.0 * max(_lines(c.header, c.width, 1.1) for c in table.columns)}
    wrapped = [i for i, c in enumerate(table.columns) if c.style == "wrap"]
    if wrapped and isinstance(table.rows, list):  # a streamed table cannot be measured ahead
        for n, row in enumerate(table.rows):
            lines = max(_lines(str(row[i] or ""), table.columns[i].width) for i in wrapped)
            if lines > 1:
                heights[FIRST_DATA + n] = 15.0 * lines
    return heights


def _add(book: FastExcel, table: Table, title: Title, page_footer: str,
         formats: dict[str, Format]) -> None:
    keys = [c.header for c in table.columns]
    last = len(keys) - 1
    subtitle = title.subtitle(table.subject)
    merges: list[tuple[Any, ...]] = [
        (0, 0, 0, last, title.campaign, formats["title"]),
        (1, 0, 1, last, subtitle, formats["subtitle"]),
    ]
    merges += [(2, first, 2, end, label, formats["group"])
               for first, end, label in table.groups if end > first]
    styled = {"wrap": formats["wrap"], "date": formats["date"]}
    totals = {c.header: "=SUBTOTAL(109,{col}{first}:{col}{last})"
              for c in table.columns if c.total}
    options: dict[str, Any] = {}
    if totals:
        options.update(totals_row=totals, totals_label=table.total_label,
                       totals_format=formats["total"])
    if table.quiet_columns:
        options["ignore_errors"] = list(table.quiet_columns)
    book.sheet(
        table.name, _records(keys, table.rows), header_row=HEADER_ROW, merge_ranges=merges,
        row_heights=_heights(table, subtitle, title.campaign), header_format=formats["header"],
        column_widths=[c.width for c in table.columns],
        column_formats={c.header: styled[c.style] for c in table.columns if c.style},
        autofilter=True,
        page_setup={"landscape": True, "paper_size": 9, "fit_to_pages": (1, 0),
                    "repeat_rows": (2, HEADER_ROW), "footer": f"&C{page_footer}"},
        **options,
    )
    book.freeze(row=FIRST_DATA, sheet=table.name)


def save_workbook(out: Path | BinaryIO, tables: Sequence[Table], title: Title,
                  page_footer: str) -> None:
    """Write the sheets in order (blocking, seconds for a province: bot.export_child runs it)."""
    formats = _formats()
    book = FastExcel(out, output_format="xlsx")
    for table in tables:
        _add(book, table, title, page_footer, formats)
    book.save()
