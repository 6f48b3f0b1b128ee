"""Batched append rate as the ledger grows: a file of ``small`` events vs one of ``large``.

The files are filled with plain ``sqlite3`` (``synchronous=OFF``, 50k rows per transaction)
with rows the ledger's own core built: the same schema, ids (UUIDv7), subjects, partitions,
offsets and bodies an append would have stored, without paying for validation and an fsync
a million times. There are four files, one per (side, size), so the ledger's appends never grow
the baseline's file or the reverse; the small files' events are a prefix of the large ones'.
After the fill each file's WAL is checkpointed and truncated and the file is fsynced. Then, in
rounds, the ledger (``synchronous=FULL``) appends batches to its two files and the raw
baseline (``executemany``, ``synchronous=FULL``) to its two.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from common import (
    Result,
    alternate,
    at_least,
    median,
    open_ledger,
    rate,
    raw_connection,
    seconds,
    spread,
)
from sqlite_append import ledger_append_batches, raw_insert_batches
from workload import RowBuilder, Workload

FILL_CHUNK = 50_000


def fill(targets: Sequence[tuple[Path, int]], *, seed: int = 3) -> float:
    """Create each file with its count of events; return the seconds the fill took."""
    start = time.perf_counter()
    for path, _ in targets:
        open_ledger(path).close()  # the ledger creates its tables, topics and file marks
    conns = [(raw_connection(path, synchronous="OFF"), count) for path, count in targets]
    builder, workload = RowBuilder(), Workload(seed)
    done, top = 0, max(count for _, count in targets)
    while done < top:
        rows = builder.rows(workload.events(min(FILL_CHUNK, top - done)))
        for conn, count in conns:
            if count > done:
                raw_insert_batches(conn, [rows[: count - done]])
        done += len(rows)
    for conn, _ in conns:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    for path, _ in targets:
        _flush(path)
    return time.perf_counter() - start


def _flush(path: Path) -> None:
    """Write the fill to disk now: left to the kernel, the first fsync of a measured commit
    (the WAL checkpoint's) would wait for hundreds of megabytes of it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def count_events(path: Path) -> int:
    conn = raw_connection(path)
    try:
        return int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


def _ledger_round(path: Path, workload: Workload, batch: int, batches: int) -> float:
    events = [workload.events(batch) for _ in range(batches + 1)]
    with open_ledger(path) as ledger:
        ledger_append_batches(ledger, events[:1])  # warm-up
        elapsed = seconds(lambda: ledger_append_batches(ledger, events[1:]))
    return rate(batch * batches, elapsed)


def _raw_round(path: Path, workload: Workload, batch: int, batches: int) -> float:
    conn = raw_connection(path)
    try:
        builder = RowBuilder().start_after(conn)
        rows = [builder.rows(workload.events(batch)) for _ in range(batches + 1)]
        raw_insert_batches(conn, rows[:1])
        elapsed = seconds(lambda: raw_insert_batches(conn, rows[1:]))
    finally:
        conn.close()
    return rate(batch * batches, elapsed)


def label(count: int) -> str:
    """``100000`` -> ``1e5``."""
    exponent = len(str(count)) - 1
    return f"1e{exponent}" if count == 10**exponent else f"{count:,}"


Files = dict[tuple[str, str], Path]
"""``(side, size)`` -> file, side ``ledger`` or ``raw``, size ``small`` or ``large``."""


def fill_sizes(directory: Path, small: int, large: int) -> tuple[Files, float]:
    """Four files: the ledger and the raw baseline each get one of each size (so neither one's
    appends grow the other's file). Returns the files and the seconds the fill took."""
    files = {
        (side, size): directory / f"{side}-{size}.db"
        for side in ("ledger", "raw")
        for size in ("small", "large")
    }
    counts = {"small": small, "large": large}
    took = fill([(path, counts[size]) for (_, size), path in files.items()])
    return files, took


def append_vs_size(
    files: Files, *, batch: int = 1000, batches: int = 4, rounds: int = 3
) -> list[Result]:
    """Ledger and raw batched rates on both sizes; each round appends ``batches + 1`` batches
    (one untimed warm-up) to each file."""
    sizes = {key: count_events(path) for key, path in files.items()}
    rates: dict[tuple[str, str], list[float]] = {key: [] for key in files}
    workload = Workload(seed=4)
    for index in range(rounds):
        for size in ("small", "large") if index % 2 == 0 else ("large", "small"):
            alternate(
                index,
                (
                    rates["ledger", size],
                    partial(_ledger_round, files["ledger", size], workload, batch, batches),
                ),
                (
                    rates["raw", size],
                    partial(_raw_round, files["raw", size], workload, batch, batches),
                ),
            )
    grown = count_events(files["ledger", "small"])
    small, large = label(sizes["ledger", "small"]), label(sizes["ledger", "large"])
    rate_of = {key: median(values) for key, values in rates.items()}
    ratio = rate_of["ledger", "large"] / rate_of["ledger", "small"]
    return [
        Result(
            f"ledger append @{large} vs @{small}",
            rate_of["ledger", "large"],
            rate_of["ledger", "small"],
            "events/s",
            "flat +-20%",
            0.8 <= ratio <= 1.2,
            f"the small file grew from {sizes['ledger', 'small']} to {grown} while measured; "
            + spread(rates["ledger", "large"], rates["ledger", "small"], ("large", "small")),
        ),
        Result(
            f"raw append @{large} vs @{small} (info)",
            rate_of["raw", "large"],
            rate_of["raw", "small"],
            "events/s",
            "-",
            None,
            spread(rates["raw", "large"], rates["raw", "small"], ("large", "small")),
        ),
        at_least(
            f"batched append @{large} vs raw",
            rates["ledger", "large"],
            rates["raw", "large"],
            "events/s",
            0.8,
        ),
    ]
