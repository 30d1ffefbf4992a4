"""The import spreadsheet's columns, and each row checked as the report's questions check their
answers: the commune by name (with or without accents), the kind and content of the campaign,
lengths, a date in the past and not before 2000, a phone, and the resident's consent."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.content import Campaign, Localities, catalogue, fold
from bot.handlers.answers import EARLIEST_YEAR, Length, parse_date, single_line
from bot.handlers.report_steps import DESCRIPTION, NAME, ROLE, TITLE
from bot.handlers.resident import HONOREE, TELLER, read_contact
from bot.messages import normalise
from bot.sheet_reader import Sheet, SheetRefused

__all__ = ["COLUMNS", "Column", "Problem", "Row", "RowRules", "columns_of", "example_row"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the template: its key, whether it must be filled, and its bounds."""

    key: str
    required: bool = True
    bounds: Length | None = None


COLUMNS = (
    Column("commune"), Column("kind"), Column("content"),
    Column("honoree", required=False, bounds=NAME), Column("honoree_role", bounds=ROLE),
    Column("title", bounds=TITLE), Column("description", bounds=DESCRIPTION), Column("date"),
    Column("resident", bounds=NAME), Column("contact"), Column("resident_is"),
    Column("shown", required=False), Column("consent"),
)
_YES, _NO = frozenset({"co", "x", "yes", "dong y", "da dong y", "1"}), frozenset(
    {"khong", "no", "chua", "chua dong y", "0"})


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong in one cell: the row's number, the column's key, the catalogue key."""

    row: int
    column: str
    key: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Row:
    """A row that passed: its number, the story's fields, and its submission key."""

    number: int
    fields: dict[str, Any]
    key: str


def _words(key: str) -> set[str]:
    """A catalogue text as typed in a cell, in either language, folded."""
    return {fold(catalogue(lang).t(key)) for lang in ("vi", "en")}


def _header_names(column: str) -> set[str]:
    return _words(f"officer.col_{column}")


def columns_of(sheet: Sheet) -> list[str | None]:
    """Which column each header names; SheetRefused for a header the template does not have,
    or a column of the template missing."""
    names = {c.key: _header_names(c.key) for c in COLUMNS}
    found: list[str | None] = []
    unknown: list[str] = []
    for header in sheet.headers:
        folded = fold(header)
        key = next((k for k, v in names.items() if folded in v), None)
        if header and key is None:
            unknown.append(header[:40])
        found.append(key)
    if unknown:
        raise SheetRefused("officer.import_unknown_columns", columns=", ".join(unknown[:10]))
    missing = [c.key for c in COLUMNS if c.key not in found]
    if missing:
        headers = ", ".join(f"“{catalogue('vi').t(f'officer.col_{k}')}”" for k in missing)
        raise SheetRefused("officer.import_missing_columns", columns=headers)
    return found


EXAMPLE_COMMUNE = 30307  # the template's example happens in Long Xuyen ward, the province's seat


def example_row(campaign: Campaign, units: Localities) -> list[object]:
    """The template's example, in column order (a row equal to it is never imported)."""
    texts = catalogue("vi")
    content = campaign.contents[0]
    unit = units.get(EXAMPLE_COMMUNE) or units.units[0]
    values = {"commune": unit.name, "kind": campaign.kinds[0].vi,
              "content": str(content.number or 1), "date": date(2025, 9, 2),
              "shown": texts.t("officer.no_word"),
              "resident_is": texts.t("officer.resident_is_teller"),
              "consent": texts.t("officer.yes_word")}
    return [values[c.key] if c.key in values else texts.t(f"officer.example_{c.key}")
            for c in COLUMNS]


