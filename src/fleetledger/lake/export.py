"""The exporter: a ledger into a lake, incrementally, resumably, at most a batch per commit.

Each commit of the sink carries the export's progress with it (in the same atomic step as the
rows: a manifest replaced after the Parquet files are written, a property of the Iceberg
snapshot that appends them), so a crash at any moment leaves the rows of whole commits and the
progress that says so: the next run starts where the last commit ended, with no row twice and
none lost. The export's consumer group is committed afterwards, so ``fleetledger lag`` shows
how far behind the lake is; a crash between the two only leaves the group a commit behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from fleetledger.errors import ContractError
from fleetledger.lake.columns import Kind, typed_fields
from fleetledger.lake.progress import Batch, Progress, place, split_place
from fleetledger.lake.rows import build
from fleetledger.lake.source import Cover, Source, covered_notes
from fleetledger.ledger import Consumer, Ledger

DEFAULT_BATCH = 100_000
"""Rows per commit of the sink by default."""


class Sink(Protocol):
    """Where an export goes: it knows its own progress and commits a batch atomically."""

    def progress(self) -> Progress:
        """The progress of the last commit (empty for a new export)."""
        ...

    def commit(self, batch: Batch) -> None:
        """Store the batch's rows and its progress together: all of it, or none."""
        ...


@dataclass
class ExportReport:
    """What one pass of an export did."""

    rows: int = 0
    hash_only: int = 0
    notes: int = 0
    dead_letters: int = 0
    commits: int = 0
    seconds: float = 0.0

    def add(self, other: ExportReport) -> None:
        """Count ``other``'s pass into this one."""
        self.rows += other.rows
        self.hash_only += other.hash_only
        self.notes += other.notes
        self.dead_letters += other.dead_letters
        self.commits += other.commits
        self.seconds += other.seconds


class Exporter:
    """Exports ``ledger`` into ``sink`` (see the module); ``group`` names its consumer group."""

    def __init__(
        self,
        ledger: Ledger,
        sink: Sink,
        *,
        group: str = "lake",
        batch: int = DEFAULT_BATCH,
        on_commit: Callable[[Progress], None] | None = None,
    ) -> None:
        if type(batch) is not int or batch < 1:
            raise ContractError(f"batch must be a whole number of 1 or more, not {batch!r}")
        self._ledger = ledger
        self._source = Source(ledger)
        self._sink = sink
        self._group = group
        self._batch = batch
        self._on_commit = on_commit
        self._typed: dict[str, dict[str, Kind]] = {}

    def run_once(self) -> ExportReport:
        """Export everything the ledger holds now, in commits of at most ``batch`` rows."""
        started = time.monotonic()
        self._typed = typed_fields(self._ledger.types().values())
        progress = self._sink.progress()
        notes = self._source.notes()
        cover = Cover(notes)
        report = ExportReport()
        pending: dict[str, list[Any]] = {}
        count = 0
        for family, topic, partition in self._source.partitions():
            key = place(topic, partition)
            while True:
                slots = self._source.slots(
                    family,
                    topic,
                    partition,
                    start=progress.leaves.get(key, 0),
                    limit=self._batch - count,
                    cover=cover,
                )
                if not slots:
                    break
                pending.setdefault(family, []).append(
                    build(family, slots, self._typed.get(family, {}))
                )
                report.hash_only += sum(slot.body is None for slot in slots)
                count += len(slots)
                progress.leaves[key] = slots[-1].leaf_index + 1
                progress.offsets[key] = slots[-1].offset + 1
                if count >= self._batch:
                    self._commit(Batch(pending, [], [], progress.copy()), report)
                    pending, count = {}, 0
        self._finish(pending, progress, notes, report)
        report.seconds = time.monotonic() - started
        return report

    def _finish(
        self,
        pending: dict[str, list[Any]],
        progress: Progress,
        notes: list[Any],
        report: ExportReport,
    ) -> None:
        """The last commit of a pass: the remaining rows, the signed notes they reach, and the
        new dead letters."""
        taken = covered_notes(notes[progress.notes :], progress)
        letters = self._source.dead_letters()[progress.dead_letters :]
        progress.notes += len(taken)
        progress.dead_letters += len(letters)
        batch = Batch(pending, taken, letters, progress.copy())
        if not batch.empty:
            self._commit(batch, report)
        report.notes += len(taken)
        report.dead_letters += len(letters)

    def _commit(self, batch: Batch, report: ExportReport) -> None:
        self._sink.commit(batch)
        report.rows += batch.rows
        report.commits += 1
        self._commit_group(batch.progress)
        if self._on_commit is not None:
            self._on_commit(batch.progress)

    def _commit_group(self, progress: Progress) -> None:
        """Move the export's consumer group to the next offset after the exported leaves."""
        if self._ledger.readonly or not progress.offsets:
            return
        offsets = {split_place(key): offset for key, offset in progress.offsets.items()}
        consumer: Consumer = self._ledger.consumer(self._group)
        with consumer:
            consumer.commit({tp: o for tp, o in offsets.items() if tp in consumer.positions})

    def follow(
        self,
        freshness: float,
        *,
        timeout: float | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> ExportReport:
        """Export, then again every ``freshness`` seconds (what is appended reaches the lake
        within about that), until ``stop()`` or ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        total = ExportReport()
        while True:
            total.add(self.run_once())
            if stop() or (deadline is not None and time.monotonic() >= deadline):
                return total
            wait = freshness if deadline is None else min(freshness, deadline - time.monotonic())
            time.sleep(max(wait, 0.0))
