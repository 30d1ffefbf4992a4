"""The workbook for the summary report: Tổng hợp, Danh sách, Đề nghị khen thưởng (or a CSV)."""

from __future__ import annotations

import asyncio
import csv
import io
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiosqlite
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.content import Campaigns, Catalogue, load_library, localities
from bot.storage import Count, Nomination
from bot.workflow import STATUSES

__all__ = ["ExportRange", "published_link", "safe_text", "write_csv", "write_xlsx"]

_RISKY = ("=", "+", "-", "@", "\t", "\r")
# Rows written between two chances for the event loop to answer other people.
_YIELD_EVERY = 250


def safe_text(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (for CSV)."""
    return f"'{value}" if value.startswith(_RISKY) else value


def published_link(chat: str | None, message_id: str | None) -> str:
    """A t.me link to the post in the publishing channel, when there is one."""
    if not chat or not message_id:
        return ""
    if chat.startswith("@"):
        return f"https://t.me/{chat[1:]}/{message_id}"
    if chat.startswith("-100"):
        return f"https://t.me/c/{chat[4:]}/{message_id}"
    return ""


class ExportRange:
    """What to export: scope, window, where the publishing channel is, in which zone."""

    def __init__(self, province: int, tz: ZoneInfo, publish_chat: str | None,
                 campaigns: Campaigns | None = None) -> None:
        self.province = province
        self.tz = tz
        self.publish_chat = publish_chat
        self.campaigns = campaigns or load_library(None).campaigns

    def _day(self, iso: str) -> str:
        return datetime.fromisoformat(iso).astimezone(self.tz).strftime("%d/%m/%Y")

    def row(self, r: aiosqlite.Row, texts: Catalogue) -> list[Any]:
        """One story as a list of cells (every field)."""
        lang = texts.language
        kind = self.campaigns.kind(r["campaign"], r["kind"])
        content = self.campaigns.content(r["campaign"], r["content"])
        picked = content.movement(r["movement"]) if content else None
        movement = picked.label(lang) if picked else ""
        unit = localities(self.province).get(r["commune_code"])
        return [
            r["id"], self._day(r["created_at"]),
            date.fromisoformat(r["event_date"]).strftime("%d/%m/%Y"),
            kind.label(lang) if kind else r["kind"], content.label(lang) if content else "",
            movement, unit.name if unit else r["commune_code"], r["honoree_name"],
            r["honoree_role"], r["title"], r["description"], texts.t(f"status_name.{r['status']}"),
            r["reporter_name"] or "", r["reporter_phone"] or "",
            texts.t("report.summary_yes" if r["show_name"] else "report.summary_no"),
            r["channel"], r["photo_count"], r["latitude"], r["longitude"], r["review_note"] or "",
            r["campaign"], published_link(self.publish_chat, r["published_message_id"]),
        ]


def _headers(texts: Catalogue, key: str) -> list[str]:
    return texts.t(key).split("|")


def _cell(ws: Any, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _value(ws: Any, value: Any) -> Any:
    """A data cell for `ws.append`: text that openpyxl would store as a formula or an error code
    goes in a cell forced to text; anything else as is, which openpyxl types the same way (text
    as text) without building a cell object per value."""
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        return _cell(ws, value)
    return value


def _sheet(wb: Workbook, title: str, headers: Sequence[str], widths: Sequence[int]) -> Any:
    ws = wb.create_sheet(title)
    ws.freeze_panes = "A2"
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.append([_cell(ws, h, bold=True) for h in headers])
    return ws


def _filter(ws: Any, columns: int, rows: int) -> None:
    ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"


async def write_xlsx(out: Path | IO[bytes], rng: ExportRange, texts: Catalogue,
                     counts: list[Count], stories: AsyncIterator[aiosqlite.Row],
                     nominations: list[Nomination]) -> int:
    """Write the three sheets in streaming mode; return how many stories were listed."""
    wb = Workbook(write_only=True)
    statuses = list(STATUSES)
    headers = _headers(texts, "export.summary_headers")
    head = headers[:2] + [texts.t(f"status_name.{s}") for s in statuses] + headers[2:]
    ws = _sheet(wb, texts.t("export.sheet_summary"), head, [28, 28] + [12] * len(statuses) + [10])
    table: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for c in counts:
        table[(c.commune, c.kind)][c.status] += c.n
    units = localities(rng.province)
    totals = [0] * (len(statuses) + 1)
    def place(commune: int) -> str:
        unit = units.get(commune)
        return unit.name if unit else str(commune)

    for (commune, kind_value), by_status in sorted(
        table.items(), key=lambda kv: (place(kv[0][0]), kv[0][1])
    ):
        kind = next((k for k in rng.campaigns.kinds() if k.value == kind_value), None)
        values = [by_status.get(s, 0) for s in statuses]
        values.append(sum(values))
        totals = [a + b for a, b in zip(totals, values, strict=True)]
        ws.append([_cell(ws, place(commune)),
                   _cell(ws, kind.label(texts.language) if kind else kind_value), *values])
    ws.append([_cell(ws, texts.t("export.total"), bold=True), _cell(ws, ""), *totals])
    _filter(ws, len(head), len(table) + 1)

    list_headers = _headers(texts, "export.list_headers")
    widths = [7, 12, 12, 24, 30, 24, 22, 24, 24, 36, 60, 16, 20, 14, 10, 10, 8, 10, 10, 30, 14, 34]
    ws = _sheet(wb, texts.t("export.sheet_list"), list_headers, widths)
    listed = 0
    async for r in stories:
        ws.append([_value(ws, v) for v in rng.row(r, texts)])
        listed += 1
        if listed % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    _filter(ws, len(list_headers), listed)

    nom_headers = _headers(texts, "export.nomination_headers")
    ws = _sheet(wb, texts.t("export.sheet_nominations"), nom_headers,
                [7, 34, 50, 22, 36, 24, 16, 20, 12])
    for n in nominations:
        award = rng.campaigns.award(n.campaign, n.award)
        ws.append([_value(ws, v) for v in (
            n.story_id, award.label(texts.language) if award else n.award, n.reason,
            place(n.commune), n.title, n.honoree,
            texts.t(f"status_name.{n.status}"), n.nominated_by or "",
            datetime.fromisoformat(n.created_at).astimezone(rng.tz).strftime("%d/%m/%Y"))])
    _filter(ws, len(nom_headers), len(nominations))
    await asyncio.to_thread(wb.save, out)  # the zip step, off the event loop
    return listed


async def write_csv(out: IO[bytes], rng: ExportRange, texts: Catalogue,
                    stories: AsyncIterator[aiosqlite.Row]) -> int:
    """The story list as CSV, UTF-8 with a BOM so that Excel shows Vietnamese correctly."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(_headers(texts, "export.list_headers"))
    listed = 0
    async for r in stories:
        writer.writerow([safe_text(v) if isinstance(v, str) else v for v in rng.row(r, texts)])
        listed += 1
        if listed % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    text.flush()
    text.detach()
    return listed
