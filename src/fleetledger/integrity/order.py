"""Order proofs: a document showing, offline, that one event was committed before another.

``fleetledger prove --before EARLIER LATER`` writes one (collecting it is
:mod:`fleetledger.audit.order`); ``fleetledger verify-order FILE --key PUB`` and
:func:`verify_order` check it with the ledger's public key alone. This module does no I/O.

Format, version 1
-----------------

One UTF-8 JSON object (RFC 8259). Hashes and bodies are standard, padded base64 (RFC 4648 §4);
integers are non-negative JSON numbers; no field may be missing, added or of another type.

``format``      the string ``"fleetledger-order"``.
``version``     the integer ``1``.
``namespace``   the ledger's namespace.
``method``      ``"hash-link"``, ``"same-partition"`` or ``"across-partitions"`` (below).
``head``        a signed ledger head (:mod:`fleetledger.integrity.head`, a C2SP signed note)
                that includes both events.
``earlier``     the event committed first, and ``later`` the other, each an object:
                ``id``: the event's id; ``topic``, ``partition``: where it is stored;
                ``offset``: its offset there (informational, not proved); ``leaf_index``: its
                leaf in the partition's tree; ``body``: its stored bytes (RFC 8785 CloudEvents
                JSON); ``tree_size``: the size ``head`` signed for that partition;
                ``audit_path``: the inclusion proof in that tree (RFC 9162 §2.1.3.1).
``before``      ``null`` for ``hash-link`` and ``same-partition``; for ``across-partitions``
                an object:
                ``head``: an older signed ledger head that includes ``earlier`` and not
                ``later``; ``tree_size`` and ``audit_path``: ``earlier``'s inclusion proof in
                that head's tree of its partition; ``consistency``: exactly two objects
                ``{"topic", "partition", "old_size", "new_size", "proof"}``, one for
                ``earlier``'s partition and one for ``later``'s, in that order, each proving
                (RFC 9162 §2.1.4) that ``head``'s tree of the partition extends
                ``before.head``'s (a partition ``before.head`` has no line for is the empty
                tree: ``old_size`` 0 and an empty proof).

Verification
------------

1. Both heads verify with the trusted key (c2sp.org/signed-note, Ed25519) and name
   ``namespace``.
2. For ``earlier`` and ``later``: the body is a UTF-8 JSON object whose string ``id`` equals
   ``id``; ``head`` has a line for the partition of size ``tree_size``; SHA-256(0x00 ‖ body)
   with ``audit_path`` leads to that line's root at ``leaf_index``. The two ids differ.
3. ``hash-link``: ``before`` is ``null``; ``later.body`` is a JSON object whose string
   ``orderedafter`` equals ``earlier.id`` and whose string ``orderedafterleaf`` is the standard
   padded base64 of SHA-256(0x00 ‖ ``earlier.body``), the leaf hash of ``earlier``. The events
   may be in any partitions, and under one head.
4. ``same-partition``: both events are in the same partition, ``before`` is ``null``, and
   ``earlier.leaf_index < later.leaf_index``. A partition's tree is append-only, so the leaf
   order is the order the ledger committed them.
5. ``across-partitions``: the events are in different partitions; ``earlier`` is included in
   ``before.head`` (its line for ``earlier``'s partition has size ``before.tree_size``); the
   size ``S`` of ``before.head``'s line for ``later``'s partition (0 without one) is at most
   ``later.leaf_index``; each consistency entry's sizes are the two heads' sizes for its
   partition and its proof connects their roots. So when ``before.head`` was signed,
   ``earlier`` was committed and ``later``'s partition held ``S`` leaves, a prefix of the tree
   ``head`` signed, in which ``later`` is leaf ``leaf_index >= S``: it came after.

What it proves: the ledger's signer committed ``earlier`` (byte for byte) before ``later``.
For ``hash-link``: ``later``'s signed bytes hold the hash of ``earlier``'s, so ``later`` was
written after ``earlier``'s bytes existed (SHA-256 preimage resistance), and the ledger stamps
``orderedafter`` and ``orderedafterleaf`` only itself, at append, after finding ``earlier``
committed (writers cannot set them, see :mod:`fleetledger.events.envelope`): the proof rests on
that stamp as attribution rests on ``authid``.
The across-partitions case assumes what every head asserts: the signer signs the trees as they
are when it signs (a head is a snapshot). Nothing is said about wall-clock times, nor about
pairs committed between the same two heads in different partitions (no such proof exists
without a hash link in the later event's bytes, which is what ``hash-link`` is for).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

import msgspec

from fleetledger.errors import NotFound, ProofError
from fleetledger.integrity.hashing import EMPTY_ROOT, leaf_hash
from fleetledger.integrity.head import LedgerHead, PartitionHead, open_ledger_head
from fleetledger.integrity.note import NoteVerifier
from fleetledger.integrity.proofs import verify_consistency, verify_inclusion

FORMAT: Final = "fleetledger-order"
VERSION: Final = 1
HASH_LINK: Final = "hash-link"
SAME_PARTITION: Final = "same-partition"
ACROSS_PARTITIONS: Final = "across-partitions"

Count = Annotated[int, msgspec.Meta(ge=0)]
Text = Annotated[str, msgspec.Meta(min_length=1)]
Method = Literal["hash-link", "same-partition", "across-partitions"]


class OrderedEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One of the two events: its bytes, where it is, and its inclusion in the newer head."""

    id: Text
    topic: Text
    partition: Count
    offset: Count
    leaf_index: Count
    body: bytes
    tree_size: Count
    audit_path: tuple[bytes, ...]

    @property
    def where(self) -> tuple[str, int]:
        """``(topic, partition)``."""
        return self.topic, self.partition


