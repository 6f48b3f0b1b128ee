"""Checkpoints: a real sum.golang.org checkpoint, sign/open round trips, and every rejection."""

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetledger.integrity import (
    EMPTY_ROOT,
    BadSignature,
    Checkpoint,
    Frontier,
    MalformedNote,
    NoteSigner,
    NoteVerifier,
    UnknownKey,
    WrongOrigin,
    consistency_proof,
    leaf_hashes,
    open_checkpoint,
    sign_checkpoint,
    subtrees_of,
    verify_consistency,
)

SUMDB = json.loads((Path(__file__).parent / "vectors" / "signed_note.json").read_text())[
    "sumdb_checkpoint"
]
ORIGIN = "ledger.example.com/acme.task/0"


@pytest.fixture(scope="module")
def notary() -> NoteSigner:
    """One notary key for the module (key generation is the slow part)."""
    return NoteSigner.generate("ledger.example.com/acme")


def grown(*events: bytes) -> Frontier:
    """A frontier over ``events``."""
    frontier = Frontier()
    frontier.extend(events)
    return frontier


def test_a_real_sum_golang_org_checkpoint_opens() -> None:
    """A tree head signed by the Go checksum database opens with its published key."""
    checkpoint = open_checkpoint(SUMDB["note"].encode(), NoteVerifier.from_vkey(SUMDB["vkey"]))
    assert checkpoint.origin == SUMDB["origin"]
    assert checkpoint.size == SUMDB["size"]
    assert checkpoint.root == base64.b64decode(SUMDB["root"])


def test_a_real_checkpoint_body_is_rewritten_byte_for_byte() -> None:
    """Our encoding of the parsed checkpoint is exactly the text that was signed."""
    text = SUMDB["note"].split("\n\n")[0] + "\n"
    assert Checkpoint.parse(text).body() == text


def test_a_signed_checkpoint_opens_to_the_same_checkpoint(notary: NoteSigner) -> None:
    """sign_checkpoint then open_checkpoint gives back origin, size and root."""
    tree = grown(b"a", b"b", b"c")
    note = sign_checkpoint(ORIGIN, tree.size, tree.root(), notary)
    assert open_checkpoint(note, notary.verifier) == Checkpoint(ORIGIN, 3, tree.root())


@settings(max_examples=50, deadline=None)
@given(
    origin=st.text(st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), min_size=1),
    size=st.integers(1, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)),
)
def test_any_checkpoint_round_trips(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    """Every valid checkpoint survives signing and opening unchanged."""
    signer = NoteSigner("k", bytes(32))
    note = sign_checkpoint(origin, size, root, signer, extensions=extensions)
    assert open_checkpoint(note, signer.verifier) == Checkpoint(
        origin, size, root, tuple(extensions)
    )


def test_the_checkpoint_body_follows_the_c2sp_layout(notary: NoteSigner) -> None:
    """Origin, decimal size and base64 root, one per line, then the blank line and signature."""
    note = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, notary).decode()
    body, signature = note.split("\n\n")
    assert body == f"{ORIGIN}\n0\n{base64.b64encode(EMPTY_ROOT).decode()}"
    assert signature.startswith("\u2014 ledger.example.com/acme ")


def test_a_tampered_size_is_a_bad_signature(notary: NoteSigner) -> None:
    """Changing what the checkpoint says breaks the notary's signature."""
    note = sign_checkpoint(ORIGIN, 3, grown(b"a", b"b", b"c").root(), notary)
    with pytest.raises(BadSignature):
        open_checkpoint(note.replace(b"\n3\n", b"\n4\n"), notary.verifier)


def test_a_tampered_root_is_a_bad_signature(notary: NoteSigner) -> None:
    """Swapping in another tree's root breaks the notary's signature."""
    honest, forged = grown(b"a").root(), grown(b"b").root()
    note = sign_checkpoint(ORIGIN, 1, honest, notary)
    tampered = note.replace(base64.b64encode(honest), base64.b64encode(forged))
    with pytest.raises(BadSignature):
        open_checkpoint(tampered, notary.verifier)


def test_a_tampered_signature_is_a_bad_signature(notary: NoteSigner) -> None:
    """Flipping a bit of the signature itself is caught."""
    note = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, notary)
    body, line = note.split(b"\n\n")
    name, encoded = line.rstrip(b"\n").rsplit(b" ", 1)
    blob = bytearray(base64.b64decode(encoded))
    blob[-1] ^= 1
    tampered = body + b"\n\n" + name + b" " + base64.b64encode(bytes(blob)) + b"\n"
    with pytest.raises(BadSignature):
        open_checkpoint(tampered, notary.verifier)


def test_a_checkpoint_signed_by_another_key_is_an_unknown_key(notary: NoteSigner) -> None:
    """A checkpoint signed by anyone but a trusted notary is refused."""
    stranger = NoteSigner.generate("ledger.example.com/acme")
    note = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, stranger)
    with pytest.raises(UnknownKey):
        open_checkpoint(note, notary.verifier)


