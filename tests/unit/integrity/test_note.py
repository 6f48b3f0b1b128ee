"""Signed notes: Go's sumdb/note vectors byte for byte, keys, and every way to reject a note."""

import json
from pathlib import Path

import pytest

from fleetledger.errors import ConfigurationError, IntegrityError
from fleetledger.integrity import (
    BadSignature,
    InvalidKey,
    MalformedNote,
    NoteSigner,
    NoteVerifier,
    UnknownKey,
    key_id,
    open_note,
    parse_note,
    sign_note,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "signed_note.json").read_text())
GO = VECTORS["go_note_example"]
COSIGNED = VECTORS["go_note_cosigned"]
TEXT = GO["text"]


@pytest.fixture
def signer() -> NoteSigner:
    """The signer key of Go's worked example."""
    return NoteSigner.from_skey(GO["skey"])


def test_signing_reproduces_the_published_note(signer: NoteSigner) -> None:
    """Ed25519 is deterministic, so our note is byte for byte Go's."""
    assert sign_note(TEXT, signer) == GO["note"].encode()


def test_the_published_note_opens_with_the_published_verifier_key() -> None:
    """Go's note verifies under its verifier key and yields its text."""
    note = open_note(GO["note"].encode(), NoteVerifier.from_vkey(GO["vkey"]))
    assert note.text == TEXT
    assert [v.vkey for v in note.verified_by] == [GO["vkey"]]


def test_a_signer_derives_the_published_verifier_key(signer: NoteSigner) -> None:
    """Key id and public key encoding match Go's for the same secret."""
    assert signer.verifier.vkey == GO["vkey"]


def test_a_signer_key_round_trips(signer: NoteSigner) -> None:
    """The secret key string we write is the one we read."""
    assert signer.skey == GO["skey"]


def test_a_verifier_key_round_trips() -> None:
    """The verifier key string we write is the one we read."""
    assert NoteVerifier.from_vkey(GO["vkey"]).vkey == GO["vkey"]


def test_an_all_zero_seed_gives_enoch_roots_published_key() -> None:
    """Key generation from a seed hashes the right preimage for the key id."""
    signer = NoteSigner("EnochRoot", bytes.fromhex(COSIGNED["seed_hex"]))
    assert signer.verifier.vkey == COSIGNED["vkey"]


def test_a_cosigned_note_verifies_under_either_key() -> None:
    """Signatures by keys the verifier does not know are ignored, not refused."""
    for vkey in (GO["vkey"], COSIGNED["vkey"]):
        note = open_note(COSIGNED["note"].encode(), NoteVerifier.from_vkey(vkey))
        assert note.text == TEXT
        assert len(note.signatures) == 2


def test_a_cosigned_note_reports_both_trusted_keys() -> None:
    """With both keys trusted, both signatures are verified and reported."""
    verifiers = [NoteVerifier.from_vkey(GO["vkey"]), NoteVerifier.from_vkey(COSIGNED["vkey"])]
    note = open_note(COSIGNED["note"].encode(), verifiers)
    assert set(note.verified_by) == set(verifiers)


def test_signing_with_two_keys_reproduces_the_cosigned_note(signer: NoteSigner) -> None:
    """Signature lines come in signer order, as Go writes them."""
    enoch = NoteSigner("EnochRoot", bytes.fromhex(COSIGNED["seed_hex"]))
    assert sign_note(TEXT, signer, enoch) == COSIGNED["note"].encode()


@pytest.mark.parametrize("vkey", VECTORS["go_bad_vkeys"]["keys"])
def test_a_published_bad_verifier_key_is_refused(vkey: str) -> None:
    """Wrong-length keys and unknown algorithms are refused even with a matching key id."""
    with pytest.raises(InvalidKey):
        NoteVerifier.from_vkey(vkey)


@pytest.mark.parametrize("key", [GO["vkey"], GO["skey"]], ids=["vkey", "skey"])
def test_every_substring_and_single_byte_change_of_a_key_is_refused(key: str) -> None:
    """Go's mangling test: no proper substring and no one-character change reads as a key."""
    read = NoteSigner.from_skey if key.startswith("PRIVATE") else NoteVerifier.from_vkey
    mangled = {key[i:j] for i in range(len(key)) for j in range(i + 1, len(key) + 1)}
    mangled |= {key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))}
    mangled.discard(key)
    for candidate in mangled:
        with pytest.raises(InvalidKey):
            read(candidate)


def test_a_key_file_newline_is_ignored() -> None:
    """Keys read from files keep working with their trailing newline."""
    assert NoteSigner.from_skey(GO["skey"] + "\n").skey == GO["skey"]


def test_an_invalid_key_is_a_configuration_error() -> None:
    """A bad key string is a configuration problem for whoever deployed it."""
    assert issubclass(InvalidKey, ConfigurationError)


