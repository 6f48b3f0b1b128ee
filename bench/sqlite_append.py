"""Append throughput on SQLite (``synchronous=FULL``) against plain ``sqlite3`` in the same run.

* batched: ``Ledger.append_many`` of ``batch`` events vs ``executemany`` of the same rows, one
  transaction per batch, into the same table and indexes.
* single appends: ``threads`` writers (1, 8, 64) each calling ``Ledger.append`` (group commit
  folds concurrent calls into shared transactions) vs one thread committing one row per
  transaction.

Each round writes fresh files; ledger and baseline alternate which goes first; the figure is
the median of the rounds' rates.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from common import (
    Result,
    alternate,
    at_least,
    median,
    open_ledger,
    rate,
    raw_connection,
    seconds,
)
from fleetledger.backends.sqlite import schema
from fleetledger.ledger import Ledger
from workload import Row, RowBuilder, Workload, offline_core, prepare

Batch = list[dict[str, Any]]

BATCHED_TARGET = 0.6  # VISION section 9: pure Python seems to cap near 0.6x raw executemany
SINGLE_TARGETS = {1: 0.8, 8: 1.5, 64: 3.0}
"""Writers -> the ratio their single appends must reach against raw one row per transaction."""


# -- batched ------------------------------------------------------------------------------------


def ledger_append_batches(ledger: Ledger, batches: Sequence[Batch]) -> None:
    for events in batches:
        ledger.append_many(events)


def raw_insert_batches(conn: sqlite3.Connection, batches: Sequence[list[Row]]) -> None:
    for rows in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(schema.INSERT, rows)
        conn.execute("COMMIT")


def _ledger_batched_round(path: Path, workload: Workload, batch: int, count: int) -> float:
    batches = [workload.events(batch) for _ in range(count + 1)]
    with open_ledger(path) as ledger:
        ledger_append_batches(ledger, batches[:1])  # warm-up: caches, reader connection
        elapsed = seconds(lambda: ledger_append_batches(ledger, batches[1:]))
    return rate(batch * count, elapsed)


def _raw_batched_round(path: Path, workload: Workload, batch: int, count: int) -> float:
    builder = RowBuilder()
    batches = [builder.rows(workload.events(batch)) for _ in range(count + 1)]
    conn = raw_connection(path)
    try:
        raw_insert_batches(conn, batches[:1])
        elapsed = seconds(lambda: raw_insert_batches(conn, batches[1:]))
    finally:
        conn.close()
    return rate(batch * count, elapsed)


def batched(directory: Path, *, batch: int = 1000, batches: int = 20, rounds: int = 5) -> Result:
    """Median events/s of both sides over ``rounds`` rounds of ``batches`` timed batches."""
    ledger_rates: list[float] = []
    raw_rates: list[float] = []
    workload = Workload(seed=1)
    for index in range(rounds):
        ledger_path = directory / f"batched-ledger-{index}.db"
        raw_path = directory / f"batched-raw-{index}.db"
        alternate(
            index,
            (ledger_rates, partial(_ledger_batched_round, ledger_path, workload, batch, batches)),
            (raw_rates, partial(_raw_batched_round, raw_path, workload, batch, batches)),
        )
    name = f"batched append ({batch}/txn)"
    return at_least(name, ledger_rates, raw_rates, "events/s", BATCHED_TARGET)


def prepare_only(*, batch: int = 1000, batches: int = 20, rounds: int = 5) -> Result:
    """Events/s of the ledger core alone (validate, stamp, id, canonical JSON): no I/O.

    Information, no target: it is the CPU part of the batched figure above, and a ceiling on it.
    """
    core = offline_core()
    workload = Workload(seed=6)
    rates = []
    for _ in range(rounds):
        events = [workload.events(batch) for _ in range(batches)]
        elapsed = seconds(lambda events=events: [prepare(core, e) for e in events])
        rates.append(rate(batch * batches, elapsed))
    return Result("  of which prepare, no I/O (info)", median(rates), None, "events/s", "-", None)


# -- concurrent single appends ------------------------------------------------------------------


def ledger_concurrent(ledger: Ledger, per_thread: Sequence[Batch]) -> float:
    """Seconds for ``len(per_thread)`` threads to each ``append`` their events one by one."""
    start = threading.Barrier(len(per_thread) + 1)
    errors: list[BaseException] = []

    def writer(events: Batch) -> None:
        start.wait()
        try:
            for event in events:
                ledger.append(**event)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(events,)) for events in per_thread]
    for thread in threads:
        thread.start()

    def run() -> None:
        start.wait()
        for thread in threads:
            thread.join()

    elapsed = seconds(run)
    if errors:
        raise errors[0]
    return elapsed


def raw_single_rows(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    for row in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(schema.INSERT, row)
        conn.execute("COMMIT")


def _ledger_concurrent_round(path: Path, workload: Workload, threads: int, each: int) -> float:
    per_thread = [workload.events(each) for _ in range(threads)]
    with open_ledger(path) as ledger:
        ledger.append(**workload.events(1)[0])  # warm-up
        elapsed = ledger_concurrent(ledger, per_thread)
    return rate(threads * each, elapsed)


def _raw_single_round(path: Path, workload: Workload, count: int) -> float:
    rows = RowBuilder().rows(workload.events(count + 1))
    conn = raw_connection(path)
    try:
        raw_single_rows(conn, rows[:1])
        elapsed = seconds(lambda: raw_single_rows(conn, rows[1:]))
    finally:
        conn.close()
    return rate(count, elapsed)


def concurrent(directory: Path, *, threads: int = 8, each: int = 500, rounds: int = 5) -> Result:
    """Median events/s: ``threads`` ledger writers vs one raw writer, one row per commit; the
    target is ``SINGLE_TARGETS[threads]`` (information for another count of writers)."""
    ledger_rates: list[float] = []
    raw_rates: list[float] = []
    workload = Workload(seed=2)
    for index in range(rounds):
        ledger_path = directory / f"single-{threads}-ledger-{index}.db"
        raw_path = directory / f"single-{threads}-raw-{index}.db"
        alternate(
            index,
            (ledger_rates, partial(_ledger_concurrent_round, ledger_path, workload, threads, each)),
            (raw_rates, partial(_raw_single_round, raw_path, workload, threads * each)),
        )
    writers = "1 thread" if threads == 1 else f"{threads} threads (group commit)"
    name = f"single appends, {writers}"
    factor = SINGLE_TARGETS.get(threads)
    if factor is None:
        result = at_least(f"{name} (info)", ledger_rates, raw_rates, "events/s", 1.0)
        return replace(result, target="-", passed=None, goal=None)
    return at_least(name, ledger_rates, raw_rates, "events/s", factor)
