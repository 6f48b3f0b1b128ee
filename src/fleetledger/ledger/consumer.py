"""Consumer groups: independent readers with committed positions, at their own speed.

A group's committed offsets live in the ledger, so the runtime, the audit trail and an
evaluation batch each resume where they stopped. A consumer is given a fixed share of the partitions
(``member``/``members``, all of them by default), or is a member of a group whose live members
split the partitions between them (``membership``, made by :meth:`fleetledger.Ledger.join`):
its assignment then follows the group, and its commits are fenced (refused for partitions it
no longer holds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Literal, NamedTuple, Protocol

from fleetledger.backends.protocols import GroupMember, OffsetStore, ReadableLog, TopicPartition
from fleetledger.errors import ConfigurationError, ContractError, LedgerClosed
from fleetledger.events.envelope import Event
from fleetledger.ledger.filters import aware_ms

Start = Literal["earliest", "latest"]
Decode = Callable[[str, int, Sequence[tuple[int, bytes]]], list[Event]]
"""Turns ``(offset, body)`` rows of a topic's partition into the events among them (foreign
records left out)."""


class GroupLog(ReadableLog, OffsetStore, Protocol):
    """What a consumer reads and commits through: the facade's view of the log."""


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
        log: GroupLog,
        decode: Decode,
        group: str,
        topics: Sequence[str],
        *,
        start: Start = "earliest",
        member: int = 0,
        members: int = 1,
        screen: Callable[[list[Event]], tuple[list[Event], int]] | None = None,
        membership: GroupMember | None = None,
        refresh: float = 1.0,
    ) -> None:
        if not isinstance(group, str) or not group or not group.strip():
            raise ConfigurationError("a consumer group needs a name")
        if start not in ("earliest", "latest"):
            raise ConfigurationError(f"start must be 'earliest' or 'latest', not {start!r}")
        if not 0 <= member < members:
            raise ConfigurationError(f"member must be in [0, {members}), not {member}")
        self.group = group
        self._log = log
        self._decode = decode
        self._start: Start = start
        self._membership = membership
        self._refresh = refresh
        self._refreshed = float("-inf")
        if membership is None:
            every = [(t, p) for t in topics for p in range(len(self._log.offsets(t)))]
            self.assignment: list[TopicPartition] = every[member::members]
        else:
            self.assignment = []
        self._positions = self._initial_positions(start)
        self._next_partition = 0
        self._closed = False
        self._screen = screen
        self.withheld = 0
        """Events read that the principal may not see (an access policy withheld them)."""

    def _initial_positions(
        self, start: Start, partitions: Sequence[TopicPartition] | None = None
    ) -> dict[TopicPartition, int]:
        partitions = self.assignment if partitions is None else partitions
        if not partitions:
            return {}
        committed = self._log.committed(self.group)
        ranges = {t: self._log.offsets(t) for t in {t for t, _ in partitions}}
        positions = {}
        for topic, partition in partitions:
            first, end = ranges[topic][partition]
            default = first if start == "earliest" else end
            # A committed offset older than the retained start resumes at the start.
            positions[(topic, partition)] = max(committed.get((topic, partition), default), first)
        return positions

    @property
    def member(self) -> GroupMember | None:
        """The group membership this consumer's assignment follows, if any."""
        return self._membership

    def rebalance(self, *, now: bool = False) -> bool:
        """Follow the group's split (a member's consumer only, at most every ``refresh``
        seconds unless ``now``); whether the assignment changed. A partition gained starts at
        the group's committed offset; the position of one lost is dropped, uncommitted."""
        if self._membership is None:
            return False
        if not now and time.monotonic() - self._refreshed < self._refresh:
            return False
        self._refreshed = time.monotonic()
        held = self._membership.assignment()
        if held == self.assignment:
            return False
        gained = [tp for tp in held if tp not in self._positions]
        kept = {tp: o for tp, o in self._positions.items() if tp in held}
        self._positions = {**kept, **self._initial_positions(self._start, gained)}
        self.assignment = list(held)
        self._next_partition = 0
        return True

    @property
    def positions(self) -> dict[TopicPartition, int]:
        """The next offset this consumer will read, per assigned partition."""
        return dict(self._positions)

    def poll(self, max: int = 500, timeout: float = 0.0) -> list[Event]:
        """Return up to ``max`` new events (``max`` whenever that many are there), waiting up
        to ``timeout`` seconds for the first.

        Partitions are served round-robin so a busy partition cannot starve the others; order
        within each partition is kept. Foreign records are passed over.
        """
        self._check_open()
        if type(max) is not int or max < 1:
            raise ContractError(
                f"max must be a whole number of 1 or more, not {max!r}", field="max"
            )
        deadline = time.monotonic() + timeout
        while True:
            self.rebalance()
            events = self._fetch(max)
            remaining = deadline - time.monotonic()
            if events or remaining <= 0:
                return events
            time.sleep(min(0.05, remaining))

    def _fetch(self, limit: int) -> list[Event]:
        """Round-robin passes over the assigned partitions, each taking a fair share of what is
        still wanted, until ``limit`` events are taken or a pass finds nothing new."""
        events: list[Event] = []
        count = len(self.assignment)
        while len(events) < limit:
            found = False
            for step in range(count):
                wanted = limit - len(events)
                if wanted <= 0:
                    break
                index = (self._next_partition + step) % count
                share = -(-wanted // (count - step))  # ceiling: the last partitions take the rest
                read, taken = self._take(self.assignment[index], share)
                found = found or read
                events += taken
            if count:
                self._next_partition = (self._next_partition + 1) % count
            if not found:
                break
        return events

    def _take(self, tp: TopicPartition, limit: int) -> tuple[bool, list[Event]]:
        """Whether any record was read of up to ``limit`` records of one partition from this
        consumer's position on (which moves past them), and the events among them."""
        rows = self._log.bodies(*tp, self._positions[tp], limit)
        if not rows:
            return False, []
        self._positions[tp] = rows[-1][0] + 1
        events = self._decode(*tp, rows)
        if self._screen is not None:
            events, withheld = self._screen(events)
            self.withheld += withheld
        return True, events

    def __iter__(self) -> Iterator[Event]:
        """Every event available now, in batches, without waiting for more."""
        while batch := self.poll():
            yield from batch

    def commit(self, offsets: Mapping[TopicPartition, int] | None = None) -> None:
        """Save the group's position on every assigned partition (atomically), or the next
        offsets given (of assigned partitions). A member's commit is fenced: it raises
        :class:`~fleetledger.errors.Fenced` for a partition the member no longer holds."""
        self._check_open()
        chosen = self._positions if offsets is None else offsets
        if self._membership is not None:
            self._membership.commit(chosen)
        else:
            self._log.commit(self.group, chosen)

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Move the position of one assigned partition."""
        if (topic, partition) not in self._positions:
            raise ConfigurationError(f"{topic}/{partition} is not assigned to this consumer")
        if type(offset) is not int or offset < 0:
            raise ContractError(f"an offset is 0 or more, not {offset!r}", field="offset")
        self._positions[(topic, partition)] = offset

    def seek_to_time(self, moment: datetime) -> None:
        """Move every assigned partition to the first event recorded at or after ``moment``."""
        ms = aware_ms(moment, "moment")
        for topic, partition in self.assignment:
            offset = self._log.offset_for_time(topic, partition, ms)
            self._positions[(topic, partition)] = offset

    def lag(self) -> list[Lag]:
        """Lag of this consumer's current (uncommitted) positions."""
        ends = {t: self._log.offsets(t) for t in {t for t, _ in self.assignment}}
        return [
            Lag(self.group, t, p, self._positions[(t, p)], ends[t][p].end)
            for t, p in self.assignment
        ]

    def close(self) -> None:
        """Stop reading; uncommitted progress is dropped (commit first to keep it). A member
        leaves its group, so the others take its partitions at once."""
        if not self._closed and self._membership is not None:
            self._membership.leave()
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
