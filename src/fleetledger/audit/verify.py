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

How it runs: the notes are first read unverified, only to learn which sizes they claim for
each partition. Their signatures are checked on two worker threads (Ed25519 verification
releases the GIL) while the calling thread checks the partitions one by one: each partition's
events (offsets and bodies only; whole records are read just for a page that does not match,
to name its events), its leaves and its tree, keeping of the rebuilt tree only its roots at
the claimed sizes. Then the claims of the notes whose signature verified are checked against
those roots; a partition's leaves are read again only for a consistency proof, when two
successive claims are not both roots of its stored leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from itertools import pairwise
from typing import NamedTuple, Protocol, cast

from fleetledger.audit.columns import mismatches
from fleetledger.audit.prove import numbered_heads, provable
from fleetledger.backends.protocols import (
    HEAD,
    Leaf,
    ProvableLog,
    ReadableLog,
    StoredCheckpoint,
    StoredRecord,
    TopicPartition,
)
from fleetledger.errors import NoteError, ProofError, VerificationFailed
from fleetledger.events.foreign import is_foreign
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
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy, checkpoint_origin

_PAGE = 5000
_SIGNATURE_THREADS = 2
MAX_FINDINGS_PER_PARTITION = 100

Progress = Callable[[int, int], None]
"""``progress(done, total)``: partitions checked so far, of how many."""


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
    MISINDEXED = "misindexed"
    DOES_NOT_EXTEND = "does-not-extend"
    FOREIGN = "foreign"
    """A record no ledger writer produced (its leaf holds: it is reported, not an error of
    the trees)."""


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
    unsigned: int = 0
    """Leaves after the newest signed claim about their partition: appended since its last
    checkpoint, which nothing signed vouches for yet (a forger who rewrote the maintained tree
    too would hide here, so a large count on a ledger that should be signed is worth a look)."""
    expired: int = 0
    """Leaves whose events the family's retention or compaction removed, as its policy says
    it may: their leaves stay, so the trees still verify."""
    foreign: int = 0
    """Records no ledger writer produced, found in the ledger's topics (each is a finding)."""

    @property
    def ok(self) -> bool:
        """Whether everything checked holds."""
        return not self.findings

    def check(self) -> None:
        """Raise :class:`~fleetledger.errors.VerificationFailed` unless everything holds."""
        if self.findings:
            raise VerificationFailed(self.findings)


class _Claim(NamedTuple):
    """A signed statement that a partition's tree had ``root`` at ``size``; ``order`` is its
    note's place among the stored notes."""

    order: int
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
    *,
    deep: bool = False,
    progress: Progress | None = None,
) -> Verification:
    """Check every partition of ``topics`` (see the module docstring); ``deep`` also checks
    each event's indexed columns against its bytes (:mod:`fleetledger.audit.columns`).
    ``progress(done, total)`` hears of each partition checked."""
    log = cast(_Log, provable(backend))
    every = [
        (t, p, policy) for t, policy in sorted(topics.items()) for p in range(policy.partitions)
    ]
    stored = log.checkpoints(namespace)
    said = [_open(row, namespace, None) for row in stored]  # what the notes claim, unverified
    claimed = _claimed_sizes(_read_notes(stored, said))
    with ThreadPoolExecutor(_SIGNATURE_THREADS, thread_name_prefix="verify") as pool:
        opened: Iterable[_Opened] = said
        if verifier is not None:  # submitted now, checked while the partitions are
            opened = pool.map(partial(_open, namespace=namespace, verifier=verifier), stored)
        results = []
        for topic, p, policy in every:
            claims = claimed.get((topic, p), set())
            results.append(_verify_partition(log, topic, p, policy, claims, deep=deep))
            if progress is not None:
                progress(len(results), len(every))
        notes = _read_notes(stored, list(opened))
    for result in results:
        _check_claims(log, result, notes.claims.get((result.topic, result.partition), []))
    findings = [f for r in results for f in r.sorted_findings()[:MAX_FINDINGS_PER_PARTITION]]
    return Verification(
        findings=tuple(notes.findings + findings),
        partitions=len(results),
        events=sum(r.events for r in results),
        leaves=sum(r.leaves for r in results),
        checkpoints=notes.count,
        signatures_checked=verifier is not None,
        uncovered=sum(r.uncovered for r in results),
        unsigned=sum(r.unsigned for r in results),
        expired=sum(r.expired for r in results),
        foreign=sum(r.foreign for r in results),
    )


# -- signed notes ------------------------------------------------------------------------------

_Opened = Checkpoint | LedgerHead | NoteError
"""A note read: what it says, or why it cannot be trusted."""


