"""The one clock storage stamps rows with."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["now_iso"]


def now_iso() -> str:
    """The current instant in UTC, as stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")
