"""Exactly-once projection throughput on SQLite, against the bare consumer reading the same events.

The baseline polls the same events with ``Ledger.consumer`` in batches of 500 and does nothing
with them: what reading costs. The table projection adds, per batch, one SQLite transaction on a
database of its own (``synchronous=FULL``) with one row upserted per event and the offsets
stored; the projection writing events appends one output per input with the group's offsets in
the ledger's own write transaction. The ratio is what exactly-once costs over reading.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from common import Result, alternate, median, open_ledger, rate, seconds, spread
from fleetledger import Event
from fleetledger.consumers.projection import run_projection
from fleetledger.consumers.tables import project
from fleetledger.events.new import NewEvent
from fleetledger.events.registry import EventData
from fleetledger.ledger import Ledger

BATCH = 500


class Seen:
    """A table projection keeping one row per event (its id and position)."""

    families = ("task",)

    def __init__(self, name: str) -> None:
        self.name = name

    def setup(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            f"CREATE TABLE {self.name} (id TEXT PRIMARY KEY, partition INTEGER, offset INTEGER)"
        )

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        assert event.position is not None
        conn.execute(
            f"INSERT OR REPLACE INTO {self.name} VALUES (?, ?, ?)",
            (event.id, event.position.partition, event.position.offset),
        )


class Answered(EventData):
    source_id: str


class Answer:
    """A projection writing one ``answer.given`` event per input."""

    families = ("task",)

    def __init__(self, name: str) -> None:
        self.name = name

    def project(self, events: Sequence[Event]) -> list[NewEvent]:
        return [
            NewEvent(
                type="answer.given", subject=e.subject, source="bench", data={"source_id": e.id}
            )
            for e in events
        ]

    def reset(self) -> None:
        """Nothing kept in memory."""


def fill(path: Path, events: int) -> None:
    """A ledger of ``events`` task events over 1000 tasks."""
    with open_ledger(path) as ledger:
        for start in range(0, events, 1000):
            ledger.append_many(
                {"type": "task.started", "subject": f"task-{n % 1000}", "source": "bench"}
                for n in range(start, min(start + 1000, events))
            )


def bare(ledger: Ledger, group: str) -> int:
    """The baseline: poll every event in batches, do nothing with them."""
    count = 0
    with ledger.consumer(group, ["task"]) as consumer:
        while batch := consumer.poll(BATCH):
            count += len(batch)
    return count


def throughput(directory: Path, *, events: int, rounds: int) -> list[Result]:
    """The two projection lines (information: no target)."""
    path = directory / "projections.db"
    fill(path, events)
    tables: list[float] = []
    outputs: list[float] = []
    baseline: list[float] = []
    with open_ledger(path) as ledger:
        ledger.register("answer.given", Answered)
        for index in range(rounds):

            def read(index: int = index) -> float:
                return rate(events, seconds(lambda: bare(ledger, f"bare-{index}")))

            def into_tables(index: int = index) -> float:
                target = directory / f"projection-{index}.db"
                return rate(events, seconds(lambda: project(ledger, Seen(f"seen{index}"), target)))

            alternate(index, (baseline, read), (tables, into_tables))
        for index in range(min(rounds, 2)):  # each round appends as many events as it reads

            def writing(index: int = index) -> float:
                projection = Answer(f"answer-{index}")
                return rate(events, seconds(lambda: run_projection(ledger, projection)))

            outputs.append(writing())
    read_rate = median(baseline)
    return [
        Result(
            "projection into SQLite tables vs bare consumer (info)",
            median(tables),
            read_rate,
            "events/s",
            "-",
            None,
            spread(tables, baseline, ("projection", "consumer")),
        ),
        Result(
            "projection writing events vs bare consumer (info)",
            median(outputs),
            read_rate,
            "events/s",
            "-",
            None,
            f"{len(outputs)} rounds; one output per input, appended with the group's offsets",
        ),
    ]
