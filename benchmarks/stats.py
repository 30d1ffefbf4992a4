"""/stats as the stories grow: 10,000, 100,000 and 1,000,000, against one bare SQLite GROUP BY.

    .venv/bin/python benchmarks/stats.py [--sizes 10000,100000,1000000] [--rounds 3]

For each size a database with the bot's schema is filled in SQL (the two shipped campaigns,
statuses, kinds, content keys and the province's 102 communes mixed; every story filed in the
last 12 weeks, so the weekly series has to count all of them: the worst case). Then, in a fresh
subprocess per round, after one warm-up:

  bare GROUP BY   SELECT campaign, status, kind, content, commune_code, COUNT(*) … GROUP BY
                  those five (the columns of the index stories_counts), with the sqlite3
                  module: the baseline, measured in the same process
  /stats          the admin's /stats through the dialog core, everything but the drawing: the
                  grouped counts, the weekly series and the text (chart functions stubbed)
  charts          the two PNGs alone (they do not grow with the stories; drawn in worker
                  threads, off the event loop)
  /stats, charts  the whole /stats, charts included
  reviewer        /stats of a reviewer of two communes, without the drawing

The target: /stats (what grows with the stories) within 3× the bare GROUP BY at every size.
Figures are medians of the rounds; the machine's load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.measure import load_average, machine, medians, verdict  # noqa: E402

TARGET = 3.0
NOW = datetime(2025, 6, 18, 3, 0, tzinfo=UTC)
BARE = ("SELECT campaign, status, kind, content, commune_code, COUNT(*) FROM stories"
        " GROUP BY campaign, status, kind, content, commune_code")
ADMIN, REVIEWER = 9001, "r2"
DESCRIPTION = ("Ông Nguyễn Văn An đã tự bỏ tiền và công sức sửa cây cầu khỉ bắc qua kênh Xáng, "
               "giúp hơn 50 hộ dân và học sinh đi lại an toàn mỗi ngày. ") * 2
FILL = """
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n)
INSERT INTO stories (submission_key, channel, campaign, kind, content, commune_code,
                     honoree_name, honoree_role, title, description, event_date, status,
                     created_at, updated_at)
SELECT 'k' || i, 'telegram', CASE WHEN i % 3 = 0 THEN 'thuong-xuyen' ELSE 'an-giang-2025' END,
       CASE (i * 7) % 11 WHEN 0 THEN 'new_factor' WHEN 1 THEN 'advanced_example'
            WHEN 2 THEN 'advanced_example' WHEN 3 THEN 'model_practice'
            WHEN 4 THEN 'model_practice' WHEN 5 THEN 'model_practice' ELSE 'good_deed' END,
       CASE (i * 13) % 5 WHEN 0 THEN 'policy_law' WHEN 1 THEN 'key_movements'
            WHEN 2 THEN 'exceed_targets' WHEN 3 THEN 'political_security'
            ELSE 'celebrations' END,
       codes.code, 'Nguyễn Văn An', 'nông dân', 'Sửa cầu khỉ cho bà con',
       :description, '2025-05-01',
       CASE WHEN (i * 31) % 100 < 30 THEN 'pending' WHEN (i * 31) % 100 < 55 THEN 'approved'
            WHEN (i * 31) % 100 < 75 THEN 'published' WHEN (i * 31) % 100 < 87 THEN 'rejected'
            WHEN (i * 31) % 100 < 92 THEN 'withdrawn' WHEN (i * 31) % 100 < 97
            THEN 'needs_changes' ELSE 'recommended' END,
       strftime('%Y-%m-%dT%H:%M:%S+00:00', :now - (i * 2654435761) % :span, 'unixepoch'),
       strftime('%Y-%m-%dT%H:%M:%S+00:00', :now - (i * 2654435761) % :span, 'unixepoch')
