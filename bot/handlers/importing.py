"""/import: the template for officers, reviewers and admins, and the filled spreadsheet sent back
— every row checked like the report, then all of it filed in one go, or nothing."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import Settings
from bot.content import Campaigns, Catalogue, Safe, localities
from bot.handlers.context import Context, menu_reply
from bot.handlers.import_rows import COLUMNS, Problem, Row, RowRules, example_row
from bot.handlers.import_template import TEMPLATE_NAME, template
from bot.handlers.resident import FILERS
from bot.handlers.start import ask_consent_first, on_unknown
from bot.messages import Attachment, FileTooLarge, Reply
from bot.sheet_reader import MAX_BYTES, SheetRefused, read_sheet
from bot.storage import Imported, NewStory, Person, Refused, Storage
from bot.workflow import Role

__all__ = ["FLOW", "ImportFlow", "ImportReport", "on_document", "on_import", "report_text",
           "run_import"]

log = logging.getLogger(__name__)
FLOW = "import"
CHAT_LINES = 40  # problems listed in a chat answer; the command line lists them all


@dataclass(slots=True)
class ImportReport:
    """What became of a file: refused whole, rows refused (nothing filed), or filed."""

    filename: str
    refused: SheetRefused | None = None
    passed: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    example: list[int] = field(default_factory=list)
    imported: Imported | None = None
    banned: bool = False

    @property
    def filed(self) -> bool:
        """Whether the rows are in the database (now, or from an earlier import)."""
        return self.imported is not None


async def run_import(storage: Storage, settings: Settings, campaigns: Campaigns, filer: Person,
                     data: bytes, filename: str, now: datetime, channel: str,
                     scopes: frozenset[int] | None) -> ImportReport:
    """Check every row of the file and file them all through the door, or none; `scopes` are
    the communes the filer may file for (None: everywhere)."""
    report = ImportReport(filename)
    today = now.astimezone(settings.tz).date()
    campaign = campaigns.filing(today)[0]
    units = localities(settings.province_code)

    def serves(code: int) -> bool:
        return scopes is None or 0 in scopes or code in scopes

    rules = RowRules(campaign, units, today, serves, filer.id)

    def check() -> tuple[list[Row], list[Problem], list[int]]:
        return rules.check(read_sheet(data), example_row(campaign, units))

    try:
        report.passed, report.problems, report.example = await asyncio.to_thread(check)
    except SheetRefused as exc:
        report.refused = exc
        return report
    if report.problems:
        return report
    if not report.passed:
        report.refused = SheetRefused("officer.import_empty")
        return report
    agreed = now.isoformat(timespec="seconds")
    stories = [NewStory(submission_key=row.key, reporter_id=filer.id, channel=channel,
                        campaign=campaign.key, movement=None, resident_consent_at=agreed,
                        **row.fields) for row in report.passed]
    source: dict[str, object] = {"file": filename[:200],
                                 "sha256": hashlib.sha256(data).hexdigest()}
    try:
        report.imported = await storage.behalf.file_all(
            stories, by=filer.id, source=source, notify_reviewers=settings.notify_reviewers)
    except Refused:
        report.banned = True
    return report


def _ranges(numbers: Iterable[int], mark: str = "") -> str:
    """2–5, 7, 9–12 (or #2–#5 …)."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(f"{mark}{a}" if a == b else f"{mark}{a}–{mark}{b}" for a, b in spans)


def report_text(texts: Catalogue, report: ImportReport, lines: int | None = CHAT_LINES,
                contact: str | None = None) -> Safe:
    """The answer: why the file was refused (with the board's contact, if set, when the
    officer may not file); every refused row with its column and reason, and the rows that
    were fine; or what was filed."""
    name = report.filename or TEMPLATE_NAME
    if report.refused is not None:
        return texts.t(report.refused.key, name=name, **report.refused.values)
    if report.banned:
        return texts.t("roles.you_are_banned_contact", contact=contact) if contact \
            else texts.t("roles.you_are_banned")
    example = texts.t("officer.import_example_skipped", rows=_ranges(report.example)) \
        if report.example else ""
    if report.problems:
        shown = report.problems if lines is None else report.problems[:lines]
        body = [texts.t("officer.import_refused", name=name,
                        bad=len({p.row for p in report.problems}))]
        body += [texts.t("officer.import_line", row=p.row,
                         column=texts.t(f"officer.col_{p.column}"),
                         reason=texts.t(p.key, **p.values)) for p in shown]
        if len(report.problems) > len(shown):
            body.append(texts.t("officer.import_more", count=len(report.problems) - len(shown)))
        if report.passed:
            body.append(texts.t("officer.import_good_rows", count=len(report.passed),
                                rows=_ranges(r.number for r in report.passed)))
        return Safe("\n".join(body) + example)
    imported = report.imported
    assert imported is not None
    if not imported.new:
        return Safe(texts.t("officer.import_again", name=name, count=len(imported.ids),
                            ids=_ranges(imported.ids, "#"),
                            rows=_ranges(r.number for r in report.passed)) + example)
    new = set(imported.new)
    rows = [r.number for r, i in zip(report.passed, imported.ids, strict=True) if i in new]
    older = [r.number for r, i in zip(report.passed, imported.ids, strict=True) if i not in new]
    text: str = texts.t("officer.import_done", name=name, count=len(imported.new),
                        rows=_ranges(rows), ids=_ranges(imported.new, "#"))
    if older:
        text += texts.t("officer.import_already", count=len(older), rows=_ranges(older))
    return Safe(text + example)


async def on_import(ctx: Context) -> list[Reply]:
    """/import: the template, and the bot waits for the filled file."""
    if ctx.person.role not in FILERS:
        return [Reply(ctx.t("officer.import_not_allowed"))]
    if not ctx.person.consent:
        return await ask_consent_first(ctx, then="import")
    campaign = ctx.campaigns.filing(ctx.today.date())[0]
    units = localities(ctx.settings.province_code)
    data = await asyncio.to_thread(template, campaign, units, ctx.texts)
    ctx.state.reset()
    takes = ctx.incoming.traits.takes_files
    if takes:  # where no file can come back, nothing is awaited
        ctx.state.flow, ctx.state.step = FLOW, "file"
    send = ctx.t("officer.import_send_elsewhere" if not takes
                 else "officer.import_send_path" if ctx.incoming.traits.photo_by_path
                 else "officer.import_send_here")
    text = ctx.t("officer.import_template", max=MAX_BYTES // 1024 // 1024, columns=len(COLUMNS),
                 campaign=campaign.short(ctx.person.language), send=send)
    return [Reply(text, files=(Attachment(TEMPLATE_NAME, data),))]


async def on_document(ctx: Context) -> list[Reply]:
    """A file sent outside any question: an import, from staff; otherwise not understood."""
    if ctx.incoming.document is None or ctx.person.role not in FILERS or not ctx.person.consent:
        return await on_unknown(ctx)
    return await _take_file(ctx)


class ImportFlow:
    """Waiting for the filled spreadsheet after /import."""

    async def reask(self, ctx: Context) -> list[Reply]:
        """Say again what is awaited."""
        return [Reply(ctx.t("officer.import_waiting"))]

    async def handle(self, ctx: Context) -> list[Reply]:
        """A file is the import; anything else is reminded what to send."""
        if ctx.incoming.document is None:
            return [Reply(ctx.t("officer.import_waiting"))]
        return await _take_file(ctx)


def _size_of(exc: FileTooLarge) -> int | None:
    """The size the channel found (declared, or read before it stopped), if it said one."""
    found = exc.args[0] if exc.args else None
    return found if isinstance(found, int) and found > 0 else None


def _megabytes(size: int) -> str:
    """A size in MB with one decimal, rounded up (so a file over the cap never reads as at it)."""
    return f"{math.ceil(size * 10 / 1024 / 1024) / 10:.1f}".replace(".", ",")


async def _take_file(ctx: Context) -> list[Reply]:
    """Fetch the file (never more than the cap), import it, answer with the report."""
    document = ctx.incoming.document
    assert document is not None
    ctx.state.reset()
    if ctx.person.role not in FILERS:
        return [Reply(ctx.t("officer.import_not_allowed"))]
    name = document.filename[:120]
    try:
        data = await document.fetch(MAX_BYTES)
    except FileTooLarge as exc:
        size = _megabytes(_size_of(exc) or document.size or MAX_BYTES + 1)
        return [Reply(ctx.t("officer.import_too_big", name=name, size=size,
                            max=MAX_BYTES // 1024 // 1024))]
    except Exception:  # the channel could not give the file: ask for it again
        log.warning("could not fetch a document from %s", ctx.incoming.channel, exc_info=True)
        return [Reply(ctx.t("officer.import_download_failed", name=name))]
    scopes = None if ctx.person.role == Role.ADMIN else (
        await ctx.storage.roles.scopes(ctx.person.id))
    report = await run_import(ctx.storage, ctx.settings, ctx.campaigns, ctx.person, data, name,
                              ctx.now, ctx.incoming.channel, scopes)
    return [menu_reply(ctx, report_text(ctx.texts, report, contact=ctx.settings.contact))]