@pytest.mark.parametrize("name", ["", "has space", "has+plus", "tab\there"])
def test_a_key_name_with_spaces_or_plus_is_refused(name: str) -> None:
    """Key names are non-empty, without whitespace and without '+'."""
    with pytest.raises(InvalidKey):
        NoteSigner.generate(name)


def test_a_generated_key_signs_what_its_verifier_accepts() -> None:
    """A fresh key pair works end to end."""
    signer = NoteSigner.generate("ledger.example.com/acme")
    note = sign_note("hello\n", signer)
    assert open_note(note, signer.verifier).text == "hello\n"


def test_the_key_id_is_the_published_one() -> None:
    """key id = SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]."""
    verifier = NoteVerifier.from_vkey(GO["vkey"])
    assert key_id(verifier.name, verifier.public_key) == 0xC74F20A3


def test_a_signer_does_not_show_its_secret() -> None:
    """repr of a signer names the key, never the seed."""
    signer = NoteSigner.from_skey(GO["skey"])
    assert "PRIVATE" not in repr(signer)
    assert GO["skey"].rsplit("+", 1)[1] not in repr(signer)


def test_a_changed_text_is_a_bad_signature() -> None:
    """Editing the signed text fails the trusted key's signature."""
    note = GO["note"].replace("answer", "ANSWER").encode()
    with pytest.raises(BadSignature) as info:
        open_note(note, NoteVerifier.from_vkey(GO["vkey"]))
    assert info.value.key_id == 0xC74F20A3


def test_a_changed_signature_is_a_bad_signature() -> None:
    """A signature altered after the key id no longer verifies."""
    note = GO["note"].replace("x08go/ZJkuBS9UG", "x08go/ZJkuBS9UH").encode()
    with pytest.raises(BadSignature):
        open_note(note, NoteVerifier.from_vkey(GO["vkey"]))


def test_a_note_by_another_key_is_an_unknown_key() -> None:
    """Without any signature by a trusted key the note is refused, naming who signed it."""
    stranger = NoteSigner.generate("stranger.example")
    with pytest.raises(UnknownKey) as info:
        open_note(GO["note"].encode(), stranger.verifier)
    assert info.value.signers == (("PeterNeumann", 0xC74F20A3),)


def test_a_same_named_key_with_another_id_is_an_unknown_key() -> None:
    """Name and id must both match: a different key under the same name is not trusted."""
    impostor = NoteSigner.generate("PeterNeumann")
    with pytest.raises(UnknownKey):
        open_note(GO["note"].encode(), impostor.verifier)


def test_note_errors_are_integrity_errors() -> None:
    """Callers catching IntegrityError also catch untrusted notes."""
    assert all(issubclass(e, IntegrityError) for e in (BadSignature, UnknownKey, MalformedNote))


@pytest.mark.parametrize(
    "note",
    [
        b"no blank line\n\xe2\x80\x94 PeterNeumann x08go/ZJku\n",
        GO["note"].encode().rstrip(b"\n"),
        GO["note"].replace("\u2014", "-").encode(),
        GO["note"].replace("answer", "ans\x07wer").encode(),
        b"\xff\xfe\n\n\xe2\x80\x94 PeterNeumann x08go/ZJku\n",
        GO["note"].replace("PeterNeumann ", "PeterNeumann !!").encode(),
        GO["note"].replace(" x08go", " AAAA").encode(),
        (TEXT + "\n").encode(),
    ],
    ids=[
        "no-blank-line",
        "no-final-newline",
        "ascii-dash",
        "control-character",
        "not-utf8",
        "not-base64",
        "signature-too-short",
        "no-signatures",
    ],
)
def test_a_malformed_note_is_refused(note: bytes) -> None:
    """Notes that break the format raise MalformedNote before any key is consulted."""
    with pytest.raises(MalformedNote):
        open_note(note, NoteVerifier.from_vkey(GO["vkey"]))


def test_too_many_signatures_are_refused(signer: NoteSigner) -> None:
    """A note with more than 100 signature lines is refused."""
    line = GO["note"].split("\n\n")[1]
    with pytest.raises(MalformedNote, match="at most"):
        parse_note((TEXT + "\n" + line * 101).encode())


def test_a_text_may_contain_blank_lines(signer: NoteSigner) -> None:
    """The last blank line separates text from signatures, so texts may have their own."""
    text = "first\n\nsecond\n"
    assert open_note(sign_note(text, signer), signer.verifier).text == text


def test_signing_a_text_without_final_newline_is_refused(signer: NoteSigner) -> None:
    """A note text ends in a newline."""
    with pytest.raises(ValueError, match="newline"):
        sign_note("no newline", signer)