class PartitionExtension(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The newer head's tree of a partition extends the older head's (RFC 9162 §2.1.4)."""

    topic: Text
    partition: Count
    old_size: Count
    new_size: Count
    proof: tuple[bytes, ...]


class EarlierHead(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An older head that includes the earlier event and not the later one."""

    head: Text
    tree_size: Count
    audit_path: tuple[bytes, ...]
    consistency: tuple[PartitionExtension, ...]


class OrderProof(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The document of the module docstring; :func:`verify_order` checks it."""

    format: Literal["fleetledger-order"] = FORMAT
    version: Literal[1] = VERSION
    namespace: Text
    method: Method
    head: Text
    earlier: OrderedEvent
    later: OrderedEvent
    before: EarlierHead | None

    def to_json(self) -> dict[str, Any]:
        """The document as JSON-ready values (bytes in standard base64)."""
        built: dict[str, Any] = msgspec.to_builtins(self)
        return built

    def dumps(self) -> bytes:
        """The file's bytes: indented JSON ending in a newline."""
        return msgspec.json.format(msgspec.json.encode(self.to_json()), indent=2) + b"\n"


@dataclass(frozen=True)
class OrderVerification:
    """What a verified order proof established."""

    namespace: str
    method: str
    earlier: str
    later: str


def read_order(data: bytes | str) -> OrderProof:
    """Parse an order proof; :class:`ProofError` (with no computed root) if it is not one."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    try:
        header = msgspec.json.decode(raw, type=dict[str, Any])
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ProofError(f"not an order proof: {exc}") from None
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ProofError(f'not an order proof of version {VERSION}: no "format": "{FORMAT}"')
    try:
        return msgspec.json.decode(raw, type=OrderProof)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ProofError(f"malformed order proof: {exc}") from None


def verify_order(proof: OrderProof, verifier: NoteVerifier) -> OrderVerification:
    """Check ``proof`` with the ledger's public key (steps 1 to 5 of the module docstring).

    Raises :class:`ProofError` saying what does not hold, or a :class:`NoteError` when a
    head's signature does not verify or it names another namespace.
    """
    head = _open(proof.head, proof, verifier)
    for name, event in (("earlier", proof.earlier), ("later", proof.later)):
        _check_event(name, event, head)
    if proof.earlier.id == proof.later.id:
        raise ProofError("earlier and later are the same event")
    if proof.method == HASH_LINK:
        _check_hash_link(proof)
    elif proof.method == SAME_PARTITION:
        _check_same_partition(proof)
    else:
        _check_across(proof, head, verifier)
    return OrderVerification(proof.namespace, proof.method, proof.earlier.id, proof.later.id)


def _open(note: str, proof: OrderProof, verifier: NoteVerifier) -> LedgerHead:
    return open_ledger_head(
        note.encode("utf-8", "surrogatepass"), verifier, namespace=proof.namespace
    )


def _line(head: LedgerHead, where: tuple[str, int]) -> PartitionHead | None:
    try:
        return head.partition(*where)
    except NotFound:
        return None


def _check_event(name: str, event: OrderedEvent, head: LedgerHead) -> None:
    """The body is the event ``id`` names, and it is leaf ``leaf_index`` of ``head``'s tree."""
    if _body_id(event.body) != event.id:
        raise ProofError(f"the {name} event's body is not event {event.id}")
    _check_included(name, event, event.tree_size, event.audit_path, head)


def _check_included(
    name: str, event: OrderedEvent, size: int, path: Iterable[bytes], head: LedgerHead
) -> None:
    line = _line(head, event.where)
    if line is None or line.size != size:
        signed = "no line" if line is None else f"{line.size} leaves"
        raise ProofError(
            f"the {name} event is proved in a tree of {size} leaves of"
            f" {event.topic}/{event.partition}; the head signed {signed}"
        )
    try:
        verify_inclusion(
            leaf_hash(event.body), tuple(path), index=event.leaf_index, size=size, root=line.root
        )
    except ProofError as exc:
        raise ProofError(
            f"the {name} event is not included: {exc}", expected=exc.expected, computed=exc.computed
        ) from None


def links(later_body: bytes, earlier_id: str, earlier_body: bytes) -> bool:
    """Whether ``later_body`` names ``earlier_id`` and the leaf hash of ``earlier_body`` in its
    ``orderedafter`` and ``orderedafterleaf`` (step 3 of the module docstring)."""
    link = _link(later_body)
    if link is None or link.orderedafter != earlier_id:
        return False
    try:
        named = base64.b64decode(link.orderedafterleaf.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        return False
    canonical = base64.b64encode(named).decode("ascii") == link.orderedafterleaf
    return canonical and named == leaf_hash(earlier_body)


def _check_hash_link(proof: OrderProof) -> None:
    if proof.before is not None:
        raise ProofError('a hash-link proof has "before": null')
    if not links(proof.later.body, proof.earlier.id, proof.earlier.body):
        raise ProofError(
            f"the later event's bytes do not name event {proof.earlier.id} and its leaf hash"
            " (orderedafter, orderedafterleaf)"
        )


def _check_same_partition(proof: OrderProof) -> None:
    earlier, later = proof.earlier, proof.later
    if earlier.where != later.where:
        raise ProofError("a same-partition proof needs both events in one partition")
    if proof.before is not None:
        raise ProofError('a same-partition proof has "before": null')
    if not earlier.leaf_index < later.leaf_index:
        raise ProofError(
            f"leaf {earlier.leaf_index} does not come before leaf {later.leaf_index}"
            f" in {earlier.topic}/{earlier.partition}"
        )


def _check_across(proof: OrderProof, head: LedgerHead, verifier: NoteVerifier) -> None:
    earlier, later, before = proof.earlier, proof.later, proof.before
    if earlier.where == later.where:
        raise ProofError("an across-partitions proof needs the events in different partitions")
    if before is None:
        raise ProofError('an across-partitions proof needs "before"')
    old = _open(before.head, proof, verifier)
    _check_included("earlier", earlier, before.tree_size, before.audit_path, old)
    old_line = _line(old, later.where)
    old_size = 0 if old_line is None else old_line.size
    if old_size > later.leaf_index:
        raise ProofError(
            f"the older head already includes the later event ({old_size} leaves of"
            f" {later.topic}/{later.partition}, the event is leaf {later.leaf_index})"
        )
    wanted = [earlier.where, later.where]
    if [(entry.topic, entry.partition) for entry in before.consistency] != wanted:
        raise ProofError("the consistency proofs are for the earlier's, then the later's partition")
    for entry in before.consistency:
        _check_extension(entry, old, head)


def _check_extension(entry: PartitionExtension, old: LedgerHead, new: LedgerHead) -> None:
    where = (entry.topic, entry.partition)
    old_line, new_line = _line(old, where), _line(new, where)
    old_size, old_root = (0, EMPTY_ROOT) if old_line is None else (old_line.size, old_line.root)
    if new_line is None or (entry.old_size, entry.new_size) != (old_size, new_line.size):
        raise ProofError(
            f"the consistency proof of {entry.topic}/{entry.partition} is not between the"
            " sizes the two heads signed"
        )
    verify_consistency(
        entry.proof,
        old_size=old_size,
        new_size=new_line.size,
        old_root=old_root,
        new_root=new_line.root,
    )


class _Id(msgspec.Struct):
    id: str


class _Link(msgspec.Struct):
    orderedafter: str
    orderedafterleaf: str


def _link(body: bytes) -> _Link | None:
    try:
        return msgspec.json.decode(body.decode(), type=_Link)
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return None


def _body_id(body: bytes) -> str | None:
    try:
        return msgspec.json.decode(body.decode(), type=_Id).id
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return None
