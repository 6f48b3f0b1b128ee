"""Batched append rate as the ledger grows: a file of ``small`` events vs one of ``large``.

The files are filled with plain ``sqlite3`` (``synchronous=OFF``, 50k rows per transaction)
with rows the ledger's own core built: the same schema, ids (UUIDv7), subjects, partitions,
offsets and bodies an append would have stored, without paying for validation and an fsync
a million times; each row carries its leaf hash, as the ledger stores it. The ledger's files
also get the trees its appends keep beside the events; the raw baseline's files hold the rows
only, as its appends write. ``BENCH_SCALE=large`` takes the large files (10^7 events) from a
git-ignored cache, ``bench/.cache/``, built on first use. There are four files, one per
(side, size), so the ledger's appends never grow the baseline's file or the reverse; the small
files' events are a prefix of the large ones' (except with the cache).
After the fill each file's WAL is checkpointed and truncated and the file is fsynced. Then, in
rounds, the ledger (``synchronous=FULL``) appends batches to its two files and the raw
baseline (``executemany``, ``synchronous=FULL``) to its two.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
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
from fleetledger.backends.sqlite import schema
from fleetledger.integrity import Frontier
from sqlite_append import BATCHED_TARGET, ledger_append_batches, raw_insert_batches
from workload import Row, RowBuilder, Workload

FILL_CHUNK = 50_000
FILL_CACHE_KIB = 262_144  # page cache of each filling connection: the fill is not measured
SIZE_TARGET = 0.85  # the issue's: the append rate at the larger size >= 0.85x the smaller's
CACHE = Path(__file__).resolve().parent / ".cache"
"""Where ``BENCH_SCALE=large`` keeps its 10^7-event files between runs (git-ignored)."""


@dataclass(frozen=True)
class Target:
    """A file to fill with its first ``count`` events; ``trees``: also the trees
    appends would have stored with them (the ledger's files; the raw baseline stores none)."""

    path: Path
    count: int
    trees: bool = False


class _Filling:
    """One file being filled: its connection and, if it keeps trees, each partition's tree."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.conn = raw_connection(target.path, synchronous="OFF")
        self.conn.execute(f"PRAGMA cache_size = -{FILL_CACHE_KIB}")
        self.frontiers: dict[tuple[str, int], Frontier] = {}

    def write(self, rows: list[Row]) -> None:
        """Insert ``rows`` (each with its leaf) in one transaction, as an append would store
        them, growing each partition's tree if the file keeps trees: leaf ``i`` of a partition
        is its event at offset ``i``."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.executemany(schema.INSERT, rows)
        if self.target.trees:
            grown: dict[tuple[str, int], list[bytes]] = {}
            for row in rows:
                grown.setdefault((row[0], row[1]), []).append(row[9])
            for tp, batch in grown.items():
                self.frontiers.setdefault(tp, Frontier()).extend_hashes(batch)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Save the trees, checkpoint and truncate the WAL, and write the file to disk."""
        for (topic, partition), frontier in self.frontiers.items():
            self.conn.execute(
                schema.SAVE_TREE, (topic, partition, 0, frontier.size, frontier.to_bytes())
            )
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()
        _flush(self.target.path)


def fill(targets: Sequence[Target], *, seed: int = 3) -> float:
    """Create each file with its count of events; return the seconds the fill took.

    The ledger's core builds the rows once, each with its leaf (RFC 6962); each file gets a
    prefix of them. Files that keep trees also get each partition's tree (``Frontier``), so the
    ledger opens them as if it had appended every event.
    """
    start = time.perf_counter()
    for target in targets:
        open_ledger(target.path).close()  # the ledger creates its tables, topics and file marks
    files = [_Filling(target) for target in targets]
    builder, workload = RowBuilder(), Workload(seed)
    done, top = 0, max(target.count for target in targets)
    while done < top:
        rows = builder.rows(workload.events(min(FILL_CHUNK, top - done)))
        for file in files:
            if file.target.count > done:
                file.write(rows[: file.target.count - done])
        done += len(rows)
    for file in files:
        file.close()
    return time.perf_counter() - start


def cached(side: str, count: int, *, seed: int = 3) -> Path:
    """A file of ``count`` events for ``side`` (``ledger``: with trees) under ``CACHE``, built
    once (minutes and gigabytes at 10^7) and reused by later runs, which append to it."""
    path = CACHE / f"{side}-{label(count)}.db"
    done = path.with_name(path.name + ".done")
    if not done.exists():
        CACHE.mkdir(exist_ok=True)
        for stale in CACHE.glob(f"{path.name}*"):
            stale.unlink()
        fill([Target(path, count, trees=side == "ledger")], seed=seed)
        done.write_text(json.dumps({"events": count, "seed": seed}) + "\n")
    return path


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


def fill_sizes(
    directory: Path, small: int, large: int, *, cache: bool = False
) -> tuple[Files, float]:
    """Four files: the ledger and the raw baseline each get one of each size (so neither one's
    appends grow the other's file); the ledger's keep trees. With ``cache`` the large files are
    the cached ones (see :func:`cached`). Returns the files and the seconds the fill took."""
    start = time.perf_counter()
    files = {
        (side, size): directory / f"{side}-{size}.db"
        for side in ("ledger", "raw")
        for size in ("small", "large")
    }
    counts = {"small": small, "large": large}
    if cache:
        for side in ("ledger", "raw"):
            files[side, "large"] = cached(side, large)
    fill(
        [
            Target(path, counts[size], trees=side == "ledger")
            for (side, size), path in files.items()
            if not (cache and size == "large")
        ]
    )
    return files, time.perf_counter() - start


def append_vs_size(
    files: Files,
    *,
    batch: int = 1000,
    batches: int = 4,
    rounds: int = 3,
    names: tuple[str, str] | None = None,
) -> list[Result]:
    """Ledger and raw batched rates on both sizes; each round appends ``batches + 1`` batches
    (one untimed warm-up) to each file. ``names`` labels the sizes (default: their counts)."""
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
    small, large = names or (label(sizes["ledger", "small"]), label(sizes["ledger", "large"]))
    rate_of = {key: median(values) for key, values in rates.items()}
    ratio = rate_of["ledger", "large"] / rate_of["ledger", "small"]
    return [
        Result(
            f"ledger append @{large} vs @{small}",
            rate_of["ledger", "large"],
            rate_of["ledger", "small"],
            "events/s",
            f">= {SIZE_TARGET:g}x",
            ratio >= SIZE_TARGET,
            f"the small file grew from {sizes['ledger', 'small']:,} to {grown:,} while measured,"
            f" the large one held {sizes['ledger', 'large']:,}; "
            + spread(rates["ledger", "large"], rates["ledger", "small"], ("large", "small")),
            SIZE_TARGET,
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
            BATCHED_TARGET,
        ),
    ]
