"""The id index: which event ids the newest records of each partition hold. Pure, no I/O.

Kafka cannot look a record up by anything but its position, so idempotent appends need an index
of ids the backend builds while reading. It covers, per partition, a contiguous range of
offsets ending at what the backend last read (``next``), at most ``window`` records long; older
ids are evicted. Within that range the first record of an id is *the* record: an append of an id
found here returns that position, and a later copy (two processes that appended the same id at
the same moment) is dropped on read.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from fleetledger.backends.protocols import TopicPartition
from fleetledger.events.envelope import Position


class _Range:
    """The indexed records of one partition: their ids oldest first, and where reading goes on."""

    __slots__ = ("ids", "next", "start")

    def __init__(self, start: int) -> None:
        self.start = start
        self.next = start
        self.ids: deque[tuple[int, str]] = deque()


class IdIndex:
    """Event id -> first position, over a window of the newest records of each partition."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._first: dict[str, Position] = {}
        self._ranges: dict[TopicPartition, _Range] = {}

    def next(self, tp: TopicPartition) -> int | None:
        """The offset the index reads from next (None: never read)."""
        found = self._ranges.get(tp)
        return None if found is None else found.next

    def start(self, tp: TopicPartition) -> int | None:
        """The first offset whose id the index still holds (None: never read)."""
        found = self._ranges.get(tp)
        return None if found is None else found.start

    def covers(self, tp: TopicPartition, offset: int) -> bool:
        """Whether the record at ``offset`` has been indexed."""
        found = self._ranges.get(tp)
        return found is not None and found.start <= offset < found.next

    def begin(self, tp: TopicPartition, offset: int) -> None:
        """Start indexing a partition at ``offset`` (the start of its window)."""
        if tp not in self._ranges:
            self._ranges[tp] = _Range(offset)

    def add(self, tp: TopicPartition, records: Iterable[tuple[int, str]], end: int) -> None:
        """Index ``(offset, id)`` pairs read in offset order, up to ``end`` (the next offset)."""
        found = self._ranges[tp]
        for offset, event_id in records:
            if offset >= found.next:
                self._remember(tp, found, offset, event_id)
        found.next = max(found.next, end)
        self._evict(tp, found)

    def remember(self, position: Position, event_id: str) -> None:
        """Index a record this backend just appended, even ahead of what it has read."""
        tp = (position.topic, position.partition)
        found = self._ranges.get(tp)
        if found is None:
            return  # the partition's first read indexes it
        self._remember(tp, found, position.offset, event_id)
        if position.offset == found.next:
            found.next += 1
        self._evict(tp, found)

    def get(self, event_id: str) -> Position | None:
        """The first indexed position of ``event_id``."""
        return self._first.get(event_id)

    def is_copy(self, position: Position, event_id: str) -> bool:
        """Whether the record at ``position`` repeats an id indexed at an earlier position."""
        first = self._first.get(event_id)
        return first is not None and first != position

    def _remember(self, tp: TopicPartition, found: _Range, offset: int, event_id: str) -> None:
        if event_id not in self._first:
            self._first[event_id] = Position(tp[0], tp[1], offset)
            found.ids.append((offset, event_id))

    def _evict(self, tp: TopicPartition, found: _Range) -> None:
        while len(found.ids) > self.window:
            offset, event_id = found.ids.popleft()
            first = self._first.get(event_id)
            if (
                first is not None
                and first.offset == offset
                and (first.topic, first.partition) == tp
            ):
                del self._first[event_id]
            found.start = offset + 1