def _open(row: StoredCheckpoint, namespace: str, verifier: NoteVerifier | None) -> _Opened:
    """Read one note, checking its signature with ``verifier`` (if any); never raises."""
    try:
        if row.kind == HEAD:
            return _open_head(row, namespace, verifier)
        return _open_checkpoint(row, namespace, verifier)
    except NoteError as exc:
        return exc


def _read_notes(stored: list[StoredCheckpoint], opened: list[_Opened]) -> _Notes:
    """The claims of the notes read, and a bad-signature finding for each that could not be."""
    notes = _Notes(count=len(stored))
    numbers = {row.seq: number for number, row in numbered_heads(stored)}
    for order, (row, note) in enumerate(zip(stored, opened, strict=True)):
        name = _note_name(row, order + 1, numbers)
        if isinstance(note, LedgerHead):
            _add_head(notes, order, name, note)
        elif isinstance(note, Checkpoint):
            _add_checkpoint(notes, order, name, row, note)
        else:
            notes.findings.append(
                Finding(
                    row.topic, row.partition, None, FindingKind.BAD_SIGNATURE, f"{name}: {note}"
                )
            )
    return notes


def _note_name(row: StoredCheckpoint, number: int, heads: dict[int, int]) -> str:
    """How findings name a note: what it is, and its number among the namespace's notes (the
    same on every copy: notes are stored and mirrored in signing order)."""
    if row.kind == HEAD:
        return f"ledger head #{heads[row.seq]} (note #{number})"
    return f"the checkpoint of {row.topic}/{row.partition} at {row.size} leaves (note #{number})"


def _claimed_sizes(notes: _Notes) -> dict[TopicPartition, set[int]]:
    """The sizes ``notes`` claim for each partition.

    Read from the notes unverified, they cover every claim checked later: a note whose
    signature verifies says what it says unverified.
    """
    return {key: {claim.size for claim in claims} for key, claims in notes.claims.items()}


def _open_checkpoint(
    row: StoredCheckpoint, namespace: str, verifier: NoteVerifier | None
) -> Checkpoint:
    assert row.partition is not None  # a partition checkpoint names its partition
    origin = checkpoint_origin(namespace, row.topic, row.partition)
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


def _add_checkpoint(
    notes: _Notes, order: int, name: str, row: StoredCheckpoint, checkpoint: Checkpoint
) -> None:
    assert row.partition is not None
    claim = _Claim(order, checkpoint.size, checkpoint.root, name)
    notes.claims.setdefault((row.topic, row.partition), []).append(claim)


def _add_head(notes: _Notes, order: int, name: str, head: LedgerHead) -> None:
    for line in head.partitions:
        claim = _Claim(order, line.size, line.root, name)
        notes.claims.setdefault(line.key, []).append(claim)


# -- one partition -----------------------------------------------------------------------------


@dataclass
class _Partition:
    topic: str
    partition: int
    start: int = 0
    offsets: list[int] = field(default_factory=list)
    """The offset of each leaf's event, by leaf index (during the partition's pass)."""
    linear: bool = True
    """Whether leaf ``i`` is the event at offset ``start + i`` (so no lookup is needed)."""
    stranded: dict[int, bytes] = field(default_factory=dict)
    """Leaves past the first gap, by their event's offset: no tree holds them."""
    roots: dict[int, bytes] = field(default_factory=dict)
    """The rebuilt tree's root at each claimed size up to ``leaves``."""
    settled: dict[int, int] | None = None
    """After the pass, the offsets of the only leaves findings can still name (see ``settle``)."""
    findings: list[Finding] = field(default_factory=list)
    events: int = 0
    leaves: int = 0
    uncovered: int = 0
    unsigned: int = 0
    expired: int = 0
    foreign: int = 0

    def found(self, leaf: int | None, kind: FindingKind, detail: str) -> None:
        """Record a finding at leaf index ``leaf`` (reported as the offset of that leaf)."""
        offset = None if leaf is None else self.offset_of(leaf)
        self.findings.append(Finding(self.topic, self.partition, offset, kind, detail))

    def offset_of(self, leaf: int) -> int:
        """The offset of leaf ``leaf``; past the last leaf, the offsets that would follow it."""
        if self.settled is not None:
            return self.settled[leaf]
        if leaf < len(self.offsets):
            return self.offsets[leaf]
        if not self.offsets:
            return self.start + leaf
        return self.offsets[-1] + 1 + leaf - len(self.offsets)

    def settle(self, leaves: Iterable[int]) -> None:
        """End the pass: keep the offsets of ``leaves`` only, all that later findings name."""
        self.settled = {leaf: self.offset_of(leaf) for leaf in leaves}
        self.offsets, self.stranded = [], {}

    def sorted_findings(self) -> list[Finding]:
        """The findings by offset, those about no single event last."""
        return sorted(self.findings, key=lambda f: (f.offset is None, f.offset or 0))


