"""`python -m bot import FILE.xlsx [--as PERSON]`: the /import of a filled spreadsheet, from the
shell. The stories are filed, and audited, as the named officer, reviewer or admin (who then
hears the decisions), or as the operator at this terminal (console:<login>)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.app import open_checked
from bot.channels.console import CHANNEL, console_person
from bot.config import Settings
from bot.content import Library, catalogue
from bot.handlers.grants import Granting, Said, find_person
from bot.handlers.importing import report_text, run_import
from bot.handlers.resident import FILERS
from bot.messages import plain_text
from bot.sheet_reader import MAX_BYTES
from bot.workflow import Role

__all__ = ["import_file"]


async def import_file(settings: Settings, library: Library, path: Path,
                      as_person: str | None) -> tuple[str, int]:
    """The import's report as plain text, and the exit code: 0 when the rows are filed (now or
    by an earlier import), 1 when the file or a row was refused, 2 when the command was wrong."""
    texts = catalogue(settings.language)
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}", 2
    if size > MAX_BYTES:  # never read a file past the cap
        mb = f"{size / 1024 / 1024:.1f}".replace(".", ",")
        return plain_text(texts.t("officer.import_too_big", name=path.name, size=mb,
                                  max=MAX_BYTES // 1024 // 1024)), 1
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}", 2
    storage = await open_checked(settings, library)
    try:
        if as_person:
            found = await find_person(Granting(storage, settings, texts, None, "import"),
                                      as_person)
            if isinstance(found, Said):
                return f"--as {as_person}: {plain_text(found.text)}", 2
            if found.role not in FILERS:
                return (f"--as {as_person}: {plain_text(texts.t('officer.import_not_allowed'))}",
                        2)
            filer = found
            scopes = None if filer.role == Role.ADMIN else await storage.roles.scopes(filer.id)
        else:
            filer = await storage.people.get_or_create(CHANNEL, console_person(),
                                                       settings.language)
            scopes = None  # the operator at the shell imports for any commune
        report = await run_import(storage, settings, library.campaigns, filer, data, path.name,
                                  datetime.now(UTC), CHANNEL, scopes)
    finally:
        await storage.close()
    return plain_text(report_text(texts, report, lines=None)), 0 if report.filed else 1
