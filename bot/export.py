"""What a story looks like in the board's reports: names instead of keys, real dates, the CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import operator
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import aiosqlite

from bot.content import Campaigns, Catalogue, fold, load_library, localities
from bot.messages import plain_text
from bot.workflow import STATUSES

__all__ = ["CELL_LIMIT", "FIELDS", "ExportRange", "Labels", "Period", "day_text",
           "headers", "published_link", "range_text", "safe_text", "story_cells", "write_csv"]

_RISKY = ("=", "+", "-", "@", "\t", "\r")
# Rows written between two chances for the event loop to answer other people (CSV).
_YIELD_EVERY = 250
# Excel refuses a cell longer than this; free text is cut to it rather than fail the export.
CELL_LIMIT = 32_767
CHANNELS = ("telegram", "zalo", "zalo_oa", "console")
# The fields of a story row that make its cells (story_cells reads these and no others).
FIELDS = ("id", "created_at", "event_date", "campaign", "kind", "content", "movement",
          "commune_code", "honoree_name", "honoree_role", "title", "description", "status",
          "reporter_name", "reporter_phone", "show_name", "channel", "photo_count", "latitude",
          "longitude", "review_note", "published_message_id", "resident_name", "resident_contact")


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
    """Where the export happens: the province, its time zone, the publishing channel, and the
    campaigns whose words name a story's keys."""

    def __init__(self, province: int, tz: ZoneInfo, publish_chat: str | None,
                 campaigns: Campaigns | None = None) -> None:
        self.province = province
        self.tz = tz
        self.publish_chat = publish_chat
        self.campaigns = campaigns or load_library(None).campaigns

    def local_day(self, iso: str) -> date:
        """The day in the province of an instant stored in UTC."""
        return datetime.fromisoformat(iso).astimezone(self.tz).date()


@dataclass(frozen=True, slots=True)
class Period:
    """What an export covers: days from `start` to `end` (either may be open), a scope (None is
    the whole province), the day it was made, and one campaign's key (None: every campaign)."""

    start: date | None
    end: date | None
    scope: frozenset[int] | None
    made: date
    campaign: str | None = None


def range_text(texts: Catalogue, start: date | None, end: date | None) -> str:
    """The period in words: 'từ 01/01/2025 đến 30/06/2025', 'từ trước đến nay' …"""
    if start and end:
        words = texts.t("export.range", start=day_text(start), end=day_text(end))
    elif start:
        words = texts.t("export.range_from", start=day_text(start))
    elif end:
        words = texts.t("export.range_until", end=day_text(end))
    else:
        words = texts.t("export.range_all")
    return plain_text(words)


def day_text(value: date) -> str:
    """A day as the board writes it: 18/06/2025."""
    return value.strftime("%d/%m/%Y")


