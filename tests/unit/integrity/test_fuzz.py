"""Fuzzing integrity's readers: only LedgerErrors escape, nothing altered passes, calls are quick.

Every entry point that reads outside input gets arbitrary input (only the documented error may
escape) and valid input with one meaningful change (it must be refused or reported). The time
bound is the ``deadline`` of :data:`tests.fuzzing.FUZZ`.
"""

import base64
import contextlib
import functools
import json
from collections import Counter
from typing import Any

import msgspec
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fleetledger.integrity import (
    EMPTY_ROOT,
    BundleEvent,
    Checkpoint,
    EvidenceBundle,
    InvalidKey,
    LedgerHead,
    MalformedBundle,
    MalformedNote,
    ManifestEntry,
    NoteError,
    NoteSigner,
    NoteVerifier,
    PartitionHead,
    ProofError,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hashes,
    open_note,
    parse_note,
    read_bundle,
    sign_checkpoint,
    sign_ledger_head,
    sign_note,
    subtrees_of,
    tree_root,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
)
from tests.fuzzing import FUZZ

pytestmark = pytest.mark.fuzz

# -- strategies --------------------------------------------------------------------------------

CHARS = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates, which st.characters() rarely gives
    st.sampled_from("\n \u2014+=/0123456789"),  # what notes, keys and heads are made of
)
TEXT = st.text(CHARS, max_size=60)
HASH = st.binary(min_size=32, max_size=32)
COUNT = st.one_of(st.integers(0, 80), st.integers(0, 2**64 - 1))
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.text(max_size=4),
    st.binary(max_size=40),
)
SIZE_LIKE = st.one_of(
    COUNT, st.integers(-(2**70), 2**70), st.sampled_from([0.5, 1.0, True]), ANYTHING
)
HASH_LIKE = st.one_of(HASH, st.just(EMPTY_ROOT), ANYTHING)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
DEEP = "\u0000deep"
"""Stands for JSON nested as deep as a test asks, spliced in after encoding."""

SIGNER = NoteSigner("fuzz.example/fleet", bytes(range(32)))
KEY = SIGNER.verifier


def replace_at(text: str, position: int, new: str) -> str:
    """``text`` with the character at ``position`` (modulo its length) replaced by ``new``."""
    position %= len(text)
    return text[:position] + new + text[position + 1 :]


def b64(data: bytes) -> str:
    """Standard padded base64."""
    return base64.b64encode(data).decode()


