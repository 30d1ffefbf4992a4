"""The import template /import sends: the story sheet with Vietnamese headers and one example
row, and a guide sheet explaining each column and listing the campaign's kinds and contents and
the province's communes (which the sheet's drop-down lists offer)."""

from __future__ import annotations

import io
from typing import Any

from bot.content import Campaign, Catalogue, Localities, catalogue
from bot.handlers.import_rows import COLUMNS, example_row
from bot.sheet_reader import MAX_BYTES, MAX_ROWS

__all__ = ["TEMPLATE_NAME", "template"]

TEMPLATE_NAME = "mau-nhap-cau-chuyen.xlsx"
_WIDTHS = {"description": 60, "title": 36, "commune": 24, "honoree": 26, "resident": 24,
           "contact": 30, "kind": 26, "honoree_role": 26}
_LAST = MAX_ROWS + 1  # the drop-down lists reach as far as rows may go


def template(campaign: Campaign, units: Localities, texts: Catalogue) -> bytes:
    """The workbook, as bytes: headers always in Vietnamese (the importer reads them), the
    guide in the person's language."""
    from openpyxl import Workbook  # openpyxl (20 MB of modules) only when a template is made
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = texts.t("officer.data_sheet")
    headers = catalogue("vi")
    sheet.append([headers.t(f"officer.col_{c.key}") for c in COLUMNS])
    sheet.append(example_row(campaign, units))
    for i, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = _WIDTHS.get(column.key, 16)
        sheet.cell(1, i).font = Font(bold=True)
        sheet.cell(1, i).alignment = Alignment(wrap_text=True, vertical="top")
        if column.key == "date":
            sheet.cell(2, i).number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "A2"
    guide = book.create_sheet(texts.t("officer.guide_sheet"))
    lists = _guide(guide, campaign, units, texts)
    _drop_downs(sheet, guide.title, lists)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _guide(guide: Any, campaign: Campaign, units: Localities, texts: Catalogue
           ) -> dict[str, tuple[int, int]]:
    """Write the guide; return where each list is (first and last row of column A)."""
    from openpyxl.styles import Alignment, Font

    lang, vi = texts.language, catalogue("vi")
    write = guide.append
    write([texts.t("officer.guide_title")])
    write([texts.t("officer.guide_campaign", name=campaign.text("name", lang))])
    write([texts.t("officer.guide_rules", max_rows=f"{MAX_ROWS:,}".replace(",", "."),
                   max_mb=MAX_BYTES // 1024 // 1024)])
    write([])
    write([texts.t("officer.guide_column"), texts.t("officer.guide_required"),
           texts.t("officer.guide_how")])
    for column in COLUMNS:
        need = "officer.guide_yes" if column.required else "officer.guide_no"
        write([vi.t(f"officer.col_{column.key}"), texts.t(need),
               texts.t(f"officer.help_{column.key}")])
    lists: dict[str, tuple[int, int]] = {}
    sections = (
        ("kind", "officer.guide_kinds", [[k.vi] for k in campaign.kinds]),
        ("content", "officer.guide_contents",
         [[str(c.number or i), c.label(lang)] for i, c in enumerate(campaign.contents, 1)]),
        ("commune", "officer.guide_communes", [[u.name] for u in units.units]),
    )
    for key, title, rows in sections:
        write([])
        write([texts.t(title)])
        first = guide.max_row + 1
        for row in rows:
            write(row)
        lists[key] = (first, first + len(rows) - 1)
    guide.column_dimensions["A"].width = 40
    guide.column_dimensions["C"].width = 90
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    guide["A1"].font = Font(bold=True, size=14)
    return lists


def _drop_downs(sheet: Any, guide: str, lists: dict[str, tuple[int, int]]) -> None:
    """Lists to pick from; anything else may still be typed (a commune without accents)."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    vi = catalogue("vi")
    words = {
        "resident_is": [vi.t("officer.resident_is_honoree"), vi.t("officer.resident_is_teller")],
        "shown": [vi.t("officer.yes_word"), vi.t("officer.no_word")],
        "consent": [vi.t("officer.yes_word"), vi.t("officer.no_word")],
    }
    quoted = guide.replace("'", "''")
    for i, column in enumerate(COLUMNS, start=1):
        if column.key in lists:
            first, last = lists[column.key]
            formula = f"'{quoted}'!$A${first}:$A${last}"
        elif column.key in words:
            formula = '"' + ",".join(words[column.key]) + '"'
        else:
            continue
        check = DataValidation(type="list", formula1=formula, allow_blank=True,
                               showErrorMessage=False)
        letter = get_column_letter(i)
        check.add(f"{letter}2:{letter}{_LAST}")
        sheet.add_data_validation(check)
