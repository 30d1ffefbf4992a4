"""Import benchmark: a commune officer's spreadsheet of 30, 300 and 1,000 rows through /import,
beside the same stories filed one by one through the report's own filing, in the same run.

How to run (under a minute on the project's 2-core machines):

    .venv/bin/python benchmarks/import.py [--sizes 30,300,1000] [--rounds 3]

For each size and round, on a fresh database file each time:

* the import as /import runs it (`bot.handlers.importing.run_import`): the file read and every
  row checked in a worker thread, then every row filed in one transaction through the door; its
  wall time, the time that transaction holds the writer (other chats' writes wait meanwhile),
  and the longest gap of a 5 ms heartbeat coroutine on the event loop beside it;
* the baseline: the same stories filed one by one with `Stories.file`, as the report's last
  step files one story (one transaction each).

It prints the medians and the ratio import / baseline, the longest writer hold and loop stall,
and this machine's idle stall as the floor. Nothing here is a unit test: figures vary with the
machine's load.

Latest figures — the project's 2-core machine shared with other sessions, load average 1.7-2.7,
two runs of the command above (medians of three rounds):

    rows   import    writer held  loop stall   one by one   ratio   (idle stall)
    30     0.05 s    0.02 s       5 ms         0.04 s       1.30    (0.9 ms)
    300    0.32 s    0.22 s       5 ms         0.35 s       0.92
    1000   1.11 s    0.72 s       9 ms         1.01 s       1.10
    1000   1.15 s    0.77 s       8 ms         1.09 s       1.05    (second run; 3.3 ms)

The import costs what filing its stories one by one costs (every row goes through the door),
plus reading and checking the file in a thread; the writer is held for the filing part, which
is why one file is capped at 1,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings
from bot.content import load_library
from bot.handlers.importing import run_import
from bot.storage import Behalf, NewStory, Storage, open_storage
from tests.import_files import row, workbook

T = TypeVar("T")


async def _heartbeat(work: Awaitable[T]) -> tuple[T, float, float]:
    """Run `work`; return its result, its wall time and the loop's longest stall (ms)."""
    longest, running = 0.0, True

    async def beat() -> None:
        nonlocal longest
        last = time.perf_counter()
        while running:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest = max(longest, now - last - 0.005)
            last = now

    ticker = asyncio.create_task(beat())
    started = time.perf_counter()
    result = await work
    wall = time.perf_counter() - started
    running = False
    await ticker
    return result, wall, longest * 1000


async def _fresh(folder: Path, name: str) -> tuple[Storage, Settings, Any]:
    settings = Settings(_env_file=None, database_path=folder / f"{name}.sqlite3")  # type: ignore[call-arg]
    storage = await open_storage(settings.database_path)
    chi = await storage.people.get_or_create("telegram", "7070", "vi")
    await storage.roles.grant(chi.id, "officer", (0,))
    return storage, settings, chi


def _timed(method: Callable[..., Awaitable[T]], held: list[float]) -> Callable[..., Awaitable[T]]:
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        started = time.perf_counter()
        try:
            return await method(*args, **kwargs)
        finally:
            held.append(time.perf_counter() - started)
    return wrapper


async def one_round(folder: Path, size: int, data: bytes) -> dict[str, float]:
    """The import and the baseline of one size, once each."""
    library = load_library(None)
    storage, settings, chi = await _fresh(folder, f"import-{size}")
    held: list[float] = []
    behalf: Behalf = storage.behalf
    behalf.file_all = _timed(behalf.file_all, held)  # type: ignore[method-assign]
    report, wall, stall = await _heartbeat(run_import(
        storage, settings, library.campaigns, chi, data, "x.xlsx", datetime.now(UTC), "telegram",
        None))
    assert report.imported is not None and len(report.imported.new) == size, report.problems[:3]
    stories = [NewStory(submission_key=f"one-{r.key}", reporter_id=chi.id, channel="telegram",
                        campaign=library.campaigns.filing(datetime.now(UTC).date())[0].key,
                        movement=None, resident_consent_at="2025-09-03T08:00:00+07:00",
                        **r.fields) for r in report.passed]
    await storage.close()
    storage, _, _ = await _fresh(folder, f"baseline-{size}")

    async def one_by_one() -> None:
        for story in stories:
            await storage.stories.file(story, notify_reviewers=False)

    _, baseline, _ = await _heartbeat(one_by_one())
    await storage.close()
    return {"import": wall, "held": held[0], "stall": stall, "baseline": baseline}


async def idle_floor() -> float:
    """The loop's longest stall over one idle second (ms): the machine's own noise."""
    _, _, stall = await _heartbeat(asyncio.sleep(1))
    return stall


def main() -> None:
    """Run every size, print the medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="30,300,1000")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"idle loop stall: {asyncio.run(idle_floor()):.1f} ms")
    print("rows   import    writer held  loop stall   one by one   ratio")
    for size in (int(s) for s in args.sizes.split(",")):
        data = workbook([row(n) for n in range(1, size + 1)])
        runs = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory() as folder:
                runs.append(asyncio.run(one_round(Path(folder), size, data)))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"{size:<6} {med['import']:6.2f} s  {med['held']:6.2f} s     {med['stall']:6.0f} ms"
              f"    {med['baseline']:6.2f} s    {med['import'] / med['baseline']:.2f}")


if __name__ == "__main__":
    main()
