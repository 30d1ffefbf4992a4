"""Search benchmark over a province-sized database.

    .venv/bin/python benchmarks/search.py [--stories 100000] [--rounds 20] [--seed 7]

Generates N stories in a temporary SQLite file (migrated by the bot, so the search triggers
index every row as it is inserted; Vietnamese titles of 20-120 characters and descriptions of
80-2,000, over the province's 102 communes, every status), then answers typical searches the way
the bot does — `Search.find` through the bot's own reader connection, with the count and one
page — for three readers:

* everyone (/search and the gallery's box): published stories only;
* a commune reviewer: every story of their commune, any status;
* an admin: every story in the province, any status (also asked for page 20).

Each query runs `--rounds` times per reader; the report prints p50 and p99 per reader and the
longest stall of the event loop while searching. Target: p99 under 200 ms for every reader.

Baseline, measured in the same run: the same words as a plain `LIKE '%word%'` scan over title,
description and honoree (sqlite3, published stories, first page) — what the bot would do
without the index, and it does not even fold accents.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MS = 200.0
PROVINCE = 91
QUERIES = (
    "cau khi", "cầu khỉ", "hiến đất làm đường", "long xuyen", "nguyen van an", "hoc bong",
    "tôm", "xóa nhà tạm", "phú quốc cứu người", "hợp tác xã lúa sạch", "đuối nước",
    "NEAR(cầu khỉ) OR \"*\"", "giáo viên trường", "cựu chiến binh", "dọn rác kênh",
)

_PHRASES = (
    "bà con ấp xã phường đặc khu người dân cán bộ hội viên nông dân thanh niên phụ nữ cựu chiến",
    "binh học sinh giáo viên bác sĩ công an dân quân tự nguyện góp tiền công sức sửa cầu làm",
    "đường hiến đất xây nhà tình nghĩa hỗ trợ hộ nghèo cận nghèo gia đình chính sách trao học",
    "bổng nấu cơm miễn phí bệnh nhân vận động quyên góp trồng cây xanh dọn rác kênh rạch tuyến",
    "đường hoa mô hình sản xuất lúa sạch nuôi tôm cá lóc hợp tác xã tiêu thụ nông sản chuyển đổi",
    "số dịch vụ công trực tuyến giữ gìn an ninh trật tự phát hiện tội phạm cứu người đuối nước",
    "hoàn thành vượt chỉ tiêu được giao tiết kiệm chống lãng phí xóa nhà tạm nhà dột nát nông",
    "thôn mới văn hóa công sở học tập suốt đời chào mừng đại hội thi đua yêu nước cầu khỉ",
)
WORDS = tuple(word for phrase in _PHRASES for word in phrase.split())
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Hoàng", "Phan", "Võ", "Đặng", "Bùi")
MIDDLE = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Quốc", "Kim")
GIVEN = ("An", "Bình", "Chi", "Dũng", "Giang", "Hạnh", "Khoa", "Lan", "Mai", "Nam", "Phúc")
STATUSES = (("pending", 35), ("approved", 25), ("published", 20), ("rejected", 10),
            ("needs_changes", 5), ("withdrawn", 3), ("recommended", 2))
KINDS = ("good_deed", "model_practice", "advanced_example", "new_factor")
# The content keys of the shipped 2025 campaign (the stories' default campaign).
CONTENTS = ("policy_law", "key_movements", "exceed_targets", "political_security", "celebrations")


def _text(rng: random.Random, low: int, high: int) -> str:
    target = int(min(high, max(low, rng.lognormvariate(0, 0.6) * (low + high) / 5)))
    words: list[str] = []
    size = 0
    while size < target:
        words.append(rng.choice(WORDS))
        size += len(words[-1]) + 1
    text = " ".join(words)[:target].rstrip()
    return text[:1].upper() + text[1:] + "."


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


async def _prepare(path: Path) -> None:
    """Migrate the file and give search the province's commune names, as the bot does."""
    from bot.content import localities
    from bot.storage import open_storage

    storage = await open_storage(path)
    await storage.search.use_communes({u.code: u.name for u in localities(PROVINCE).units})
    await storage.close()


