"""``Ledger.verify``: recompute every partition's tree from what is stored and check its claims.

Three layers are checked against each other, per partition of the ledger's namespace:

- each stored event's leaf hash against its ``leaves`` row (*modified*, *reordered* when the
  body is another position's leaf, *inserted* when its offset has no leaf), and every leaf
  against an event where the family keeps its events (*missing*);
- the tree rebuilt from the leaves against the tree the backend maintains (*inserted* leaves
  beyond it, *truncated* below it, *root mismatch*); a gap in the leaves is *missing* and ends
  the rebuilt tree, and the events past it are checked against their own leaves;
- every signed claim about the tree (partition checkpoints and the lines of ledger heads)
  against the rebuilt tree at the claimed size: a bad signature, a claim larger than the tree
  (*truncated* after a checkpoint), a root that differs (*root mismatch*), and successive
  claims that are not append-only extensions of each other (*does not extend*, checked with
  a consistency proof).

Without a verifier key the notes are read unverified: the trees are still checked against
them, but nothing proves who signed them (``signatures_checked`` is false).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple, Protocol

from fleetledger.backends.protocols import (
    ProvableLog,
    ReadableLog,
    StoredCheckpoint,
    StoredRecord,
    TopicPartition,
)
from fleetledger.errors import IntegrityError, NoteError, ProofError, VerificationFailed
from fleetledger.integrity import (
    Checkpoint,
    Frontier,
    LedgerHead,
    NoteVerifier,
    consistency_proof,
    leaf_hashes,
    open_checkpoint,
    open_ledger_head,
    parse_note,
    subtrees_of,
    verify_consistency,
)
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy

_PAGE = 5000
MAX_FINDINGS_PER_PARTITION = 100


class _Log(ReadableLog, ProvableLog, Protocol):
    """What verifying reads: the records, and the leaves, trees and checkpoints beside them."""


class FindingKind(StrEnum):
    """What went wrong at a position."""

    MODIFIED = "modified"
    MISSING = "missing"
    INSERTED = "inserted"
    REORDERED = "reordered"
    TRUNCATED = "truncated"
    ROOT_MISMATCH = "root-mismatch"
    BAD_SIGNATURE = "bad-signature"
    DOES_NOT_EXTEND = "does-not-extend"


class Finding(NamedTuple):
    """One thing that does not hold; ``offset`` is ``None`` when it is not about one event."""

    topic: str
    partition: int | None
    offset: int | None
    kind: FindingKind
    detail: str


@dataclass(frozen=True)
class Verification:
    """The result of :meth:`fleetledger.Ledger.verify`: what was checked and what failed."""

    findings: tuple[Finding, ...]
    partitions: int
    events: int
    leaves: int
    checkpoints: int
    signatures_checked: bool
    uncovered: int = 0
    """Stored events older than their partition's tree (it started after them), so unchecked."""

    @property
    def ok(self) -> bool:
        """Whether everything checked holds."""
        return not self.findings

    def check(self) -> None:
        """Raise :class:`~fleetledger.errors.VerificationFailed` unless everything holds."""
        if self.findings:
            raise VerificationFailed(self.findings)


class _Claim(NamedTuple):
    """A signed statement that a partition's tree had ``root`` at ``size``."""

    seq: int
    size: int
    root: bytes
    source: str


