"""fleetledger, plain ``sqlite3`` and the ``eventsourcing`` library, same events, same run.

Three workloads, each side on a fresh file per round, the sides taking turns (the order
rotates every round), medians over rounds:

* batched: ``batch`` events per transaction: ``Ledger.append_many`` / ``executemany`` of rows
  the ledger's core built / ``Application.save`` of the aggregates those events belong to;
* single, 1 thread: one event per transaction: ``Ledger.append`` / one row per
  ``BEGIN IMMEDIATE ... COMMIT`` / ``Application.save`` of one aggregate with one new event;
* single, ``threads`` threads: the same per event, from ``threads`` threads at once for the
  ledger and ``eventsourcing`` (each thread with its own tasks), one thread for raw SQLite.

``eventsourcing`` runs as its documentation sets it up: an ``Application`` whose environment
names its SQLite persistence module (``PERSISTENCE_MODULE=eventsourcing.sqlite``) and a file
(``SQLITE_DBNAME``). The module puts the file in WAL mode; it leaves
``synchronous`` at SQLite's default, which is FULL in this build: checked on its own
connection before each round (the round is refused otherwise). A task is one aggregate: its
first event creates it (``Task.__init__``, event ``Requested``), the others are ``Recorded``
events; each carries the event's ``type``, ``source``, ``tenant`` and ``data`` (the same
mappings the ledger appends). Aggregates are held in memory while their task is written, so
``eventsourcing`` never reads an aggregate back.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache, partial
from pathlib import Path
from typing import Any

from common import Result, at_least, median, open_ledger, rate, raw_connection, seconds, spread
from sqlite_append import (
    Batch,
    ledger_append_batches,
    ledger_concurrent,
    raw_insert_batches,
    raw_single_rows,
)
from workload import RowBuilder, Workload

PEER_TARGET = 1.5  # VISION section 9: batched appends >= 1.5x the eventsourcing library's
SIDES = ("fleetledger", "eventsourcing", "raw")
_SYNCHRONOUS_FULL = 2


def missing() -> str | None:
    """Why the peer benchmark cannot run here (None: it can)."""
    if importlib.util.find_spec("eventsourcing") is None:
        return "skipped: eventsourcing not installed (pip install -e '.[bench]')"
    return None


# -- eventsourcing ----------------------------------------------------------------------------


@cache
def _task_class() -> type[Any]:
    """The aggregate of one task (defined once, on first use: eventsourcing is an optional
    extra, and it registers each aggregate class under its name)."""
    from eventsourcing.domain import Aggregate, event  # noqa: PLC0415

    class Task(Aggregate):  # type: ignore[misc]
        """A task: created by its first event, then one ``Recorded`` event per event."""

        @event("Requested")
        def __init__(
            self, type: str, subject: str, source: str, tenant: str, data: dict[str, Any]
        ) -> None:
            self.subject = subject
            self.events = 1

        @event("Recorded")
        def record(self, type: str, source: str, tenant: str, data: dict[str, Any]) -> None:
            self.events += 1

    return Task


class EventSourcing:
    """An ``eventsourcing`` application on a SQLite file, and the open tasks' aggregates."""

    def __init__(self, path: Path, task: type[Any]) -> None:
        from eventsourcing.application import Application  # noqa: PLC0415

        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        self.app = Application(env=env)
        self._task = task
        self._open: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.check_durability()

    def check_durability(self) -> None:
        """Refuse a file eventsourcing did not open with WAL and ``synchronous=FULL``."""
        with self.app.recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA journal_mode")
            mode = cursor.fetchone()[0]
            cursor.execute("PRAGMA synchronous")
            synchronous = cursor.fetchone()[0]
        if mode.lower() != "wal" or synchronous != _SYNCHRONOUS_FULL:
            raise RuntimeError(f"eventsourcing: journal_mode={mode}, synchronous={synchronous}")

    def apply(self, event: dict[str, Any]) -> Any:
        """The aggregate of ``event``'s task with ``event`` triggered on it (not saved yet)."""
        subject = event["subject"]
        with self._lock:  # threads write their own tasks; the map is shared
            task = self._open.get(subject)
        if task is None:
            task = self._task(**event)
            with self._lock:
                self._open[subject] = task
        else:
            task.record(event["type"], event["source"], event["tenant"], event["data"])
        return task

    def save_batch(self, events: Batch) -> None:
        """One ``save`` (one transaction) of every aggregate the batch touched."""
        touched = {id(task): task for task in map(self.apply, events)}
        self.app.save(*touched.values())

    def save_each(self, events: Batch) -> None:
        """One ``save`` per event."""
        for event in events:
            self.app.save(self.apply(event))

    def close(self) -> None:
        self.app.close()


# -- one round of each side, each on a fresh file ---------------------------------------------


def _ledger_batched(path: Path, batches: list[Batch]) -> float:
    with open_ledger(path) as ledger:
        ledger_append_batches(ledger, batches[:1])
        elapsed = seconds(lambda: ledger_append_batches(ledger, batches[1:]))
    return rate(sum(map(len, batches[1:])), elapsed)


def _es_batched(path: Path, task: type[Any], batches: list[Batch]) -> float:
    peer = EventSourcing(path, task)
    try:
        peer.save_batch(batches[0])
        elapsed = seconds(lambda: [peer.save_batch(events) for events in batches[1:]])
    finally:
        peer.close()
    return rate(sum(map(len, batches[1:])), elapsed)