def _verify_partition(
    backend: _Log,
    topic: str,
    partition: int,
    policy: FamilyPolicy,
    claimed: set[int],
    *,
    deep: bool = False,
) -> _Partition:
    """Check the partition's events, leaves and tree; keep its roots at the ``claimed`` sizes.

    Its leaves are dropped on return: the claims, whose signatures may still be being checked,
    are checked later against the roots kept (see :func:`_check_claims`).
    """
    kept = backend.tree(topic, partition)
    result = _Partition(topic, partition, start=0 if kept is None else kept.start)
    hashes = _leaf_hashes(backend, topic, partition, result)
    stored = _check_events(backend, topic, partition, hashes, result)
    _check_missing(hashes, stored, policy, result)
    sizes = {size for size in claimed if size <= len(hashes)}
    if kept is not None:
        sizes.add(len(hashes))
    result.roots = _roots_at(hashes, sizes)  # the one rebuild of the tree, for every check
    if kept is not None:
        _check_tree(kept.frontier, len(hashes), result.roots[len(hashes)], result)
    result.settle(claimed | {len(hashes)})
    if deep:
        _check_columns(backend, policy, result)
    return result


def _check_columns(backend: _Log, policy: FamilyPolicy, result: _Partition) -> None:
    """Each stored event's indexed columns against its bytes (``verify --deep``)."""
    offset = 0
    while records := backend.read(result.topic, result.partition, offset, _PAGE):
        for record, problem in mismatches(records, policy):
            result.findings.append(
                Finding(
                    result.topic,
                    result.partition,
                    record.offset,
                    FindingKind.MISINDEXED,
                    f"event {record.id}: {problem}",
                )
            )
        offset = records[-1].offset + 1


def _leaf_hashes(backend: _Log, topic: str, partition: int, result: _Partition) -> list[bytes]:
    """The partition's leaves in index order, up to the first gap (reported as missing).

    The leaves after the gap are kept in ``result.stranded``, so that their events are still
    checked against them rather than reported as having none.
    """
    hashes: list[bytes] = []
    start = 0
    while page := backend.leaves(topic, partition, start, _PAGE):
        indexes, hashed, offsets = zip(*page, strict=True)
        if not result.stranded and indexes == tuple(range(start, start + len(page))):
            hashes += hashed  # the common case: the page continues the leaves without a gap
            result.offsets += offsets
            linear = range(result.start + start, result.start + start + len(page))
            result.linear = result.linear and offsets == tuple(linear)
        else:
            _take_leaves(page, hashes, result)
        start = indexes[-1] + 1
    result.leaves = len(hashes)
    return hashes


def _take_leaves(page: list[Leaf], hashes: list[bytes], result: _Partition) -> None:
    """Add a page of leaves one by one to ``hashes`` (up to a gap) or ``result.stranded``."""
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


def _check_events(
    backend: _Log, topic: str, partition: int, hashes: list[bytes], result: _Partition
) -> set[int]:
    """Compare each stored event with its leaf; return the leaf indexes of the stored events.

    Pages of offsets and bodies are compared with the leaves in bulk; the records of a page that
    does not match are read whole, to name their events in the findings.
    """
    events = _Events(hashes, result)
    offset = 0
    while page := backend.bodies(topic, partition, offset, _PAGE):
        offsets, bodies = zip(*page, strict=True)
        if not events.take_page(offsets, leaf_hashes(bodies)):
            events.check(backend.read(topic, partition, offset, len(page)))
        _check_foreign(offsets, bodies, result)
        offset = offsets[-1] + 1
    result.events = len(events.stored) + result.uncovered - result.foreign
    return events.stored


def _check_foreign(offsets: tuple[int, ...], bodies: tuple[bytes, ...], result: _Partition) -> None:
    """Report the records of a page that no ledger writer produced (see ``events.foreign``)."""
    for offset, body in zip(offsets, bodies, strict=True):
        if is_foreign(body):
            result.foreign += 1
            result.findings.append(
                Finding(
                    result.topic,
                    result.partition,
                    offset,
                    FindingKind.FOREIGN,
                    "a record no ledger writer produced (hashed as a leaf; never an event)",
                )
            )


