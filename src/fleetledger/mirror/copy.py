"""Copying partitions: same partition, order, ids and bytes; resumable through event ids.

Offsets on the destination may differ from the source's (compaction holes, retention, Kafka
transaction markers), so the copier never maps offset to offset: it finds where a destination
partition stands from the id of its last record, and appending an id the destination already
holds stores nothing, so an overlap after an interruption is harmless.

When the source keeps Merkle trees and the destination can hold a copy of one
(:class:`~fleetledger.backends.protocols.TreeCopies`), the copier copies each partition's tree
instead, leaf by leaf: a leaf whose record the source still holds goes with that record, a leaf
whose record retention or compaction removed goes as its hash alone. The copy's trees, roots
and signed heads are then the source's, so proofs made before a cutover still extend to heads
signed after it. Such a copy resumes where the destination's tree ends.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import cast

from fleetledger.backends.protocols import (
    AppendableLog,
    Leaf,
    ProvableLog,
    ReadableLog,
    Record,
    StoredRecord,
    TopicPartition,
    TreeCopies,
    supports,
)
from fleetledger.errors import IdConflict, IntegrityError
from fleetledger.integrity import leaf_hash

BATCH_SIZE = 1000
"""Records per ``append`` call (one partition per call, so one atomic batch)."""

_TAIL_WINDOW = 16


def to_record(stored: StoredRecord) -> Record:
    """The record to append for a stored one: everything but the offset, bytes unchanged."""
    return Record(
        topic=stored.topic,
        partition=stored.partition,
        key=stored.key,
        id=stored.id,
        subject=stored.subject,
        type=stored.type,
        recorded_ms=stored.recorded_ms,
        body=stored.body,
    )


def last_record(log: ReadableLog, topic: str, partition: int) -> StoredRecord | None:
    """The partition's last retained record, looking back through holes in growing windows."""
    start, end = log.offsets(topic)[partition]
    window = _TAIL_WINDOW
    while end > start:
        low = max(start, end - window)
        records = log.read(topic, partition, low, end - low)
        if records:
            return records[-1]
        end, window = low, window * 4
    return None


def resume_offset(src: ReadableLog, dst: ReadableLog, topic: str, partition: int) -> int:
    """The source offset to copy from: just past the source copy of the destination's last record.

    If the source no longer holds that record (retention) or never did, fall back to the first
    source record recorded at or after it: any overlap is stored once, by id.
    """
    last = last_record(dst, topic, partition)
    if last is None:
        return 0
    found = src.find(last.id)
    if found is not None and (found.topic, found.partition) == (topic, partition):
        return found.offset + 1
    return src.offset_for_time(topic, partition, last.recorded_ms)


def records(
    log: ReadableLog, topic: str, partition: int, offset: int, *, until: int, batch: int
) -> Iterator[list[StoredRecord]]:
    """Batches of a partition's records from ``offset`` up to (excluding) offset ``until``."""
    while offset < until:
        found = log.read(topic, partition, offset, min(batch, until - offset))
        kept = [r for r in found if r.offset < until]
        if not kept:
            return
        yield kept
        offset = kept[-1].offset + 1


