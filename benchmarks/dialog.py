"""Load benchmark: people walk the whole /report dialog through the real Telegram application.

    .venv/bin/python benchmarks/dialog.py [--mode all|burst|steady|scale] [--rounds 3]
        burst:  [--people 2000] [--concurrency 64]      everyone at once, 64 updates in flight
        steady: [--steady-people 1000] [--rate 500]     N people, think time N/rate seconds
        scale:  [--scale 200,2000,10000]                 burst at each number of people
    .venv/bin/python benchmarks/dialog.py --profile FILE [--people 200]

Every person sends the 16 updates of a full report (/start, consent, /report … "📨 Gửi") as real
python-telegram-bot Update objects through the application's update processor (as under
polling: at most `--concurrency` updates in flight), over a real SQLite file in a temporary
folder; the Bot API wire is faked locally (counts calls, keeps the last inline keyboard per chat
so people can press buttons by label).

The baseline is a bare python-telegram-bot Application on the same fake wire and concurrency whose
one handler inserts a row with aiosqlite (WAL) and answers with one send_message; it gets the same
updates per person (its button presses carry the very messages ours pressed).

Burst: everyone starts at once; latency is timed around `app.process_update` (service) and, for
information, from the moment the update was offered (with queueing). Steady: each person waits an
exponential think time (mean people/rate seconds) before each update, so `--rate` updates a second
are offered; latency is from offering to done. Each figure is printed for both apps with its ratio;
CPU per update is the process's CPU time over the run divided by the updates; the longest loop
stall is the longest single callback of the event loop. Each measurement runs in a fresh
subprocess; with `--rounds 3` each is run three times and the medians are printed. Peak memory
comes from separate traced runs (tracemalloc distorts timings).

The report always exits 0 on a missed target; it exits non-zero only if a run itself is wrong
(a person could not finish, the database does not hold exactly one story per person, a handler
failed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import subprocess
import sys
import traceback
import tracemalloc
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.dialog_apps import REPORT, measure  # noqa: E402
from benchmarks.measure import load_average, machine, medians, verdict  # noqa: E402

BURST_THROUGHPUT = 0.6  # ours ≥ 0.6 × the baseline's updates/s
BURST_P99 = 2.0  # ours' p99 ≤ 2 × the baseline's
STEADY_P99 = 3.0
STEADY_CPU = 2.0
MEMORY_MB = 150.0
ROWS = [
    ("updates processed", "updates", "{:.0f}"),
    ("Bot API calls per update", "calls_per_update", "{:.2f}"),
    ("CPU per update (ms)", "cpu_ms_per_update", "{:.3f}"),
    ("wall time (s)", "wall_s", "{:.2f}"),
    ("throughput (updates/s)", "updates_per_s", "{:.0f}"),
    ("latency p50 (ms)", "p50_ms", "{:.2f}"),
    ("latency p99 (ms)", "p99_ms", "{:.2f}"),
    ("latency max (ms)", "max_ms", "{:.2f}"),
    ("with queueing p50 (ms)", "q_p50_ms", "{:.1f}"),
    ("with queueing p99 (ms)", "q_p99_ms", "{:.1f}"),
    ("longest loop stall (ms)", "stall_ms", "{:.1f}"),
    ("max RSS (MB)", "max_rss_mb", "{:.1f}"),
]


def run_worker(which: str, people: int, concurrency: int, think: float = 0.0,
               trace: bool = False) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", which,
               "--people", str(people), "--concurrency", str(concurrency),
               "--think", repr(think)]
    if trace:
        command.append("--trace")
    limit = 900 + people  # seconds; a worker that hangs should fail the report, not stall it
    try:
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False,
                              timeout=limit)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"benchmark worker {which!r} took over {limit} s") from None
    if done.returncode != 0 or not done.stdout.strip():
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark worker {which!r} failed: exit {done.returncode}")
    if done.stderr.strip():
        sys.stderr.write(done.stderr)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def rounds(n: int, *args: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Baseline and ours, alternating, n rounds each: (baseline medians, ours medians)."""
    runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "ours": []}
    for _ in range(n):
        for which in ("baseline", "ours"):
            runs[which].append(run_worker(which, *args, **kwargs))
    problems = check(runs["baseline"] + runs["ours"])
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    if problems:
        raise SystemExit(1)
    return medians(runs["baseline"]), medians(runs["ours"])


def check(runs: list[dict[str, Any]]) -> list[str]:
    """What makes a run wrong rather than slow."""
    problems = []
    for run in runs:
        people = run["people"]
        if run["failed_people"]:
            problems.append(f"{run['app']}: {run['failed_people']} people could not finish, "
                            f"first: {run['first_failure']}")
        if run["errors_logged"]:
            problems.append(f"{run['app']}: {run['errors_logged']} errors logged")
        expected = people if run["app"] == "ours" else people * len(REPORT)
        if run["rows"] != expected or run["distinct_people"] != people:
            problems.append(f"{run['app']}: the database holds {run['rows']} rows from "
                            f"{run['distinct_people']} people, expected {expected} from {people}")
    return problems


def table(base: dict[str, Any], ours: dict[str, Any]) -> None:
    print(f"{'':28}{'baseline':>12}{'Gương Sáng':>12}{'ours/base':>11}")
    for label, key, fmt in ROWS:
        b, o = base[key], ours[key]
        ratio = f"{o / b:.2f}×" if b else "-"
        print(f"{label:28}{fmt.format(b):>12}{fmt.format(o):>12}{ratio:>11}")
    print(f"our Bot API calls by method: {ours['calls_by_method']}")