class _Events:
    """A partition's stored events checked against its leaves ``hashes``, page by page.

    Events before the tree's start (expired before the file kept trees) are only counted.
    """

    def __init__(self, hashes: list[bytes], result: _Partition) -> None:
        self.hashes, self.result = hashes, result
        self.stored: set[int] = set()
        """The leaf indexes of the events seen."""
        self.index_of = None if result.linear else {o: i for i, o in enumerate(result.offsets)}
        self.first = result.offset_of(0)
        self._where: dict[bytes, int] = {}  # leaf hash -> index, built at the first mismatch

    def leaf_of(self, offset: int) -> int:
        """The index of the leaf of the event at ``offset`` (past the leaves when it has none)."""
        if self.index_of is None:
            return offset - self.result.start
        return self.index_of.get(offset, len(self.hashes))

    def take_page(self, offsets: tuple[int, ...], computed: list[bytes]) -> bool:
        """Take a page whose every event matches its leaf, checked with a few list comparisons.

        That is the common case: the page's events are those of consecutive leaves (no gap, no
        duplicate, none before the tree), each hashing to its leaf. ``False`` (nothing taken)
        for any other page, to be checked event by event, which says what is wrong where.
        """
        low, count = self.leaf_of(offsets[0]), len(offsets)
        if offsets[0] < self.first or low + count > len(self.hashes):
            return False
        if self.index_of is None:
            expected = tuple(range(offsets[0], offsets[0] + count))
        else:
            expected = tuple(self.result.offsets[low : low + count])
        if offsets != expected or computed != self.hashes[low : low + count]:
            return False
        self.stored.update(range(low, low + count))
        return True

    def check(self, records: list[StoredRecord]) -> None:
        """Check a page event by event, recording what is wrong where."""
        result, hashes = self.result, self.hashes
        for record, hashed in zip(records, leaf_hashes(r.body for r in records), strict=True):
            if record.offset < self.first:
                result.uncovered += 1
                continue
            at = self.leaf_of(record.offset)
            self.stored.add(at)
            if at >= len(hashes):
                stranded = result.stranded.get(record.offset)
                if stranded is None:
                    result.found(at, FindingKind.INSERTED, f"event {record.id} has no leaf")
                elif hashed != stranded:
                    result.found(
                        at, FindingKind.MODIFIED, f"event {record.id} does not hash to its leaf"
                    )
            elif hashed != hashes[at]:
                self._where = self._where or {h: i for i, h in enumerate(hashes)}
                other = self._where.get(hashed)
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


def _check_missing(
    hashes: list[bytes], stored: set[int], policy: FamilyPolicy, result: _Partition
) -> None:
    """Leaves without events: *expired* where the family's policy removes events (compaction
    anywhere, retention from the oldest on), *missing* everywhere else."""
    if policy.cleanup is Cleanup.COMPACT:
        result.expired = len(hashes) - len(stored & set(range(len(hashes))))
        return
    keeps_all = policy.retention_ms == FOREVER and policy.retention_bytes == FOREVER
    first = 0 if keeps_all else min(stored, default=len(hashes))
    result.expired = first
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


def _check_claims(backend: _Log, result: _Partition, claims: list[_Claim]) -> None:
    """Every signed claim matches the rebuilt tree at its size, and each extends the one before.

    ``result.roots`` holds the tree's root at every claimed size up to ``result.leaves``. The
    leaves are read again only when a consistency proof has to be built.
    """
    result.unsigned = max(result.leaves - max((c.size for c in claims), default=0), 0)
    for claim in claims:
        if claim.size > result.leaves:
            result.found(
                result.leaves,
                FindingKind.TRUNCATED,
                f"{claim.source} signed {claim.size} leaves; {result.leaves} remain",
            )
        elif result.roots[claim.size] != claim.root:
            result.found(
                None,
                FindingKind.ROOT_MISMATCH,
                f"{claim.source} signed another root at size {claim.size}",
            )
    hashes: list[bytes] | None = None
    for old, new in pairwise(sorted(claims, key=lambda c: c.order)):
        if _needs_proof(old, new, result):
            hashes = hashes if hashes is not None else _leaf_hashes_again(backend, result)
            _check_extends(old, new, hashes, result)


def _needs_proof(old: _Claim, new: _Claim, result: _Partition) -> bool:
    """Whether only a consistency proof can tell that ``new`` extends ``old``."""
    if new.size < old.size:
        result.found(
            new.size,
            FindingKind.DOES_NOT_EXTEND,
            f"{new.source} ({new.size} leaves) is smaller than {old.source} ({old.size})",
        )
        return False
    if result.roots.get(old.size) == old.root and result.roots.get(new.size) == new.root:
        return False  # both are roots of the same stored leaves, so one extends the other
    return new.size <= result.leaves  # beyond: already truncated, no leaves to prove it from


def _leaf_hashes_again(backend: _Log, result: _Partition) -> list[bytes]:
    """The ``result.leaves`` leaves its pass rebuilt the tree from, read again."""
    again = _Partition(result.topic, result.partition)
    return _leaf_hashes(backend, result.topic, result.partition, again)[: result.leaves]


def _check_extends(old: _Claim, new: _Claim, hashes: list[bytes], result: _Partition) -> None:
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
