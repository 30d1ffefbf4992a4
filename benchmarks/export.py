"""Export and statistics benchmark over a province-sized database.

    .venv/bin/python benchmarks/export.py [--stories 100000] [--nominations 3000] [--profile]

Generates N stories in a temporary SQLite file with fast `executemany` (realistic lengths: titles
of 20-120 characters, descriptions of 80-2,000 averaging about 500, Vietnamese text, 0-4 photos a
story, phones and map pins on some), spread over the province's 102 communes and the last 12 weeks,
and a few thousand nominations, then measures:

* the xlsx export of everything through `bot.app.export` (what `python -m bot export` runs) to a
  file: wall time (target < 30 s) and memory — tracemalloc's peak and the growth of max RSS over
  the process after its imports (target < 300 MB for both);
* /stats: `bot.stats.gather` over the whole province (target < 1 s), and the whole `/stats`
  handler through the dialog core as an admin, with its two charts; the charts alone are timed
  separately;
* baselines measured in the same run: the same rows written with openpyxl write-only straight from
  a Python list (no database, no formatting), and a plain `SELECT … COUNT(*) … GROUP BY` over the
  table with the sqlite3 module.

Each measurement runs in a fresh subprocess so that its max RSS is its own, and tracemalloc (which
slows every allocation) runs in a separate process from the timed one. The report always exits 0
on a missed target; it exits non-zero only if a run itself fails (a child crashes, a count is
wrong).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
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
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_EXPORT_S = 30.0
TARGET_MEMORY_MB = 300.0
TARGET_STATS_S = 1.0
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


async def _export_watched(settings: Any, out: Path) -> tuple[int, float]:
    """The export, with a ticker beside it measuring the event loop's longest stall."""
    from bot.app import export

    longest = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.perf_counter()
            longest = max(longest, now - last - 0.01)
            last = now

    watching = asyncio.create_task(ticker())
    try:
        listed = await export(settings, out, None, None, "xlsx")
    finally:
        done.set()
        await watching
    return listed, longest


def child_export(db: Path, out: Path, trace: bool, profile: bool) -> dict[str, Any]:
    import bot.app
    import bot.export
    import bot.handlers.stats  # noqa: F401  (what bot.app.export imports on first use)

    settings = _settings(db)
    before = _rss_mb()
    if trace:
        tracemalloc.start()
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    listed, stall = asyncio.run(_export_watched(settings, out))
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {"seconds": seconds, "cpu": time.process_time() - cpu,
                              "listed": listed, "rss_before_mb": before, "stall_s": stall,
                              "rss_peak_mb": _peak_mb(), "size_mb": out.stat().st_size / 2**20}
    if trace:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
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


