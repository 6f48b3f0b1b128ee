"""One partition's pass of ``verify``: its leaves and its events, walked together by offset.

Memory stays bounded however long the partition is: leaves and events are read a page at a
time, each page checked and folded into the rebuilt tree (a :class:`Frontier`), and of the tree
only its roots at the sizes signed notes claim are kept. The common page, events of consecutive
leaves each hashing to its leaf, is checked with a few list comparisons; anything else is
walked record by record in offset order, which says what is wrong where:

- an event whose leaf differs is *modified* (*reordered* when its body is another leaf's);
- an event without a leaf is *inserted* (*uncovered* before the tree's first leaf: a file
  whose events expired before it kept trees);
- a leaf without its event is *expired* where the family's policy removes events (compaction
  anywhere, retention from the oldest on) and *missing* everywhere else;
- a gap in the leaves is *missing* and ends the rebuilt tree; the leaves after it are checked
  against their events all the same (*stranded*), never added to the tree.

Only when something is wrong are records read again (for their ids), or all leaf hashes at once
(to tell a reordered event from a modified one).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, methodcaller
from typing import Any, Generic, NamedTuple, Protocol, TypeVar, cast

from fleetledger.audit.findings import Finding, FindingKind
from fleetledger.backends.protocols import (
    Leaf,
    ProvableLog,
    ReadableLog,
    WindowedLog,
    supports,
)
from fleetledger.events.foreign import PREFIX
from fleetledger.integrity import Frontier, leaf_hashes
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy

PAGE = 5000
"""Leaves and events read at a time, walking one partition."""
SCAN = 2000
"""Events gathered per partition, scanning them all at once (each partition's window)."""
_END = 2**63
_foreign = methodcaller("startswith", PREFIX)
_FOREIGN = "a record no ledger writer produced (hashed as a leaf; never an event)"


class Log(ReadableLog, ProvableLog, Protocol):
    """What verifying reads: the records, and the leaves, trees and checkpoints beside them."""


@dataclass
class Partition:
    """What one partition's pass found and counted."""

    topic: str
    partition: int
    start: int = 0
    """The offset of leaf 0 (events before it are uncovered)."""
    roots: dict[int, bytes] = field(default_factory=dict)
    """The rebuilt tree's root at each claimed size up to ``leaves``, and at ``leaves``."""
    marks: dict[int, int] = field(default_factory=dict)
    """The offset of each claimed leaf index the pass went by (see :meth:`offset_of`)."""
    last: int | None = None
    """The offset of the tree's last leaf."""
    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    leaves: int = 0
    uncovered: int = 0
    unsigned: int = 0
    expired: int = 0
    foreign: int = 0

    def offset_of(self, leaf: int) -> int:
        """The offset of leaf index ``leaf`` of the tree; past its end, the offsets that would
        follow its last leaf."""
        if leaf in self.marks:
            return self.marks[leaf]
        if self.last is None:
            return self.start + leaf
        return self.last + 1 + leaf - self.leaves

    def at_leaf(self, leaf: int | None, kind: FindingKind, detail: str) -> None:
        """A finding at leaf index ``leaf`` of the tree (its offset, or the one it would have;
        ``None``: about the whole tree)."""
        self.at(None if leaf is None else self.offset_of(leaf), kind, detail)

    def at(self, offset: int | None, kind: FindingKind, detail: str) -> None:
        """A finding at ``offset`` (``None``: about the whole tree)."""
        self.findings.append(Finding(self.topic, self.partition, offset, kind, detail))

    def sorted_findings(self) -> list[Finding]:
        """The findings by offset, those about no single event last."""
        return sorted(self.findings, key=lambda f: (f.offset is None, f.offset or 0))


R = TypeVar("R", bound=tuple[Any, ...])


class _Cursor(Generic[R]):
    """One window's rows of one stream, consumed from the front."""

    def __init__(self) -> None:
        self.rows: Sequence[R] = ()
        self.at = 0

    def load(self, rows: Sequence[R]) -> None:
        self.rows, self.at = rows, 0

    @property
    def left(self) -> int:
        return len(self.rows) - self.at


Row = tuple[int, bytes]
"""An event as verifying reads it: ``(offset, body)``."""


class _Mismatch(NamedTuple):
    offset: int
    computed: bytes
    leaf: int | None
    """The tree leaf index the event's leaf is, or ``None`` for a stranded leaf."""


class Walk:
    """One partition's pass (see the module docstring); :meth:`run` returns its result."""

    def __init__(
        self, log: Log, topic: str, partition: int, policy: FamilyPolicy, claimed: set[int]
    ) -> None:
        kept = log.tree(topic, partition)
        self.log, self.topic, self.partition = log, topic, partition
        self.policy, self.claimed = policy, claimed
        self.result = Partition(topic, partition, start=0 if kept is None else kept.start)
        self.kept = kept
        self.tree = Frontier()
        self.claims = sorted(claimed)
        self.wanted = set(claimed) | ({kept.frontier.size} if kept is not None else set())
        self.broken = False
        self.compacts = policy.cleanup is Cleanup.COMPACT
        self.keeps_all = policy.retention_ms == FOREVER and policy.retention_bytes == FOREVER
        self.seen = False
        """Whether an event was met at or past a leaf: eventless leaves after it are missing."""
        self.mismatches: list[_Mismatch] = []
        self.first_leaf: int | None = None
        self.reached = 0
        """The offset after the last leaf or event taken."""
        self._leaves: _Cursor[Leaf] = _Cursor()
        self._events: _Cursor[Row] = _Cursor()

    def run(self) -> None:
        """Walk the whole partition, a window at a time (see :func:`windows`)."""
        for found, rows in windows(self.log, self.topic, self.partition):
            self.take(found, rows)

    def follows(self, found: Sequence[Leaf], rows: Sequence[Row]) -> bool:
        """Whether a window starts after everything taken so far (a file whose rows were
        moved by hand may store a partition out of offset order)."""
        first = min(found[0].offset if found else _END, rows[0][0] if rows else _END)
        return first >= self.reached

    def take(self, found: Sequence[Leaf], rows: Sequence[Row]) -> None:
        """Check one window of the partition: its leaves and events in offset order, all
        after those of the windows taken before."""
        if self.first_leaf is None and found:
            self.first_leaf = found[0].offset
        leaves, events = self._leaves, self._events
        leaves.load(found)
        events.load(rows)
        while leaves.left or events.left:
            if not (self._bulk(leaves, events) or self._bulk_eventless(leaves, events)):
                self._step(leaves, events)
        last = max(found[-1].offset if found else -1, rows[-1][0] if rows else -1)
        self.reached = max(self.reached, last + 1)

    def finish(self) -> Partition:
        """The result, once every window was taken: roots hold every claimed size up to its
        leaves."""
        self._finish()
        return self.result

    # -- the common page -------------------------------------------------------------------------

    def _bulk(self, leaves: _Cursor[Leaf], events: _Cursor[Row]) -> bool:
        """Take the leaves and events the two pages share when every one matches; ``False``
        (nothing taken) when any does not, for :meth:`_step` to say which."""
        count = min(leaves.left, events.left)
        if count < 2 or self.broken:
            return False
        page = leaves.rows[leaves.at : leaves.at + count]
        rows = events.rows[events.at : events.at + count]
        indexes, hashes, offsets = zip(*page, strict=True)
        stored, bodies = zip(*rows, strict=True)
        size = self.tree.size
        if indexes != tuple(range(size, size + count)) or offsets != stored:
            return False
        if leaf_hashes(bodies) != list(hashes):
            return False
        foreign = sum(map(_foreign, bodies))
        if foreign:
            self._report_foreign(offsets, bodies)
        self._grow(hashes, offsets)
        self.result.events += count - foreign
        self.seen = True
        leaves.at += count
        events.at += count
        return True

    def _bulk_eventless(self, leaves: _Cursor[Leaf], events: _Cursor[Row]) -> bool:
        """Take, at once, the tree leaves before the next event whose events are expired (as
        the family's policy allows); ``False`` when there are none."""
        if self.broken or not (self.compacts or (not self.keeps_all and not self.seen)):
            return False
        before = events.rows[events.at][0] if events.left else None
        size, run = self.tree.size, 0
        rows = leaves.rows
        while leaves.at + run < len(rows):
            index, _, offset = rows[leaves.at + run]
            if index != size + run or (before is not None and offset >= before):
                break
            run += 1
        if run < 2:
            return False
        _, hashes, offsets = zip(*rows[leaves.at : leaves.at + run], strict=True)
        self._grow(hashes, offsets)
        self.result.expired += run
        leaves.at += run
        return True

    def _grow(self, hashes: Sequence[bytes], offsets: Sequence[int]) -> None:
        """Add consecutive tree leaves, keeping the roots and offsets claims will ask for."""
        tree, at = self.tree, 0
        while at < len(hashes):
            size = tree.size
            upcoming = [c for c in self.claims if size < c <= size + len(hashes) - at]
            end = (upcoming[0] - size + at) if upcoming else len(hashes)
            tree.extend_hashes(hashes[at:end])
            for index in self.wanted.intersection(range(size, size + end - at)):
                self.result.marks[index] = offsets[at + index - size]
            at = end
            if tree.size in self.wanted:
                self.result.roots[tree.size] = tree.root()
        self.result.last = offsets[-1]

    # -- one record at a time --------------------------------------------------------------------

    def _step(self, leaves: _Cursor[Leaf], events: _Cursor[Row]) -> None:
        """Take the record with the lowest offset: a leaf, an event, or both together."""
        leaf = leaves.rows[leaves.at] if leaves.left else None
        row = events.rows[events.at] if events.left else None
        if row is not None and (leaf is None or row[0] < leaf.offset):
            events.at += 1
            self._event_without_leaf(row[0], row[1])
            return
        assert leaf is not None
        leaves.at += 1
        in_tree = self._add_leaf(leaf)
        if row is not None and row[0] == leaf.offset:
            events.at += 1
            self._matched(leaf, row[1], in_tree)
        elif in_tree:
            self._eventless(leaf)

    def _add_leaf(self, leaf: Leaf) -> bool:
        """Add a leaf to the tree; ``False`` for a leaf stranded past a gap."""
        size = self.tree.size
        if not self.broken and leaf.idx != size:
            last = self.result.last
            self.result.at(
                self.result.start + size if last is None else last + 1,
                FindingKind.MISSING,
                f"no leaf {size}: the leaves jump to {leaf.idx}, so the tree ends at {size}",
            )
            self.broken = True
        if self.broken:
            return False
        self._grow((leaf.hash,), (leaf.offset,))
        return True

    def _matched(self, leaf: Leaf, body: bytes, in_tree: bool) -> None:
        self._count(leaf.offset, body)
        self.seen = True
        computed = leaf_hashes((body,))[0]
        if computed != leaf.hash:
            self.mismatches.append(_Mismatch(leaf.offset, computed, leaf.idx if in_tree else None))

    def _event_without_leaf(self, offset: int, body: bytes) -> None:
        first = self.result.start if self.first_leaf is None else self.first_leaf
        self._count(offset, body)
        if offset < first:
            self.result.uncovered += 1
            return
        self.seen = True
        self.result.at(offset, FindingKind.INSERTED, f"event {self._id(offset)} has no leaf")

    def _eventless(self, leaf: Leaf) -> None:
        """A tree leaf whose event is not stored: expired, or missing (see the module)."""
        if self.compacts or (not self.keeps_all and not self.seen):
            self.result.expired += 1
        else:
            self.result.at(leaf.offset, FindingKind.MISSING, f"leaf {leaf.idx} has no stored event")

    def _count(self, offset: int, body: bytes) -> None:
        if _foreign(body):
            self._report_foreign((offset,), (body,))
        else:
            self.result.events += 1

    def _report_foreign(self, offsets: Iterable[int], bodies: Iterable[bytes]) -> None:
        for offset, body in zip(offsets, bodies, strict=True):
            if _foreign(body):
                self.result.foreign += 1
                self.result.at(offset, FindingKind.FOREIGN, _FOREIGN)

    # -- after the walk ------------------------------------------------------------------------

    def _finish(self) -> None:
        result, tree = self.result, self.tree
        result.leaves = tree.size
        result.roots[tree.size] = tree.root()
        if self.mismatches:
            self._name_mismatches()
        if self.kept is not None:
            _check_tree(self.kept.frontier, tree.size, result.roots[tree.size], result)

    def _name_mismatches(self) -> None:
        """Say of each event that does not hash to its leaf whether its body is another
        leaf's (reordered) or no leaf's (modified): all leaf hashes are read for that."""
        where = {hashed: index for index, hashed in enumerate(tree_leaves(self.log, self.result))}
        for offset, computed, leaf in self.mismatches:
            other = None if leaf is None else where.get(computed)
            event = self._id(offset)
            if other is not None:
                detail = f"event {event} holds the body of leaf {other}"
                self.result.at(offset, FindingKind.REORDERED, detail)
            else:
                self.result.at(
                    offset, FindingKind.MODIFIED, f"event {event} does not hash to its leaf"
                )

    def _id(self, offset: int) -> str:
        """The id of the event at ``offset`` (read again: only findings need it)."""
        records = self.log.read(self.topic, self.partition, offset, 1)
        return records[0].id if records and records[0].offset == offset else f"at offset {offset}"


def windows(log: Log, topic: str, partition: int) -> Iterator[tuple[list[Leaf], list[Row]]]:
    """The partition's leaves and events in windows of offsets, each window's leaves and
    events in offset order and every window after the one before: one query per window where
    the log reads them together (:class:`WindowedLog`), else pages of each, cut to the offsets
    both cover."""
    if supports(log, WindowedLog):
        offset = 0
        while True:
            found, rows = cast(WindowedLog, log).window(topic, partition, offset, PAGE)
            if not found and not rows:
                return
            yield found, rows
            offset = max(found[-1].offset if found else -1, rows[-1][0] if rows else -1) + 1
    yield from _cut(log, topic, partition)


def _cut(log: Log, topic: str, partition: int) -> Iterator[tuple[list[Leaf], list[Row]]]:
    leaves: list[Leaf] = []
    rows: list[Row] = []
    index = offset = 0
    leaves_done = rows_done = False
    while True:
        if not leaves_done and len(leaves) < PAGE:
            page = log.leaves(topic, partition, index, PAGE)
            leaves += page
            leaves_done = len(page) < PAGE
            index = page[-1].idx + 1 if page else index
        if not rows_done and len(rows) < PAGE:
            more = log.bodies(topic, partition, offset, PAGE)
            rows += more
            rows_done = len(more) < PAGE
            offset = more[-1][0] + 1 if more else offset
        if not leaves and not rows:
            return
        ends = [leaves[-1].offset] if leaves and not leaves_done else []
        ends += [rows[-1][0]] if rows and not rows_done else []
        end = min(ends, default=None)
        cut_leaves = len(leaves) if end is None else _count_until(leaves, end)
        cut_rows = len(rows) if end is None else bisect_right(rows, end, key=itemgetter(0))
        if not cut_leaves and not cut_rows:
            cut_leaves = 1  # leaves out of offset order (tampered): one at a time
        yield leaves[:cut_leaves], rows[:cut_rows]
        leaves, rows = leaves[cut_leaves:], rows[cut_rows:]


def _count_until(leaves: list[Leaf], end: int) -> int:
    """How many leaves from the first have offsets up to ``end``."""
    count = 0
    for leaf in leaves:
        if leaf.offset > end:
            break
        count += 1
    return count


def tree_leaves(log: Log, result: Partition) -> list[bytes]:
    """The ``result.leaves`` leaf hashes its pass rebuilt the tree from, read again."""
    hashes: list[bytes] = []
    for page in _pages(log, result.topic, result.partition):
        for index, hashed, _ in page:
            if index != len(hashes) or index >= result.leaves:
                return hashes  # the gap the tree ends at, or its end
            hashes.append(hashed)
    return hashes


def _pages(log: Log, topic: str, partition: int) -> Iterator[list[Leaf]]:
    start = 0
    while page := log.leaves(topic, partition, start, PAGE):
        yield page
        start = page[-1].idx + 1


def _check_tree(tree: Frontier, leaves: int, rebuilt: bytes, result: Partition) -> None:
    """The maintained tree must be the tree of the stored leaves, whose root is ``rebuilt``."""
    size = tree.size
    if size < leaves:
        detail = f"{leaves - size} leaves from {size} on are not in the partition's tree"
        result.at_leaf(size, FindingKind.INSERTED, detail)
    elif size > leaves:
        detail = f"the partition's tree has {size} leaves, the leaves table {leaves}"
        result.at_leaf(leaves, FindingKind.TRUNCATED, detail)
    elif rebuilt != tree.root():
        detail = "the partition's tree root differs from the root of its leaves"
        result.at_leaf(None, FindingKind.ROOT_MISMATCH, detail)
