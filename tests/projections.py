"""Projections the projection tests run: one of each kind, each keeping a count per event id so
that an event applied twice or skipped shows (test helpers, imported by unit and crash tests)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fleetledger import Event, Ledger
from fleetledger.events.new import NewEvent
from fleetledger.events.registry import EventData

ECHO_TYPE = "echo.applied"


class EchoApplied(EventData):
    """The output of :class:`Echo`: which input event it answers."""

    source_id: str


class Counts:
    """A table projection counting each event id it applied (every count must stay 1)."""

    def __init__(self, name: str = "counts", families: tuple[str, ...] = ("task",)) -> None:
        self.name = name
        self.families = families

    def setup(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            f"CREATE TABLE {self.name}_applied"
            " (id TEXT PRIMARY KEY, topic TEXT, partition INTEGER, offset INTEGER, n INTEGER)"
        )

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        assert event.position is not None
        conn.execute(
            f"INSERT INTO {self.name}_applied VALUES (?, ?, ?, ?, 1)"
            " ON CONFLICT (id) DO UPDATE SET n = n + 1",
            (event.id, *event.position),
        )


def applied(path: object, name: str = "counts") -> dict[str, int]:
    """The count of every event id a :class:`Counts` applied in the database at ``path``."""
    with sqlite3.connect(str(path)) as conn:
        rows = conn.execute(f"SELECT id, n FROM {name}_applied").fetchall()
    conn.close()
    return dict(rows)


class Echo:
    """A projection whose output is one ``echo.applied`` event per input (fresh ids, so a
    repeated batch would show as two outputs for one input)."""

    def __init__(self, name: str = "echo", families: tuple[str, ...] = ("task",)) -> None:
        self.name = name
        self.families = families
        self.resets = 0
        self.fail_on: str | None = None

    def project(self, events: Sequence[Event]) -> list[NewEvent]:
        if any(event.id == self.fail_on for event in events):
            raise RuntimeError(f"refusing {self.fail_on}")
        return [
            NewEvent(type=ECHO_TYPE, subject=e.subject, data={"source_id": e.id}, causationid=e.id)
            for e in events
        ]

    def reset(self) -> None:
        self.resets += 1


def register_echo(ledger: Ledger) -> None:
    """Make ``ledger`` accept :class:`Echo`'s outputs (family ``echo``)."""
    ledger.register(ECHO_TYPE, EchoApplied)


def echoed(ledger: Ledger) -> list[str]:
    """The input id of every ``echo.applied`` event stored, one per output."""
    return [event.data["source_id"] for event in every_event(ledger, "echo")]


def all_ids(ledger: Ledger, family: str = "task") -> set[str]:
    """The id of every event of ``family``."""
    return {event.id for event in every_event(ledger, family)}


def every_event(ledger: Ledger, family: str) -> list[Event]:
    """Every event of ``family``, partition by partition."""
    events: list[Event] = []
    for partition in range(ledger.families()[family].partitions):
        offset = 0
        while page := ledger.read(family, partition, offset, limit=5000):
            events += page
            last = page[-1].position
            assert last is not None
            offset = last.offset + 1
    return events
