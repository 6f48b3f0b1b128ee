"""Moving a consumer group: to the start or end of its partitions, to a time, or to an offset.

An operator's tools for a group that must re-read (after a bug in its handler) or skip ahead
(after an outage it will not replay): ``fleetledger groups reset|seek``. The new positions are
committed in one call, so the group's consumers resume there.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, NamedTuple

from fleetledger.backends.protocols import ReadableLog, TopicPartition
from fleetledger.errors import ContractError, NotFound
from fleetledger.ledger.filters import aware_ms
from fleetledger.ledger.view import LedgerLog

Target = Literal["earliest", "latest"] | datetime | int


class GroupMove(NamedTuple):
    """One partition of a group moved: from its committed offset (``None``: never) to ``to``."""

    group: str
    topic: str
    partition: int
    before: int | None
    to: int


def move_group(
    log: LedgerLog,
    group: str,
    to: Target,
    *,
    topics: Sequence[str] | None = None,
    partition: int | None = None,
) -> list[GroupMove]:
    """Commit ``group`` at ``to`` on its partitions (see :meth:`fleetledger.Ledger.move_group`)."""
    if not group or not group.strip():
        raise ContractError("a consumer group needs a name", field="group")
    before = log.committed(group)
    chosen = _partitions(log, before, topics, partition)
    moves = [
        GroupMove(group, topic, p, before.get((topic, p)), _target(log, topic, p, to))
        for topic, p in chosen
    ]
    log.commit(group, {(m.topic, m.partition): m.to for m in moves})
    return moves


def _partitions(
    log: LedgerLog,
    committed: dict[TopicPartition, int],
    topics: Sequence[str] | None,
    partition: int | None,
) -> list[TopicPartition]:
    """The partitions to move: of ``topics`` (default: those the group committed, else all)."""
    if topics is None:
        topics = sorted({t for t, _ in committed}) or sorted(log.topics())
    every = [(t, p) for t in topics for p in range(len(log.offsets(t)))]
    if partition is None:
        return every
    chosen = [(t, p) for t, p in every if p == partition]
    if not chosen:
        raise NotFound(f"no partition {partition} in {', '.join(topics)}")
    return chosen


def _target(log: ReadableLog, topic: str, partition: int, to: Target) -> int:
    start, end = log.offsets(topic)[partition]
    if to == "earliest":
        return start
    if to == "latest":
        return end
    if isinstance(to, datetime):
        return log.offset_for_time(topic, partition, aware_ms(to, "to"))
    if type(to) is not int or not 0 <= to <= end:
        raise ContractError(
            f"offset {to!r} is not in {topic}/{partition}, which ends at {end}", field="to"
        )
    return max(to, start)
