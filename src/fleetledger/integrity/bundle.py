"""Evidence bundles: one task's events with their proofs, checked offline against one signed head.

A bundle is what an auditor takes away from the ledger: everything needed to check a task's
history without the ledger, its storage or fleetledger itself. This module reads, writes and
verifies bundles and does no I/O; collecting one from a ledger is
:mod:`fleetledger.audit.evidence`.

Format, version 1
-----------------

One UTF-8 JSON object (RFC 8259). Hashes and bodies are standard, padded base64 (RFC 4648 §4);
integers are non-negative JSON numbers. A verifier refuses (as a malformed file) a document
that is not UTF-8 (or, read as text, not valid Unicode), is nested too deeply to parse, or
whose ``format`` or ``version`` differ, with a field missing, of the wrong type or not listed
here.

``format``        the string ``"fleetledger-evidence"``.
``version``       the integer ``1``.
``namespace``     the ledger's namespace; its topics are ``<namespace>.<family>``.
``task``          the subject every event of the bundle has.
``head``          a signed ledger head (:mod:`fleetledger.integrity.head`): a C2SP signed note
                  (c2sp.org/signed-note, Ed25519) whose text is ``<namespace> ledger head`` and
                  one ``<topic>/<partition> <size> <base64 root>`` line per partition.
``key``           the verifier key string (``<name>+<8 hex key id>+<base64(0x01 ‖ key)>``) of
                  the ledger's signer, as the collector knew it; ``null`` if it knew none.
``checkpoints``   signed partition checkpoints (C2SP tlog-checkpoint, origin
                  ``<namespace>/<topic>/<partition>``) at the head's size of each partition in
                  the manifest, where the ledger stored one; may be empty.
``manifest``      the collector's statement of completeness: one object per partition holding
                  events of the task, ``{"topic", "partition", "leaves"}``, where ``leaves``
                  lists the leaf index of every stored event of the task below the head's size
                  of that partition (written in ascending order; verifiers need not rely on it).
``events``        one object per event, in the order the ledger recorded them:
                  ``topic``, ``partition``: where it is stored; ``offset``: its offset there
                  (informational: no proof covers offsets, which on Kafka differ from leaf
                  indexes); ``leaf_index``: its leaf in the partition's tree; ``tree_size``:
                  the head's size for that partition; ``body``: the event's stored bytes, the
                  RFC 8785 (JCS) CloudEvents JSON; ``audit_path``: the inclusion proof, 32-byte
                  SHA-256 hashes from the leaf's sibling up (RFC 9162 §2.1.3.1).
``handovers``    optional (absent means empty): the ledger's key handovers
                  (:mod:`fleetledger.integrity.handover`), signed notes in the order stored,
                  each naming an old and a new verifier key and signed by both.
``excluded``      optional (absent means empty): events of the task the collector holds but no
                  signed head can ever cover, each ``{"id", "topic", "partition", "offset",
                  "reason"}``: on Kafka the notary signs only families whose records the
                  broker never deletes. They are named, not proved; verifiers report them.

Verification
------------

1. Key. With a key the auditor trusts (``--key``), use it; if the bundle's ``key`` is another
   key, that is a finding. Without one, use the bundle's ``key``: that proves the bundle is
   intact and consistent, not who signed it (anyone can sign a forged bundle with their own key
   and put that key in it). No key at all is a finding. With ``handovers``, follow the chain
   from that key (each handover signed by the key in force and by the next one): the head is
   then checked with the last key of the chain, checkpoints with any key of it, and the
   bundle's ``key`` may be any key of the chain.
2. Head. Verify the note's Ed25519 signature with the key (c2sp.org/signed-note), parse the
   text, and check its namespace equals ``namespace``.
3. Each event: the head has a line for ``topic``/``partition`` whose size equals ``tree_size``;
   the leaf hash SHA-256(0x00 ‖ body) (RFC 9162 §2.1.1) with ``audit_path`` leads to that
   line's root at ``leaf_index`` (RFC 9162 §2.1.3.2); the body is a UTF-8 JSON object (not
   nested too deeply to parse) with a string ``id`` and a ``subject`` equal to ``task``; no
   ``id`` and no ``(topic, partition, leaf_index)`` occurs twice.
4. Each checkpoint verifies with the key, names a partition of the namespace, and states the
   same size and root as the head's line for it.
5. The manifest and the events list the same leaves, each once, and the bundle is not empty.
6. Order. An event whose body names an earlier event by ``orderedafter`` (its id) and
   ``orderedafterleaf`` (its leaf hash, standard base64), stamped by the ledger when an
   ordering rule was satisfied at append (an approval before a tool call): when the named
   event is in the bundle, its leaf hash must equal ``orderedafterleaf``, else that is a
   finding. Each pair that holds is proved ordered: the later event's signed bytes commit to
   the earlier event, which therefore existed first. Verifiers report the pairs.

What a bundle proves, and what it does not
------------------------------------------

When all of that holds with a key obtained independently of the bundle, the bundle proves:
each event, byte for byte, is the leaf the ledger's signer committed to at that position in
that partition; each is an event of the task; none is counted twice; and the head (so the
bundle) is bound to the namespace. The head can be compared with any later head by a
consistency proof (``fleetledger prove --consistency``).

It does not prove completeness. A Merkle root commits to leaf hashes, not to their subjects,
so no offline check can show that no *other* leaf below the head belongs to the task. The
manifest is the collector's unsigned statement that these are all of the task's stored
events; the verifier checks that the bundle agrees with it, which catches an event lost or
dropped from the events (or the manifest) alone, but not one left out of both. To check
completeness, collect the task again from the ledger (or a mirror of it) and compare the
events below this bundle's head. Nor does a bundle say anything about events appended after
its head, events removed by retention or compaction before it was collected, or offsets.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, NamedTuple, TypeVar

import msgspec

from fleetledger.errors import MalformedBundle, NoteError, NotFound, ProofError
from fleetledger.integrity._lines import decode_count
from fleetledger.integrity.checkpoint import Checkpoint, open_checkpoint
from fleetledger.integrity.handover import key_chain
from fleetledger.integrity.hashing import leaf_hash
from fleetledger.integrity.head import LedgerHead, PartitionHead
from fleetledger.integrity.note import NoteVerifier, open_note, parse_note
from fleetledger.integrity.proofs import verify_inclusion

FORMAT: Final = "fleetledger-evidence"
VERSION: Final = 1
_T = TypeVar("_T")

Count = Annotated[int, msgspec.Meta(ge=0)]
Text = Annotated[str, msgspec.Meta(min_length=1)]


class BundleEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One event of a bundle: where it is, its stored bytes and its inclusion proof."""

    topic: Text
    partition: Count
    offset: Count
    leaf_index: Count
    tree_size: Count
    body: bytes
    audit_path: tuple[bytes, ...]

    @property
    def position(self) -> tuple[str, int, int]:
        """``(topic, partition, leaf_index)``: the leaf the event claims to be."""
        return self.topic, self.partition, self.leaf_index


class ManifestEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The leaf indexes of all of the task's events in one partition, below the head's size."""

    topic: Text
    partition: Count
    leaves: tuple[Count, ...]


class ExcludedEvent(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An event of the task no signed head can cover, named so the bundle does not hide it."""

    id: Text
    topic: Text
    partition: Count
    offset: Count
    reason: Text


class EvidenceBundle(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A task's events, their inclusion proofs and the one signed head they are proved against.

    Build one with :meth:`fleetledger.Ledger.evidence`, write :meth:`to_json`, read one back
    with :func:`read_bundle` and check it with :func:`verify_bundle`.
    """

    format: Literal["fleetledger-evidence"] = FORMAT
    version: Literal[1] = VERSION
    namespace: Text
    task: Text
    head: Text
    key: str | None
    checkpoints: tuple[str, ...]
    manifest: tuple[ManifestEntry, ...]
    events: tuple[BundleEvent, ...]
    excluded: tuple[ExcludedEvent, ...] = ()
    handovers: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The bundle as JSON-ready values (bytes in standard base64), in the documented order."""
        built: dict[str, Any] = msgspec.to_builtins(self)
        if not self.handovers:  # a ledger never rotated writes what earlier versions read
            del built["handovers"]
        return built

    def dumps(self) -> bytes:
        """The bundle file's bytes: indented JSON ending in a newline."""
        return msgspec.json.format(msgspec.json.encode(self.to_json()), indent=2) + b"\n"


class _Header(msgspec.Struct):
    """The fields read first, so a bundle of another format or version gets a clear refusal."""

    format: Any = None
    version: Any = None


def read_bundle(data: bytes | str) -> EvidenceBundle:
    """Parse a bundle file; :class:`MalformedBundle` says what is wrong with one that is not.

    Nothing else escapes, whatever the bytes: this reads files from anyone.
    """
    raw = _utf8(data)
    header = _decode(raw, _Header, "not an evidence bundle: the file is not a JSON object")
    if header.format != FORMAT:
        raise MalformedBundle(f'not an evidence bundle: it has no "format": "{FORMAT}"')
    if header.version != VERSION:
        raise MalformedBundle(
            f"evidence bundle version {header.version!r}; this fleetledger reads version {VERSION}"
        )
    return _decode(raw, EvidenceBundle, "malformed evidence bundle")


def _utf8(data: bytes | str) -> bytes:
    """The file's bytes; text must be valid Unicode (a ``str`` may hold lone surrogates)."""
    if isinstance(data, str):
        try:
            return data.encode()
        except UnicodeEncodeError:
            raise MalformedBundle(
                "not an evidence bundle: the text is not valid Unicode (a lone surrogate)"
            ) from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedBundle(f"an evidence bundle is bytes or str, not {type(data).__name__}")
    return bytes(data)


def _decode(data: bytes, kind: type[_T], invalid: str) -> _T:
    """``data`` as ``kind``; ``invalid`` starts the message when the JSON has the wrong shape.

    msgspec reports invalid UTF-8 with ``UnicodeDecodeError`` and deep nesting with
    ``RecursionError`` (it parses recursively, up to Python's recursion limit), not with its
    own errors, so both are caught here too.
    """
    try:
        return msgspec.json.decode(data, type=kind)
    except msgspec.ValidationError as exc:  # a DecodeError too, so caught first
        raise MalformedBundle(f"{invalid}: {exc}") from None
    except msgspec.DecodeError as exc:
        reason = str(exc).removeprefix("JSON is malformed: ") or "not JSON"
    except UnicodeDecodeError:
        reason = "the file is not UTF-8 text"
    except RecursionError:
        reason = "the JSON is nested too deeply"
    raise MalformedBundle(f"not an evidence bundle: {reason}")


# -- verification ------------------------------------------------------------------------------


class BundleFindingKind(StrEnum):
    """What does not hold in a bundle."""

    NO_KEY = "no-key"
    OTHER_KEY = "other-key"
    BAD_SIGNATURE = "bad-signature"
    WRONG_NAMESPACE = "wrong-namespace"
    NOT_INCLUDED = "not-included"
    CHECKPOINT_MISMATCH = "checkpoint-mismatch"
    MALFORMED_EVENT = "malformed-event"
    FOREIGN_SUBJECT = "foreign-subject"
    DUPLICATE = "duplicate"
    MISSING = "missing"
    UNLISTED = "unlisted"
    BROKEN_ORDER = "broken-order"


class BundleFinding(NamedTuple):
    """One thing that does not hold; ``event`` is the index in ``events`` when it is about one."""

    kind: BundleFindingKind
    event: int | None
    detail: str


KeySource = Literal["given", "bundle"]


@dataclass(frozen=True)
class BundleVerification:
    """What :func:`verify_bundle` checked, with which key, and every finding."""

    task: str
    namespace: str
    events: int
    partitions: int
    checkpoints: int
    excluded: int
    """Events of the task the bundle names but cannot prove (see ``excluded``)."""
    key: str | None
    """The verifier key string the head was checked with (``None``: none was available)."""
    key_source: KeySource | None
    """``"given"`` when the caller passed the key, ``"bundle"`` when it came from the bundle."""
    findings: tuple[BundleFinding, ...]
    ordered: tuple[tuple[str, str], ...] = ()
    """``(earlier id, later id)`` of each pair step 6 proved: the later names the earlier."""

    @property
    def ok(self) -> bool:
        """Whether every check held."""
        return not self.findings

    @property
    def signer_proved(self) -> bool:
        """Whether the bundle verified with a key the caller trusts, so the signer is proved."""
        return self.ok and self.key_source == "given"


@dataclass
class _Findings:
    found: list[BundleFinding] = field(default_factory=list)

    def add(self, kind: BundleFindingKind, detail: str, event: int | None = None) -> None:
        self.found.append(BundleFinding(kind, event, detail))


def verify_bundle(bundle: EvidenceBundle, key: NoteVerifier | None = None) -> BundleVerification:
    """Check ``bundle`` offline (steps 1 to 5 of the module docstring); never raises on findings.

    ``key`` is the public key the auditor trusts; without it the bundle's own key is used, which
    proves integrity but not who signed (:attr:`BundleVerification.signer_proved` stays false).
    """
    findings = _Findings()
    trusted, source = _choose_key(bundle, key, findings)
    chain = _follow(bundle, trusted, findings)
    head = _read_head(bundle, chain[-1] if chain else None, findings)
    if head is not None:
        _check_checkpoints(bundle, head, chain or None, findings)
        for number, event in enumerate(bundle.events):
            _check_inclusion(number, event, head, findings)
    _check_bodies(bundle, findings)
    _check_manifest(bundle, findings)
    ordered = _check_order(bundle, findings)
    return BundleVerification(
        task=bundle.task,
        namespace=bundle.namespace,
        events=len(bundle.events),
        partitions=len({(e.topic, e.partition) for e in bundle.events}),
        checkpoints=len(bundle.checkpoints),
        excluded=len(bundle.excluded),
        key=None if trusted is None else trusted.vkey,
        key_source=source,
        findings=tuple(findings.found),
        ordered=ordered,
    )


def _follow(
    bundle: EvidenceBundle, trusted: NoteVerifier | None, findings: _Findings
) -> tuple[NoteVerifier, ...]:
    """The keys of the chain from ``trusted`` through the bundle's handovers, oldest first."""
    if trusted is None:
        return ()
    if not bundle.handovers:
        return (trusted,)
    notes = [_note_bytes(note) for note in bundle.handovers]
    chain = key_chain(notes, trusted, namespace=bundle.namespace)
    for number, problem in chain.problems:
        findings.add(BundleFindingKind.BAD_SIGNATURE, f"key handover #{number + 1}: {problem}")
    return chain.keys


def _choose_key(
    bundle: EvidenceBundle, given: NoteVerifier | None, findings: _Findings
) -> tuple[NoteVerifier | None, KeySource | None]:
    carried = _bundle_key(bundle, findings)
    if given is not None:
        chained = _follow(bundle, given, _Findings()) if bundle.handovers else (given,)
        if bundle.key is not None and carried not in chained:
            findings.add(
                BundleFindingKind.OTHER_KEY,
                f"the bundle names the key {bundle.key}, not the given key {given.vkey}",
            )
        return given, "given"
    if carried is None:
        findings.add(
            BundleFindingKind.NO_KEY,
            "the bundle carries no usable key: pass the ledger's public key to check the head",
        )
        return None, None
    return carried, "bundle"


def _bundle_key(bundle: EvidenceBundle, findings: _Findings) -> NoteVerifier | None:
    if bundle.key is None:
        return None
    try:
        return NoteVerifier.from_vkey(bundle.key)
    except ValueError as exc:  # InvalidKey is a ConfigurationError, so a ValueError
        findings.add(BundleFindingKind.OTHER_KEY, f"the bundle's key is not a verifier key: {exc}")
        return None


def _read_head(
    bundle: EvidenceBundle, trusted: NoteVerifier | None, findings: _Findings
) -> LedgerHead | None:
    """The head's content, signature checked when a key is known; ``None`` if unreadable.

    A head whose signature fails is still read, unverified, so the proofs can be reported too.
    """
    note = _note_bytes(bundle.head)
    try:
        text = parse_note(note)[0]
        if trusted is not None:
            open_note(note, trusted)
        head = LedgerHead.parse(text)
    except NoteError as exc:
        findings.add(BundleFindingKind.BAD_SIGNATURE, f"the ledger head: {exc}")
        try:
            head = LedgerHead.parse(parse_note(note)[0])
        except NoteError:
            return None
    if head.namespace != bundle.namespace:
        findings.add(
            BundleFindingKind.WRONG_NAMESPACE,
            f"the head is of namespace {head.namespace!r}, the bundle of {bundle.namespace!r}",
        )
    return head


def _check_inclusion(
    number: int, event: BundleEvent, head: LedgerHead, findings: _Findings
) -> None:
    where = f"{event.topic}/{event.partition} leaf {event.leaf_index}"
    try:
        line = head.partition(event.topic, event.partition)
    except NotFound:
        findings.add(
            BundleFindingKind.NOT_INCLUDED, f"the head has no partition for {where}", number
        )
        return
    if line.size != event.tree_size:
        findings.add(
            BundleFindingKind.NOT_INCLUDED,
            f"{where} is proved in a tree of {event.tree_size} leaves; the head signed {line.size}",
            number,
        )
        return
    try:
        verify_inclusion(
            leaf_hash(event.body),
            event.audit_path,
            index=event.leaf_index,
            size=line.size,
            root=line.root,
        )
    except ProofError as exc:
        findings.add(BundleFindingKind.NOT_INCLUDED, f"{where}: {exc}", number)


def _check_checkpoints(
    bundle: EvidenceBundle,
    head: LedgerHead,
    trusted: Iterable[NoteVerifier] | None,
    findings: _Findings,
) -> None:
    """Each checkpoint is signed by the key and agrees with the head's line for its partition."""
    for note in bundle.checkpoints:
        try:
            checkpoint = _open_checkpoint(_note_bytes(note), trusted)
        except NoteError as exc:
            findings.add(BundleFindingKind.BAD_SIGNATURE, f"a checkpoint: {exc}")
            continue
        line = _head_line(bundle.namespace, checkpoint.origin, head)
        if line is None:
            findings.add(
                BundleFindingKind.CHECKPOINT_MISMATCH,
                f"the checkpoint of {checkpoint.origin!r} is of no partition in the head",
            )
        elif (line.size, line.root) != (checkpoint.size, checkpoint.root):
            findings.add(
                BundleFindingKind.CHECKPOINT_MISMATCH,
                f"the checkpoint of {checkpoint.origin} ({checkpoint.size} leaves) differs from"
                f" the head's line for it ({line.size} leaves)",
            )


def _note_bytes(note: str) -> bytes:
    """A note's bytes, never raising: a lone surrogate (possible only in a bundle built in
    Python; read_bundle refuses them) becomes bytes that are not UTF-8, so a malformed note."""
    return note.encode("utf-8", "surrogatepass")


def _open_checkpoint(note: bytes, trusted: Iterable[NoteVerifier] | None) -> Checkpoint:
    if trusted is None:
        return Checkpoint.parse(parse_note(note)[0])
    return open_checkpoint(note, set(trusted))


def _head_line(namespace: str, origin: str, head: LedgerHead) -> PartitionHead | None:
    """The head's line for the partition a checkpoint origin names, if it is one of the head's."""
    prefix, _, partition = origin.rpartition("/")
    name, _, topic = prefix.partition("/")
    if name != namespace:
        return None
    try:
        return head.partition(topic, decode_count(partition, "partition"))
    except (ValueError, NotFound):  # not the one spelling of a partition number, or not in head
        return None


def _check_bodies(bundle: EvidenceBundle, findings: _Findings) -> None:
    """Each body is an event of the task, and no event or leaf occurs twice."""
    ids: dict[str, int] = {}
    positions: dict[tuple[str, int, int], int] = {}
    for number, event in enumerate(bundle.events):
        attributes = _attributes(event.body)
        first = positions.setdefault(event.position, number)
        if attributes is not None:
            first = min(first, ids.setdefault(attributes[0], number))
        if first != number:
            findings.add(
                BundleFindingKind.DUPLICATE,
                f"{_leaf(event.position)} repeats event #{first} (the same event or leaf)",
                number,
            )
        if attributes is None:
            findings.add(
                BundleFindingKind.MALFORMED_EVENT,
                "the body is not a CloudEvents JSON object with a string id and subject",
                number,
            )
        elif attributes[1] != bundle.task:
            findings.add(
                BundleFindingKind.FOREIGN_SUBJECT,
                f"event {attributes[0]} is of subject {attributes[1]!r}, not {bundle.task!r}",
                number,
            )


class _Attributes(msgspec.Struct):
    """What a bundle checks of a stored event: a JSON object with a string id and subject."""

    id: str
    subject: str


class _Link(msgspec.Struct):
    """The hash link an ordering rule stamped into an event, if any."""

    id: str
    orderedafter: str | None = None
    orderedafterleaf: str | None = None


_read_link = msgspec.json.Decoder(_Link).decode


def _check_order(bundle: EvidenceBundle, findings: _Findings) -> tuple[tuple[str, str], ...]:
    """Step 6: each hash link to an event of the bundle names that event's leaf."""
    leaves: dict[str, bytes] = {}
    links: list[tuple[int, _Link]] = []
    for number, event in enumerate(bundle.events):
        try:
            link = _read_link(event.body)
        except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
            continue  # step 3 reported it
        leaves.setdefault(link.id, leaf_hash(event.body))
        if link.orderedafter is not None:
            links.append((number, link))
    ordered = []
    for number, link in links:
        earlier = leaves.get(link.orderedafter or "")
        if earlier is None:
            continue  # an event of another task: not this bundle's to prove
        if link.orderedafterleaf != base64.b64encode(earlier).decode():
            findings.add(
                BundleFindingKind.BROKEN_ORDER,
                f"event {link.id} names {link.orderedafter} as the event it follows, with a"
                " leaf hash that is not that event's",
                number,
            )
        else:
            ordered.append((link.orderedafter or "", link.id))
    return tuple(ordered)


_read_attributes = msgspec.json.Decoder(_Attributes).decode


def _attributes(body: bytes) -> tuple[str, str] | None:
    """``(id, subject)`` of a stored event, or ``None`` when it is not one.

    A body nested too deeply to parse is not one: msgspec stops at Python's recursion limit
    with a RecursionError. It builds only the two attributes and skips the rest, without
    checking UTF-8 in what it skips, so ``decode`` checks that first.
    """
    try:
        attributes = _read_attributes(body.decode())
    except (UnicodeDecodeError, msgspec.DecodeError, RecursionError):
        return None
    return attributes.id, attributes.subject


def _check_manifest(bundle: EvidenceBundle, findings: _Findings) -> None:
    """The manifest and the events name the same leaves: nothing dropped from one alone."""
    if not bundle.events:
        findings.add(BundleFindingKind.MISSING, "the bundle holds no events")
    listed = Counter(_listed(bundle.manifest))
    for position in sorted(p for p, times in listed.items() if times > 1):
        findings.add(BundleFindingKind.DUPLICATE, f"the manifest lists {_leaf(position)} twice")
    carried = {event.position for event in bundle.events}
    for position in sorted(set(listed) - carried):
        findings.add(
            BundleFindingKind.MISSING,
            f"the manifest lists {_leaf(position)}, but the bundle carries no event for it",
        )
    for number, event in enumerate(bundle.events):
        if event.position not in listed:
            findings.add(
                BundleFindingKind.UNLISTED,
                f"{_leaf(event.position)} is not in the manifest",
                number,
            )


def _listed(manifest: Iterable[ManifestEntry]) -> Iterable[tuple[str, int, int]]:
    for entry in manifest:
        for leaf in entry.leaves:
            yield entry.topic, entry.partition, leaf


def _leaf(position: tuple[str, int, int]) -> str:
    topic, partition, leaf = position
    return f"{topic}/{partition} leaf {leaf}"
