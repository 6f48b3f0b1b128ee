"""Exactly-once projections: read models whose state and consumed offsets move together.

A consumer that commits after its handler succeeded sees an event again after a crash between
the two (at-least-once); a projection cannot afford that, since applying an event twice
(a count, a balance, a task's state) corrupts what it keeps. So a projection never commits its
offsets on their own: they are stored in the same transaction as what the batch changed.

Two kinds, by where the state lives:

- :class:`TableProjection` keeps tables in a SQLite database of its own (the ledger's file or
  another); its offsets live in that database beside its tables (:mod:`.tables`), so the
  source ledger may be SQLite or Kafka. :func:`~fleetledger.consumers.tables.project` runs it,
  :func:`~fleetledger.consumers.tables.rebuild` starts it over.
- :class:`Projection` outputs ledger events (the task projection writes the ``state``
  family). :func:`run_projection` appends a batch's outputs and commits the consumed offsets
  of the projection's group in one atomic unit: one SQLite write transaction, or on Kafka one
  producer transaction with ``send_offsets_to_transaction`` (consume-process-produce).

Either way a process killed at any moment leaves state and offsets consistent: the next run
resumes from the last committed batch, and no event is applied twice or skipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

from fleetledger.errors import ConfigurationError
from fleetledger.events.envelope import Event
from fleetledger.events.new import NewEvent
from fleetledger.ledger import Consumer, Ledger
from fleetledger.types import TopicPartition

__all__ = [
    "Projection",
    "ProjectionRun",
    "TableProjection",
    "run_projection",
]

IDLE_WAIT = 0.2
"""Seconds a run that keeps going when idle (``until_idle=False``) waits for new events."""


@runtime_checkable
class Projection(Protocol):
    """A projection whose output is ledger events (the task projection writes the state family)."""

    @property
    def name(self) -> str:
        """The consumer group its offsets are committed under."""
        ...

    @property
    def families(self) -> tuple[str, ...]:
        """What it reads."""
        ...

    def project(self, events: Sequence[Event]) -> list[NewEvent]:
        """Outputs for a batch."""
        ...

    def reset(self) -> None:
        """Forget in-memory state not yet committed (after a failed batch)."""
        ...


@runtime_checkable
class TableProjection(Protocol):
    """A projection into tables of a SQLite database, applied event by event.

    ``setup`` creates its tables (run once, in the transaction that registers the projection:
    use ``conn.execute``, never ``executescript``, which commits); ``apply`` changes them for
    one event, inside the batch's transaction (it must not commit or roll back either). What
    ``setup`` created is what :func:`~fleetledger.consumers.tables.rebuild` drops.
    """

    @property
    def name(self) -> str:
        """The projection's name: its offsets are stored under it."""
        ...

    @property
    def families(self) -> tuple[str, ...]:
        """What it reads."""
        ...

    def setup(self, conn: sqlite3.Connection) -> None:
        """Create the projection's tables."""
        ...

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        """Apply one event to the tables."""
        ...


class ProjectionRun(NamedTuple):
    """What a run did: ``events`` consumed in ``batches`` (each committed with its offsets),
    ``outputs`` appended (for a :class:`Projection`), events ``withheld`` by an access policy
    (not shown to the projection), and the next offsets it left committed."""

    name: str
    events: int
    batches: int
    outputs: int
    withheld: int
    positions: dict[TopicPartition, int]


Stop = Callable[[], bool]
"""Asked between batches; the run ends when it returns true (``threading.Event().is_set``)."""


def run_projection(
    ledger: Ledger,
    projection: Projection,
    *,
    batch: int = 500,
    until_idle: bool = True,
    stop: Stop | None = None,
) -> ProjectionRun:
    """Run ``projection`` from its group's committed offsets: per batch of up to ``batch``
    events, append its outputs and commit the consumed offsets atomically.

    Ends when no new event is there (``until_idle``) or, otherwise, when ``stop()`` is true.
    A batch that fails (the projection raised, or the append) is not committed:
    ``projection.reset()`` is called and the error raised; running again resumes from the
    last committed batch. The group is fenced first (:meth:`Ledger.fence`), so on Kafka a
    projecting process that died mid-transaction cannot commit later.
    """
    check_batch(batch)
    ledger.authorize("read", projection.families)
    name = projection.name
    ledger.fence(name)
    events = batches = outputs = 0
    with ledger.consumer(name, projection.families) as consumer:
        committed = consumer.positions
        for read, positions in batches_of(consumer, batch, until_idle, stop):
            try:
                made = projection.project(read)
                ledger.append_many(made, commit=(name, positions))
            except BaseException:
                projection.reset()
                raise
            committed = positions
            events, batches, outputs = events + len(read), batches + 1, outputs + len(made)
        return ProjectionRun(name, events, batches, outputs, consumer.withheld, committed)


def batches_of(
    consumer: Consumer, batch: int, until_idle: bool, stop: Stop | None
) -> Iterator[tuple[list[Event], dict[TopicPartition, int]]]:
    """Each batch a projection must commit, with the consumer's positions after it: a poll
    that read nothing but moved past records the principal may not see counts too (its
    offsets must be committed), one that moved nothing does not. Ends when idle
    (``until_idle``) or when ``stop()`` is true; the caller commits a batch before asking for
    the next, so a failure leaves the last commit where it was."""
    last = consumer.positions
    while not (stop is not None and stop()):
        read = consumer.poll(batch, timeout=0.0 if until_idle else IDLE_WAIT)
        positions = consumer.positions
        if not read and positions == last:
            if until_idle:
                return
            continue
        yield read, positions
        last = positions


def check_batch(batch: int) -> None:
    """Refuse a batch size that is not a whole number of 1 or more."""
    if type(batch) is not int or batch < 1:
        raise ConfigurationError(f"batch must be a whole number of 1 or more, not {batch!r}")