class RowRules:
    """Checks rows for one campaign, one day, and the communes the filer serves."""

    def __init__(self, campaign: Campaign, units: Localities, today: date,
                 serves: Callable[[int], bool], filer: int) -> None:
        self.campaign, self.units, self.today, self.serves = campaign, units, today, serves
        self._filer = filer
        self._communes: dict[str, tuple[int | None, str, dict[str, object]]] = {}
        # What a cell may say for each choice, folded: the words in either language, a key,
        # or a number.
        self._kinds = {name: k.value for i, k in enumerate(campaign.kinds, 1)
                       for name in (fold(k.vi), fold(k.en), k.value, str(i))}
        self._contents = {name: c.key for i, c in enumerate(campaign.contents, 1)
                          for name in (str(c.number or i), c.key, fold(c.vi), fold(c.en),
                                       fold(c.short_vi), fold(c.short_en))}
        self._roles = {name: r for r in (HONOREE, TELLER)
                       for name in (*_words(f"officer.resident_is_{r}"), r)}

    def check(self, sheet: Sheet, example: Sequence[object] = ()
              ) -> tuple[list[Row], list[Problem], list[int]]:
        """(rows that passed, every problem, rows left out as the untouched example)."""
        columns = columns_of(sheet)
        passed: list[Row] = []
        problems: list[Problem] = []
        skipped: list[int] = []
        seen: dict[str, int] = {}
        shown = [_text(v, c.key) for v, c in zip(example, COLUMNS, strict=False)]
        for number, cells in sheet.rows:
            values = {key: cells[i] if i < len(cells) else None
                      for i, key in enumerate(columns) if key}
            if shown and [_text(values.get(c.key), c.key) for c in COLUMNS] == shown:
                skipped.append(number)
                continue
            found, wrong = self._row(number, values)
            problems.extend(wrong)
            if found is not None and not wrong:
                digest = _digest(self._filer, found)
                seen[digest] = seen.get(digest, 0) + 1
                passed.append(Row(number, found, f"import:{digest}:{seen[digest]}"))
        return passed, problems, skipped

    def _row(self, number: int, cells: dict[str, Any]) -> tuple[dict[str, Any] | None,
                                                                 list[Problem]]:
        problems: list[Problem] = []
        out: dict[str, Any] = {}

        def fail(column: str, key: str, **values: object) -> None:
            problems.append(Problem(number, column, key, values))

        text = {c.key: _text(cells.get(c.key), c.key) for c in COLUMNS}
        for column in COLUMNS:
            if column.required and not text[column.key]:
                fail(column.key, "officer.row_required")
            elif column.bounds and text[column.key]:
                problem = column.bounds.problem(text[column.key])
                if problem:
                    which, limit = problem
                    bound = "min" if which == "too_short" else "max"
                    fail(column.key, f"officer.row_{which}", length=len(text[column.key]),
                         **{bound: limit})
        self._commune(text["commune"], out, fail)
        self._choices(text, out, fail)
        self._date(cells.get("date"), text["date"], out, fail)
        if text["contact"]:
            contact, _ = read_contact(text["contact"])
            if contact is None:
                fail("contact", "officer.row_contact", value=text["contact"][:40])
            out["resident_contact"] = contact
        for key in ("honoree_role", "title", "description"):
            out[key] = text[key]
        out["resident_name"] = text["resident"]
        out["honoree_name"] = text["honoree"] or (
            text["resident"] if out.get("resident_is") == HONOREE else "")
        if not out["honoree_name"] and text["resident"]:
            fail("honoree", "officer.row_required")
        return (None, problems) if problems else (out, [])

    def _commune(self, value: str, out: dict[str, Any],
                 fail: Callable[..., None]) -> None:
        if not value:
            return
        if value not in self._communes:
            self._communes[value] = self._find(value)
        code, key, values = self._communes[value]
        if code is None:
            fail("commune", key, **values)
            return
        if not self.serves(code):
            unit = self.units.get(code)
            fail("commune", "officer.row_not_yours", name=unit.name if unit else code)
            return
        out["commune_code"] = code

    def _find(self, value: str) -> tuple[int | None, str, dict[str, object]]:
        found, sure = self.units.search(value[:60])
        if sure or len(found) == 1:
            return found[0].code, "", {}
        if found:
            names = ", ".join(u.name for u in found[:3])
            return None, "officer.row_commune_many", {"value": value[:60], "names": names}
        return None, "officer.row_commune_none", {"value": value[:60]}

    def _choices(self, text: dict[str, str], out: dict[str, Any],
                 fail: Callable[..., None]) -> None:
        """Kind and content of the campaign, who the resident is, their name shown, consent."""
        kind = self._kinds.get(fold(text["kind"]))
        if text["kind"] and kind is None:
            fail("kind", "officer.row_kind", value=text["kind"][:60],
                 choices=", ".join(k.vi for k in self.campaign.kinds))
        out["kind"] = kind
        content = self._contents.get(fold(text["content"]).rstrip("."))
        if text["content"] and content is None:
            fail("content", "officer.row_content", value=text["content"][:60],
                 count=len(self.campaign.contents))
        out["content"] = content
        role = self._roles.get(fold(text["resident_is"]))
        if text["resident_is"] and role is None:
            fail("resident_is", "officer.row_resident_is")
        out["resident_is"] = role
        shown = fold(text["shown"])
        if shown and shown not in _YES | _NO:
            fail("shown", "officer.row_yes_no")
        out["resident_shown"] = role == TELLER and shown in _YES
        if text["consent"] and fold(text["consent"]) not in _YES:
            fail("consent", "officer.row_no_consent")

    def _date(self, cell: Any, text: str, out: dict[str, Any],
              fail: Callable[..., None]) -> None:
        if not text:
            return
        day: date | None
        if isinstance(cell, datetime | date):
            day = cell.date() if isinstance(cell, datetime) else cell
            problem = ("date_future" if day > self.today
                       else "date_too_old" if day.year < EARLIEST_YEAR else None)
        else:
            answer = parse_date(text, self.today)
            day, problem = answer.value, answer.problem
        if problem or day is None:
            shown = day.strftime("%d/%m/%Y") if day else text[:30]
            fail("date", f"officer.row_{problem or 'date_bad'}", date=shown)
            return
        out["event_date"] = day


def _text(value: Any, column: str) -> str:
    """A cell as text, normalised like a typed answer (the description keeps its lines); a
    phone typed as a number (its leading 0 lost) gets it back."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if column == "contact" and isinstance(value, int) and len(str(value)) == 9:
        return f"0{value}"
    text = normalise(str(value))
    return text if column == "description" else single_line(text)


def _digest(filer: int, fields: dict[str, Any]) -> str:
    """The same row filed by the same person is the same submission, in any file."""
    body = json.dumps([filer, sorted((k, str(v)) for k, v in fields.items())],
                      ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
