"""An online, consistent copy of the database with SQLite's backup API, safe while the bot runs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["backup"]


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
