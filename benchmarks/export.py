"""Export benchmark: the workbook of 10,000 and 100,000 stories, beside openpyxl in the same run.

How to run (about 8 minutes on the project's 2-core machines; a child process per measurement):

    .venv/bin/python benchmarks/export.py [--sizes 10000,100000] [--rounds 3] [--no-stats]
                                          [--profile]

For each size it generates a province-sized SQLite file with fast `executemany` (titles of
20-120 characters, descriptions of 80-2,000 averaging about 500, Vietnamese text, 0-4 photos a
story, phones and map pins on some, 102 communes, 12 weeks, a few thousand nominations), then,
in three rounds (the two runs of a round in alternating order), measures:

* the export as the running bot makes it for an admin's /export: storage open, the campaigns
  loaded and start-up's objects frozen out of the garbage collector's sight beforehand (as
  bot.app.run_bot does once its channels have started), then
  `bot.handlers.stats.export_workbook` (database rows → the five sheets → the .xlsx bytes
  /export sends; up to 20,000 stories read by the bot and written in a worker thread, above
  that read and written by the writing process bot/export_child.py on its own read-only
  connection to the database file, the bot only waiting); its wall time, the CPU time
  of the bot's process, its memory (the growth of the bot process's peak RSS once storage is
  open, plus the writing process's whole peak RSS; the Rust writer's memory is only visible in
  RSS), and the longest gap of a 5 ms heartbeat coroutine on the event loop beside it, with
  the same heartbeat's longest gap over one idle second in the same process as the floor;
* the baseline: openpyxl write-only writing the same 100,000 (or 10,000) rows, 22 raw columns,
  from a Python list loaded before the clock starts (no database, no formatting, one sheet).

It prints the medians side by side, the ratio and the targets with PASS/FAIL: export time
≤ 0.4× the baseline's, peak memory < 300 MB, longest loop stall < 20 ms; then /stats over the
same database (`--no-stats` skips it). The load average is printed at the start and the end of
each size: on a shared machine a high load stretches every figure, the stall most. A missed
target does not change the exit code; a failed run (a crash, a wrong count) does.

Latest figures — 2026-11-30, the project's 2-core x86_64 machine (Python 3.11.7, rustpy-xlsxwriter
0.8.0, openpyxl 3.1.5) shared with another session's dialog benchmark, load average 1.3-1.9, the
command above at commit 0684a74 (medians of three rounds; ratio = export / baseline):

    stories  export     baseline   ratio        peak memory  longest loop stall (idle floor)
    10,000   0.63 s     1.95 s     0.32 PASS    28 MB PASS   7.7 ms PASS (1.4 ms); p99 7.7 ms
    100,000  6.09 s     19.79 s    0.31 PASS    124 MB PASS  4.2 ms PASS (1.4 ms); p99 1.9 ms

The writer reads the stories itself, on its own read-only connection (one snapshot of counts,
list and nominations): a worker thread up to 20,000 stories, the writing process above, the
bot's process spending 0.17 s of CPU on 100,000. Of the writing process's ~6 s, about 2.5 s is
the Rust writer compressing the list's sheet (181 MB of XML) at the end, 1.5 s writing the rows,
1 s SQLite's reading and under 1 s Python making the cells. A second run right after (commit
5f895b3, --no-stats, load 0.4-1.9): 10,000 0.35×, stall 6.0 ms; 100,000 0.32×, stall 5.4 ms,
but one round's worst 92.7 ms while another session's benchmark started (four instrumented runs
after it: at most 10.8 ms, at the child's start). An earlier run at commit 3079742 (the
small export still read by the bot, load 1.4-2.7): 10,000 0.44× (rounds 0.37, 0.36, 0.46),
stall 13.0 ms; 100,000 0.34×, stall 6.4 ms. Before (commits fe46c9a and 0332df2, load 2.4-3.9,
the bot pulling every row and piping it to the writing process): 100,000 in 9.81-13.81 s,
0.42-0.44×, stalls of 49-102 ms; 10,000 stalls of 22-45 ms. The spread between two runs of the
same code is the machine's: other sessions' load moves both columns, not always together.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import os
import platform
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_RATIO = 0.4  # export time over the openpyxl baseline's
TARGET_MEMORY_MB = 300.0
TARGET_STALL_MS = 20.0
TARGET_STATS_S = 1.0
BEAT_S = 0.005  # the heartbeat's sleep
ADMIN = 9001
PROVINCE = 91

# --- words to build realistic Vietnamese text from ------------------------------------------

_PHRASES = (
    "bà con ấp xã phường đặc khu người dân cán bộ hội viên nông dân thanh niên phụ nữ cựu chiến",
    "binh học sinh giáo viên bác sĩ công an dân quân tự nguyện góp tiền công sức sửa cầu làm",
    "đường hiến đất xây nhà tình nghĩa hỗ trợ hộ nghèo cận nghèo gia đình chính sách trao học",
    "bổng nấu cơm miễn phí bệnh nhân vận động quyên góp trồng cây xanh dọn rác kênh rạch tuyến",
    "đường hoa mô hình sản xuất lúa sạch nuôi tôm cá lóc hợp tác xã tiêu thụ nông sản chuyển đổi",
    "số dịch vụ công trực tuyến giữ gìn an ninh trật tự phát hiện tội phạm cứu người đuối nước",
    "hoàn thành vượt chỉ tiêu được giao tiết kiệm chống lãng phí xóa nhà tạm nhà dột nát nông",
    "thôn mới văn hóa công sở học tập suốt đời chào mừng đại hội thi đua yêu nước",
)
WORDS = tuple(word for phrase in _PHRASES for word in phrase.split())
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Kim", "Thành", "Hoài")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Em", "Giang", "Hạnh", "Khoa", "Lan", "Mai", "Nam", "Phúc",
         "Quân", "Sơn", "Tâm", "Uyên", "Vy", "Yến")
ROLES = (
    "nông dân ấp {}", "giáo viên Trường THCS {}", "bí thư chi đoàn khóm {}",
    "chủ nhiệm Hợp tác xã {}", "trưởng ấp {}", "bác sĩ Trạm Y tế {}", "Công an xã {}",
    "Hội Phụ nữ phường {}", "tổ tự quản khu phố {}", "doanh nghiệp tư nhân {}",
)
STATUSES = (("pending", 35), ("approved", 25), ("published", 20), ("rejected", 10),
            ("needs_changes", 5), ("withdrawn", 3), ("recommended", 2))
KINDS = (("good_deed", 50), ("model_practice", 25), ("advanced_example", 15), ("new_factor", 10))
CONTENTS = (("policy_law", 20), ("key_movements", 35), ("exceed_targets", 20),
            ("political_security", 15), ("celebrations", 10))
MOVEMENTS = {"key_movements": ("new_rural_areas", "for_the_poor", "workplace_culture",
                               "infrastructure_thrift", "learning_society",
                               "makeshift_houses_2025", "expressway_3000km"),
             "political_security": ("fatherland_security", "all_people_security")}
CHANNELS = (("telegram", 85), ("zalo", 10), ("console", 5))


def _pick(rng: random.Random, table: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]


def _text(rng: random.Random, low: int, high: int) -> str:
    target = int(min(high, max(low, rng.lognormvariate(0, 0.6) * (low + high) / 5)))
    words: list[str] = []
    size = 0
    while size < target:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    text = " ".join(words)[:target].rstrip()
    return text[:1].upper() + text[1:] + "."


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


# --- the database -------------------------------------------------------------------------------


async def _schema(path: Path) -> None:
    from bot.storage import open_storage

    storage = await open_storage(path)
    await storage.close()


def generate(path: Path, stories: int, nominations: int, seed: int,
             now: datetime) -> dict[str, Any]:
    """Fill a migrated database with people, stories, photos and nominations."""
    from bot.content import localities

    asyncio.run(_schema(path))
    rng = random.Random(seed)
    codes = sorted(u.code for u in localities(PROVINCE).units)
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(codes))]  # a few busy communes
    rng.shuffle(codes)
    reporters = max(100, stories // 5)
    stamp = now.isoformat(timespec="seconds")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO people (id, channel, external_id, display_name, language, consent,"
        " consent_at, role, created_at) VALUES (?, 'telegram', ?, ?, 'vi', 1, ?, ?, ?)",
        [(i, str(100000 + i), _name(rng), stamp, "citizen", stamp)
         for i in range(1, reporters + 1)],
    )
    conn.execute("INSERT INTO people (id, channel, external_id, display_name, language, consent,"
                 " consent_at, role, created_at) VALUES (?, 'telegram', ?, 'Quản Trị Viên', 'vi',"
                 " 1, ?, 'admin', ?)", (reporters + 1, str(ADMIN), stamp, stamp))
    window = 12 * 7 * 24 * 3600
    rows = []
    photos = []
    eligible = []
    for i in range(1, stories + 1):
        content = _pick(rng, CONTENTS)
        status = _pick(rng, STATUSES)
        created = (now - timedelta(seconds=rng.randrange(window))).isoformat(timespec="seconds")
        has_pin = rng.random() < 0.6
        movement = None
        if content in MOVEMENTS and rng.random() < 0.7:
            movement = rng.choice(MOVEMENTS[content])
        commune = rng.choices(codes, weights=weights)[0]
        rows.append((
            i, rng.randrange(1, reporters + 1), f"bench-{i}", _pick(rng, CHANNELS),
            _pick(rng, KINDS), content, movement, commune, _name(rng),
            rng.choice(ROLES).format(rng.choice(GIVEN)), _text(rng, 20, 120),
            _text(rng, 80, 2000), date(2025, 1, 1 + rng.randrange(28)).isoformat(),
            10.0 + rng.random() if has_pin else None, 105.0 + rng.random() if has_pin else None,
            f"09{rng.randrange(10**8):08d}" if rng.random() < 0.4 else None,
            int(rng.random() < 0.5), status, created, created,
            _text(rng, 10, 200) if status != "pending" and rng.random() < 0.3 else None,
            str(rng.randrange(1, 10**6)) if status == "published" else None,
        ))
        for position in range(rng.choice((0, 0, 1, 1, 2, 2, 3, 4))):
            photos.append((i, position, f"AgACAgUAAxkBAAI{i:07d}{position}" + "x" * 50))
        if status in ("approved", "published"):
            eligible.append(i)
    conn.executemany(
        "INSERT INTO stories (id, reporter_id, submission_key, channel, kind, content, movement,"
        " commune_code, honoree_name, honoree_role, title, description, event_date, latitude,"
        " longitude, reporter_phone, show_name, status, created_at, updated_at, review_note,"
        " published_message_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
        " ?, ?, ?)", rows,
    )
    conn.executemany("INSERT INTO story_photos (story_id, position, file_ref) VALUES (?, ?, ?)",
                     photos)
    chosen = rng.sample(eligible, min(nominations, len(eligible)))
    conn.executemany(
        "INSERT INTO nominations (story_id, award, reason, nominated_by, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(s, rng.choice(("bang_khen", "giay_khen")), _text(rng, 20, 300), reporters + 1, stamp)
         for s in chosen],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    title_len = statistics.mean(len(r[10]) for r in rows)
    desc_len = statistics.mean(len(r[11]) for r in rows)
    conn.close()
    return {"stories": stories, "photos": len(photos), "nominations": len(chosen),
            "people": reporters + 1, "communes": len({r[7] for r in rows}),
            "title_len": title_len, "description_len": desc_len,
            "db_mb": path.stat().st_size / 2**20}


# --- the measurements (each in its own process) ---------------------------------------------


def _status_mb(field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of this process, in MB.

    Not ru_maxrss: on Linux a child started by fork and exec inherits the parent's peak there,
    and the parent holds every generated row while it fills the database.
    """
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _settings(db: Path) -> Any:
    from bot.config import Settings

    return Settings(_env_file=None, database_path=db, admin_ids=(ADMIN,),  # type: ignore[call-arg]
                    publish_chat_id="-1001234567890")


