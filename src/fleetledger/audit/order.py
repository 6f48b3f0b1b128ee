"""``Ledger.prove_order``: an order proof (:mod:`fleetledger.integrity.order`) from stored heads.

When the later event's bytes name the earlier one and its leaf hash (the ``orderedafter`` link
the ledger stamps when an ordering rule is satisfied at append), that link is the proof, under
the newest signed head that covers both: it exists even for events committed between the same
two heads. Otherwise:
Two events in one partition are ordered by their leaves under the newest signed head that
covers both. Events in different partitions are ordered when some signed head includes the
earlier and not yet the later: the oldest head including the earlier is the one to try (every
later head has grown), and the newest head covering both, with consistency proofs from the
older head, shows the later event arrived after it. Pairs committed between the same two heads
in different partitions have no such proof unless a hash link joins them.
The proof is checked with :func:`~fleetledger.integrity.order.verify_order` before it is
returned when a verifier is known.
"""

from __future__ import annotations

from typing import NamedTuple

from fleetledger.audit.prove import (
    checked_path,
    leaf_subtrees,
    numbered_heads,
    open_head,
    provable,
)
from fleetledger.backends.protocols import ProvableLog, ReadableLog, StoredRecord
from fleetledger.errors import NotFound, ProofError
from fleetledger.integrity import (
    EMPTY_ROOT,
    LedgerHead,
    NoteVerifier,
    consistency_proof,
    subtrees_from_leaves,
    verify_consistency,
)
from fleetledger.integrity.order import (
    ACROSS_PARTITIONS,
    HASH_LINK,
    SAME_PARTITION,
    EarlierHead,
    OrderedEvent,
    OrderProof,
    PartitionExtension,
    links,
    verify_order,
)


class _Leaf(NamedTuple):
    """A stored event and its leaf index."""

    record: StoredRecord
    leaf_index: int

    @property
    def where(self) -> tuple[str, int]:
        return self.record.topic, self.record.partition


class _Head(NamedTuple):
    number: int
    note: bytes
    head: LedgerHead


def prove_order(
    backend: ReadableLog,
    namespace: str,
    earlier_id: str,
    later_id: str,
    verifier: NoteVerifier | None,
) -> OrderProof:
    """Prove ``earlier_id`` was committed before ``later_id``; :class:`ProofError` if no stored
    head shows it (the reverse order, the same event, or both between the same two heads)."""
    log = provable(backend)
    earlier, later = _leaf(log, backend, earlier_id), _leaf(log, backend, later_id)
    if earlier.record.id == later.record.id:
        raise ProofError(f"{earlier_id} and {later_id} are the same event")
    if links(earlier.record.body, later.record.id, later.record.body):
        raise ProofError(
            f"{earlier_id} names {later_id} as the event it was ordered after: the order is the"
            " reverse"
        )
    heads = _heads(log, namespace, verifier)
    newest = _newest_covering(heads, earlier, later)
    if links(later.record.body, earlier.record.id, earlier.record.body):
        proof = _hash_link(log, namespace, newest, earlier, later)
    elif earlier.where == later.where:
        proof = _same_partition(log, namespace, newest, earlier, later)
    else:
        proof = _across(log, namespace, heads, newest, earlier=earlier, later=later)
    if verifier is not None:
        verify_order(proof, verifier)
    return proof


def _leaf(log: ProvableLog, backend: ReadableLog, event_id: str) -> _Leaf:
    record = backend.find(event_id)
    if record is None:
        raise NotFound(f"no event with id {event_id!r}")
    index = log.leaf_index(record.topic, record.partition, record.offset)
    if index is None:
        raise NotFound(f"event {event_id} has no leaf in its partition's tree")
    return _Leaf(record, index)


def _heads(log: ProvableLog, namespace: str, verifier: NoteVerifier | None) -> list[_Head]:
    rows = numbered_heads(log.checkpoints(namespace))
    return [
        _Head(number, row.note, open_head(row.note, namespace, verifier)) for number, row in rows
    ]


def _size(head: LedgerHead, where: tuple[str, int]) -> int:
    try:
        return head.partition(*where).size
    except NotFound:
        return 0


def _covers(head: LedgerHead, leaf: _Leaf) -> bool:
    return _size(head, leaf.where) > leaf.leaf_index


