"""``mirror``: copy a ledger to another backend, translate its groups, then check both sides."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from fleetledger.ledger import Ledger
from fleetledger.mirror.check import (
    OrderCheck,
    PartitionCheck,
    Progress,
    TaskSample,
    check_order,
    compare,
)
from fleetledger.mirror.copy import BATCH_SIZE, Copier
from fleetledger.mirror.groups import GroupOffset, translate_groups
from fleetledger.mirror.notes import pending_notes, store_notes
from fleetledger.mirror.topics import prepare
from fleetledger.observe.metrics import MIRROR_BEHIND

COPYING = "copying"


@dataclass
class MirrorReport:
    """What a mirror run did and found."""

    copied: int = 0
    """Events sent to the destination by this run (after a resume by time, events the
    destination already held may be sent again and count here, though they are stored once)."""
    bytes: int = 0
    """Bytes of the events sent (their stored bodies), counted as ``copied`` is."""
    elapsed: float = 0.0
    positions: dict[tuple[str, int], int] = field(default_factory=dict)
    """Each partition's next source offset to copy: the source was copied below it (bound
    a later comparison's source side with it: ``check_both(..., until=positions)``)."""
    created: list[str] = field(default_factory=list)
    """Topics created on the destination."""
    policy_differences: list[str] = field(default_factory=list)
    """Topics the destination already had with another retention, cleanup or classification."""
    groups: list[GroupOffset] = field(default_factory=list)
    checks: list[PartitionCheck] = field(default_factory=list)
    order: list[OrderCheck] = field(default_factory=list)
    """Sampled tasks replayed on both sides (see ``check``)."""
    notes: int = 0
    """Signed checkpoints and ledger heads copied (see ``notes``)."""
    interrupted: bool = False
    """A follow run ended by Ctrl-C (KeyboardInterrupt) rather than by its timeout or ``stop``."""

    @property
    def differences(self) -> list[PartitionCheck]:
        """The partitions whose two sides do not hold the same events."""
        return [check for check in self.checks if not check.ok]

    @property
    def reordered(self) -> list[OrderCheck]:
        """The sampled tasks whose replay differs between the two sides."""
        return [check for check in self.order if not check.ok]

    @property
    def ok(self) -> bool:
        """Every checked partition holds the same events, and every sampled task replays the
        same, on both sides."""
        return not self.differences and not self.reordered


def mirror(
    src: Ledger,
    dst: Ledger,
    *,
    groups: bool = True,
    follow: bool = False,
    timeout: float | None = None,
    poll_interval: float = 0.5,
    check: bool = True,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> MirrorReport:
    """Copy every topic of ``src`` into ``dst``; translate consumer groups; check both sides.

    Partition numbers, per-partition order, event ids and stored bytes are kept; offsets may
    differ. Missing topics are created with the source's policy; a destination topic with
    another partition count is refused before anything is written. A run resumes where an
    interrupted one stopped, without duplicates.

    ``follow`` keeps copying new events until ``timeout`` seconds have passed, ``stop`` is set,
    or Ctrl-C (which ends the run cleanly, ``interrupted`` set). ``groups`` commits each source
    consumer group's position on the destination at the same next event. ``check`` compares
    every partition: the source up to what was copied, the destination whole.
    ``progress(stage, done, total)`` is called after every batch (stages ``copying`` and
    ``checking``); raising from it stops the run, and the next run resumes.
    """
    started = time.monotonic()
    deadline = None if timeout is None else started + timeout
    report = MirrorReport()
    copier = Copier(src.log, dst.log, batch_size=batch_size)
    topics: list[str] = []
    try:
        while True:
            plan = prepare(src, dst)
            report.created += [t for t in plan.created if t not in report.created]
            report.policy_differences = plan.policy_differences
            topics = list(plan.topics)
            copier.resume({topic: policy.partitions for topic, policy in plan.topics.items()})
            notes = pending_notes(src, dst)  # before the events they sign are copied
            copied = _copy_pass(copier, report, progress)
            report.notes += store_notes(dst, notes)
            if not follow or _finished(stop, deadline):
                break
            if not copied:
                _wait(stop, deadline, poll_interval)
                if _finished(stop, deadline):
                    break
    except KeyboardInterrupt:
        if not follow:
            raise
        report.interrupted = True
        copier.relocate()  # a batch may have been cut short: ask the destination
    report.bytes = copier.bytes
    report.positions = dict(copier.positions)
    if groups:
        report.groups = translate_groups(src.log, dst.log, topics)
    if check:
        report.checks, report.order = check_both(
            src, dst, until=copier.positions, progress=progress
        )
    report.elapsed = time.monotonic() - started
    return report


def check_both(
    src: Ledger,
    dst: Ledger,
    *,
    until: dict[tuple[str, int], int] | None = None,
    progress: Progress | None = None,
) -> tuple[list[PartitionCheck], list[OrderCheck]]:
    """Compare every partition, then replay a sample of tasks on both sides."""
    sample = TaskSample()
    checks = compare(src, dst, until=until, progress=progress, sample=sample)
    return checks, check_order(src, dst, sample.tasks(), until)


def _copy_pass(copier: Copier, report: MirrorReport, progress: Progress | None) -> int:
    """Copy everything the source holds now; return how many records were appended.

    The metric ``fleetledger_mirror_behind_events`` follows what is left of the pass."""
    before = report.copied
    ends = copier.ends()
    behind = copier.backlog(ends)
    total = report.copied + behind
    MIRROR_BEHIND.set(behind)
    if progress is not None:
        progress(COPYING, report.copied, total)
    for topic, partition in sorted(copier.positions):
        for count in copier.copy(topic, partition, ends[topic][partition]):
            report.copied += count
            behind -= count
            MIRROR_BEHIND.set(max(behind, 0))
            if progress is not None:
                progress(COPYING, report.copied, max(total, report.copied))
    MIRROR_BEHIND.set(copier.backlog(ends))  # holes in the source were counted, not copied
    if progress is not None:
        progress(COPYING, report.copied, report.copied)
    return report.copied - before


def _finished(stop: threading.Event | None, deadline: float | None) -> bool:
    return (stop is not None and stop.is_set()) or (
        deadline is not None and time.monotonic() >= deadline
    )


def _wait(stop: threading.Event | None, deadline: float | None, interval: float) -> None:
    """Sleep ``interval`` seconds at most, less if the deadline comes first or ``stop`` is set."""
    pause = interval if deadline is None else max(min(interval, deadline - time.monotonic()), 0)
    if stop is not None:
        stop.wait(pause)
    else:
        time.sleep(pause)