async def _heartbeat(work: Any) -> tuple[Any, list[float]]:
    """Await `work` with a coroutine beside it that sleeps 5 ms at a time; return the result and
    how late each wake-up was (the event loop's stalls)."""
    gaps: list[float] = []
    done = asyncio.Event()

    async def beat() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(BEAT_S)
            now = time.perf_counter()
            gaps.append(now - last - BEAT_S)
            last = now

    beating = asyncio.create_task(beat())
    try:
        result = await work
    finally:
        done.set()
        await beating
    return result, gaps


async def _export_watched(settings: Any, out: Path) -> dict[str, Any]:
    """As the running bot does /export for an admin: storage open and the campaigns loaded
    beforehand; one idle second under the heartbeat (the floor), then the export under it."""
    from bot.app import open_checked
    from bot.content import catalogue, load_library, localities
    from bot.export import ExportRange
    from bot.handlers.stats import export_workbook

    library = load_library(None, settings.campaign)
    storage = await open_checked(settings, library)
    try:
        texts = catalogue("vi")
        localities(PROVINCE)
        rng = ExportRange(PROVINCE, settings.tz, settings.publish_chat_id, library.campaigns)
        gc.collect()  # as bot.app.run_bot does once every channel has started
        gc.freeze()
        before = _rss_mb()
        _, idle = await _heartbeat(asyncio.sleep(1.0))
        started, cpu = time.perf_counter(), time.process_time()
        (data, listed), gaps = await _heartbeat(
            export_workbook(storage, texts, None, None, None, rng))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        out.write_bytes(data)
    finally:
        await storage.close()
    gaps.sort()
    return {"seconds": seconds, "cpu": cpu, "listed": listed, "rss_before_mb": before,
            "stall_ms": gaps[-1] * 1000, "stall_p99_ms": gaps[int(len(gaps) * 0.99)] * 1000,
            "idle_ms": max(idle) * 1000}