def test_a_checkpoint_of_another_partition_is_a_wrong_origin(notary: NoteSigner) -> None:
    """A valid checkpoint of partition 1 is refused where partition 0 is expected."""
    note = sign_checkpoint("ledger.example.com/acme.task/1", 0, EMPTY_ROOT, notary)
    with pytest.raises(WrongOrigin) as info:
        open_checkpoint(note, notary.verifier, origin=ORIGIN)
    assert info.value.actual == "ledger.example.com/acme.task/1"


def test_open_checkpoint_accepts_any_of_several_trusted_keys(notary: NoteSigner) -> None:
    """During a key rotation both the old and the new notary keys are trusted."""
    rotated = NoteSigner.generate("ledger.example.com/acme-2026")
    note = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, rotated)
    assert open_checkpoint(note, [notary.verifier, rotated.verifier]).size == 0


@pytest.mark.parametrize(
    "body",
    [
        "origin\n3\n",
        "origin\n03\nAAAA\n",
        "origin\n-1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n18446744073709551616\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFV=\n",
        "origin\n1\nAAAA\n",
        "\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n\nextension\n",
        "origin\n0\nbjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=\n",
        "origin\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
    ],
    ids=[
        "two-lines",
        "leading-zero",
        "negative-size",
        "size-beyond-uint64",
        "unpadded-root",
        "non-canonical-base64",
        "short-root",
        "empty-origin",
        "empty-extension-line",
        "empty-tree-with-another-root",
        "no-final-newline",
    ],
)
def test_a_malformed_checkpoint_body_is_refused(body: str, notary: NoteSigner) -> None:
    """Bodies that are not exactly one canonical checkpoint raise MalformedNote, even signed."""
    note = body.encode() + b"\n" + notary.sign(body.encode()).line().encode()
    with pytest.raises(MalformedNote):
        open_checkpoint(note, notary.verifier)


def test_a_checkpoint_cannot_be_built_with_a_short_root() -> None:
    """Roots are 32 raw bytes."""
    with pytest.raises(ValueError, match="32 raw bytes"):
        Checkpoint(ORIGIN, 1, b"short")


def test_a_checkpoint_origin_cannot_span_lines() -> None:
    """An origin with a newline would forge the size line."""
    with pytest.raises(ValueError, match="one non-empty line"):
        Checkpoint("origin\n5", 1, EMPTY_ROOT)


def test_two_signed_checkpoints_are_connected_by_a_consistency_proof(notary: NoteSigner) -> None:
    """The notary's old and new checkpoints prove the partition only grew."""
    events = [bytes([i]) for i in range(11)]
    old = open_checkpoint(
        sign_checkpoint(ORIGIN, 6, grown(*events[:6]).root(), notary), notary.verifier
    )
    new = open_checkpoint(
        sign_checkpoint(ORIGIN, 11, grown(*events).root(), notary), notary.verifier
    )
    proof = consistency_proof(subtrees_of(leaf_hashes(events)), old_size=6, new_size=11)
    verify_consistency(
        proof, old_size=old.size, new_size=new.size, old_root=old.root, new_root=new.root
    )


# -- inputs that used to escape the error tree or be misreported (fuzzing) ----------------------

EMPTY_B64 = base64.b64encode(EMPTY_ROOT).decode()


def test_a_size_of_thousands_of_digits_is_refused_as_not_a_count() -> None:
    """A size past int()'s 4300-digit limit is reported as what it is, not as int()'s error."""
    with pytest.raises(MalformedNote, match="not a decimal count"):
        Checkpoint.parse(f"origin\n{'1' * 4301}\n{EMPTY_B64}\n")


def test_a_huge_size_is_refused_with_a_readable_message() -> None:
    """Refusing a size too large to print (repr fails past 4300 digits) still says why."""
    with pytest.raises(ValueError, match=r"2\*\*64 - 1, not an integer of 20001 bits"):
        Checkpoint(ORIGIN, 2**20000, EMPTY_ROOT)


def test_a_checkpoint_origin_with_a_lone_surrogate_is_refused() -> None:
    """A note is UTF-8, so an origin UTF-8 cannot encode could never be signed."""
    with pytest.raises(ValueError, match="Unicode"):
        Checkpoint("origin\ud800", 0, EMPTY_ROOT)


def test_parsing_a_checkpoint_with_a_lone_surrogate_is_a_malformed_note() -> None:
    """A body given as text that holds a lone surrogate is not a checkpoint."""
    with pytest.raises(MalformedNote):
        Checkpoint.parse(f"origin\ud800\n0\n{EMPTY_B64}\n")


def test_parsing_checkpoint_bytes_is_a_malformed_note() -> None:
    """Checkpoint.parse reads the note's text; bytes are refused with MalformedNote."""
    with pytest.raises(MalformedNote, match="text"):
        Checkpoint.parse(f"origin\n0\n{EMPTY_B64}\n".encode())  # type: ignore[arg-type]