FROM seq JOIN codes ON codes.n = (seq.i * 7919) % :communes
"""


async def create(path: Path, size: int) -> None:
    """A database of `size` stories, indexes built once after the rows are in."""
    from bot.content import localities
    from bot.storage import open_storage

    storage = await open_storage(path)
    await storage.close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        indexes = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index'"
                               " AND tbl_name = 'stories' AND sql IS NOT NULL").fetchall()
        for (sql,) in indexes:
            conn.execute("DROP INDEX " + sql.split()[2])
        codes = [u.code for u in localities(91).units]
        conn.execute("BEGIN")
        conn.execute("CREATE TEMP TABLE codes (n INTEGER PRIMARY KEY, code INTEGER)")
        conn.executemany("INSERT INTO codes VALUES (?, ?)", enumerate(codes))
        conn.execute(FILL, {"n": size, "description": DESCRIPTION, "now": int(NOW.timestamp()),
                            "span": 12 * 7 * 86400 - 3600, "communes": len(codes)})
        conn.execute("COMMIT")
        for (sql,) in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def measure(path: Path, repeats: int) -> dict[str, Any]:
    """The figures of one round, in this process: medians of `repeats` after a warm-up."""
    from pydantic import SecretStr

    import bot.charts
    from bot.config import Settings
    from bot.dialog import Dialog
    from bot.messages import Incoming
    from bot.storage import open_storage
    from tests.conftest import NUMBERED

    settings = Settings(_env_file=None, database_path=path, admin_ids=(ADMIN,),  # type: ignore[call-arg]
                        telegram_bot_token=SecretStr("1:x"))
    storage = await open_storage(path)
    reviewer = await storage.people.get_or_create("fake", REVIEWER, "vi")
    await storage.roles.grant(reviewer.id, "reviewer", (30307, 30316))
    dialog = Dialog(storage, settings)
    real = (bot.charts.bar_chart, bot.charts.stacked_weeks)

    async def stats(who: str, channel: str, charts: bool) -> None:
        bot.charts.bar_chart, bot.charts.stacked_weeks = real if charts else (
            lambda *a, **k: b"", lambda *a, **k: b"")
        incoming = Incoming(channel, who, who, NUMBERED, display_name="Cán Bộ", command="stats")
        replies = await dialog.handle(incoming, NOW)
        assert replies and replies[0].files, replies

    async def bare() -> None:
        conn = sqlite3.connect(path)
        try:
            conn.execute(BARE).fetchall()
        finally:
            conn.close()

    async def charts_alone() -> None:
        await asyncio.to_thread(real[1], "Câu chuyện theo tuần", [f"{w:02d}/06" for w in
                                range(12)], {"a": list(range(12)), "b": list(range(12))}, "n")
        await asyncio.to_thread(real[0], "10 nơi", [f"Xã {i}" for i in range(10)],
                                list(range(10, 0, -1)), "n")

    runs: dict[str, Callable[[], Awaitable[Any]]] = {
        "bare_s": bare,
        "stats_s": lambda: stats(str(ADMIN), "telegram", False),
        "charts_s": charts_alone,
        "whole_s": lambda: stats(str(ADMIN), "telegram", True),
        "reviewer_s": lambda: stats(REVIEWER, "fake", False),
    }
    times: dict[str, list[float]] = {key: [] for key in runs}
    for run in runs.values():
        await run()  # warm: imports, the OS page cache, SQLite's statement cache
    for _ in range(repeats):
        for key, run in runs.items():
            times[key].append(await timed(run))
    stories = await storage.db.fetchone_long("SELECT COUNT(*) FROM stories")
    await storage.close()
    result: dict[str, Any] = {key: statistics.median(v) for key, v in times.items()}
    result["stories"] = int(stories[0]) if stories else 0
    return result


def run_worker(path: Path, repeats: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(path),
               "--repeats", str(repeats)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,
                          timeout=3600)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"stats benchmark worker failed: exit {done.returncode}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3, help="timed calls in each round")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(asyncio.run(measure(args.worker, args.repeats))))
        return 0
    print(machine())
    print(f"every story filed in the 12 weeks before {NOW:%d/%m/%Y}; {args.rounds} rounds of "
          f"{args.repeats} timed calls after a warm-up, medians; milliseconds")
    print(f"\n{'stories':>10}{'bare':>9}{'/stats':>9}{'ratio':>8}{'charts':>9}"
          f"{'+charts':>9}{'ratio':>8}{'reviewer':>10}  target /stats ≤ {TARGET:g}× bare")
    verdicts = []
    with tempfile.TemporaryDirectory(prefix="gs-stats-") as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"stats-{size}.sqlite3"
            started = time.perf_counter()
            asyncio.run(create(path, size))
            made = time.perf_counter() - started
            m = medians([run_worker(path, args.repeats) for _ in range(args.rounds)])
            if int(m["stories"]) != size:
                raise SystemExit(f"the database holds {m['stories']} stories, expected {size}")
            ratio = m["stats_s"] / m["bare_s"]
            verdicts.append(ratio <= TARGET)
            print(f"{size:>10,}{m['bare_s'] * 1000:>9.1f}{m['stats_s'] * 1000:>9.1f}"
                  f"{ratio:>7.2f}×{m['charts_s'] * 1000:>9.1f}{m['whole_s'] * 1000:>9.1f}"
                  f"{m['whole_s'] / m['bare_s']:>7.2f}×{m['reviewer_s'] * 1000:>10.1f}  "
                  f"{verdict(ratio <= TARGET)}   (filled in {made:.0f} s)")
            path.unlink()
    print(f"\n{sum(verdicts)} of {len(verdicts)} targets met; load average at the end: "
          f"{load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