class Copier:
    """Copies partitions batch by batch, remembering the next source offset of each."""

    def __init__(self, src: ReadableLog, dst: AppendableLog, *, batch_size: int = BATCH_SIZE):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.src = src
        self.dst = dst
        self.batch_size = batch_size
        self.positions: dict[TopicPartition, int] = {}
        self.bytes = 0
        """Bytes of the records this copier sent (stored bodies; a leaf sent alone counts 0)."""
        self.trees = supports(src, ProvableLog) and supports(dst, TreeCopies)
        """Whether partitions are copied as trees (see the module docstring)."""

    def resume(self, topics: Mapping[str, int]) -> None:
        """Find where each partition of ``topics`` (name → partition count) stands on the
        destination, for those this copier does not know yet."""
        for topic, count in topics.items():
            for partition in range(count):
                if (topic, partition) not in self.positions:
                    self.positions[(topic, partition)] = resume_offset(
                        self.src, self.dst, topic, partition
                    )

    def relocate(self) -> None:
        """Forget the remembered positions and find them again from the destination.

        After an interruption mid-batch the destination is the only truth: the batch may or may
        not have been stored.
        """
        tps = list(self.positions)
        self.positions.clear()
        for topic, partition in tps:
            self.positions[(topic, partition)] = resume_offset(self.src, self.dst, topic, partition)

    def ends(self) -> dict[str, list[int]]:
        """The source's end offset of every partition this copier follows, by topic."""
        topics = sorted({topic for topic, _ in self.positions})
        return {topic: [r.end for r in self.src.offsets(topic)] for topic in topics}

    def backlog(self, ends: Mapping[str, list[int]]) -> int:
        """Source offsets not yet copied up to ``ends`` (an upper bound: holes count too)."""
        return sum(
            max(ends[topic][partition] - offset, 0)
            for (topic, partition), offset in self.positions.items()
        )

    def copy(self, topic: str, partition: int, until: int) -> Iterator[int]:
        """Copy the partition from its position up to source offset ``until``; yield each
        batch's size."""
        if self.trees:
            yield from self._copy_tree(topic, partition, until)
            return
        offset = self.positions[(topic, partition)]
        for batch in records(
            self.src, topic, partition, offset, until=until, batch=self.batch_size
        ):
            try:
                positions = self.dst.append([to_record(r) for r in batch])
            except IdConflict as exc:
                raise IntegrityError(
                    f"event {exc.event_id} of {topic}/{partition} is already stored on the"
                    f" destination at {exc.position} with other content: the destination holds"
                    " other data under the same ids"
                ) from exc
            for record, position in zip(batch, positions, strict=True):
                if (position.topic, position.partition) != (topic, partition):
                    raise IntegrityError(
                        f"event {record.id} of {topic}/{partition} is already stored on the "
                        f"destination in {position.topic}/{position.partition}: the destination "
                        "holds other data under the same ids",
                    )
            self.positions[(topic, partition)] = batch[-1].offset + 1
            self.bytes += sum(len(r.body) for r in batch)
            yield len(batch)
        # Offsets below the end never receive new records: skip the holes next time.
        self.positions[(topic, partition)] = max(self.positions[(topic, partition)], until)

    def _copy_tree(self, topic: str, partition: int, until: int) -> Iterator[int]:
        """Copy the partition's leaves below source offset ``until``, from where the
        destination's tree ends, each with its record when the source still holds it."""
        src, dst = cast(ProvableLog, self.src), cast(TreeCopies, self.dst)
        start = dst.tree_size(topic, partition)
        while leaves := [
            leaf
            for leaf in src.leaves(topic, partition, start, self.batch_size)
            if leaf.offset < until
        ]:
            items = self._items(topic, partition, leaves)
            try:
                dst.append_tree(topic, partition, items)
            except IdConflict as exc:
                raise IntegrityError(
                    f"event {exc.event_id} of {topic}/{partition} is already stored on the"
                    f" destination at {exc.position}: the destination holds other data under"
                    " the same ids"
                ) from exc
            start = leaves[-1].idx + 1
            self.bytes += sum(len(item.body) for item in items if isinstance(item, Record))
            self.positions[(topic, partition)] = max(leaf.offset for leaf in leaves) + 1
            yield len(items)
        self.positions[(topic, partition)] = max(self.positions[(topic, partition)], until)

    def _items(self, topic: str, partition: int, leaves: list[Leaf]) -> list[Record | bytes]:
        """Each leaf's record (its bytes checked against the leaf), or the leaf's hash when
        the source no longer holds the record."""
        present = [leaf.offset for leaf in leaves if leaf.offset >= 0]
        held: dict[int, StoredRecord] = {}
        if present:
            low, high = min(present), max(present) + 1
            for batch in records(self.src, topic, partition, low, until=high, batch=high - low):
                held.update((record.offset, record) for record in batch)
        items: list[Record | bytes] = []
        for leaf in leaves:
            record = held.get(leaf.offset)
            if record is None:
                items.append(leaf.hash)
            elif leaf_hash(record.body) != leaf.hash:
                raise IntegrityError(
                    f"{topic}/{partition} offset {leaf.offset} on the source does not match its"
                    " leaf: run fleetledger verify on the source before copying it"
                )
            else:
                items.append(to_record(record))
        return items
