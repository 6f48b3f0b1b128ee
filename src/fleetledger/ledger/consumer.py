"""Consumer groups: independent readers with committed positions, at their own speed.

A group's committed offsets live in the ledger, so the runtime, the audit trail and an
evaluation batch each resume where they stopped. On the embedded backend a group is one reader
(or several, each given a fixed share of partitions with ``member``/``members``); Kafka adds
dynamic membership.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Literal, NamedTuple

from fleetledger.backends.protocols import TopicPartition
from fleetledger.errors import ConfigurationError, LedgerClosed
from fleetledger.events.envelope import Event

if TYPE_CHECKING:
    from fleetledger.ledger.ledger import Ledger

Start = Literal["earliest", "latest"]


class Lag(NamedTuple):
    """How far a group is behind on one partition: ``end - committed``."""

    group: str
    topic: str
    partition: int
    committed: int
    end: int

    @property
    def lag(self) -> int:
        """Events appended but not yet committed by the group."""
        return max(self.end - self.committed, 0)


class Consumer:
    """Reads its partitions from the group's committed offsets; ``commit`` saves progress."""

    def __init__(
        self,
        ledger: Ledger,
        group: str,
        topics: Sequence[str],
        *,
        start: Start = "earliest",
        member: int = 0,
        members: int = 1,
    ) -> None:
        if not group or not group.strip():
            raise ConfigurationError("a consumer group needs a name")
        if start not in ("earliest", "latest"):
            raise ConfigurationError(f"start must be 'earliest' or 'latest', not {start!r}")
        if not 0 <= member < members:
            raise ConfigurationError(f"member must be in [0, {members}), not {member}")
        self.group = group
        self._ledger = ledger
        self._backend = ledger.backend
        every = [(t, p) for t in topics for p in range(len(self._backend.offsets(t)))]
        self.assignment: list[TopicPartition] = every[member::members]
        self._positions = self._initial_positions(start)
        self._next_partition = 0
        self._closed = False

    def _initial_positions(self, start: Start) -> dict[TopicPartition, int]:
        committed = self._backend.committed(self.group)
        ranges = {t: self._backend.offsets(t) for t in {t for t, _ in self.assignment}}
        positions = {}
        for topic, partition in self.assignment:
            first, end = ranges[topic][partition]
            default = first if start == "earliest" else end
            # A committed offset older than the retained start resumes at the start.
            positions[(topic, partition)] = max(committed.get((topic, partition), default), first)
        return positions

    @property
    def positions(self) -> dict[TopicPartition, int]:
        """The next offset this consumer will read, per assigned partition."""
        return dict(self._positions)

    def poll(self, max: int = 500, timeout: float = 0.0) -> list[Event]:
        """Return up to ``max`` new events, waiting up to ``timeout`` seconds for the first.

        Partitions are served round-robin so a busy partition cannot starve the others; order
        within each partition is kept.
        """
        self._check_open()
        deadline = time.monotonic() + timeout
        while True:
            events = self._fetch(max)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            time.sleep(min(0.05, remaining))

    def _fetch(self, limit: int) -> list[Event]:
        events: list[Event] = []
        count = len(self.assignment)
        for step in range(count):
            if len(events) >= limit:
                break
            index = (self._next_partition + step) % count
            topic, partition = self.assignment[index]
            offset = self._positions[(topic, partition)]
            share = max((limit - len(events)) // (count - step), 1)
            records = self._backend.read(topic, partition, offset, share)
            if records:
                self._positions[(topic, partition)] = records[-1].offset + 1
                events.extend(map(self._ledger.core.decode, records))
        if count:
            self._next_partition = (self._next_partition + 1) % count
        return events

    def __iter__(self) -> Iterator[Event]:
        """Every event available now, in batches, without waiting for more."""
        while batch := self.poll():
            yield from batch

    def commit(self) -> None:
        """Save the group's position on every assigned partition (atomically)."""
        self._check_open()
        self._backend.commit(self.group, self._positions)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move the position of one assigned partition."""
        if (topic, partition) not in self._positions:
            raise ConfigurationError(f"{topic}/{partition} is not assigned to this consumer")
        self._positions[(topic, partition)] = offset

    def seek_to_time(self, moment: datetime) -> None:
        """Move every assigned partition to the first event recorded at or after ``moment``."""
        ms = int(moment.timestamp() * 1000)
        for topic, partition in self.assignment:
            offset = self._backend.offset_for_time(topic, partition, ms)
            self._positions[(topic, partition)] = offset

    def lag(self) -> list[Lag]:
        """Lag of this consumer's current (uncommitted) positions."""
        ends = {t: self._backend.offsets(t) for t in {t for t, _ in self.assignment}}
        return [
            Lag(self.group, t, p, self._positions[(t, p)], ends[t][p].end)
            for t, p in self.assignment
        ]

    def close(self) -> None:
        """Stop reading; uncommitted progress is dropped (commit first to keep it)."""
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerClosed(f"consumer of group {self.group!r} is closed")

    def __enter__(self) -> Consumer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
