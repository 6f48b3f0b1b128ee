"""Read throughput and latency: events decoded into ``Event`` objects, against raw reads.

The baseline reads the same rows with plain ``sqlite3`` (``SELECT body``, by subject or by
partition page) and decodes each body with ``msgspec.json.decode``: what an application would
do with the file and no ledger. The ledger additionally selects the position columns and builds
typed ``Event`` structs with their ``Position``.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import msgspec

from common import Result, alternate, median, open_ledger, rate, seconds, spread
from fleetledger.ledger import Ledger

FAMILIES = ("task", "tool")
DECODE_RATE = 300_000  # events/s decoded, and ...
DECODE_TARGET = 0.85  # ... at least this ratio of the raw reads (both, for a PASS)
_BY_SUBJECT = "SELECT body FROM events WHERE subject = ? ORDER BY seq"
_PAGE = (
    "SELECT offset, body FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
    " ORDER BY offset LIMIT ?"
)
_decode = msgspec.json.decode


def read_only(path: Path) -> sqlite3.Connection:
    """A raw reader on ``path`` (WAL: never blocks the writer, sees committed data)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


def sample_tasks(path: Path, count: int, seed: int = 11) -> list[str]:
    """Up to ``count`` distinct task ids picked uniformly over the whole file (old and new)."""
    conn = read_only(path)
    try:
        last = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        picks = random.Random(seed).sample(range(1, last + 1), min(count, last))
        query = "SELECT subject FROM events WHERE seq = ?"
        found = (conn.execute(query, (seq,)).fetchone() for seq in picks)
        return list(dict.fromkeys(row[0] for row in found if row is not None))
    finally:
        conn.close()


# -- one pass of each reader; each returns how many events it decoded ------------------------------


def ledger_replay(ledger: Ledger, tasks: Sequence[str]) -> int:
    return sum(len(list(ledger.replay(task))) for task in tasks)


def raw_replay(conn: sqlite3.Connection, tasks: Sequence[str]) -> int:
    total = 0
    for task in tasks:
        total += len([_decode(body) for (body,) in conn.execute(_BY_SUBJECT, (task,))])
    return total


def ledger_read(ledger: Ledger, page: int) -> int:
    total = 0
    for family in FAMILIES:
        for partition in range(ledger.families()[family].partitions):
            offset = 0
            while events := ledger.read(family, partition, offset, limit=page):
                total += len(events)
                offset = events[-1].position.offset + 1
    return total


def ledger_consume(ledger: Ledger, page: int, group: str) -> int:
    total = 0
    with ledger.consumer(group, FAMILIES) as consumer:
        while events := consumer.poll(max=page):
            total += len(events)
    return total


def raw_read(conn: sqlite3.Connection, ledger: Ledger, page: int) -> int:
    total = 0
    for family in FAMILIES:
        topic = ledger.topic(family)
        for partition in range(ledger.families()[family].partitions):
            offset = 0
            while rows := conn.execute(_PAGE, (topic, partition, offset, page)).fetchall():
                total += len([_decode(body) for _, body in rows])
                offset = rows[-1][0] + 1
    return total


# -- measures ---------------------------------------------------------------------------------


def _rate_of(count_pass: Callable[[], int]) -> float:
    counted: list[int] = []
    elapsed = seconds(lambda: counted.append(count_pass()))
    return rate(counted[0], elapsed)


def _compare(
    name: str, ledger_pass: Callable[[], int], raw_pass: Callable[[], int], rounds: int
) -> Result:
    """Warm both (the file into the OS cache), check they agree, then median rate over rounds."""
    expected, got = raw_pass(), ledger_pass()
    if expected != got:
        raise AssertionError(f"{name}: the ledger decoded {got} events, raw reads {expected}")
    ledger_rates: list[float] = []
    raw_rates: list[float] = []
    for index in range(rounds):
        alternate(
            index,
            (ledger_rates, partial(_rate_of, ledger_pass)),
            (raw_rates, partial(_rate_of, raw_pass)),
        )
    ledger_rate, raw_rate = median(ledger_rates), median(raw_rates)
    return Result(
        name,
        ledger_rate,
        raw_rate,
        "events/s",
        f">= {DECODE_RATE // 1000}k/s, >= {DECODE_TARGET:g}x",
        ledger_rate >= DECODE_RATE and ledger_rate >= DECODE_TARGET * raw_rate,
        f"{expected} events per pass; {spread(ledger_rates, raw_rates)}",
        DECODE_TARGET,
    )


def decode_rates(
    path: Path, tasks: Sequence[str], *, page: int = 1000, rounds: int = 5
) -> list[Result]:
    """Replay of ``tasks``, partition reads and a consumer, each against its raw equivalent."""
    groups = iter(range(1_000_000))
    with open_ledger(path) as ledger:
        conn = read_only(path)
        try:
            return [
                _compare(
                    f"replay, {len(tasks)} task timelines",
                    partial(ledger_replay, ledger, tasks),
                    partial(raw_replay, conn, tasks),
                    rounds,
                ),
                _compare(
                    f"read, partition pages of {page}",
                    partial(ledger_read, ledger, page),
                    partial(raw_read, conn, ledger, page),
                    rounds,
                ),
                _compare(
                    f"consumer poll(max={page})",
                    lambda: ledger_consume(ledger, page, f"bench-{next(groups)}"),
                    partial(raw_read, conn, ledger, page),
                    rounds,
                ),
            ]
        finally:
            conn.close()


def _latencies_ms(fetch: Callable[[Sequence[str]], int], tasks: Sequence[str]) -> list[float]:
    times = []
    for task in tasks:
        start = time.perf_counter()
        fetch((task,))
        times.append((time.perf_counter() - start) * 1000)
    return times


def timeline_latency(path: Path, tasks: Sequence[str], *, size_label: str) -> Result:
    """Median ms to fetch and decode one task's timeline, ledger vs raw, file in OS cache."""
    with open_ledger(path) as ledger:
        conn = read_only(path)
        try:
            by_ledger = partial(ledger_replay, ledger)
            by_raw = partial(raw_replay, conn)
            _latencies_ms(by_ledger, tasks)  # warm
            _latencies_ms(by_raw, tasks)
            ledger_ms = _latencies_ms(by_ledger, tasks)
            raw_ms = _latencies_ms(by_raw, tasks)
        finally:
            conn.close()
    ledger_median = statistics.median(ledger_ms)
    p95 = statistics.quantiles(ledger_ms, n=20)[-1] if len(ledger_ms) > 1 else ledger_median
    return Result(
        f"task timeline @{size_label} (replay)",
        ledger_median,
        statistics.median(raw_ms),
        "ms",
        "< 10 ms",
        ledger_median < 10,
        f"median of {len(tasks)} tasks; ledger p95 {p95:.2f} ms",
    )
