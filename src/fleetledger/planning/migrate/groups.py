"""Step 4, consumer groups: each group resumes at the same event, with the same lag, on both sides.

Offsets differ between two backends (Kafka counts transaction markers), event ids do not: a
group's position is compared as the id of the next event it would read, and its lag as the
number of events left to read, on each side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from fleetledger.ledger import Ledger, LedgerLog
from fleetledger.mirror.copy import BATCH_SIZE
from fleetledger.mirror.groups import translate_groups
from fleetledger.planning.migrate.steps import Step

TopicPartition = tuple[str, int]


class Resume(NamedTuple):
    """Where one group resumes on one partition of one side: the next event's id (``""``
    when it has read everything) and how many events it has left."""

    next_id: str
    lag: int


def resume(
    log: LedgerLog, topic: str, partition: int, offset: int | None, until: int | None = None
) -> Resume:
    """Where a group committed at ``offset`` (``None``: never) resumes, and its lag, counting
    only the events below offset ``until``."""
    start = 0 if offset is None else offset
    end = log.offsets(topic)[partition].end if until is None else until
    following = log.read(topic, partition, start, 1) if start < end else []
    found = following[0].id if following and following[0].offset < end else ""
    return Resume(found, remaining(log, topic, partition, start, end))


def remaining(log: LedgerLog, topic: str, partition: int, offset: int, end: int) -> int:
    """Events stored from ``offset`` below ``end`` (holes and transaction markers do not
    count)."""
    count = 0
    while offset < end:
        rows = log.bodies(topic, partition, offset, BATCH_SIZE)
        if not rows:
            break
        count += sum(1 for at, _ in rows if at < end)
        offset = rows[-1][0] + 1
    return count


def move_groups(
    src: Ledger, dst: Ledger, step: Step, *, until: Mapping[TopicPartition, int]
) -> None:
    """Translate every source group to the destination, then check each position by id
    (the source counted below ``until``: what the mirror copied)."""
    topics = list(src.log.topics())
    moved = translate_groups(src.log, dst.log, topics)
    step.figures.update(
        groups=len({row.group for row in moved}),
        positions=len(moved),
        moved=sum(row.moved for row in moved),
    )
    mismatched = check_groups(src.log, dst.log, step, until=until)
    if mismatched:
        step.fail(f"{len(mismatched)} position(s) would resume elsewhere: {', '.join(mismatched)}")
    else:
        step.detail = "every group resumes at the same event with the same lag on both sides"


def check_groups(
    src: LedgerLog, dst: LedgerLog, step: Step, *, until: Mapping[TopicPartition, int]
) -> list[str]:
    """The ``group topic/partition`` positions that resume at another event, or with another
    lag, on the destination (the source counted below ``until``); the source's total lag goes
    into ``step``'s figures."""
    mismatched: list[str] = []
    total = 0
    for group in src.groups():
        theirs = dst.committed(group)
        for (topic, partition), offset in sorted(src.committed(group).items()):
            here = resume(src, topic, partition, offset, until.get((topic, partition)))
            there = resume(dst, topic, partition, theirs.get((topic, partition)))
            total += here.lag
            if here != there:
                mismatched.append(f"{group} {topic}/{partition}")
    step.figures["lag_events"] = total
    return mismatched
