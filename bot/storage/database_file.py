"""DATABASE_PATH checked before SQLite opens it: a usable, private SQLite file of a known schema."""

from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

__all__ = ["DatabaseFileError", "prepare_file"]

log = logging.getLogger(__name__)


class DatabaseFileError(Exception):
    """DATABASE_PATH cannot be used as it is; the message says why in one line."""


_HEADER = b"SQLite format 3\x00"


def _schema_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise DatabaseFileError(f"DATABASE_PATH {path}: {exc}") from None
    finally:
        conn.close()


def prepare_file(path: Path, latest: int) -> None:
    """Check DATABASE_PATH before SQLite opens it, and keep the file private.

    The folder is created 0700 and a new file 0600 (SQLite gives its -wal and -shm files the
    database file's mode); an existing file, -wal and -shm are set back to 0600. A folder, a
    file that is not SQLite, a folder that cannot be written or a schema newer than the code
    raise DatabaseFileError naming DATABASE_PATH; `latest` is the newest schema version known.
    """
    name = f"DATABASE_PATH {path}"
    for folder in reversed(path.parents):
        if folder.exists() and not folder.is_dir():
            raise DatabaseFileError(f"{name}: {folder} is a file, not a folder")
    if path.is_dir():
        raise DatabaseFileError(f"{name} is a folder, not a database file")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseFileError(f"{name}: cannot create the folder {path.parent}"
                                f" ({exc.strerror})") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseFileError(f"{name}: the folder {path.parent} is not writable")
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise DatabaseFileError(f"{name}: cannot create the file ({exc.strerror})") from None
        return
    if not os.access(path, os.R_OK | os.W_OK):
        raise DatabaseFileError(f"{name} is not readable and writable by this user")
    with path.open("rb") as fh:
        head = fh.read(len(_HEADER))
    if head and head != _HEADER:
        raise DatabaseFileError(f"{name} is not an SQLite database")
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if file.exists() and file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except PermissionError:
            log.warning("%s: cannot make %s private (owned by another user)", name, file)
    found = _schema_version(path) if head else 0
    if found > latest:
        raise DatabaseFileError(
            f"{name} has schema version {found}, newer than this code knows ({latest}):"
            " run the newer version of the bot, or restore a backup made by this one")