def target(label: str, ratio: float, limit: float, at_least: bool) -> bool:
    ok = ratio >= limit if at_least else ratio <= limit
    sign = "≥" if at_least else "≤"
    print(f"  {label} {sign} {limit:g}× the baseline's: {ratio:.2f}×  {verdict(ok)}")
    return ok


def burst(args: argparse.Namespace) -> list[bool]:
    print(f"\n== burst: {args.people} people × {len(REPORT)} updates, all at once, "
          f"concurrent_updates={args.concurrency}, {args.rounds} round(s), medians ==")
    base, ours = rounds(args.rounds, args.people, args.concurrency)
    table(base, ours)
    traced = run_worker("ours", args.people, args.concurrency, trace=True)
    print(f"our peak traced memory: {traced['tracemalloc_peak_mb']:.1f} MB (separate run)")
    print(f"load average now: {load_average()}\ntargets:")
    memory = max(ours["max_rss_mb"], traced["tracemalloc_peak_mb"])
    print(f"  peak memory < {MEMORY_MB:.0f} MB: {memory:.1f} MB  {verdict(memory < MEMORY_MB)}")
    return [target("throughput", ours["updates_per_s"] / base["updates_per_s"],
                   BURST_THROUGHPUT, True),
            target("latency p99", ours["p99_ms"] / base["p99_ms"], BURST_P99, False),
            memory < MEMORY_MB]


def steady(args: argparse.Namespace) -> list[bool]:
    think = args.steady_people / args.rate
    print(f"\n== steady: {args.steady_people} people, think time {think:.1f} s on average "
          f"(≈{args.rate} updates/s offered), concurrent_updates={args.concurrency}, "
          f"{args.rounds} round(s), medians; latency from offering to done ==")
    base, ours = rounds(args.rounds, args.steady_people, args.concurrency, think)
    base["p99_ms"], ours["p99_ms"] = base["q_p99_ms"], ours["q_p99_ms"]
    table(base, ours)
    print(f"load average now: {load_average()}\ntargets:")
    return [target("latency p99", ours["q_p99_ms"] / base["q_p99_ms"], STEADY_P99, False),
            target("CPU per update", ours["cpu_ms_per_update"] / base["cpu_ms_per_update"],
                   STEADY_CPU, False)]


def scale(args: argparse.Namespace) -> list[bool]:
    print(f"\n== scale: burst at {args.scale} people, {args.rounds} round(s), medians ==")
    print(f"{'people':>8}{'base u/s':>10}{'ours u/s':>10}{'ratio':>8}{'base p99':>10}"
          f"{'ours p99':>10}{'ratio':>8}{'CPU/u base':>11}{'ours':>7}{'stall base':>11}"
          f"{'ours':>7}  targets")
    verdicts = []
    for people in (int(p) for p in args.scale.split(",")):
        base, ours = rounds(args.rounds, people, args.concurrency)
        tput = ours["updates_per_s"] / base["updates_per_s"]
        p99 = ours["p99_ms"] / base["p99_ms"]
        ok = tput >= BURST_THROUGHPUT and p99 <= BURST_P99
        verdicts.append(ok)
        print(f"{people:>8}{base['updates_per_s']:>10.0f}{ours['updates_per_s']:>10.0f}"
              f"{tput:>7.2f}×{base['p99_ms']:>10.1f}{ours['p99_ms']:>10.1f}{p99:>7.2f}×"
              f"{base['cpu_ms_per_update']:>11.3f}{ours['cpu_ms_per_update']:>7.3f}"
              f"{base['stall_ms']:>11.0f}{ours['stall_ms']:>7.0f}  {verdict(ok)}")
    print(f"load average now: {load_average()}")
    return verdicts


def worker(args: argparse.Namespace) -> int:
    if args.trace:
        tracemalloc.start()  # before any thread exists; the peak is reset after the warm-up
    try:
        result = asyncio.run(measure(args.worker, args.people, args.concurrency,
                                     think=args.think, trace=args.trace))
    except BaseException:
        # An aiosqlite connection left open keeps a non-daemon thread alive, and the
        # interpreter would wait for it forever at exit: report and leave at once.
        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
    print(json.dumps(result))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("all", "burst", "steady", "scale"), default="all")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--people", type=int, default=2000, help="burst: people at once")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="concurrent_updates of both applications (default 64, as in the bot)")
    parser.add_argument("--steady-people", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=500.0, help="steady: updates/s offered")
    parser.add_argument("--scale", default="200,2000,10000", help="scale: people, comma-separated")
    parser.add_argument("--profile", metavar="FILE",
                        help="run ours once in this process under cProfile, save stats to FILE")
    parser.add_argument("--worker", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--think", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.people < 1 or args.steady_people < 1 or args.rate <= 0 or args.rounds < 1:
        parser.error("--people, --steady-people, --rate and --rounds must be positive")
    if args.worker:
        return worker(args)
    if args.profile:
        result = asyncio.run(measure("ours", args.people, args.concurrency,
                                     profile=args.profile))
        print(json.dumps({k: v for k, v in result.items() if k != "calls_by_method"}, indent=1))
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)
        return 0
    print(machine())
    print("fake Bot API wire, rate limiter off, SQLite WAL in a temporary folder")
    verdicts = []
    for mode, run in (("burst", burst), ("steady", steady), ("scale", scale)):
        if args.mode in (mode, "all"):
            verdicts += run(args)
    print(f"\n{sum(verdicts)} of {len(verdicts)} targets met; load average at the end: "
          f"{load_average()} (2 shared cores: other work on the machine skews the timings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
