"""``Ledger.prove`` and ``Ledger.prove_consistency``: proofs against signed ledger heads.

Every proof is checked before it is returned, so a proof this module hands out always verifies.
An inclusion proof: the event's body hashes to its stored leaf, the audit path leads from that
leaf to the root the head signed for the event's partition, and (with a verifier) the head's
signature holds. A consistency proof: for every partition of the old head, the stored leaves
connect its old (size, root) to the new head's (RFC 9162 §2.1.4), and both heads' signatures
hold (with a verifier).

Consistency proof JSON, version 1 (``ConsistencyProof.to_json``)::

    {"format": "fleetledger-consistency", "version": 1, "namespace": "<namespace>",
     "old_head": "<signed ledger head note>", "new_head": "<signed ledger head note>",
     "partitions": [{"topic": "<topic>", "partition": <int>,
                     "old_size": <int>, "old_root": "<base64>",
                     "new_size": <int>, "new_root": "<base64>",
                     "proof": ["<base64>", ...]}, ...]}

Hashes are standard padded base64 (RFC 4648 §4) of 32 bytes; the heads are signed notes in the
format of :mod:`fleetledger.integrity.head`. A verifier in any language: checks both heads'
Ed25519 signatures with the ledger's public key (c2sp.org/signed-note) and that both name
``namespace``; checks that ``partitions`` has exactly one entry per line of the old head, in the
old head's order, whose ``old_size``/``old_root`` are that line's and whose
``new_size``/``new_root`` are the new head's line for the same partition (the sizes and roots
are repeated for readability and must match the signed heads); then checks each ``proof`` with
RFC 9162 §2.1.4.2 from ``(old_size, old_root)`` to ``(new_size, new_root)``, where an old size
of 0 or equal sizes take an empty proof. Partitions only in the new head extend the empty tree,
so there is nothing to prove for them.
"""

from __future__ import annotations

import base64
import functools
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from fleetledger.backends.protocols import (
    HEAD,
    ProvableLog,
    ReadableLog,
    StoredCheckpoint,
    StoredRecord,
    supports,
)
from fleetledger.errors import IntegrityError, NotFound, ProofError, WrongOrigin
from fleetledger.integrity import (
    LedgerHead,
    NoteVerifier,
    PartitionHead,
    SubtreeHash,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    open_ledger_head,
    parse_note,
    subtrees_from_leaves,
    verify_consistency,
    verify_inclusion,
)

CONSISTENCY_FORMAT = "fleetledger-consistency"
LATEST = "latest"

HeadRef = int | str | bytes
"""A ledger head: a stored head's number (from 1, in the order heads were signed),
``"latest"``, or a signed head note."""


@dataclass(frozen=True)
class InclusionProof:
    """Event ``event_id`` is leaf ``index`` of its partition's tree of ``size`` leaves."""

    event_id: str
    topic: str
    partition: int
    index: int
    size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    head: str
    checkpoint: str | None

    def to_json(self) -> dict[str, Any]:
        """The proof as JSON-ready values, hashes in standard base64."""
        return {
            "event_id": self.event_id,
            "topic": self.topic,
            "partition": self.partition,
            "leaf_index": self.index,
            "tree_size": self.size,
            "leaf_hash": _b64(self.leaf_hash),
            "audit_path": [_b64(h) for h in self.path],
            "head": self.head,
            "checkpoint": self.checkpoint,
        }


def prove_event(
    backend: ReadableLog, namespace: str, event_id: str, verifier: NoteVerifier | None
) -> InclusionProof:
    """Prove ``event_id`` against the newest signed head of ``namespace`` that covers it."""
    log = provable(backend)
    record = backend.find(event_id)
    if record is None:
        raise NotFound(f"no event with id {event_id!r}")
    notes = log.checkpoints(namespace)
    index = log.leaf_index(record.topic, record.partition, record.offset)
    if index is None:
        raise NotFound(f"event {event_id} has no leaf in its partition's tree")
    head_row, head = _covering_head(notes, namespace, record, index, verifier)
    line = head.partition(record.topic, record.partition)
    hashed, path = checked_path(log, record, index, line, leaf_subtrees(log, record))
    return InclusionProof(
        event_id,
        record.topic,
        record.partition,
        index,
        line.size,
        hashed,
        tuple(path),
        head_row.note.decode(),
        checkpoint_note(notes, record.topic, record.partition, line.size),
    )


@dataclass(frozen=True)
class ProofMaterial:
    """An event's stored bytes and its inclusion proof as storage holds them, checked by no one.

    What a verifier that trusts nothing this side says needs (the web UI's event page): it
    hashes ``body`` itself, walks ``proof``'s path to the root the head signed, and checks the
    head's signature with a key of its own. Unlike :func:`prove_event`, nothing here is
    verified first, so a tampered ledger hands out material that fails there, visibly, rather
    than an error that only says so.
    """

    body: bytes
    proof: InclusionProof

    def to_json(self) -> dict[str, Any]:
        """``{"body": <base64 of the stored bytes>, "proof": <InclusionProof.to_json()>}``."""
        return {"body": _b64(self.body), "proof": self.proof.to_json()}


