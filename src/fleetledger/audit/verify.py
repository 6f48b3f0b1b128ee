"""``Ledger.verify``: recompute every partition's tree from what is stored and check its claims.

Three layers are checked against each other, per partition of the ledger's namespace:

- each stored event's leaf hash against its stored leaf (*modified*, *reordered* when the
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
releases the GIL) while the calling thread checks the partitions one by one, each in one
streaming pass over its leaves and events (:mod:`.partition`) that keeps of the rebuilt tree
only its roots at the claimed sizes, so memory does not grow with the ledger. Then the claims
of the notes whose signature verified are checked against those roots; a partition's leaves
are read again only for a consistency proof, when two successive claims are not both roots
of its stored leaves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple, cast

from fleetledger.audit.columns import mismatches
from fleetledger.audit.findings import Finding, FindingKind
from fleetledger.audit.partition import PAGE, SCAN, Log, Partition, Walk, tree_leaves
from fleetledger.audit.prove import numbered_heads, provable
from fleetledger.backends.protocols import (
    HANDOVER,
    HEAD,
    ReadableLog,
    ScannedLog,
    StoredCheckpoint,
    TopicPartition,
    supports,
)
from fleetledger.errors import NoteError, ProofError, VerificationFailed, WrongOrigin
from fleetledger.integrity import (
    Checkpoint,
    KeyHandover,
    LedgerHead,
    NoteVerifier,
    consistency_proof,
    key_chain,
    open_checkpoint,
    open_handover_head,
    open_ledger_head,
    parse_note,
    subtrees_of,
    verify_consistency,
)
from fleetledger.topics import FamilyPolicy, checkpoint_origin

_SIGNATURE_THREADS = 2
MAX_FINDINGS_PER_PARTITION = 100

Progress = Callable[[int, int], None]
"""``progress(done, total)``: partitions checked so far, of how many."""


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
    ``progress(done, total)`` hears how far the partitions are checked (offsets passed, of
    all their offsets)."""
    log = cast(Log, provable(backend))
    every = [
        (t, p, policy) for t, policy in sorted(topics.items()) for p in range(policy.partitions)
    ]
    stored = log.checkpoints(namespace)
    said = [
        open_stored_note(row, namespace, None) for row in stored
    ]  # what the notes claim, unverified
    claimed = _claimed_sizes(_read_notes(stored, said))
    keys, chain_findings = note_keys(stored, namespace, verifier)
    with ThreadPoolExecutor(_SIGNATURE_THREADS, thread_name_prefix="verify") as pool:
        opened: Iterable[NoteRead] = said
        if verifier is not None:  # submitted now, checked while the partitions are
            opened = pool.map(open_stored_note, stored, [namespace] * len(stored), keys)
        walks = {(t, p): Walk(log, t, p, pol, claimed.get((t, p), set())) for t, p, pol in every}
        results = _walk_all(log, walks, progress)
        if deep:
            for (_, _, policy), result in zip(every, results, strict=True):
                _check_columns(log, policy, result)
        notes = _read_notes(stored, list(opened))
    for result in results:
        _check_claims(log, result, notes.claims.get((result.topic, result.partition), []))
    findings = [f for r in results for f in r.sorted_findings()[:MAX_FINDINGS_PER_PARTITION]]
    return Verification(
        findings=tuple(chain_findings + notes.findings + findings),
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

NoteRead = Checkpoint | LedgerHead | NoteError | None
"""A note read: what it says, or why it cannot be trusted (``None``: a key handover, which
:func:`note_keys` follows)."""
NoteKey = NoteVerifier | KeyHandover | None
"""What checks one note: the key in force where it is stored, or for a handover head the
handover whose two keys both sign it."""


def open_stored_note(row: StoredCheckpoint, namespace: str, verifier: NoteKey) -> NoteRead:
    """Read one note, checking its signature with ``verifier`` (if any); never raises.
    Shared with ``verify-export``, which reads the same notes from an export's heads table."""
    try:
        if row.kind == HANDOVER:
            return None
        if isinstance(verifier, KeyHandover):
            head = LedgerHead.parse(open_handover_head(row.note, verifier))
            if head.namespace != namespace:
                raise WrongOrigin(expected=namespace, actual=head.namespace)
            return head
        if row.kind == HEAD:
            return _open_head(row, namespace, verifier)
        return _open_checkpoint(row, namespace, verifier)
    except NoteError as exc:
        return exc


def note_keys(
    stored: list[StoredCheckpoint], namespace: str, verifier: NoteVerifier | None
) -> tuple[list[NoteKey], list[Finding]]:
    """The key that checks each stored note, following the key handovers from ``verifier``
    (:func:`fleetledger.integrity.key_chain`), and a finding for each handover not followed."""
    if verifier is None:
        return [None] * len(stored), []
    handovers = [row for row in stored if row.kind == HANDOVER]
    chain = key_chain([row.note for row in handovers], verifier, namespace=namespace)
    findings = [
        Finding(namespace, None, None, FindingKind.BAD_SIGNATURE, f"key handover #{i + 1}: {why}")
        for i, why in chain.problems
    ]
    keys: list[NoteKey] = []
    stretch, after = 0, False
    for row in stored:
        handover = chain.handovers[stretch - 1] if after and stretch else None
        if row.kind == HANDOVER:
            stretch, after = stretch + 1, True
            keys.append(None)
            continue
        if row.kind == HEAD and after:
            keys.append(handover if handover is not None else chain.keys[stretch])
            after = False
            continue
        keys.append(chain.keys[stretch])
    return keys, findings


def _read_notes(stored: list[StoredCheckpoint], opened: list[NoteRead]) -> _Notes:
    """The claims of the notes read, and a bad-signature finding for each that could not be."""
    notes = _Notes(count=len(stored))
    numbers = {row.seq: number for number, row in numbered_heads(stored)}
    for order, (row, note) in enumerate(zip(stored, opened, strict=True)):
        name = _note_name(row, order + 1, numbers)
        if note is None:
            continue
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


def _walk_all(
    log: Log, walks: dict[TopicPartition, Walk], progress: Progress | None
) -> list[Partition]:
    """Every partition's pass (see :mod:`.partition`): all in one scan of the storage where
    the log offers it (a partition it stored out of offset order is walked again on its own),
    else one partition after the other. ``progress`` hears of offsets passed, of the total."""
    ends = dict.fromkeys(walks, 0)
    total = sum(end.end for topic in {t for t, _ in walks} for end in log.offsets(topic))
    disordered: set[TopicPartition] = set()
    if supports(log, ScannedLog):
        for topic, partition, leaves, events in cast(ScannedLog, log).scan(list(walks), SCAN):
            walk = walks[(topic, partition)]
            if (topic, partition) in disordered or not walk.follows(leaves, events):
                disordered.add((topic, partition))
                continue
            walk.take(leaves, events)
            if progress is not None:
                ends[(topic, partition)] = walk.reached
                progress(sum(ends.values()), total)
        for tp in disordered:
            walks[tp] = Walk(log, *tp, walks[tp].policy, walks[tp].claimed)
            walks[tp].run()
    else:
        for tp, walk in walks.items():
            walk.run()
            if progress is not None:
                ends[tp] = walk.reached
                progress(sum(ends.values()), total)
    return [walk.finish() for walk in walks.values()]


def _check_columns(backend: Log, policy: FamilyPolicy, result: Partition) -> None:
    """Each stored event's indexed columns against its bytes (``verify --deep``)."""
    offset = 0
    while records := backend.read(result.topic, result.partition, offset, PAGE):
        for record, problem in mismatches(records, policy):
            result.at(record.offset, FindingKind.MISINDEXED, f"event {record.id}: {problem}")
        offset = records[-1].offset + 1


def _check_claims(backend: Log, result: Partition, claims: list[_Claim]) -> None:
    """Every signed claim matches the rebuilt tree at its size, and each extends the one before.

    ``result.roots`` holds the tree's root at every claimed size up to ``result.leaves``. The
    leaves are read again only when a consistency proof has to be built.
    """
    result.unsigned = max(result.leaves - max((c.size for c in claims), default=0), 0)
    for claim in claims:
        if claim.size > result.leaves:
            result.at_leaf(
                result.leaves,
                FindingKind.TRUNCATED,
                f"{claim.source} signed {claim.size} leaves; {result.leaves} remain",
            )
        elif result.roots[claim.size] != claim.root:
            result.at_leaf(
                None,
                FindingKind.ROOT_MISMATCH,
                f"{claim.source} signed another root at size {claim.size}",
            )
    hashes: list[bytes] | None = None
    for old, new in pairwise(sorted(claims, key=lambda c: c.order)):
        if _needs_proof(old, new, result):
            hashes = hashes if hashes is not None else tree_leaves(backend, result)
            _check_extends(old, new, hashes, result)


def _needs_proof(old: _Claim, new: _Claim, result: Partition) -> bool:
    """Whether only a consistency proof can tell that ``new`` extends ``old``."""
    if new.size < old.size:
        result.at_leaf(
            new.size,
            FindingKind.DOES_NOT_EXTEND,
            f"{new.source} ({new.size} leaves) is smaller than {old.source} ({old.size})",
        )
        return False
    if result.roots.get(old.size) == old.root and result.roots.get(new.size) == new.root:
        return False  # both are roots of the same stored leaves, so one extends the other
    return new.size <= result.leaves  # beyond: already truncated, no leaves to prove it from


def _check_extends(old: _Claim, new: _Claim, hashes: list[bytes], result: Partition) -> None:
    proof = consistency_proof(subtrees_of(hashes), old_size=old.size, new_size=new.size)
    try:
        verify_consistency(
            proof, old_size=old.size, new_size=new.size, old_root=old.root, new_root=new.root
        )
    except ProofError as exc:
        result.at_leaf(None, FindingKind.DOES_NOT_EXTEND, f"{new.source} vs {old.source}: {exc}")
