"""An online, consistent copy of the database with SQLite's backup API, safe while the bot runs,
and a mirror of the photo archive beside it."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

__all__ = ["backup", "mirror_media"]


def backup(source: Path, target: Path, pages: int = 1024) -> int:
    """Copy `source` into `target` page by page; return the schema version copied."""
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
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
        partial = target / item.parent / f".partial-{item.name}"
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(source / item, partial)
        partial.replace(target / item)
        copied += 1
    for item in sorted(held - wanted):
        shutil.rmtree(target / item)
    return len(wanted), copied, len(held - wanted)