def flip(value: bytes, bit: int) -> bytes:
    """``value`` with one bit flipped (``bit`` modulo its length in bits)."""
    bit %= len(value) * 8
    out = bytearray(value)
    out[bit // 8] ^= 1 << bit % 8
    return bytes(out)


# -- a valid bundle to mutate ------------------------------------------------------------------

PARTITIONS = {("fleet.task", 0): ["t", "o", "t", "o", "t"], ("fleet.tool", 3): ["o", "t", "o"]}


def stored(topic: str, partition: int) -> list[bytes]:
    """The canonical event bodies of one partition (subject "t" is the task's)."""
    subjects = PARTITIONS[(topic, partition)]
    return [
        json.dumps({"id": f"{topic}/{partition}/{i}", "subject": s}, sort_keys=True).encode()
        for i, s in enumerate(subjects)
    ]


@functools.cache
def valid_bundle() -> EvidenceBundle:
    """A bundle of task "t" that verifies with KEY: two partitions, checkpoints for both."""
    heads, events = [], []
    for (topic, partition), subjects in PARTITIONS.items():
        hashes = leaf_hashes(stored(topic, partition))
        heads.append(PartitionHead(topic, partition, len(hashes), tree_root(hashes)))
        for index, subject in enumerate(subjects):
            if subject == "t":
                path = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
                events.append(
                    BundleEvent(
                        topic=topic,
                        partition=partition,
                        offset=index,
                        leaf_index=index,
                        tree_size=len(hashes),
                        body=stored(topic, partition)[index],
                        audit_path=tuple(path),
                    )
                )
    checkpoints = tuple(
        sign_checkpoint(f"fleet/{h.topic}/{h.partition}", h.size, h.root, SIGNER).decode()
        for h in heads
    )
    return EvidenceBundle(
        namespace="fleet",
        task="t",
        head=sign_ledger_head("fleet", heads, SIGNER).decode(),
        key=KEY.vkey,
        checkpoints=checkpoints,
        manifest=tuple(
            ManifestEntry(
                topic=t, partition=p, leaves=tuple(e.leaf_index for e in events if e.topic == t)
            )
            for t, p in PARTITIONS
        ),
        events=tuple(events),
    )


def essence(bundle: EvidenceBundle) -> tuple[Any, ...]:
    """What verification covers: offsets and excluded events are informational, the manifest
    counts as a multiset of leaves, and a key string counts by the key it reads as."""
    try:
        key: Any = NoteVerifier.from_vkey(bundle.key) if bundle.key is not None else None
    except InvalidKey:
        key = bundle.key
    listed = Counter((m.topic, m.partition, leaf) for m in bundle.manifest for leaf in m.leaves)
    events = tuple(msgspec.structs.replace(e, offset=0) for e in bundle.events)
    return bundle.namespace, bundle.task, bundle.head, key, bundle.checkpoints, listed, events


def test_the_bundle_to_mutate_verifies() -> None:
    """The fuzz tests below start from a bundle with no findings."""
    assert verify_bundle(valid_bundle(), KEY).ok


# -- evidence bundles --------------------------------------------------------------------------


@FUZZ
@given(st.binary(max_size=300))
def test_reading_any_bytes_raises_only_malformed_bundle(data: bytes) -> None:
    """read_bundle of arbitrary bytes returns a bundle or raises MalformedBundle."""
    with contextlib.suppress(MalformedBundle):
        read_bundle(data)


@FUZZ
@given(TEXT)
def test_reading_any_text_raises_only_malformed_bundle(data: str) -> None:
    """read_bundle of arbitrary text (lone surrogates included) raises only MalformedBundle."""
    with contextlib.suppress(MalformedBundle):
        read_bundle(data)


def put(document: Any, steps: list[int], value: Any) -> Any:
    """``document`` with the value ``steps`` lead to (an index into keys or items at each
    level, stopping at a scalar) replaced by ``value``."""
    parent, key, place = None, None, document
    for step in steps:
        if isinstance(place, dict) and place:
            key = sorted(place)[step % len(place)]
        elif isinstance(place, list) and place:
            key = step % len(place)
        else:
            break
        parent, place = place, place[key]
    if parent is None:
        return value
    parent[key] = value
    return document


@FUZZ
@given(st.lists(st.integers(0, 50), max_size=5), st.one_of(JSON, st.just(DEEP)), st.data())
def test_a_bundle_with_any_value_replaced_reads_and_verifies_without_raising(
    steps: list[int], value: Any, data: st.DataObject
) -> None:
    """Any JSON (nested however deep) anywhere in a bundle file is refused or becomes findings."""
    document = json.dumps(put(valid_bundle().to_json(), steps, value)).encode()
    if value == DEEP:
        depth = data.draw(st.integers(0, 5000))
        document = document.replace(json.dumps(DEEP).encode(), b"[" * depth + b"]" * depth)
    try:
        bundle = read_bundle(document)
    except MalformedBundle:
        return
    verify_bundle(bundle, KEY)


@FUZZ
@given(st.integers(min_value=0), st.integers(0, 255))
def test_a_bundle_file_with_any_byte_changed_is_refused_or_found_out(
    position: int, byte: int
) -> None:
    """A changed byte is MalformedBundle, a change verification ignores, or a finding."""
    original = valid_bundle().dumps()
    position %= len(original)
    assume(original[position] != byte)
    data = original[:position] + bytes([byte]) + original[position + 1 :]
    try:
        bundle = read_bundle(data)
    except MalformedBundle:
        return
    result = verify_bundle(bundle, KEY)
    if essence(bundle) != essence(valid_bundle()):
        assert result.findings


@st.composite
def mutated_bundles(draw: st.DrawFn) -> EvidenceBundle:
    """The valid bundle with one thing a verifier must notice changed."""
    bundle = valid_bundle()
    number = draw(st.integers(0, len(bundle.events) - 1))
    event = bundle.events[number]
    bit = draw(st.integers(min_value=0))
    kind = draw(
        st.sampled_from(["body", "path", "leaf", "topic", "partition", "head", "checkpoint"])
    )
    if kind in ("body", "path", "leaf", "topic", "partition"):
        if kind == "body":
            event = msgspec.structs.replace(event, body=flip(event.body, bit))
        elif kind == "path":
            path = list(event.audit_path)
            path[bit % len(path)] = flip(path[bit % len(path)], bit // len(path))
            event = msgspec.structs.replace(event, audit_path=tuple(path))
        elif kind == "leaf":
            leaf = draw(COUNT.filter(lambda i: i != event.leaf_index))
            event = msgspec.structs.replace(event, leaf_index=leaf)
        elif kind == "topic":
            topic = draw(st.text(min_size=1, max_size=12).filter(lambda t: t != event.topic))
            event = msgspec.structs.replace(event, topic=topic)
        else:
            partition = draw(COUNT.filter(lambda p: p != event.partition))
            event = msgspec.structs.replace(event, partition=partition)
        events = list(bundle.events)
        events[number] = event
        return msgspec.structs.replace(bundle, events=tuple(events))
    if kind == "head":
        new = draw(CHARS)
        head = replace_at(bundle.head, bit, new)
        assume(head != bundle.head)
        return msgspec.structs.replace(bundle, head=head)
    checkpoints = list(bundle.checkpoints)
    which = bit % len(checkpoints)
    checkpoints[which] = replace_at(checkpoints[which], bit // len(checkpoints), draw(CHARS))
    assume(tuple(checkpoints) != bundle.checkpoints)
    return msgspec.structs.replace(bundle, checkpoints=tuple(checkpoints))


@FUZZ
@given(mutated_bundles())
def test_a_meaningfully_changed_bundle_always_has_a_finding(bundle: EvidenceBundle) -> None:
    """A flipped body or proof bit, another leaf or partition, an edited note: never ok."""
    assert not verify_bundle(bundle, KEY).ok


@st.composite
def arbitrary_bundles(draw: st.DrawFn) -> EvidenceBundle:
    """Bundles of the right shape with anything in them, heads often validly signed."""
    topics = st.sampled_from(["fleet.task", "fleet.tool", "x"])
    events = draw(
        st.lists(
            st.builds(
                BundleEvent,
                topic=topics,
                partition=COUNT,
                offset=COUNT,
                leaf_index=COUNT,
                tree_size=COUNT,
                body=st.one_of(
                    st.binary(max_size=60),
                    st.sampled_from([*stored("fleet.task", 0), b"[" * 1000, b'{"id":"\xff"}']),
                ),
                audit_path=st.lists(HASH, max_size=4).map(tuple),
            ),
            max_size=4,
        )
    )
    heads = {
        (e.topic, e.partition): PartitionHead(e.topic, e.partition, e.tree_size, draw(HASH))
        for e in events
        if e.tree_size
    }
    signed = sign_ledger_head("fleet", heads.values(), SIGNER).decode()
    origin = draw(st.sampled_from(["fleet/fleet.task/", "fleet/x/", "other/"]))
    origin += draw(st.sampled_from(["0", "3", "00", "\u0660", "1" * 4301, ""]))
    checkpoint = sign_checkpoint(origin, 0, EMPTY_ROOT, SIGNER)
    return EvidenceBundle(
        namespace=draw(st.sampled_from(["fleet", "other"])),
        task=draw(st.sampled_from(["t", "o"])),
        head=draw(st.sampled_from([signed, signed, signed]) | TEXT.filter(bool)),
        key=draw(st.one_of(st.none(), st.just(KEY.vkey), TEXT)),
        checkpoints=tuple(
            draw(st.lists(st.one_of(st.just(checkpoint.decode()), TEXT), max_size=2))
        ),
        manifest=tuple(
            draw(
                st.lists(
                    st.builds(
                        ManifestEntry,
                        topic=topics,
                        partition=COUNT,
                        leaves=st.lists(COUNT, max_size=3).map(tuple),
                    ),
                    max_size=3,
                )
            )
        ),
        events=tuple(events),
    )


@FUZZ
@given(arbitrary_bundles(), st.sampled_from([None, KEY]))
def test_verifying_any_bundle_reports_findings_and_never_raises(
    bundle: EvidenceBundle, key: NoteVerifier | None
) -> None:
    """verify_bundle turns everything wrong with a bundle of the right shape into findings."""
    result = verify_bundle(bundle, key)
    assert result.ok == (not result.findings)


# -- signed notes and keys ---------------------------------------------------------------------

NOTE_TEXT = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=40).map(
    lambda text: text + "\n"
)


@FUZZ
@given(st.binary(max_size=200))
def test_parsing_any_bytes_raises_only_malformed_note(note: bytes) -> None:
    """parse_note of arbitrary bytes returns its parts or raises MalformedNote."""
    with contextlib.suppress(MalformedNote):
        parse_note(note)


@FUZZ
@given(TEXT, st.lists(st.tuples(TEXT, st.binary(max_size=80).map(b64) | TEXT), max_size=3))
def test_parsing_note_shaped_text_raises_only_malformed_note(
    text: str, lines: list[tuple[str, str]]
) -> None:
    """Text, a blank line and signature-like lines with any name and blob: NoteError at most."""
    block = "".join(f"\u2014 {name} {signature}\n" for name, signature in lines)
    note = f"{text}\n\n{block}".encode("utf-8", "surrogatepass")
    try:
        parse_note(note)
        open_note(note, KEY)
    except NoteError:
        pass


@FUZZ
@given(NOTE_TEXT, st.integers(min_value=0), st.integers(0, 255))
def test_a_signed_note_with_any_byte_changed_does_not_open(
    text: str, position: int, byte: int
) -> None:
    """Changing any one byte of a signed note makes open_note refuse it."""
    note = sign_note(text, SIGNER)
    position %= len(note)
    assume(note[position] != byte)
    with pytest.raises(NoteError):
        open_note(note[:position] + bytes([byte]) + note[position + 1 :], KEY)


@FUZZ
@given(TEXT)
def test_reading_any_verifier_key_raises_only_invalid_key(vkey: str) -> None:
    """NoteVerifier.from_vkey of arbitrary text returns a key or raises InvalidKey."""
    with contextlib.suppress(InvalidKey):
        NoteVerifier.from_vkey(vkey)


@FUZZ
@given(TEXT)
def test_reading_any_signer_key_raises_only_invalid_key(skey: str) -> None:
    """NoteSigner.from_skey of arbitrary text (with its prefix or not) raises only InvalidKey."""
    for candidate in (skey, "PRIVATE+KEY+" + skey):
        with contextlib.suppress(InvalidKey):
            NoteSigner.from_skey(candidate)


@FUZZ
@given(st.sampled_from([KEY.vkey, SIGNER.skey]), st.integers(min_value=0), CHARS)
def test_a_key_with_any_character_changed_is_refused_or_the_same_key(
    key: str, position: int, new: str
) -> None:
    """A changed key string reads as nothing or as the very same key (hex digits in upper case)."""
    changed = replace_at(key, position, new)
    assume(changed != key)
    try:
        if key.startswith("PRIVATE"):
            written = NoteSigner.from_skey(changed).skey
        else:
            written = NoteVerifier.from_vkey(changed).vkey
    except InvalidKey:
        return
    assert written == key
    assert changed.lower() == key.lower()


# -- checkpoint and head bodies ----------------------------------------------------------------

CHECKPOINT_LIKE = st.lists(
    st.one_of(TEXT, COUNT.map(str), HASH.map(b64), st.just(b64(EMPTY_ROOT))), max_size=5
).map(lambda lines: "".join(f"{line}\n" for line in lines))


@FUZZ
@given(st.one_of(TEXT, CHECKPOINT_LIKE))
def test_parsing_any_checkpoint_body_raises_only_malformed_note(text: str) -> None:
    """Checkpoint.parse refuses with MalformedNote, and what it accepts is its own encoding."""
    try:
        checkpoint = Checkpoint.parse(text)
    except MalformedNote:
        return
    assert checkpoint.body() == text


HEAD_LINE = st.tuples(
    st.sampled_from(["a.b", "x", "a b", ""]), COUNT, COUNT, st.one_of(HASH, st.just(EMPTY_ROOT))
).map(lambda t: f"{t[0]}/{t[1]} {t[2]} {b64(t[3])}")
HEAD_LIKE = st.tuples(
    st.sampled_from(["acme", "a b", ""]), st.lists(HEAD_LINE | TEXT, max_size=4)
).map(lambda t: "".join(f"{line}\n" for line in [f"{t[0]} ledger head", *t[1]]))


@FUZZ
@given(st.one_of(TEXT, HEAD_LIKE))
def test_parsing_any_head_body_raises_only_malformed_note(text: str) -> None:
    """LedgerHead.parse refuses with MalformedNote, and what it accepts is its own encoding."""
    try:
        head = LedgerHead.parse(text)
    except MalformedNote:
        return
    assert head.body() == text


# -- proofs ------------------------------------------------------------------------------------


@FUZZ
@given(HASH_LIKE, st.lists(HASH_LIKE, max_size=70), SIZE_LIKE, SIZE_LIKE, HASH_LIKE)
def test_verifying_inclusion_of_anything_raises_only_proof_error(
    leaf: Any, proof: list[Any], index: Any, size: Any, root: Any
) -> None:
    """verify_inclusion raises nothing but ProofError, and accepts only integer positions."""
    with contextlib.suppress(ProofError):
        verify_inclusion(leaf, proof, index=index, size=size, root=root)
        assert type(index) is int
        assert type(size) is int


@FUZZ
@given(st.lists(HASH_LIKE, max_size=70), SIZE_LIKE, SIZE_LIKE, HASH_LIKE, HASH_LIKE)
def test_verifying_consistency_of_anything_raises_only_proof_error(
    proof: list[Any], old_size: Any, new_size: Any, old_root: Any, new_root: Any
) -> None:
    """verify_consistency raises nothing but ProofError, and accepts only integer sizes."""
    with contextlib.suppress(ProofError):
        verify_consistency(
            proof, old_size=old_size, new_size=new_size, old_root=old_root, new_root=new_root
        )
        assert type(old_size) is int
        assert type(new_size) is int


@FUZZ
@given(SIZE_LIKE, SIZE_LIKE)
def test_inclusion_ranges_of_anything_are_ranges_in_the_tree_or_a_proof_error(
    index: Any, size: Any
) -> None:
    """inclusion_ranges gives at most 64 ranges inside the tree, or raises ProofError."""
    try:
        ranges = inclusion_ranges(index, size)
    except ProofError:
        return
    assert len(ranges) <= 64
    assert all(0 <= start < end <= size for start, end in ranges)


@FUZZ
@given(SIZE_LIKE, SIZE_LIKE)
def test_consistency_ranges_of_anything_are_ranges_in_the_tree_or_a_proof_error(
    old_size: Any, new_size: Any
) -> None:
    """consistency_ranges gives at most 65 ranges inside the new tree, or raises ProofError."""
    try:
        ranges = consistency_ranges(old_size, new_size)
    except ProofError:
        return
    assert len(ranges) <= 65
    assert all(0 <= start < end <= new_size for start, end in ranges)


@st.composite
def trees(draw: st.DrawFn) -> list[bytes]:
    """Leaf hashes of a tree of 1 to 70 distinct leaves."""
    seed = draw(st.binary(max_size=4))
    return leaf_hashes(seed + bytes([i]) for i in range(draw(st.integers(1, 70))))


@FUZZ
@given(trees(), st.data())
def test_an_inclusion_proof_with_anything_changed_does_not_verify(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """Another leaf, root, index, proof hash or proof length: verify_inclusion refuses it."""
    size = len(hashes)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(subtrees_of(hashes), index=index, size=size)
    args = {"leaf": hashes[index], "proof": proof, "index": index, "root": tree_root(hashes)}
    change = data.draw(st.sampled_from(["leaf", "root", "index", "hash", "longer", "shorter"]))
    if change in ("leaf", "root"):
        args[change] = data.draw(HASH.filter(lambda h: h != args[change]))
    elif change == "index":
        assume(size > 1)
        args["index"] = data.draw(st.integers(0, size - 1).filter(lambda i: i != index))
    elif change == "hash":
        assume(proof)
        at = data.draw(st.integers(0, len(proof) - 1))
        proof[at] = data.draw(HASH.filter(lambda h: h != proof[at]))
    elif change == "longer":
        proof.insert(data.draw(st.integers(0, len(proof))), data.draw(HASH))
    else:
        assume(proof)
        del proof[data.draw(st.integers(0, len(proof) - 1))]
    with pytest.raises(ProofError):
        verify_inclusion(
            args["leaf"], args["proof"], index=args["index"], size=size, root=args["root"]
        )


@FUZZ
@given(trees(), st.data())
def test_a_consistency_proof_with_anything_changed_does_not_verify(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """Another old or new root, proof hash or proof length: verify_consistency refuses it."""
    new_size = len(hashes)
    old_size = data.draw(st.integers(0, new_size))
    proof = consistency_proof(subtrees_of(hashes), old_size=old_size, new_size=new_size)
    roots = {"old": tree_root(hashes[:old_size]), "new": tree_root(hashes)}
    change = data.draw(st.sampled_from(["old", "new", "hash", "longer", "shorter"]))
    if change in roots:
        roots[change] = data.draw(HASH.filter(lambda h: h != roots[change]))
    elif change == "hash":
        assume(proof)
        at = data.draw(st.integers(0, len(proof) - 1))
        proof[at] = data.draw(HASH.filter(lambda h: h != proof[at]))
    elif change == "longer":
        proof.insert(data.draw(st.integers(0, len(proof))), data.draw(HASH))
    else:
        assume(proof)
        del proof[data.draw(st.integers(0, len(proof) - 1))]
    # Any tree extends the empty one: from size 0 only the old root says anything.
    assume(not (change == "new" and old_size == 0 < new_size))
    with pytest.raises(ProofError):
        verify_consistency(
            proof,
            old_size=old_size,
            new_size=new_size,
            old_root=roots["old"],
            new_root=roots["new"],
        )