def generate(path: Path, stories: int, seed: int) -> tuple[float, int]:
    """Fill the database (the triggers index each row); return (seconds, the busiest commune)."""
    from bot.content import localities

    asyncio.run(_prepare(path))
    rng = random.Random(seed)
    codes = sorted(u.code for u in localities(PROVINCE).units)
    weights = [1.0 / (1 + i) ** 0.7 for i in range(len(codes))]
    now = datetime(2025, 9, 30, tzinfo=UTC)
    rows = []
    for i in range(1, stories + 1):
        status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
        created = (now - timedelta(seconds=rng.randrange(90 * 86400))).isoformat()
        rows.append((
            i, f"bench-{i}", rng.choice(KINDS), rng.choice(CONTENTS),
            rng.choices(codes, weights=weights)[0], _name(rng), f"nông dân ấp {rng.choice(GIVEN)}",
            _text(rng, 20, 120), _text(rng, 80, 2000), "2025-09-02", status, created, created,
            created if status == "published" else None,
        ))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO stories (id, submission_key, channel, kind, content, commune_code,"
        " honoree_name, honoree_role, title, description, event_date, status, created_at,"
        " updated_at, published_at) VALUES (?, ?, 'telegram', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.execute("ANALYZE")
    conn.close()
    return seconds, codes[0]


async def _idle_stall(seconds: float = 3.0) -> float:
    """The event loop's longest stall while doing nothing: this machine's own noise (ms)."""
    longest = 0.0
    last = time.perf_counter()
    end = last + seconds
    while last < end:
        await asyncio.sleep(0.005)
        now = time.perf_counter()
        longest = max(longest, now - last - 0.005)
        last = now
    return longest * 1000


async def _timed(rounds: int, ask: Any) -> tuple[list[float], float, int]:
    """Run every query `rounds` times; (milliseconds each, longest loop stall, results seen)."""
    longest = 0.0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal longest
        last = time.perf_counter()
        while not done.is_set():
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            longest = max(longest, now - last - 0.005)
            last = now

    watching = asyncio.create_task(ticker())
    times: list[float] = []
    seen = 0
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            total, _ = await ask(query)
            times.append((time.perf_counter() - started) * 1000)
            seen += total
    done.set()
    await watching
    return times, longest * 1000, seen


async def measure(path: Path, rounds: int, commune: int) -> dict[str, tuple[list[float], float]]:
    """Each reader's searches through the bot's own repository and reader connection."""
    from bot.storage import StoryFilter, open_storage

    storage = await open_storage(path)
    readers = {
        "everyone (published)": (StoryFilter(("published",)), 0),
        "commune reviewer (any status)": (StoryFilter(None, frozenset({commune})), 0),
        "admin (any status)": (StoryFilter(), 0),
        "admin, page 20": (StoryFilter(), 95),
    }
    found: dict[str, tuple[list[float], float]] = {}
    try:
        for name, (where, offset) in readers.items():
            await storage.search.find(QUERIES[0], where, offset, 5)  # warm the cache

            async def ask(query: str, where: Any = where, offset: int = offset) -> Any:
                return await storage.search.find(query, where, offset, 5)

            times, stall, seen = await _timed(rounds, ask)
            found[name] = (times, stall)
            print(f"  {name:32s} {seen // rounds:>9,} matches a round")
    finally:
        await storage.close()
    return found


def baseline(path: Path, rounds: int) -> list[float]:
    """The same words as LIKE scans, AND-ed, published only, first page (sqlite3)."""
    from bot.storage.search import match_query

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    times = []
    for _ in range(max(1, rounds // 4)):
        for query in QUERIES:
            words = [w.strip('"') for w in (match_query(query) or "").split()]
            clause = " AND ".join(
                "(title LIKE ? OR description LIKE ? OR honoree_name LIKE ?)" for _ in words)
            params = [f"%{w}%" for w in words for _ in range(3)]
            started = time.perf_counter()
            conn.execute("SELECT COUNT(*) FROM stories WHERE status = 'published' AND "
                         + clause, params).fetchone()
            conn.execute("SELECT id, title FROM stories WHERE status = 'published' AND "
                         + clause + " ORDER BY id DESC LIMIT 5", params).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return times


def _p(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1] if len(times) > 1 \
        else times[0]


def main() -> int:
    """Generate, measure, report; exit 0 whatever the verdict (1 only if a run fails)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "search.sqlite3"
        print(f"Generating {args.stories:,} stories (indexed by the triggers as inserted) …")
        seconds, busiest = generate(path, args.stories, args.seed)
        size = sum(p.stat().st_size for p in Path(folder).iterdir()) / 2**20
        print(f"  inserted and indexed in {seconds:.1f} s ({args.stories / seconds:,.0f}"
              f" stories/s); database {size:.0f} MB")
        print(f"Searching: {len(QUERIES)} queries x {args.rounds} rounds per reader")
        found = asyncio.run(measure(path, args.rounds, busiest))
        like = baseline(path, args.rounds)
        idle = asyncio.run(_idle_stall())
    like_p50 = statistics.median(like)
    print(f"\n{'reader':34s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'vs LIKE':>8s}"
          f" {'stall ms':>9s}")
    verdict = True
    for name, (times, stall) in found.items():
        p50, p99 = statistics.median(times), _p(times, 99)
        verdict = verdict and p99 < TARGET_MS
        print(f"{name:34s} {p50:8.1f} {p99:8.1f} {max(times):8.1f} {p50 / like_p50:7.3f}x"
              f" {stall:9.1f}")
    print(f"{'baseline: LIKE scan (published)':34s} {like_p50:8.1f} {_p(like, 99):8.1f}"
          f" {max(like):8.1f} {1.0:7.3f}x")
    print(f"{'baseline: the event loop idle':34s} {'':8s} {'':8s} {'':8s} {'':8s}"
          f" {idle:9.1f}")
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"(load average {load} on {os.cpu_count()} cores: other work shares this machine)")
    print(f"\nTarget: p99 under {TARGET_MS:.0f} ms for every reader over {args.stories:,}"
          f" stories: {'PASS' if verdict else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
