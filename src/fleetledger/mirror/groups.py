"""Translating consumer-group positions from source offsets to destination offsets.

A committed offset means "next to read". Offsets differ between the two sides, event ids do
not: the group's next source event is looked up by id on the destination, and the group is
committed there at that event's offset, so its consumers resume at the same event.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from fleetledger.backends.protocols import PartitionOffsets, TopicPartition
from fleetledger.ledger import LedgerLog


class GroupOffset(NamedTuple):
    """One group's position on one partition, on both sides."""

    group: str
    topic: str
    partition: int
    source: int
    """The group's committed offset on the source."""
    destination: int
    """The group's committed offset on the destination after the mirror."""
    moved: bool
    """Whether the mirror committed it (False: the destination was already further on)."""


def destination_offset(
    src: LedgerLog, dst: LedgerLog, topic: str, partition: int, offset: int
) -> int:
    """The destination offset of the first source event at or after ``offset``.

    When the destination does not hold that event yet (or the group has read everything), the
    destination's end offset: the next event copied there is the one the group reads next.
    """
    following = src.read(topic, partition, offset, 1)
    if following:
        found = dst.find(following[0].id)
        if found is not None and (found.topic, found.partition) == (topic, partition):
            return found.offset
    return dst.offsets(topic)[partition].end


def translate_groups(src: LedgerLog, dst: LedgerLog, topics: Collection[str]) -> list[GroupOffset]:
    """Commit every source group's position on ``topics`` to the destination.

    A position is only moved forward: a group whose destination consumers already read further
    (after a cutover) is not sent back to re-read.
    """
    translated: list[GroupOffset] = []
    ends: dict[str, list[PartitionOffsets]] = {}
    for group in src.groups():
        previous = dst.committed(group)
        commits: dict[TopicPartition, int] = {}
        for (topic, partition), offset in sorted(src.committed(group).items()):
            if topic not in topics:
                continue
            if topic not in ends:
                ends[topic] = dst.offsets(topic)
            if partition >= len(ends[topic]):
                continue
            target = destination_offset(src, dst, topic, partition, offset)
            before = previous.get((topic, partition))
            moved = before is None or before < target
            if moved:
                commits[(topic, partition)] = target
            final = target if moved or before is None else before
            translated.append(GroupOffset(group, topic, partition, offset, final, moved))
        if commits:
            dst.commit(group, commits)
    return translated
