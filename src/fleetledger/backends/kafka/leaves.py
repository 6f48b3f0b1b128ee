"""Leaves of a Kafka partition's tree, derived from its records.

Kafka keeps no leaves: leaf ``i`` of a partition is the hash of its ``i``-th record from the
tree's first offset on, in offset order (transaction markers are not records, so offsets skip
where leaf indexes do not). Finding leaf ``i`` therefore means counting records; the marks a
notary stores with its checkpoints (leaf ``size`` is the first record at or after offset
``next``) let a lookup start from the nearest checkpoint instead of the partition's start,
and the last lookup's position is kept so that reading leaves page after page never rereads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from fleetledger.backends.protocols import Leaf, NotaryMark, StoredRecord, TopicPartition
from fleetledger.integrity import leaf_hash

Read = Callable[[str, int, int, int], list[StoredRecord]]
"""``(topic, partition, offset, limit) -> records``: the backend's ``read``."""

_PAGE = 2000


class DerivedLeaves:
    """Leaves and leaf indexes of Kafka partitions, from records and notary marks."""

    def __init__(self, read: Read) -> None:
        self._read = read
        self._lock = threading.Lock()
        self._cursor: dict[TopicPartition, tuple[int, int]] = {}

    def leaves(
        self,
        tp: TopicPartition,
        anchors: list[tuple[int, int]],
        start: int,
        limit: int,
    ) -> list[Leaf]:
        """Up to ``limit`` leaves from index ``start`` on; ``anchors`` as :func:`anchors` gives."""
        idx, offset = self._nearest(tp, anchors, lambda a: a[0] <= start)
        found: list[Leaf] = []
        while len(found) < limit:
            records = self._read(*tp, offset, _PAGE)
            if not records:
                break
            for record in records:
                if idx >= start:
                    found.append(Leaf(idx, leaf_hash(record.body), record.offset))
                idx, offset = idx + 1, record.offset + 1
                if len(found) == limit:
                    break
        self._remember(tp, idx, offset)
        return found

    def size(self, tp: TopicPartition, anchors: list[tuple[int, int]]) -> int:
        """How many leaves the partition's tree has: the newest anchor's index, plus the
        records from its offset to the end (counted, the records are read)."""
        idx, offset = max(anchors)
        while records := self._read(*tp, offset, _PAGE):
            idx, offset = idx + len(records), records[-1].offset + 1
        return idx

    def index(self, tp: TopicPartition, anchors: list[tuple[int, int]], offset: int) -> int | None:
        """The leaf index of the record at ``offset``, if it is one of the tree's records."""
        idx, at = self._nearest(tp, anchors, lambda a: a[1] <= offset)
        while at <= offset:
            records = self._read(*tp, at, _PAGE)
            if not records:
                return None
            for record in records:
                if record.offset == offset:
                    return idx
                if record.offset > offset:
                    return None
                idx += 1
            at = records[-1].offset + 1
        return None

    def _nearest(
        self,
        tp: TopicPartition,
        anchors: list[tuple[int, int]],
        usable: Callable[[tuple[int, int]], bool],
    ) -> tuple[int, int]:
        """The latest ``(leaf index, offset)`` known before what is looked for."""
        with self._lock:
            cursor = self._cursor.get(tp)
        candidates = [a for a in anchors if usable(a)]
        if cursor is not None and usable(cursor):
            candidates.append(cursor)
        return max(candidates, default=anchors[0])

    def _remember(self, tp: TopicPartition, idx: int, offset: int) -> None:
        with self._lock:
            self._cursor[tp] = (idx, offset)


def anchors(first: int, marks: list[tuple[int, NotaryMark]]) -> list[tuple[int, int]]:
    """``(leaf index, offset)`` pairs where leaf ``index`` is the first record at or after
    ``offset``: the tree's start, then one per notary checkpoint, sorted."""
    return sorted({(0, first), *((size, mark.next) for size, mark in marks)})