def child_export(db: Path, out: Path, profile: bool) -> dict[str, Any]:
    import bot.sheets  # noqa: F401  (what a bot's first export loads, once)

    settings = _settings(db)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    result = asyncio.run(_export_watched(settings, out))
    if profiler:
        profiler.disable()
    writer = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KB on Linux
    result.update(rss_peak_mb=_peak_mb(), writer_peak_mb=writer,
                  size_mb=out.stat().st_size / 2**20)
    if profiler:
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(18)
        result["profile"] = buf.getvalue()
    return result


def _plain_rows(db: Path) -> list[list[Any]]:
    conn = sqlite3.connect(db)
    rows = [list(r) for r in conn.execute(
        "SELECT id, created_at, event_date, kind, content, movement, commune_code, honoree_name,"
        " honoree_role, title, description, status, reporter_id, reporter_phone, show_name,"
        " channel, 0, latitude, longitude, review_note, campaign, published_message_id"
        " FROM stories ORDER BY id")]
    conn.close()
    return rows


def child_openpyxl(db: Path, out: Path) -> dict[str, Any]:
    from openpyxl import Workbook

    rows = _plain_rows(db)
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append([f"c{i}" for i in range(22)])
    for row in rows:
        ws.append(row)
    wb.save(out)
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
            "listed": len(rows), "rss_before_mb": before, "rss_peak_mb": _peak_mb()}


