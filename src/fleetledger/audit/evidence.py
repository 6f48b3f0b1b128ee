"""``Ledger.evidence``: collect one task's evidence bundle against the newest signed ledger head.

The bundle (format in :mod:`fleetledger.integrity.bundle`) holds every stored event of the task
in the ledger's namespace, each with its inclusion proof against one head: the newest, which
must cover them all. An event appended after it is not covered yet, and then there is no bundle
to give (:class:`NotFound` says how to get a new head signed) rather than a bundle that quietly
leaves the newest events out. Every proof is checked while it is built, and with a known key
the finished bundle is put through the same offline check an auditor runs, so a bundle this
module hands out always verifies.
"""

from __future__ import annotations

from collections import defaultdict

from fleetledger.audit.prove import (
    checked_path,
    checkpoint_note,
    leaf_subtrees,
    numbered_heads,
    open_head,
    provable,
)
from fleetledger.backends.protocols import (
    HANDOVER,
    ProvableLog,
    ReadableLog,
    StoredCheckpoint,
    StoredRecord,
)
from fleetledger.errors import IntegrityError, NotFound
from fleetledger.integrity import (
    BundleEvent,
    EvidenceBundle,
    LedgerHead,
    ManifestEntry,
    NoteVerifier,
    SubtreeHash,
    key_chain,
    verify_bundle,
)
from fleetledger.topics.naming import is_family_topic


def collect_evidence(
    backend: ReadableLog, namespace: str, task: str, verifier: NoteVerifier | None
) -> EvidenceBundle:
    """The evidence bundle of ``task`` in ``namespace``, proved against the newest signed head."""
    log = provable(backend)
    records = [r for r in backend.read_subject(task) if is_family_topic(r.topic, namespace)]
    if not records:
        raise NotFound(f"no events of task {task!r} in namespace {namespace!r}")
    notes = log.checkpoints(namespace)
    heads = numbered_heads(notes)
    if not heads:
        raise NotFound(f"no signed ledger head yet: {_SIGN_ONE}")
    seq, newest = heads[-1]
    note = newest.note
    handovers = [row.note for row in notes if row.kind == HANDOVER]
    if verifier is not None and handovers:  # the newest head is signed by the chain's last key
        verifier = key_chain(handovers, verifier, namespace=namespace).current
    head = open_head(note, namespace, verifier)
    trees: dict[tuple[str, int], SubtreeHash] = {}
    events = []
    for record in records:
        subtree = trees.setdefault((record.topic, record.partition), leaf_subtrees(log, record))
        events.append(_prove(log, head, seq, record, subtree))
    bundle = EvidenceBundle(
        namespace=namespace,
        task=task,
        head=note.decode(),
        key=None if verifier is None else verifier.vkey,
        checkpoints=_checkpoints(notes, head, trees),
        manifest=_manifest(events),
        events=tuple(events),
        handovers=tuple(handover.decode() for handover in handovers),
    )
    _check(bundle, verifier)
    return bundle


_SIGN_ONE = (
    "a head is signed every checkpoint_events events or checkpoint_seconds seconds by a ledger"
    " opened with its key, and when it is closed; then collect again"
)


def _prove(
    log: ProvableLog, head: LedgerHead, seq: int, record: StoredRecord, subtree: SubtreeHash
) -> BundleEvent:
    topic, partition, offset = record.position
    index = log.leaf_index(topic, partition, offset)
    if index is None:
        raise NotFound(f"event {record.id} at {record.position} has no leaf in its tree")
    try:
        line = head.partition(topic, partition)
    except NotFound:
        line = None
    if line is None or index >= line.size:
        raise NotFound(
            f"the newest signed ledger head (#{seq}) does not cover event {record.id} at"
            f" {record.position} yet: {_SIGN_ONE}"
        )
    _, path = checked_path(log, record, index, line, subtree)
    return BundleEvent(
        topic=topic,
        partition=partition,
        offset=offset,
        leaf_index=index,
        tree_size=line.size,
        body=record.body,
        audit_path=tuple(path),
    )


def _checkpoints(
    notes: list[StoredCheckpoint], head: LedgerHead, partitions: dict[tuple[str, int], SubtreeHash]
) -> tuple[str, ...]:
    """The stored checkpoints at the head's size of each partition the bundle touches."""
    found = []
    for topic, partition in sorted(partitions):
        size = head.partition(topic, partition).size
        note = checkpoint_note(notes, topic, partition, size)
        if note is not None:
            found.append(note)
    return tuple(found)


def _manifest(events: list[BundleEvent]) -> tuple[ManifestEntry, ...]:
    leaves: dict[tuple[str, int], list[int]] = defaultdict(list)
    for event in events:
        leaves[(event.topic, event.partition)].append(event.leaf_index)
    return tuple(
        ManifestEntry(topic=topic, partition=partition, leaves=tuple(sorted(indexes)))
        for (topic, partition), indexes in sorted(leaves.items())
    )


def _check(bundle: EvidenceBundle, verifier: NoteVerifier | None) -> None:
    """Refuse to hand out a bundle that would not pass the auditor's check with the key."""
    if verifier is None:
        return  # each proof was verified as it was built; there is no key to check more with
    result = verify_bundle(bundle, verifier)
    if not result.ok:
        first = result.findings[0]
        raise IntegrityError(
            f"the collected bundle does not verify ({first.kind}: {first.detail}); run verify"
        )