def child_openpyxl(db: Path, out: Path, trace: bool) -> dict[str, Any]:
    from openpyxl import Workbook

    rows = _plain_rows(db)
    before = _rss_mb()
    if trace:
        tracemalloc.start()
    started, cpu = time.perf_counter(), time.process_time()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Danh sách")
    ws.append([f"c{i}" for i in range(22)])
    for row in rows:
        ws.append(row)
    wb.save(out)
    seconds = time.perf_counter() - started
    result: dict[str, Any] = {"seconds": seconds, "cpu": time.process_time() - cpu,
                              "listed": len(rows), "rss_before_mb": before,
                              "rss_peak_mb": _peak_mb()}
    if trace:
        result["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return result


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
        result = child_export(db, out, trace=False, profile=args.profile)
    elif mode == "export-trace":
        result = child_export(db, out, trace=True, profile=False)
    elif mode == "openpyxl":
        result = child_openpyxl(db, out, trace=False)
    elif mode == "openpyxl-trace":
        result = child_openpyxl(db, out, trace=True)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--nominations", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=2025)
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
          f" {platform.machine()}, {os.cpu_count()} CPUs; load average"
          f" {os.getloadavg()[0]:.1f} at the start", flush=True)
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="gs-export-") as folder:
        db = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        made = generate(db, args.stories, args.nominations, args.seed, now)
        print(f"\nGenerated in {time.perf_counter() - started:.1f} s: {made['stories']:,} stories"
              f" ({made['communes']} communes, 12 weeks), {made['photos']:,} photos,"
              f" {made['nominations']:,} nominations, {made['people']:,} people;"
              f" title {made['title_len']:.0f} and description {made['description_len']:.0f}"
              f" characters on average; database {made['db_mb']:.0f} MB", flush=True)

        # Timed runs one at a time; then the two traced runs (slow, memory only) side by side.
        stats = _run_child("stats", db, None, now)
        count = _run_child("count", db, None, now)
        _report_stats(stats, count)
        if count["total"] != args.stories or stats["total"] != args.stories:
            problems.append("the counts do not add up to the stories generated")
        timed = _run_child("export", db, Path(folder) / "all.xlsx", now)
        base = _run_child("openpyxl", db, Path(folder) / "base.xlsx", now)
        _report_export(timed, base)
        if timed["listed"] != args.stories:
            problems.append(f"the export listed {timed['listed']} stories, not {args.stories}")
        print("  (tracing both again for tracemalloc's peak; this takes a while)", flush=True)
        tracing = [_start_child("export-trace", db, Path(folder) / "traced.xlsx", now),
                   _start_child("openpyxl-trace", db, Path(folder) / "base-traced.xlsx", now)]
        traced, base_traced = (_result("trace", p) for p in tracing)
        _report_traced(traced, base_traced)
        if args.profile:
            profiled = _run_child("export", db, Path(folder) / "p.xlsx", now, profile=True)
            print("\nWhere the export spends its time (cProfile, by own time):")
            print(profiled["profile"])
    print(f"Load average {os.getloadavg()[0]:.1f} at the end.")
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


def _report_export(timed: dict[str, Any], base: dict[str, Any]) -> None:
    rss_delta = timed["rss_peak_mb"] - timed["rss_before_mb"]
    base_rss = base["rss_peak_mb"] - base["rss_before_mb"]
    print("\nxlsx export of everything (bot.app.export → file)")
    print(f"  wall time          {timed['seconds']:7.2f} s   target < {TARGET_EXPORT_S:.0f} s"
          f"   {_verdict(timed['seconds'] < TARGET_EXPORT_S)}   (CPU {timed['cpu']:.1f} s)")
    print(f"  max RSS delta      {rss_delta:7.1f} MB  target < {TARGET_MEMORY_MB:.0f} MB"
          f"  {_verdict(rss_delta < TARGET_MEMORY_MB)}"
          f"   (after imports {timed['rss_before_mb']:.0f} MB, peak {timed['rss_peak_mb']:.0f} MB)")
    print(f"  event loop stalled {timed['stall_s']:7.2f} s   at the longest while it ran")
    print(f"  file               {timed['size_mb']:7.1f} MB, {timed['listed']:,} stories"
          f" ({timed['listed'] / timed['seconds']:,.0f} rows/s)")
    print("  baseline: openpyxl write-only, the same rows from a Python list (raw column values,"
          " no DB, no formatting, one sheet)")
    print(f"    wall time        {base['seconds']:7.2f} s"
          f"   ({base['listed'] / base['seconds']:,.0f} rows/s; CPU {base['cpu']:.1f} s;"
          f" the export needs {timed['cpu'] / base['cpu']:.2f}× its CPU time)")
    print(f"    max RSS delta    {base_rss:7.1f} MB  (the list is loaded before the mark)",
          flush=True)


def _report_traced(traced: dict[str, Any], base_traced: dict[str, Any]) -> None:
    print(f"  tracemalloc peak   {traced['traced_peak_mb']:7.1f} MB  target <"
          f" {TARGET_MEMORY_MB:.0f} MB  {_verdict(traced['traced_peak_mb'] < TARGET_MEMORY_MB)}"
          f"   (that run took {traced['seconds']:.0f} s under tracing)")
    print(f"    baseline tracemalloc peak {base_traced['traced_peak_mb']:.1f} MB (the list itself"
          " not counted)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