@dataclass
class _Notes:
    claims: dict[TopicPartition, list[_Claim]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    count: int = 0


def verify_ledger(
    backend: ReadableLog,
    namespace: str,
    topics: dict[str, FamilyPolicy],
    verifier: NoteVerifier | None,
) -> Verification:
    """Check every partition of ``topics`` (see the module docstring)."""
    if not isinstance(backend, ProvableLog):
        raise IntegrityError(f"{type(backend).__name__} keeps no Merkle trees to verify")
    notes = _read_notes(backend.checkpoints(namespace), namespace, verifier)
    results = [
        _verify_partition(
            backend, topic, partition, policy, notes.claims.get((topic, partition), [])
        )
        for topic, policy in sorted(topics.items())
        for partition in range(policy.partitions)
    ]
    findings = [f for r in results for f in r.findings[:MAX_FINDINGS_PER_PARTITION]]
    return Verification(
        findings=tuple(notes.findings + findings),
        partitions=len(results),
        events=sum(r.events for r in results),
        leaves=sum(r.leaves for r in results),
        checkpoints=notes.count,
        signatures_checked=verifier is not None,
        uncovered=sum(r.uncovered for r in results),
    )


# -- signed notes ------------------------------------------------------------------------------


def _read_notes(
    stored: list[StoredCheckpoint], namespace: str, verifier: NoteVerifier | None
) -> _Notes:
    notes = _Notes(count=len(stored))
    for row in stored:
        try:
            if row.kind == "head":
                _add_head(notes, row, _open_head(row, namespace, verifier))
            else:
                _add_checkpoint(notes, row, _open_checkpoint(row, namespace, verifier))
        except NoteError as exc:
            notes.findings.append(
                Finding(
                    row.topic,
                    row.partition,
                    None,
                    FindingKind.BAD_SIGNATURE,
                    f"{row.kind} #{row.seq}: {exc}",
                )
            )
    return notes


def _open_checkpoint(
    row: StoredCheckpoint, namespace: str, verifier: NoteVerifier | None
) -> Checkpoint:
    origin = f"{namespace}/{row.topic}/{row.partition}"
    if verifier is None:
        checkpoint = Checkpoint.parse(parse_note(row.note)[0])
        if checkpoint.origin != origin:
            raise NoteError(f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}")
        return checkpoint
    return open_checkpoint(row.note, verifier, origin=origin)


def _open_head(row: StoredCheckpoint, namespace: str, verifier: NoteVerifier | None) -> LedgerHead:
    if verifier is None:
        return LedgerHead.parse(parse_note(row.note)[0])
    return open_ledger_head(row.note, verifier, namespace=namespace)


def _add_checkpoint(notes: _Notes, row: StoredCheckpoint, checkpoint: Checkpoint) -> None:
    assert row.partition is not None
    claim = _Claim(row.seq, checkpoint.size, checkpoint.root, f"checkpoint #{row.seq}")
    notes.claims.setdefault((row.topic, row.partition), []).append(claim)


def _add_head(notes: _Notes, row: StoredCheckpoint, head: LedgerHead) -> None:
    for line in head.partitions:
        claim = _Claim(row.seq, line.size, line.root, f"ledger head #{row.seq}")
        notes.claims.setdefault(line.key, []).append(claim)


# -- one partition -----------------------------------------------------------------------------


@dataclass
class _Partition:
    topic: str
    partition: int
    start: int = 0
    offsets: list[int] = field(default_factory=list)
    """The offset of each leaf's event, by leaf index."""
    linear: bool = True
    """Whether leaf ``i`` is the event at offset ``start + i`` (so no lookup is needed)."""
    stranded: dict[int, bytes] = field(default_factory=dict)
    """Leaves past the first gap, by their event's offset: no tree holds them."""
    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    leaves: int = 0
    uncovered: int = 0

    def found(self, leaf: int | None, kind: FindingKind, detail: str) -> None:
        """Record a finding at leaf index ``leaf`` (reported as the offset of that leaf)."""
        offset = None if leaf is None else self.offset_of(leaf)
        self.findings.append(Finding(self.topic, self.partition, offset, kind, detail))

    def offset_of(self, leaf: int) -> int:
        """The offset of leaf ``leaf``; past the last leaf, the offsets that would follow it."""
        if leaf < len(self.offsets):
            return self.offsets[leaf]
        if not self.offsets:
            return self.start + leaf
        return self.offsets[-1] + 1 + leaf - len(self.offsets)


def _verify_partition(
    backend: _Log,
    topic: str,
    partition: int,
    policy: FamilyPolicy,
    claims: list[_Claim],
) -> _Partition:
    kept = backend.tree(topic, partition)
    result = _Partition(topic, partition, start=0 if kept is None else kept.start)
    hashes = _leaf_hashes(backend, topic, partition, result)
    stored = _check_events(backend, topic, partition, hashes, result)
    _check_missing(hashes, stored, policy, result)
    sizes = {c.size for c in claims if c.size <= len(hashes)}
    if kept is not None:
        sizes.add(len(hashes))
    roots = _roots_at(hashes, sizes)  # the one rebuild of the tree, for both checks below
    if kept is not None:
        _check_tree(kept.frontier, len(hashes), roots[len(hashes)], result)
    _check_claims(claims, hashes, roots, result)
    result.findings.sort(key=lambda f: (f.offset is None, f.offset or 0))
    return result


def _leaf_hashes(backend: _Log, topic: str, partition: int, result: _Partition) -> list[bytes]:
    """The partition's leaves in index order, up to the first gap (reported as missing).

    The leaves after the gap are kept in ``result.stranded``, so that their events are still
    checked against them rather than reported as having none.
    """
    hashes: list[bytes] = []
    start = 0
    while page := backend.leaves(topic, partition, start, _PAGE):
        for idx, hashed, offset in page:
            if idx != len(hashes):
                if not result.stranded:
                    result.found(
                        len(hashes),
                        FindingKind.MISSING,
                        f"no leaf {len(hashes)}: the leaves"
                        f" jump to {idx}, so the tree ends at {len(hashes)}",
                    )
                result.stranded[offset] = hashed
                continue
            hashes.append(hashed)
            result.offsets.append(offset)
            result.linear = result.linear and offset == result.start + idx
        start = page[-1].idx + 1
    result.leaves = len(hashes)
    return hashes


def _check_events(
    backend: _Log, topic: str, partition: int, hashes: list[bytes], result: _Partition
) -> set[int]:
    """Compare each stored event with its leaf; return the leaf indexes of the stored events.

    Events before the tree's start (expired before the file kept trees) are only counted.
    """
    where: dict[bytes, int] = {}  # leaf hash -> index, built at the first mismatch
    index_of = None if result.linear else {o: i for i, o in enumerate(result.offsets)}
    first = result.offset_of(0)
    offsets: set[int] = set()
    offset = 0
    while records := backend.read(topic, partition, offset, _PAGE):
        offset = records[-1].offset + 1
        computed = leaf_hashes(r.body for r in records)
        if _all_match(records, computed, hashes, result):
            offsets.update(range(records[0].offset - result.start, offset - result.start))
            continue
        for record, hashed in zip(records, computed, strict=True):
            if index_of is None:
                at = record.offset - result.start
            else:
                at = index_of.get(record.offset, len(hashes))  # no leaf: inserted
            if record.offset < first:
                result.uncovered += 1
                continue
            offsets.add(at)
            if at >= len(hashes):
                stranded = result.stranded.get(record.offset)
                if stranded is None:
                    result.found(at, FindingKind.INSERTED, f"event {record.id} has no leaf")
                elif hashed != stranded:
                    result.found(
                        at, FindingKind.MODIFIED, f"event {record.id} does not hash to its leaf"
                    )
            elif hashed != hashes[at]:
                where = where or {h: i for i, h in enumerate(hashes)}
                other = where.get(hashed)
                if other is not None:
                    result.found(
                        at,
                        FindingKind.REORDERED,
                        f"event {record.id} holds the body of leaf {other}",
                    )
                else:
                    result.found(
                        at, FindingKind.MODIFIED, f"event {record.id} does not hash to its leaf"
                    )
    result.events = len(offsets) + result.uncovered
    return offsets


def _all_match(
    records: list[StoredRecord], computed: list[bytes], hashes: list[bytes], result: _Partition
) -> bool:
    """Whether every event of the page matches its leaf, checked with one list comparison.

    That is the common case: leaf ``i`` is the event at ``start + i``, and the page's events have
    consecutive offsets (no gap, no duplicate), all in the tree, each hashing to its leaf. Any
    other page is checked event by event, which says what is wrong where.
    """
    low, high = records[0].offset - result.start, records[-1].offset - result.start
    return (
        result.linear
        and low >= 0
        and high < len(hashes)
        and high - low == len(records) - 1
        and [r.offset for r in records] == list(range(records[0].offset, records[-1].offset + 1))
        and computed == hashes[low : high + 1]
    )


def _check_missing(
    hashes: list[bytes], stored: set[int], policy: FamilyPolicy, result: _Partition
) -> None:
    """Leaves without events, where the family's policy cannot have removed them."""
    if policy.cleanup is Cleanup.COMPACT:
        return
    keeps_all = policy.retention_ms == FOREVER and policy.retention_bytes == FOREVER
    first = 0 if keeps_all else min(stored, default=len(hashes))
    for idx in range(first, len(hashes)):
        if idx not in stored:
            result.found(idx, FindingKind.MISSING, f"leaf {idx} has no stored event")


def _check_tree(tree: Frontier, leaves: int, rebuilt: bytes, result: _Partition) -> None:
    """The maintained tree must be the tree of the stored leaves, whose root is ``rebuilt``."""
    size = tree.size
    if size < leaves:
        result.found(
            size,
            FindingKind.INSERTED,
            f"{leaves - size} leaves from {size} on are not in the partition's tree",
        )
    elif size > leaves:
        result.found(
            leaves,
            FindingKind.TRUNCATED,
            f"the partition's tree has {size} leaves, the leaves table {leaves}",
        )
    elif rebuilt != tree.root():
        result.found(
            None,
            FindingKind.ROOT_MISMATCH,
            "the partition's tree root differs from the root of its leaves",
        )


def _check_claims(
    claims: list[_Claim], hashes: list[bytes], roots: dict[int, bytes], result: _Partition
) -> None:
    """Every signed claim matches the leaves at its size, and each extends the one before.

    ``roots`` holds the tree's root at every claimed size up to ``len(hashes)``.
    """
    for claim in claims:
        if claim.size > len(hashes):
            result.found(
                len(hashes),
                FindingKind.TRUNCATED,
                f"{claim.source} signed {claim.size} leaves; {len(hashes)} remain",
            )
        elif roots[claim.size] != claim.root:
            result.found(
                None,
                FindingKind.ROOT_MISMATCH,
                f"{claim.source} signed another root at size {claim.size}",
            )
    ordered = sorted(claims, key=lambda c: c.seq)
    for old, new in pairwise(ordered):
        _check_extends(old, new, hashes, roots, result)


def _check_extends(
    old: _Claim, new: _Claim, hashes: list[bytes], roots: dict[int, bytes], result: _Partition
) -> None:
    if new.size < old.size:
        result.found(
            new.size,
            FindingKind.DOES_NOT_EXTEND,
            f"{new.source} ({new.size} leaves) is smaller than {old.source} ({old.size})",
        )
        return
    if roots.get(old.size) == old.root and roots.get(new.size) == new.root:
        return  # both are roots of the same stored leaves, so one extends the other
    if new.size > len(hashes):
        return  # already reported as truncated; no leaves to build a proof from
    proof = consistency_proof(subtrees_of(hashes), old_size=old.size, new_size=new.size)
    try:
        verify_consistency(
            proof, old_size=old.size, new_size=new.size, old_root=old.root, new_root=new.root
        )
    except ProofError as exc:
        result.found(None, FindingKind.DOES_NOT_EXTEND, f"{new.source} vs {old.source}: {exc}")


def _roots_at(hashes: list[bytes], sizes: set[int]) -> dict[int, bytes]:
    """The tree root at each of ``sizes``, in one pass over the leaves."""
    tree, roots = Frontier(), {}
    for size in sorted(sizes):
        tree.extend_hashes(hashes[tree.size : size])
        roots[size] = tree.root()
    return roots
