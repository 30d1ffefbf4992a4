"""Where the workbook is written: a thread for a commune's export, a child process for a province's.

Writing an .xlsx of a province's stories is seconds of CPU, and the Rust writer holds the
interpreter lock in stretches (at the end of a save, while the kernel frees its temporary file,
for tens of milliseconds per 100,000 stories). In a thread of the bot's process every such
stretch would stall every chat; in a child process it stalls nobody. So a big export runs in a
child, and a small one (up to IN_PROCESS stories, a few megabytes, not worth the child's start
of a few hundred milliseconds) in a worker thread, where the writer's stretches are a few
milliseconds. Either way the writer reads the stories itself: the bot gives it the job (the
words, the period, and which stories: the database file, the scope, the campaign, the period;
pickled for the child, one way only, from the bot to its own child) and waits. The writer opens
its own read-only connection on the database file (WAL lets it read beside the bot's writes),
reads the counts, the list and the nominations in one snapshot (bot.storage.board), builds the
sheets (bot.sheets) and writes the file; not one story passes through the bot's event loop. A
list that cannot be read elsewhere (a database in memory, a stream wrapped by a caller) is
pulled by the bot instead, after the counts and nominations, and handed over whole to the
thread or piped to the child in small pickled batches.

    python -m bot.export_child OUT.xlsx   (reads the job, then any batches, from standard input)
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import operator
import os
import pickle
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import aiosqlite

from bot.content import Catalogue, catalogue
from bot.export import FIELDS, ExportRange, Period
from bot.storage import Count, Nomination
from bot.storage.board import BoardQuery, BoardReader, StoryStream

__all__ = ["IN_PROCESS", "ExportFailed", "Job", "Tally", "main", "write_xlsx"]

# Stories a batch: each is a few milliseconds of pickling on the event loop, no more.
BATCH = 500
# Up to this many stories the workbook is written in a thread of the bot's process.
IN_PROCESS = 20_000
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


# The counts and the nominations of an export, as the bot reads them.
Tally = tuple[list[Count], list[Nomination]]


class ExportFailed(RuntimeError):
    """The writing process failed; the message is its last line of error."""


@dataclass(frozen=True, slots=True)
class Job:
    """What the child writes: where, in which words, over which stories."""

    rng: ExportRange  # with the campaigns whose words name the stories' keys
    language: str
    period: Period
    board: BoardQuery | None  # the child reads it all; None: the counts and nominations are
    counts: list[Count] = field(default_factory=list)  # here, and the list follows on stdin
    nominations: list[Nomination] = field(default_factory=list)


def _pickled(message: object) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


async def _send(stdin: asyncio.StreamWriter, message: object) -> None:
    stdin.write(_pickled(message))
    await stdin.drain()


async def _feed(stdin: asyncio.StreamWriter, job: Job,
                stories: AsyncIterator[aiosqlite.Row]) -> None:
    # The job holds thousands of counts, each pickled in Python: off the loop.
    stdin.write(await asyncio.to_thread(_pickled, job))
    await stdin.drain()
    if job.board is None:
        await _pipe(stdin, stories)
    stdin.close()


async def _pipe(stdin: asyncio.StreamWriter, stories: AsyncIterator[aiosqlite.Row]) -> None:
    # A batch of rows is plain tuples of the fields the cells need, picked and pickled in C.
    pick: operator.itemgetter[Any] | None = None
    batch: list[tuple[Any, ...]] = []
    async for row in stories:
        if pick is None:
            names = list(row.keys())
            pick = operator.itemgetter(*(names.index(field) for field in FIELDS))
        batch.append(pick(row))
        if len(batch) >= BATCH:
            await _send(stdin, batch)
            batch = []
    if batch:
        await _send(stdin, batch)
    await _send(stdin, None)


async def write_xlsx(out: Path, rng: ExportRange, texts: Catalogue, period: Period, size: int,
                     stories: AsyncIterator[aiosqlite.Row],
                     tally: Callable[[], Awaitable[Tally]]) -> int:
    """Write the workbook of about `size` stories to `out`; return how many stories it lists.

    The writer (a worker thread, or the child above IN_PROCESS stories) reads the stories, their
    counts and nominations itself, in one snapshot, when `stories` can be read elsewhere;
    otherwise the bot reads them (`tally`, then the stream). The file appears whole or not at
    all. If this coroutine is cancelled, or storage fails, nothing is left behind and a child
    process is stopped.
    """
    board = stories.board if isinstance(stories, StoryStream) else None
    if board is not None:
        job = Job(rng, texts.language, period, board)
    else:
        counts, nominations = await tally()
        job = Job(rng, texts.language, period, None, counts, nominations)
    if size <= IN_PROCESS:
        return await _write_here(out, job, stories)
    return await _write_in_child(out, job, stories)


def _fields(rows: Iterable[aiosqlite.Row]) -> Iterator[tuple[Any, ...]]:
    """Each row as the values of FIELDS, in that order."""
    pick: operator.itemgetter[Any] | None = None
    for row in rows:
        if pick is None:
            names = list(row.keys())
            pick = operator.itemgetter(*(names.index(field) for field in FIELDS))
        yield pick(row)


def _book(job: Job, rows: list[aiosqlite.Row] | None) -> tuple[bytes, int]:
    out = io.BytesIO()
    listed = _write_job(out, job, None if rows is None else _fields(rows))
    return out.getvalue(), listed


async def _write_here(out: Path, job: Job, stories: AsyncIterator[aiosqlite.Row]) -> int:
    rows = None if job.board is not None else [row async for row in stories]
    data, listed = await asyncio.to_thread(_book, job, rows)
    part = out.with_name(out.name + ".part")
    await asyncio.to_thread(part.write_bytes, data)
    part.replace(out)
    return listed


async def _write_in_child(out: Path, job: Job, stories: AsyncIterator[aiosqlite.Row]) -> int:
    part = out.with_name(out.name + ".part")
    paths = [_PACKAGE_ROOT, os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.export_child", str(part), stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    errors = asyncio.ensure_future(child.stderr.read())
    try:
        # If the child stopped early, its exit code and its error say why.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await _feed(child.stdin, job, stories)
        result = await child.stdout.read()
        code = await child.wait()
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            child.kill()
        await child.wait()
        part.unlink(missing_ok=True)
        raise
    finally:
        said = (await errors).decode("utf-8", "replace").strip()
    if code != 0:
        part.unlink(missing_ok=True)
        lines = said.splitlines() or [f"exit code {code}"]
        raise ExportFailed(f"the workbook could not be written: {lines[-1]}")
    part.replace(out)
    return int(json.loads(result)["listed"])


def _piped(source: BinaryIO) -> Iterator[tuple[Any, ...]]:
    while (batch := pickle.load(source)) is not None:
        yield from batch


def _write_job(out: Path | BinaryIO, job: Job, rows: Iterable[tuple[Any, ...]] | None) -> int:
    """Write a job's workbook, its stories read from its board here, in one snapshot, or given
    (the values of FIELDS) with its counts and nominations; return how many it lists."""
    from bot.sheets import write_book  # the writer loads in the thread, not on the loop

    texts = catalogue(job.language)
    if job.board is None:
        assert rows is not None
        return write_book(out, job.rng, texts, job.period, job.counts, rows, job.nominations)
    reader = BoardReader(job.board)
    try:
        return write_book(out, job.rng, texts, job.period, reader.counts(),
                          reader.stories(FIELDS), reader.nominations())
    finally:
        reader.close()


def main(argv: list[str]) -> int:
    """The child: read the job from standard input (and the stories, or from the database
    file), write the workbook, print how many stories it lists."""
    source = sys.stdin.buffer
    job: Job = pickle.load(source)
    listed = _write_job(Path(argv[0]), job, None if job.board is not None else _piped(source))
    print(json.dumps({"listed": listed}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