def child_count(db: Path) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    times = []
    for _ in range(5):
        started = time.perf_counter()
        groups = conn.execute(
            "SELECT status, kind, content, commune_code, COUNT(*) FROM stories"
            " GROUP BY status, kind, content, commune_code").fetchall()
        times.append(time.perf_counter() - started)
    conn.close()
    return {"seconds": statistics.median(times), "groups": len(groups),
            "total": sum(g[4] for g in groups)}


async def _stats(db: Path, now: datetime) -> dict[str, Any]:
    from bot.channels.telegram import TRAITS
    from bot.charts import bar_chart, stacked_weeks
    from bot.dialog import Dialog
    from bot.messages import Incoming
    from bot.stats import gather
    from bot.storage import open_storage

    settings = _settings(db)
    storage = await open_storage(db)
    try:
        gathered = []
        for _ in range(5):
            started = time.perf_counter()
            stats = await gather(storage, None, 102, settings.tz, now)
            gathered.append(time.perf_counter() - started)
        dialog = Dialog(storage, settings)
        incoming = Incoming("telegram", str(ADMIN), str(ADMIN), TRAITS,
                            display_name="Quản Trị Viên", command="stats")
        handled = []
        for _ in range(3):
            started = time.perf_counter()
            replies = await dialog.handle(incoming, now)
            handled.append(time.perf_counter() - started)
        assert len(replies) == 1 and len(replies[0].files) == 2, replies
        import bot.charts

        drawn = (bot.charts.bar_chart, bot.charts.stacked_weeks)
        bot.charts.bar_chart = bot.charts.stacked_weeks = lambda *a, **k: b""  # type: ignore
        try:
            bare = []
            for _ in range(3):
                started = time.perf_counter()
                await dialog.handle(incoming, now)
                bare.append(time.perf_counter() - started)
        finally:
            bot.charts.bar_chart, bot.charts.stacked_weeks = drawn
        charts = []
        weeks = [w.strftime("%d/%m") for w in stats.weeks]
        top = stats.by_commune.most_common(15)
        for _ in range(3):
            started = time.perf_counter()
            stacked_weeks("Số câu chuyện theo tuần", weeks, dict(stats.weekly), "Số câu chuyện")
            bar_chart("15 nơi nhiều nhất", [str(c) for c, _ in top], [n for _, n in top],
                      "Số câu chuyện")
            charts.append(time.perf_counter() - started)
        return {"gather_s": statistics.median(gathered), "gather_first_s": gathered[0],
                "handler_s": statistics.median(handled), "handler_first_s": handled[0],
                "bare_s": statistics.median(bare),
                "charts_s": statistics.median(charts), "total": stats.total,
                "this_week": stats.this_week, "last_week": stats.last_week,
                "png_kb": [len(f.data) // 1024 for f in replies[0].files]}
    finally:
        await storage.close()


def child(args: argparse.Namespace) -> None:
    db, out = Path(args.db), Path(args.out) if args.out else Path()
    mode = args.child
    if mode == "export":
        result = child_export(db, out, profile=args.profile)
    elif mode == "openpyxl":
        result = child_openpyxl(db, out)
    elif mode == "count":
        result = child_count(db)
    elif mode == "stats":
        result = asyncio.run(_stats(db, datetime.fromisoformat(args.now)))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    print(json.dumps(result))


def _start_child(mode: str, db: Path, out: Path | None, now: datetime,
                 profile: bool = False) -> subprocess.Popen[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--db", str(db),
               "--now", now.isoformat()]
    if out is not None:
        command += ["--out", str(out)]
    if profile:
        command.append("--profile")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"})


def _result(mode: str, process: subprocess.Popen[str]) -> dict[str, Any]:
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"the {mode} run failed (exit {process.returncode})")
    return json.loads(stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _run_child(mode: str, db: Path, out: Path | None, now: datetime,
               profile: bool = False) -> dict[str, Any]:
    return _result(mode, _start_child(mode, db, out, now, profile))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _versions() -> str:
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("rustpy-xlsxwriter", "openpyxl"))


def measure_size(stories: int, args: argparse.Namespace, now: datetime,
                 problems: list[str]) -> None:
    """Generate a database of `stories`, then the rounds of export and baseline, then /stats."""
    print(f"\n=== {stories:,} stories — load average {_load()} at the start", flush=True)
    with tempfile.TemporaryDirectory(prefix="gs-export-") as folder:
        db = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        made = generate(db, stories, min(args.nominations, stories // 10), args.seed, now)
        print(f"Generated in {time.perf_counter() - started:.1f} s: {made['stories']:,} stories"
              f" ({made['communes']} communes, 12 weeks), {made['photos']:,} photos,"
              f" {made['nominations']:,} nominations, {made['people']:,} people;"
              f" title {made['title_len']:.0f} and description {made['description_len']:.0f}"
              f" characters on average; database {made['db_mb']:.0f} MB", flush=True)
        timed: list[dict[str, Any]] = []
        base: list[dict[str, Any]] = []
        for round_ in range(args.rounds):
            runs = [("export", timed), ("openpyxl", base)]
            for mode, into in runs if round_ % 2 == 0 else runs[::-1]:
                into.append(_run_child(mode, db, Path(folder) / f"{mode}.xlsx", now))
            print(f"  round {round_ + 1}: export {timed[-1]['seconds']:.2f} s,"
                  f" baseline {base[-1]['seconds']:.2f} s", flush=True)
        for run in timed:
            if run["listed"] != stories:
                problems.append(f"the export listed {run['listed']} stories, not {stories}")
        _report_export(timed, base)
        if args.profile:
            profiled = _run_child("export", db, Path(folder) / "p.xlsx", now, profile=True)
            print("\nWhere the export spends its time (cProfile, by own time):")
            print(profiled["profile"])
        if not args.no_stats:
            stats = _run_child("stats", db, None, now)
            count = _run_child("count", db, None, now)
            _report_stats(stats, count)
            if count["total"] != stories or stats["total"] != stories:
                problems.append("the counts do not add up to the stories generated")
    print(f"Load average {_load()} at the end of {stories:,}.", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated numbers of stories (default 10000,100000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nominations", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--no-stats", action="store_true", help="skip /stats")
    parser.add_argument("--profile", action="store_true", help="print where the export spends time")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--now", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return 0

    now = datetime.now(UTC).replace(microsecond=0)
    print(f"Gương Sáng export benchmark — Python {platform.python_version()},"
          f" {platform.machine()}, {os.cpu_count()} CPUs; {_versions()};"
          f" {args.rounds} rounds, medians", flush=True)
    problems: list[str] = []
    for stories in (int(n) for n in args.sizes.split(",")):
        measure_size(stories, args, now, problems)
    for problem in problems:
        print(f"ERROR: {problem}")
    return 1 if problems else 0


def _report_stats(stats: dict[str, Any], count: dict[str, Any]) -> None:
    worst = max(stats["gather_s"], stats["gather_first_s"])
    print("\n/stats over the whole province")
    print(f"  bot.stats.gather   {stats['gather_s'] * 1000:7.1f} ms median of 5, first call"
          f" {stats['gather_first_s'] * 1000:.1f} ms   target < {TARGET_STATS_S * 1000:.0f} ms"
          f" (the slower of the two)  {_verdict(worst < TARGET_STATS_S)}")
    print(f"  charts alone       {stats['charts_s'] * 1000:7.1f} ms  (two PNGs:"
          f" {', '.join(str(k) for k in stats['png_kb'])} KB)")
    print(f"  whole /stats       {stats['handler_s'] * 1000:7.1f} ms median of 3 (first call"
          f" {stats['handler_first_s'] * 1000:.1f} ms), through the dialog core as an admin")
    print(f"  /stats, no charts  {stats['bare_s'] * 1000:7.1f} ms median of 3 (the same handler"
          f" with the chart functions stubbed)  {_verdict(stats['bare_s'] < TARGET_STATS_S)}")
    print(f"  this week {stats['this_week']:,}, last week {stats['last_week']:,},"
          f" total {stats['total']:,}")
    print(f"  baseline: sqlite3 SELECT … COUNT(*) GROUP BY status, kind, content, commune:"
          f" {count['seconds'] * 1000:.1f} ms median of 5 ({count['groups']:,} groups)",
          flush=True)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _report_export(timed: list[dict[str, Any]], base: list[dict[str, Any]]) -> None:
    seconds, base_seconds = _median(timed, "seconds"), _median(base, "seconds")
    ratio = seconds / base_seconds
    grown = [run["rss_peak_mb"] - run["rss_before_mb"] for run in timed]
    memory = [g + run["writer_peak_mb"] for g, run in zip(grown, timed, strict=True)]
    base_memory = [run["rss_peak_mb"] - run["rss_before_mb"] for run in base]
    stall, idle = _median(timed, "stall_ms"), _median(timed, "idle_ms")
    worst = max(run["stall_ms"] for run in timed)
    listed = timed[0]["listed"]
    print("\nxlsx export (export_workbook, as /export: database → five sheets → bytes) beside the"
          " baseline (openpyxl write-only, the same rows from a Python list, no database, one"
          " sheet)")
    print(f"  wall time         {seconds:7.2f} s    baseline {base_seconds:7.2f} s"
          f"   ratio {ratio:.2f}×   target ≤ {TARGET_RATIO}×  {_verdict(ratio <= TARGET_RATIO)}")
    rounds = " ".join(f"{r['seconds']:.2f}" for r in timed)
    base_rounds = " ".join(f"{r['seconds']:.2f}" for r in base)
    paired = [t["seconds"] / b["seconds"] for t, b in zip(timed, base, strict=True)]
    print(f"    rounds          {rounds:<17}rounds   {base_rounds:<19}ratio in each round"
          f" {' '.join(f'{r:.2f}' for r in paired)} (median {statistics.median(paired):.2f})")
    print(f"  CPU time          {_median(timed, 'cpu'):7.2f} s    baseline"
          f" {_median(base, 'cpu'):7.2f} s   (the bot's process only; the writing process"
          " works beside it)")
    print(f"  peak memory       {statistics.median(memory):7.1f} MB   baseline"
          f" {statistics.median(base_memory):7.1f} MB   target < {TARGET_MEMORY_MB:.0f} MB"
          f" (worst {max(memory):.1f} MB)  {_verdict(max(memory) < TARGET_MEMORY_MB)}")
    print(f"    the bot's process grew {statistics.median(grown):.1f} MB; the writing process"
          f" peaked at {_median(timed, 'writer_peak_mb'):.1f} MB RSS, all of it counted; the"
          " baseline's list is loaded before its mark")
    print(f"  loop stall        {stall:7.1f} ms   (median of the longest heartbeat gap; worst"
          f" {worst:.1f} ms, 99th percentile {_median(timed, 'stall_p99_ms'):.1f} ms)   target"
          f" < {TARGET_STALL_MS:.0f} ms  {_verdict(stall < TARGET_STALL_MS)}")
    print(f"    idle floor      {idle:7.1f} ms   (the same heartbeat over an idle second in the"
          " same process: what the machine alone costs)")
    print(f"  file              {timed[0]['size_mb']:7.1f} MB, {listed:,} stories"
          f" ({listed / seconds:,.0f} rows/s; baseline {listed / base_seconds:,.0f} rows/s)",
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
