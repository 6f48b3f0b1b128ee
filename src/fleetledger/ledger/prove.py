"""``Ledger.prove``: an inclusion proof of one event against the latest signed ledger head.

The proof is checked before it is returned, so a proof this module hands out always verifies:
the event's body hashes to its stored leaf, the audit path leads from that leaf to the root the
head signed for the event's partition, and (with a verifier) the head's signature holds.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from fleetledger.backends.protocols import (
    ProvableLog,
    ReadableLog,
    StoredCheckpoint,
    StoredRecord,
)
from fleetledger.errors import IntegrityError, NotFound
from fleetledger.integrity import (
    LedgerHead,
    NoteVerifier,
    inclusion_proof,
    leaf_hash,
    open_ledger_head,
    parse_note,
    subtrees_from_leaves,
    verify_inclusion,
)


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
    if not isinstance(backend, ProvableLog):
        raise IntegrityError(f"{type(backend).__name__} keeps no Merkle trees to prove from")
    record = backend.find(event_id)
    if record is None:
        raise NotFound(f"no event with id {event_id!r}")
    notes = backend.checkpoints(namespace)
    index = backend.leaf_index(record.topic, record.partition, record.offset)
    if index is None:
        raise NotFound(f"event {event_id} has no leaf in its partition's tree")
    head_row, head = _covering_head(notes, namespace, record, index, verifier)
    line = head.partition(record.topic, record.partition)
    leaves = backend.leaves(record.topic, record.partition, index, 1)
    hashed = leaf_hash(record.body)
    if not leaves or leaves[0].idx != index or leaves[0].hash != hashed:
        raise IntegrityError(f"event {event_id} does not match its stored leaf; run verify")

    def hashes(start: int, end: int) -> list[bytes]:
        return [
            leaf.hash for leaf in backend.leaves(record.topic, record.partition, start, end - start)
        ]

    path = inclusion_proof(subtrees_from_leaves(hashes), index=index, size=line.size)
    verify_inclusion(hashed, path, index=index, size=line.size, root=line.root)
    return InclusionProof(
        event_id,
        record.topic,
        record.partition,
        index,
        line.size,
        hashed,
        tuple(path),
        head_row.note.decode(),
        _checkpoint_note(notes, record.topic, record.partition, line.size),
    )


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
        if row.kind != "head":
            continue
        if verifier is None:
            head = LedgerHead.parse(parse_note(row.note)[0])
        else:
            head = open_ledger_head(row.note, verifier, namespace=namespace)
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


def _checkpoint_note(
    notes: list[StoredCheckpoint], topic: str, partition: int, size: int
) -> str | None:
    for row in reversed(notes):
        if row.kind == "partition" and (row.topic, row.partition, row.size) == (
            topic,
            partition,
            size,
        ):
            return row.note.decode()
    return None


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()