def _newest_covering(heads: list[_Head], earlier: _Leaf, later: _Leaf) -> _Head:
    for head in reversed(heads):
        if _covers(head.head, earlier) and _covers(head.head, later):
            return head
    raise NotFound(
        "no signed ledger head covers both events yet: open the ledger with a key and append"
        " or close it to sign one"
    )


def _hash_link(
    log: ProvableLog, namespace: str, newest: _Head, earlier: _Leaf, later: _Leaf
) -> OrderProof:
    return OrderProof(
        namespace=namespace,
        method=HASH_LINK,
        head=newest.note.decode(),
        earlier=_ordered(log, earlier, newest.head),
        later=_ordered(log, later, newest.head),
        before=None,
    )


def _same_partition(
    log: ProvableLog, namespace: str, newest: _Head, earlier: _Leaf, later: _Leaf
) -> OrderProof:
    if earlier.leaf_index > later.leaf_index:
        raise ProofError(
            f"{earlier.record.id} comes after {later.record.id} in"
            f" {earlier.record.topic}/{earlier.record.partition}"
            f" (leaf {earlier.leaf_index} > leaf {later.leaf_index}): the order is the reverse"
        )
    return OrderProof(
        namespace=namespace,
        method=SAME_PARTITION,
        head=newest.note.decode(),
        earlier=_ordered(log, earlier, newest.head),
        later=_ordered(log, later, newest.head),
        before=None,
    )


def _across(
    log: ProvableLog,
    namespace: str,
    heads: list[_Head],
    newest: _Head,
    *,
    earlier: _Leaf,
    later: _Leaf,
) -> OrderProof:
    first = next(head for head in heads if _covers(head.head, earlier))
    if _covers(first.head, later):
        raise ProofError(_why_not(heads, earlier, later, first))
    size, path = _inclusion(log, earlier, first.head)
    return OrderProof(
        namespace=namespace,
        method=ACROSS_PARTITIONS,
        head=newest.note.decode(),
        earlier=_ordered(log, earlier, newest.head),
        later=_ordered(log, later, newest.head),
        before=EarlierHead(
            head=first.note.decode(),
            tree_size=size,
            audit_path=path,
            consistency=tuple(
                _extension(log, where, first.head, newest.head)
                for where in (earlier.where, later.where)
            ),
        ),
    )


def _why_not(heads: list[_Head], earlier: _Leaf, later: _Leaf, first: _Head) -> str:
    """Why no head orders the pair: the reverse order holds, or both came under one head."""
    a, b = earlier.record.id, later.record.id
    first_later = next(head for head in heads if _covers(head.head, later))
    if not _covers(first_later.head, earlier):
        return (
            f"{b} was committed before {a} (ledger head #{first_later.number} includes {b}"
            f" and not {a}): the order is the reverse"
        )
    return (
        f"no signed head shows {a} before {b}: ledger head #{first.number}, the first to"
        f" include {a}, includes {b} too"
    )


def _inclusion(log: ProvableLog, leaf: _Leaf, head: LedgerHead) -> tuple[int, tuple[bytes, ...]]:
    line = head.partition(*leaf.where)
    _, path = checked_path(log, leaf.record, leaf.leaf_index, line, leaf_subtrees(log, leaf.record))
    return line.size, tuple(path)


def _ordered(log: ProvableLog, leaf: _Leaf, head: LedgerHead) -> OrderedEvent:
    size, path = _inclusion(log, leaf, head)
    record = leaf.record
    return OrderedEvent(
        id=record.id,
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        leaf_index=leaf.leaf_index,
        body=record.body,
        tree_size=size,
        audit_path=path,
    )


def _extension(
    log: ProvableLog, where: tuple[str, int], old: LedgerHead, new: LedgerHead
) -> PartitionExtension:
    old_size, new_line = _size(old, where), new.partition(*where)
    topic, partition = where

    def hashes(start: int, end: int) -> list[bytes]:
        return [leaf.hash for leaf in log.leaves(topic, partition, start, end - start)]

    proof = consistency_proof(
        subtrees_from_leaves(hashes), old_size=old_size, new_size=new_line.size
    )
    old_root = old.partition(*where).root if old_size else EMPTY_ROOT
    verify_consistency(
        proof, old_size=old_size, new_size=new_line.size, old_root=old_root, new_root=new_line.root
    )
    return PartitionExtension(
        topic=topic,
        partition=partition,
        old_size=old_size,
        new_size=new_line.size,
        proof=tuple(proof),
    )