def test_parse_note_reads_signatures_without_verifying() -> None:
    """Who claims to have signed is readable before deciding whom to trust."""
    text, signatures = parse_note(COSIGNED["note"].encode())
    assert text == TEXT
    assert [s.name for s in signatures] == ["PeterNeumann", "EnochRoot"]


# -- inputs that used to escape the error tree (fuzzing, see FUZZ-FINDINGS.md) ------------------

NOT_BASE64_LINE = b"x\n\n\xe2\x80\x94 k \xc3\xa9\n"


def test_a_signature_line_with_non_ascii_base64_is_a_malformed_note() -> None:
    """A non-ASCII character where the signature's base64 should be is MalformedNote."""
    with pytest.raises(MalformedNote):
        parse_note(NOT_BASE64_LINE)


def test_opening_a_note_with_non_ascii_base64_is_a_malformed_note() -> None:
    """open_note refuses the same note with MalformedNote before consulting any key."""
    with pytest.raises(MalformedNote):
        open_note(NOT_BASE64_LINE, NoteVerifier.from_vkey(GO["vkey"]))


def test_a_signature_with_nonzero_unused_bits_is_refused() -> None:
    """A signature spelled unlike any encoder writes it (Go tolerates it) is MalformedNote."""
    note = GO["note"].replace("AM=\n", "AN=\n").encode()  # the same bytes, spelled otherwise
    with pytest.raises(MalformedNote, match="canonical"):
        open_note(note, NoteVerifier.from_vkey(GO["vkey"]))


def test_parsing_a_str_instead_of_bytes_is_a_malformed_note() -> None:
    """A note is bytes; passing its text says so instead of failing on a missing method."""
    with pytest.raises(MalformedNote, match="bytes"):
        parse_note(GO["note"])  # type: ignore[arg-type]


def test_a_trusted_key_that_is_not_a_verifier_is_an_invalid_key() -> None:
    """A vkey string passed where a NoteVerifier belongs is an InvalidKey."""
    with pytest.raises(InvalidKey, match="NoteVerifier"):
        open_note(GO["note"].encode(), [GO["vkey"]])  # type: ignore[list-item]


@pytest.mark.parametrize(
    "vkey",
    ["a+00000000+é", GO["vkey"] + "=", GO["vkey"] + "=="],
    ids=["non-ascii", "extra-padding", "two-extra-paddings"],
)
def test_a_verifier_key_that_go_refuses_is_an_invalid_key(vkey: str) -> None:
    """Key material that is not exactly standard padded base64 is refused, as Go's NewVerifier."""
    with pytest.raises(InvalidKey):
        NoteVerifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "skey",
    ["PRIVATE+KEY+a+00000000+é", GO["skey"] + "="],
    ids=["non-ascii", "extra-padding"],
)
def test_a_signer_key_that_go_refuses_is_an_invalid_key(skey: str) -> None:
    """Signer key material that is not exactly standard padded base64 is refused."""
    with pytest.raises(InvalidKey):
        NoteSigner.from_skey(skey)


def test_a_key_name_with_a_lone_surrogate_is_refused_for_a_signer() -> None:
    """A name UTF-8 cannot encode is an InvalidKey, not a UnicodeEncodeError."""
    with pytest.raises(InvalidKey):
        NoteSigner("\ud800", bytes(32))


def test_a_key_name_with_a_lone_surrogate_is_refused_in_a_verifier_key() -> None:
    """A verifier key string naming a lone surrogate is an InvalidKey."""
    with pytest.raises(InvalidKey):
        NoteVerifier.from_vkey("\udc80+" + GO["vkey"].split("+", 1)[1])


def test_the_key_id_of_a_name_with_a_lone_surrogate_is_refused() -> None:
    """key_id cannot hash a name that has no UTF-8 encoding."""
    with pytest.raises(InvalidKey):
        key_id("\ud800", bytes(32))


def test_a_key_string_that_is_not_str_is_an_invalid_key() -> None:
    """Key bytes read from a file without decoding are refused as an InvalidKey."""
    with pytest.raises(InvalidKey, match="str"):
        NoteVerifier.from_vkey(GO["vkey"].encode())  # type: ignore[arg-type]


def test_a_public_key_that_is_not_bytes_is_an_invalid_key() -> None:
    """32 characters of text are not a 32-byte public key."""
    with pytest.raises(InvalidKey, match="raw bytes"):
        NoteVerifier("a", "x" * 32)  # type: ignore[arg-type]


def test_signing_a_text_with_a_lone_surrogate_is_refused(signer: NoteSigner) -> None:
    """A note is UTF-8, so a text UTF-8 cannot encode is refused with a clear message."""
    with pytest.raises(ValueError, match="lone surrogate"):
        sign_note("a\ud800\n", signer)
