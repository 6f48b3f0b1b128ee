"""Checking that two ledgers hold the same events, partition by partition, in the same order.

Each side of a partition is summed up as its event count and a SHA-256 digest over its
``(id, body)`` pairs in offset order (each length-prefixed), so the digests match exactly when
both sides hold the same events, with the same bytes, in the same order, whatever the offsets.
The two sides are read in step, so a difference is also located: the first event that differs.

A task's history spans partitions, and its order comes from the order key its events carry
(:mod:`fleetledger.events.order`), not from where either side stored them. So a sample of
tasks, chosen while the partitions are read (the tasks whose ids hash lowest: the same sample
from the same events, in bounded memory), is also replayed on both sides, and each must come
back as the same sequence of events.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from enum import StrEnum
from itertools import zip_longest
from typing import NamedTuple, cast

from fleetledger.backends.protocols import (
    PartitionOffsets,
    ProvableLog,
    ReadableLog,
    StoredRecord,
    TopicPartition,
    supports,
)
from fleetledger.events.foreign import is_foreign
from fleetledger.ledger import Ledger
from fleetledger.mirror.copy import BATCH_SIZE, records
from fleetledger.types import Position

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called as a mirror advances; raising from it stops the run."""

CHECKING = "checking"


class Match(StrEnum):
    """How the destination side of a partition compares with the source side."""

    SAME = "same"
    BEHIND = "behind"
    """The destination lacks the source's newest events (everything before matches)."""
    AHEAD = "ahead"
    """The destination holds events after the source's last one (everything before matches)."""
    DIFFERS = "differs"
    """An event differs in id or bytes: modified, missing, inserted or reordered."""


class Side(NamedTuple):
    """One side of a partition: how many events, and the digest of their ids and bytes."""

    events: int
    digest: str


class PartitionCheck(NamedTuple):
    """The comparison of one partition."""

    topic: str
    partition: int
    source: Side
    destination: Side
    match: Match
    detail: str
    """Where the first difference is, in words ("" when the sides match)."""

    @property
    def ok(self) -> bool:
        """Both sides hold the same events."""
        return self.match is Match.SAME

    @property
    def name(self) -> str:
        """``topic/partition``."""
        return f"{self.topic}/{self.partition}"


class _Digest:
    def __init__(self) -> None:
        self.events = 0
        self._hash = hashlib.sha256()

    def add(self, record: StoredRecord) -> None:
        # A foreign record's id is made from where it sits; its bytes are what it is.
        event_id = b"" if is_foreign(record.body) else record.id.encode()
        self._hash.update(len(event_id).to_bytes(4, "big"))
        self._hash.update(event_id)
        self._hash.update(len(record.body).to_bytes(8, "big"))
        self._hash.update(record.body)
        self.events += 1

    def side(self) -> Side:
        return Side(self.events, self._hash.hexdigest())


ORDER_SAMPLE = 32
"""Tasks whose replay is compared on both sides."""


class TaskSample:
    """The ``size`` task ids with the lowest SHA-256, among those offered: a deterministic,
    bounded sample of the tasks a ledger holds."""

    def __init__(self, size: int = ORDER_SAMPLE) -> None:
        self.size = size
        self._kept: dict[bytes, str] = {}
        self._highest: bytes | None = None

    def add(self, task: str) -> None:
        """Offer one task id (repeats are harmless)."""
        hashed = hashlib.sha256(task.encode("utf-8", "surrogatepass")).digest()
        if hashed in self._kept:
            return
        if len(self._kept) < self.size:
            self._kept[hashed] = task
            self._highest = max(self._kept)
        elif self._highest is not None and hashed < self._highest:
            del self._kept[self._highest]
            self._kept[hashed] = task
            self._highest = max(self._kept)

    def tasks(self) -> list[str]:
        """The sampled task ids, in hash order."""
        return [self._kept[h] for h in sorted(self._kept)]