class Labels:
    """The names a reader sees for the keys storage holds, each looked up once per export."""

    def __init__(self, rng: ExportRange, texts: Catalogue) -> None:
        self.texts = texts
        self.campaigns = rng.campaigns
        self.language = texts.language
        self.statuses = {str(s): self.plain(f"status_name.{s}") for s in STATUSES}
        self.channels = {c: self.plain(f"export.channel_{c}") for c in CHANNELS}
        self.yes, self.no = self.plain("report.summary_yes"), self.plain("report.summary_no")
        self.no_content = self.plain("export.no_content")
        self.units = localities(rng.province)
        self._names: dict[tuple[str, ...], str] = {}

    def plain(self, key: str, **values: object) -> str:
        """A catalogue text as plain text (no markup, nothing escaped)."""
        return plain_text(self.texts.t(key, **values))

    def campaign(self, key: str) -> str:
        """A campaign's full name."""
        name = self._names.get(("campaign", key))
        if name is None:
            found = self.campaigns.get(key)
            name = found.text("name", self.language) if found else key
            self._names[("campaign", key)] = name
        return name

    def campaign_short(self, key: str) -> str:
        """A campaign's short name (the list's column: the full name heads every sheet)."""
        name = self._names.get(("short", key))
        if name is None:
            found = self.campaigns.get(key)
            name = found.short(self.language) if found else key
            self._names[("short", key)] = name
        return name

    def kind(self, campaign: str, value: str) -> str:
        """A kind's name, as its campaign words it."""
        name = self._names.get(("kind", campaign, value))
        if name is None:
            kind = self.campaigns.kind(campaign, value)
            name = kind.label(self.language) if kind else value
            self._names[("kind", campaign, value)] = name
        return name

    def content(self, campaign: str, key: str | None) -> str:
        """An emulation content's name ('not set' for a story filed without one)."""
        name = self._names.get(("content", campaign, key or ""))
        if name is None:
            content = self.campaigns.content(campaign, key)
            name = content.label(self.language) if content else self.no_content
            self._names[("content", campaign, key or "")] = name
        return name

    def movement(self, campaign: str, content: str | None, key: str | None) -> str:
        """A movement's name, or nothing."""
        if key is None:
            return ""
        name = self._names.get(("movement", campaign, content or "", key))
        if name is None:
            movement = self.campaigns.movement(campaign, content, key)
            name = movement.label(self.language) if movement else ""
            self._names[("movement", campaign, content or "", key)] = name
        return name

    def award(self, campaign: str, award_id: str) -> str:
        """An award form's name."""
        award = self.campaigns.award(campaign, award_id)
        return award.label(self.language) if award else award_id

    def place(self, code: int) -> str:
        """A commune's full name."""
        unit = self.units.get(code)
        return unit.name if unit else str(code)

    def place_order(self, code: int) -> tuple[str, int]:
        """Sort key putting communes in alphabetical order, accents aside ('Đ' with 'D')."""
        return fold(self.place(code)), code

    def status(self, value: str) -> str:
        """A status's name."""
        return self.statuses.get(value, value)


def _cut(value: str | None) -> str | None:
    return value[:CELL_LIMIT] if value is not None and len(value) > CELL_LIMIT else value


def story_cells(values: Sequence[Any], labels: Labels, rng: ExportRange) -> list[Any]:
    """One story (the values of FIELDS, in that order) as the list's cells: names, not keys;
    the two dates as dates."""
    (story_id, created_at, event_date, campaign, kind, content, movement, commune, honoree_name,
     honoree_role, title, description, status, reporter_name, reporter_phone, show_name,
     channel, photo_count, latitude, longitude, review_note, message_id, resident_name,
     resident_contact) = values
    return [
        story_id, rng.local_day(created_at), date.fromisoformat(event_date),
        labels.kind(campaign, kind), labels.content(campaign, content),
        labels.movement(campaign, content, movement), labels.place(commune),
        _cut(honoree_name), _cut(honoree_role), _cut(title), _cut(description),
        labels.status(status), _cut(reporter_name) or "", reporter_phone or "",
        labels.yes if show_name else labels.no, labels.channels.get(channel, channel),
        photo_count, latitude, longitude, _cut(review_note) or "",
        labels.campaign_short(campaign), published_link(rng.publish_chat, message_id),
        _cut(resident_name) or "", resident_contact or "",
    ]


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


def headers(labels: Labels, key: str) -> list[str]:
    """A '|'-separated row of column names from the catalogue."""
    return labels.plain(key).split("|")


async def write_csv(out: IO[bytes], rng: ExportRange, texts: Catalogue,
                    stories: AsyncIterator[aiosqlite.Row]) -> int:
    """The story list as CSV, UTF-8 with a BOM so that Excel shows Vietnamese correctly."""
    labels = Labels(rng, texts)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(headers(labels, "export.list_headers"))
    listed = 0
    pick: operator.itemgetter[Any] | None = None
    async for r in stories:
        if pick is None:
            names = list(r.keys())
            pick = operator.itemgetter(*(names.index(field) for field in FIELDS))
        writer.writerow(_csv_row(story_cells(pick(r), labels, rng)))
        listed += 1
        if listed % _YIELD_EVERY == 0:
            await asyncio.sleep(0)
    text.flush()
    text.detach()
    return listed


def _csv_row(cells: Iterable[Any]) -> list[Any]:
    return [_csv_value(v) for v in cells]
