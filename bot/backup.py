"""An online, consistent copy of the database with SQLite's backup API, safe while the bot runs,
and a mirror of the photo archive beside it.

Copies are private (0600, in a 0700 folder). Nightly copies go into a folder under dated names
(`guongsang-YYYY-MM-DD.sqlite3`) and only the newest BACKUP_KEEP are kept, so data erased from
the database is gone from the backups after that many nights. The photo mirror holds exactly
what the archive holds: an erased story's photos leave it at the next backup.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from datetime import date
from pathlib import Path

__all__ = ["backup", "dated_name", "mirror_media", "prune"]

_DATED = re.compile(r"^guongsang-\d{4}-\d{2}-\d{2}\.sqlite3$")


def dated_name(day: date) -> str:
    """The file name of the nightly copy made on `day`."""
    return f"guongsang-{day.isoformat()}.sqlite3"


def backup(source: Path, target: Path, pages: int = 1024) -> int:
    """Copy `source` into `target` page by page; return the schema version copied."""
    if not source.is_file():
        raise FileNotFoundError(f"DATABASE_PATH {source}: there is no database file there")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    # A URI keeps the source read-only; as_uri() quotes '?' and '#' so they stay in the path.
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst, pages=pages)
        dst.execute("PRAGMA journal_mode = DELETE")
        check = dst.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise RuntimeError(f"the copy failed its integrity check: {check}")
        version = int(dst.execute("PRAGMA user_version").fetchone()[0])
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    return version


def mirror_media(source: Path, target: Path) -> tuple[int, int, int]:
    """Make `target` hold exactly the archive's items: copy the new ones, drop the ones erased.

    Archived items never change once written (their folder is named by the content's hash), so
    one mirror serves every nightly database copy beside it and copies only what is new.
    Returns (items now held, copied, removed).
    """
    wanted = {p.relative_to(source) for p in source.glob("??/*") if p.is_dir()
              and not p.name.startswith(".")} if source.is_dir() else set()
    held = {p.relative_to(target) for p in target.glob("??/*") if p.is_dir()} \
        if target.is_dir() else set()
    copied = 0
    for item in sorted(wanted - held):
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = target / item.parent / f".partial-{item.name}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source / item, partial)
        partial.replace(target / item)
        copied += 1
    for item in sorted(held - wanted):
        shutil.rmtree(target / item)
    return len(wanted), copied, len(held - wanted)


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` dated copies in `folder`; return what was removed."""
    dated = sorted((p for p in folder.iterdir() if _DATED.match(p.name)), reverse=True)
    removed = dated[keep:]
    for path in removed:
        path.unlink()
    return removed