class OrderCheck(NamedTuple):
    """One sampled task replayed on both sides."""

    task: str
    source: int
    """Events the source's replay gave."""
    destination: int
    detail: str
    """Where the two sequences first differ ("" when they are the same)."""

    @property
    def ok(self) -> bool:
        """Both sides replay the task as the same sequence of events."""
        return not self.detail


def check_order(
    src: Ledger,
    dst: Ledger,
    tasks: list[str],
    until: Mapping[TopicPartition, int] | None = None,
) -> list[OrderCheck]:
    """Replay each of ``tasks`` on both ledgers and compare the sequences of event ids
    (``until`` bounds the source per partition, as in :func:`check_partition`)."""
    checks = []
    for task in tasks:
        left = [event.id for event in src.replay(task) if _copied(event.position, until)]
        right = [event.id for event in dst.replay(task)]
        detail = ""
        if left != right:
            at = next(
                (i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b),
                min(len(left), len(right)),
            )
            a = left[at] if at < len(left) else "nothing"
            b = right[at] if at < len(right) else "nothing"
            detail = f"event #{at + 1} of the replay is {a} on the source, {b} on the destination"
        checks.append(OrderCheck(task, len(left), len(right), detail))
    return checks


def _copied(position: Position | None, until: Mapping[TopicPartition, int] | None) -> bool:
    if until is None or position is None:
        return True
    bound = until.get((position.topic, position.partition))
    return bound is None or position.offset < bound


def digest(log: ReadableLog, topic: str, partition: int, until: int | None = None) -> Side:
    """The count and digest of one partition's events (those below offset ``until``)."""
    total = _Digest()
    for record in _stream(log, topic, partition, until):
        total.add(record)
    return total.side()


def check_partition(
    src: ReadableLog | None,
    dst: ReadableLog | None,
    topic: str,
    partition: int,
    *,
    until: int | None = None,
    sample: TaskSample | None = None,
) -> PartitionCheck:
    """Compare one partition; ``None`` stands for a side that lacks the partition (empty).

    ``until`` bounds the source: only its events below that offset count (what was copied
    while writers kept appending). ``sample`` is offered the task of every source event.
    """
    left, right = _Digest(), _Digest()
    first: tuple[int, StoredRecord | None, StoredRecord | None] | None = None
    src_records = _stream(src, topic, partition, until) if src is not None else iter(())
    dst_records = _stream(dst, topic, partition, None) if dst is not None else iter(())
    for index, (a, b) in enumerate(zip_longest(src_records, dst_records)):
        if a is not None:
            left.add(a)
            if sample is not None and a.subject:
                sample.add(a.subject)
        if b is not None:
            right.add(b)
        if first is None and (a is None or b is None or _key(a) != _key(b)):
            first = (index, a, b)
    source, destination = left.side(), right.side()
    if first is None:
        trees = _tree_difference(src, dst, topic, partition, until)
        match = Match.SAME if trees is None else Match.DIFFERS
        return PartitionCheck(topic, partition, source, destination, match, trees or "")
    match, detail = _describe(*first, source, destination)
    return PartitionCheck(topic, partition, source, destination, match, detail)


def _key(record: StoredRecord) -> tuple[str, bytes]:
    """What must be equal on both sides: the id and bytes (the bytes of a foreign record)."""
    return ("" if is_foreign(record.body) else record.id), record.body


def _tree_difference(
    src: ReadableLog | None, dst: ReadableLog | None, topic: str, partition: int, until: int | None
) -> str | None:
    """Where the two sides' Merkle trees of the partition first differ (``None``: they do not,
    or a side keeps no tree). Leaves of events the source no longer holds count: a copy made
    as a tree holds them too."""
    if not (supports(src, ProvableLog) and supports(dst, ProvableLog)):
        return None
    left = _leaves(cast(ProvableLog, src), topic, partition, until)
    right = _leaves(cast(ProvableLog, dst), topic, partition, None)
    for index, (a, b) in enumerate(zip_longest(left, right)):
        if a != b:
            return f"the trees differ from leaf {index}: the leaf hashes are not the same"
    return None


