"""The one clock storage stamps rows with."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["now_iso", "now_precise"]


def now_iso() -> str:
    """The current instant in UTC, as stored."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def now_precise() -> str:
    """The current instant in UTC to the microsecond: audit rows of two tables interleave
    in the order they happened, even within one second."""
    return datetime.now(UTC).isoformat(timespec="microseconds")
