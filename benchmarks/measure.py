"""What every benchmark here prints alike: machine, load, loop stalls, medians, verdicts."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def code_version() -> str:
    """The commit measured (read-only git), or '?' outside a checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=ROOT, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip() or "?"


def machine() -> str:
    """One line naming the machine, Python and the load right now."""
    return (f"machine: {os.cpu_count()} CPUs, {platform.platform()}, "
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"load average {load_average()}; code: commit {code_version()} plus any "
            "uncommitted changes; date " + time.strftime("%Y-%m-%d %H:%M %Z"))


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def verdict(ok: bool) -> str:
    """PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def medians(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each numeric figure as the median over rounds; other values from the first round."""
    out = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[key] = statistics.median(float(r[key]) for r in runs)
    return out


class StallMeter:
    """The longest time the event loop spent in one callback: nothing else could run meanwhile.

    Every step of every task and every callback runs through `asyncio.events.Handle._run`;
    timing it costs well under a microsecond a callback, the same for every app measured.
    """

    def __init__(self) -> None:
        self.longest = 0.0
        self._original: Callable[[asyncio.Handle], None] | None = None

    def __enter__(self) -> StallMeter:
        original = asyncio.events.Handle._run
        self._original = original
        meter = self
        clock = time.perf_counter

        def timed(handle: asyncio.Handle) -> None:
            started = clock()
            try:
                original(handle)
            finally:
                spent = clock() - started
                if spent > meter.longest:
                    meter.longest = spent

        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *_: object) -> None:
        assert self._original is not None
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