def _leaves(log: ProvableLog, topic: str, partition: int, until: int | None) -> Iterator[bytes]:
    start = 0
    while page := log.leaves(topic, partition, start, BATCH_SIZE):
        for leaf in page:
            if until is not None and leaf.offset >= until:
                return
            yield leaf.hash
        start = page[-1].idx + 1


def _describe(
    index: int,
    a: StoredRecord | None,
    b: StoredRecord | None,
    source: Side,
    destination: Side,
) -> tuple[Match, str]:
    """The kind of the first difference (at ``index``: ``a`` on the source, ``b`` on the
    destination, ``None`` past a side's end) and where it is, in words."""
    if a is not None and b is not None:
        if a.id == b.id:
            return Match.DIFFERS, (
                f"event {a.id} has other bytes on the destination "
                f"(source offset {a.offset}, destination offset {b.offset})"
            )
        return Match.DIFFERS, (
            f"event #{index + 1} is {a.id} (offset {a.offset}) on the source but "
            f"{b.id} (offset {b.offset}) on the destination"
        )
    if b is not None:
        return Match.AHEAD, (
            f"the destination holds {destination.events - source.events} event(s) after the "
            f"source's last, from {b.id} at offset {b.offset}"
        )
    where = f", from {a.id} at offset {a.offset}" if a is not None else ""
    return Match.BEHIND, (
        f"the destination lacks the source's last {source.events - destination.events} "
        f"event(s){where}"
    )


def _stream(
    log: ReadableLog, topic: str, partition: int, until: int | None
) -> Iterator[StoredRecord]:
    end = log.offsets(topic)[partition].end
    bound = end if until is None else min(until, end)
    for batch in records(log, topic, partition, 0, until=bound, batch=BATCH_SIZE):
        yield from batch


def compare(
    src: Ledger,
    dst: Ledger,
    *,
    until: Mapping[TopicPartition, int] | None = None,
    progress: Progress | None = None,
    sample: TaskSample | None = None,
) -> list[PartitionCheck]:
    """Compare every partition of every topic of the two ledgers' namespace, in order.

    A topic or partition one side lacks counts as empty there. ``until`` bounds the source per
    partition (see :func:`check_partition`); without it each side is read up to its end offset
    at the time it is read. ``sample`` collects tasks to compare the order of (see
    :func:`check_order`).
    """
    src_ranges = {info.topic: info.partitions for info in src.topics()}
    dst_ranges = {info.topic: info.partitions for info in dst.topics()}
    partitions = [
        (topic, partition)
        for topic in sorted(src_ranges.keys() | dst_ranges.keys())
        for partition in range(max(len(src_ranges.get(topic, [])), len(dst_ranges.get(topic, []))))
    ]
    total = sum(_size(src_ranges, tp) + _size(dst_ranges, tp) for tp in partitions)
    done = 0
    checks = []
    for topic, partition in partitions:
        if progress is not None:
            progress(CHECKING, done, total)
        check = check_partition(
            src.log if partition < len(src_ranges.get(topic, [])) else None,
            dst.log if partition < len(dst_ranges.get(topic, [])) else None,
            topic,
            partition,
            until=None if until is None else until.get((topic, partition)),
            sample=sample,
        )
        done += check.source.events + check.destination.events
        checks.append(check)
    if progress is not None:
        progress(CHECKING, done, done)
    return checks


def _size(ranges: Mapping[str, list[PartitionOffsets]], tp: TopicPartition) -> int:
    """Retained offsets of a partition: an estimate of its events, for progress (0 if absent)."""
    topic, partition = tp
    found = ranges.get(topic, [])
    return found[partition].end - found[partition].start if partition < len(found) else 0