def proof_material(backend: ReadableLog, namespace: str, event_id: str) -> ProofMaterial:
    """``event_id``'s stored body and its proof against the newest head covering its leaf:
    the leaf hash as stored, the path from the stored leaves, the head's note unopened."""
    log = provable(backend)
    record = backend.find(event_id)
    if record is None:
        raise NotFound(f"no event with id {event_id!r}")
    index = log.leaf_index(record.topic, record.partition, record.offset)
    leaves = [] if index is None else log.leaves(record.topic, record.partition, index, 1)
    if index is None or not leaves:
        raise NotFound(f"event {event_id} has no leaf in its partition's tree")
    notes = log.checkpoints(namespace)
    head_row, head = _covering_head(notes, namespace, record, index, None)
    size = head.partition(record.topic, record.partition).size
    path = inclusion_proof(leaf_subtrees(log, record), index=index, size=size)
    proof = InclusionProof(
        event_id,
        record.topic,
        record.partition,
        index,
        size,
        leaves[0].hash,
        tuple(path),
        head_row.note.decode(),
        checkpoint_note(notes, record.topic, record.partition, size),
    )
    return ProofMaterial(record.body, proof)


def provable(backend: ReadableLog) -> ProvableLog:
    """``backend`` as a log that keeps Merkle trees; :class:`IntegrityError` if it keeps none."""
    if not supports(backend, ProvableLog):
        raise IntegrityError("this ledger keeps no Merkle trees (memory://): nothing to prove")
    return cast(ProvableLog, backend)


def numbered_heads(notes: list[StoredCheckpoint]) -> list[tuple[int, StoredCheckpoint]]:
    """The ledger heads among ``notes`` with their numbers: 1 for the first signed, and so on.

    Notes are stored (and mirrored) in the order they were signed, so a head has the same
    number on every backend and every copy, whatever the storage's own sequence numbers.
    """
    heads = [row for row in notes if row.kind == HEAD]
    return list(enumerate(heads, start=1))


def open_head(note: bytes, namespace: str, verifier: NoteVerifier | None) -> LedgerHead:
    """The head in ``note``: its signature checked with ``verifier`` when there is one."""
    if verifier is not None:
        return open_ledger_head(note, verifier, namespace=namespace)
    head = LedgerHead.parse(parse_note(note)[0])
    if head.namespace != namespace:
        raise WrongOrigin(expected=namespace, actual=head.namespace)
    return head


def leaf_subtrees(log: ProvableLog, record: StoredRecord) -> SubtreeHash:
    """Subtree hashes of the record's partition from its stored leaves, each computed once.

    Proofs of several leaves of one tree share most of their subtrees, so the cache makes a
    bundle of many events cost about one pass over the partition's leaves.
    """
    topic, partition = record.topic, record.partition

    def hashes(start: int, end: int) -> list[bytes]:
        return [leaf.hash for leaf in log.leaves(topic, partition, start, end - start)]

    return functools.cache(subtrees_from_leaves(hashes))


def checked_path(
    log: ProvableLog, record: StoredRecord, index: int, line: PartitionHead, subtree: SubtreeHash
) -> tuple[bytes, list[bytes]]:
    """The record's leaf hash and its verified audit path to ``line``'s root."""
    leaves = log.leaves(record.topic, record.partition, index, 1)
    hashed = leaf_hash(record.body)
    if not leaves or leaves[0].idx != index or leaves[0].hash != hashed:
        raise IntegrityError(f"event {record.id} does not match its stored leaf; run verify")
    path = inclusion_proof(subtree, index=index, size=line.size)
    verify_inclusion(hashed, path, index=index, size=line.size, root=line.root)
    return hashed, path


def _covering_head(
    notes: list[StoredCheckpoint],
    namespace: str,
    record: StoredRecord,
    index: int,
    verifier: NoteVerifier | None,
) -> tuple[StoredCheckpoint, LedgerHead]:
    """The newest head whose line for the record's partition includes its leaf ``index``."""
    topic, partition, offset = record.position
    for row in reversed(notes):
        if row.kind != HEAD:
            continue
        head = open_head(row.note, namespace, verifier)
        try:
            if head.partition(topic, partition).size > index:
                return row, head
        except NotFound:
            continue
        break  # the newest head covering the partition does not reach the event yet
    raise NotFound(
        f"no signed ledger head covers {topic}/{partition} offset {offset} yet: open the"
        " ledger with a key and append or close it to sign a checkpoint"
    )


def checkpoint_note(
    notes: list[StoredCheckpoint], topic: str, partition: int, size: int
) -> str | None:
    """The newest stored checkpoint of the partition at ``size``, if there is one."""
    for row in reversed(notes):
        if row.kind != HEAD and (row.topic, row.partition, row.size) == (topic, partition, size):
            return row.note.decode()
    return None