def _raw_batched(path: Path, batches: list[Batch]) -> float:
    builder = RowBuilder()
    rows = [builder.rows(events) for events in batches]
    conn = raw_connection(path)
    try:
        raw_insert_batches(conn, rows[:1])
        elapsed = seconds(lambda: raw_insert_batches(conn, rows[1:]))
    finally:
        conn.close()
    return rate(sum(map(len, rows[1:])), elapsed)


def _ledger_single(path: Path, warm_up: Batch, per_thread: list[Batch]) -> float:
    with open_ledger(path) as ledger:
        ledger_append_batches(ledger, [warm_up])
        if len(per_thread) == 1:
            elapsed = seconds(lambda: [ledger.append(**event) for event in per_thread[0]])
        else:
            elapsed = ledger_concurrent(ledger, per_thread)
    return rate(sum(map(len, per_thread)), elapsed)


def _es_single(path: Path, task: type[Any], warm_up: Batch, per_thread: list[Batch]) -> float:
    peer = EventSourcing(path, task)
    try:
        peer.save_each(warm_up)
        if len(per_thread) == 1:
            elapsed = seconds(lambda: peer.save_each(per_thread[0]))
        else:
            elapsed = _threads(peer.save_each, per_thread)
    finally:
        peer.close()
    return rate(sum(map(len, per_thread)), elapsed)


def _raw_single(path: Path, warm_up: Batch, per_thread: list[Batch]) -> float:
    rows = RowBuilder().rows([*warm_up, *(e for events in per_thread for e in events)])
    conn = raw_connection(path)
    try:
        raw_single_rows(conn, rows[: len(warm_up)])
        elapsed = seconds(lambda: raw_single_rows(conn, rows[len(warm_up) :]))
    finally:
        conn.close()
    return rate(len(rows) - len(warm_up), elapsed)


def _threads(work: Callable[[Batch], None], per_thread: Sequence[Batch]) -> float:
    """Seconds for one thread per share to run ``work`` on it, all started together."""
    start = threading.Barrier(len(per_thread) + 1)
    errors: list[BaseException] = []

    def run(events: Batch) -> None:
        start.wait()
        try:
            work(events)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(events,)) for events in per_thread]
    for thread in threads:
        thread.start()

    def join() -> None:
        start.wait()
        for thread in threads:
            thread.join()

    elapsed = seconds(join)
    if errors:
        raise errors[0]
    return elapsed


# -- the comparison ---------------------------------------------------------------------------

Measures = dict[str, Callable[[Path], float]]
"""Side -> one round's measure on a fresh file at the given path."""


def _rounds(
    directory: Path, name: str, rounds: int, make: Callable[[], Measures]
) -> dict[str, list[float]]:
    """``rounds`` rounds of every side on fresh files, the order rotating every round."""
    rates: dict[str, list[float]] = {side: [] for side in SIDES}
    for index in range(rounds):
        measures = make()
        order = SIDES[index % len(SIDES) :] + SIDES[: index % len(SIDES)]
        for side in order:
            rates[side].append(measures[side](directory / f"peers-{name}-{side}-{index}.db"))
    return rates


def _lines(name: str, rates: dict[str, list[float]], target: float | None) -> list[Result]:
    """fleetledger vs eventsourcing (the target, if any), then eventsourcing vs raw (info)."""
    ours, theirs, raw = rates["fleetledger"], rates["eventsourcing"], rates["raw"]
    note = (
        f"fleetledger {median(ours) / median(raw):.2f}x raw ({median(raw) / 1000:.1f}k/s);"
        f" {spread(ours, theirs, ('fleetledger', 'eventsourcing'))}"
    )
    if target is None:
        versus = replace(
            at_least(f"vs eventsourcing: {name} (info)", ours, theirs, "events/s", 1.0),
            target="-",
            passed=None,
            goal=None,
        )
    else:
        versus = at_least(f"vs eventsourcing: {name}", ours, theirs, "events/s", target)
    info = Result(
        f"  eventsourcing vs raw sqlite3: {name} (info)",
        median(theirs),
        median(raw),
        "events/s",
        "-",
        None,
        spread(theirs, raw, ("eventsourcing", "raw")),
    )
    return [replace(versus, note=note), info]


def compare(
    directory: Path,
    *,
    batch: int = 1000,
    batches: int = 10,
    single: int = 500,
    threads: int = 8,
    each: int = 100,
    rounds: int = 5,
) -> list[Result]:
    """The three workloads; the batched line has the target (>= 1.5x eventsourcing)."""
    task = _task_class()
    workload = Workload(seed=31)

    def batched() -> Measures:
        work = [workload.events(batch) for _ in range(batches + 1)]
        return {
            "fleetledger": partial(_ledger_batched, batches=work),
            "eventsourcing": partial(_es_batched, task=task, batches=work),
            "raw": partial(_raw_batched, batches=work),
        }

    def singles(writers: int, count: int) -> Callable[[], Measures]:
        def make() -> Measures:
            warm_up = workload.events(10)
            per_thread = [workload.events(count) for _ in range(writers)]
            return {
                "fleetledger": partial(_ledger_single, warm_up=warm_up, per_thread=per_thread),
                "eventsourcing": partial(
                    _es_single, task=task, warm_up=warm_up, per_thread=per_thread
                ),
                "raw": partial(_raw_single, warm_up=warm_up, per_thread=per_thread),
            }

        return make

    return [
        *_lines(
            f"batched ({batch}/txn)", _rounds(directory, "batched", rounds, batched), PEER_TARGET
        ),
        *_lines("single, 1 thread", _rounds(directory, "one", rounds, singles(1, single)), None),
        *_lines(
            f"single, {threads} threads",
            _rounds(directory, "threads", rounds, singles(threads, each)),
            None,
        ),
    ]