# -- consistency -------------------------------------------------------------------------------


class StoredHead(NamedTuple):
    """A signed ledger head: its number (from 1, in signing order), total leaves, partitions."""

    number: int
    size: int
    partitions: int


@dataclass(frozen=True)
class PartitionConsistency:
    """One partition's tree of ``new_size`` leaves extends its tree of ``old_size`` leaves."""

    topic: str
    partition: int
    old_size: int
    old_root: bytes
    new_size: int
    new_root: bytes
    proof: tuple[bytes, ...]

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON-ready values, hashes in standard base64."""
        return {
            "topic": self.topic,
            "partition": self.partition,
            "old_size": self.old_size,
            "old_root": _b64(self.old_root),
            "new_size": self.new_size,
            "new_root": _b64(self.new_root),
            "proof": [_b64(h) for h in self.proof],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    """The new head extends the old one in every partition of the old head (verified)."""

    namespace: str
    old_head: str
    new_head: str
    partitions: tuple[PartitionConsistency, ...]
    old_number: int | None = None
    """The old head's number when it is a stored head."""
    new_number: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The proof in the documented JSON form (see the module docstring)."""
        return {
            "format": CONSISTENCY_FORMAT,
            "version": 1,
            "namespace": self.namespace,
            "old_head": self.old_head,
            "new_head": self.new_head,
            "partitions": [entry.to_json() for entry in self.partitions],
        }


def stored_heads(backend: ReadableLog, namespace: str) -> list[StoredHead]:
    """Every stored ledger head of ``namespace``, oldest first (read, not verified)."""
    rows = provable(backend).checkpoints(namespace)
    return [
        StoredHead(number, row.size, len(LedgerHead.parse(parse_note(row.note)[0]).partitions))
        for number, row in numbered_heads(rows)
    ]


def prove_consistency(
    backend: ReadableLog,
    namespace: str,
    old: HeadRef,
    new: HeadRef,
    verifier: NoteVerifier | None,
) -> ConsistencyProof:
    """Prove that head ``new`` extends ``old``; :class:`ProofError` names where it does not."""
    log = provable(backend)
    notes = log.checkpoints(namespace)
    (old_note, old_number), (new_note, new_number) = _find_head(notes, old), _find_head(notes, new)
    old_head = open_head(old_note, namespace, verifier)
    new_head = open_head(new_note, namespace, verifier)
    entries, failures = [], []
    for line in old_head.partitions:
        try:
            entries.append(_extends(log, line, new_head))
        except IntegrityError as exc:
            failures.append(f"{line.topic}/{line.partition}: {exc}")
    if failures:
        names = (
            f"{_name(new_number, 'the new head')} does not extend"
            f" {_name(old_number, 'the old head')}"
        )
        raise ProofError(f"{names}: {'; '.join(failures)}")
    return ConsistencyProof(
        namespace, old_note.decode(), new_note.decode(), tuple(entries), old_number, new_number
    )


def _find_head(notes: list[StoredCheckpoint], ref: HeadRef) -> tuple[bytes, int | None]:
    """The signed note ``ref`` names, and its number when it is a stored head."""
    heads = numbered_heads(notes)
    if isinstance(ref, bytes):
        return ref, None
    if ref == LATEST:
        if not heads:
            raise NotFound(
                "no signed ledger head yet: open the ledger with a key and append or close it"
            )
        number, row = heads[-1]
        return row.note, number
    if isinstance(ref, str):
        return ref.encode(), None
    if isinstance(ref, bool) or not isinstance(ref, int) or not 1 <= ref <= len(heads):
        raise NotFound(
            f"no stored ledger head #{ref} ({len(heads)} heads, numbered from 1);"
            " fleetledger prove --heads lists them"
        )
    return heads[ref - 1][1].note, ref


def _extends(log: ProvableLog, old: PartitionHead, new_head: LedgerHead) -> PartitionConsistency:
    """The verified proof that the partition's line in ``new_head`` extends ``old``."""
    try:
        new = new_head.partition(old.topic, old.partition)
    except NotFound:
        raise ProofError("the new head has no line for this partition") from None
    if new.size < old.size:
        raise ProofError(f"the tree shrank from {old.size} to {new.size} leaves")

    def hashes(start: int, end: int) -> list[bytes]:
        return [leaf.hash for leaf in log.leaves(old.topic, old.partition, start, end - start)]

    sizes = {"old_size": old.size, "new_size": new.size}
    proof = consistency_proof(subtrees_from_leaves(hashes), **sizes)
    verify_consistency(proof, **sizes, old_root=old.root, new_root=new.root)
    return PartitionConsistency(
        old.topic, old.partition, old.size, old.root, new.size, new.root, tuple(proof)
    )


def _name(number: int | None, fallback: str) -> str:
    return fallback if number is None else f"ledger head #{number}"


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
