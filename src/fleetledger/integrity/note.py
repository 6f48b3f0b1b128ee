"""Signed notes (c2sp.org/signed-note) with Ed25519 keys, byte for byte as Go's sumdb/note.

A signed note is a UTF-8 text ending in a newline, a blank line, then one line per signature::

    <text, ending in \\n>
    <blank line>
    — <key name> <base64(4-byte key id ‖ 64-byte Ed25519 signature over the text)>

Notes hold no ASCII control characters other than newline. The text may contain blank lines;
the *last* blank line separates it from the signatures. Keys travel as one-line strings::

    verifier key  <name>+<key id as 8 hex digits>+<base64(0x01 ‖ 32-byte public key)>
    signer key    PRIVATE+KEY+<name>+<key id as 8 hex digits>+<base64(0x01 ‖ 32-byte seed)>

    key id = first 4 bytes, big-endian, of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ 32-byte public key)

Key names are non-empty and hold no whitespace and no ``+``. Base64 must be the one spelling
an encoder writes: Go's ``base64.StdEncoding`` refuses other alphabets and wrong or extra
padding, and we also refuse non-zero unused bits in a signature's last character, which Go
tolerates but never writes, so a signature line cannot change without changing what it
decodes to. A signer key is a secret: whoever
holds it can sign checkpoints in the ledger's name. Verification follows the spec: signatures
by unknown keys (name and id not both known) are ignored, one failing signature by a known key
rejects the note (:class:`BadSignature`), and a note with no verified signature is rejected
(:class:`UnknownKey`). This module does no I/O; reading key files is the caller's job.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from fleetledger.errors import BadSignature, InvalidKey, MalformedNote, UnknownKey
from fleetledger.integrity._lines import decode_base64, is_unicode

ED25519 = 0x01
"""The signature type byte of Ed25519 in key ids and encoded keys (c2sp.org/signed-note)."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are refused (the spec asks verifiers to accept 16)."""

_KEY_SIZE = 32
_SIGNATURE_PREFIX = "\u2014 "
_HEX8 = re.compile(r"[0-9a-fA-F]{8}\Z")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: the key's name and id, and the signature with the id removed."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line as it appears in a note, newline included."""
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{_SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


class NoteVerifier:
    """A trusted public key: checks the signatures one signer key makes."""

    __slots__ = ("_key", "key_id", "name", "public_key")

    def __init__(self, name: str, public_key: bytes) -> None:
        _require_name(name)
        if not isinstance(public_key, bytes) or len(public_key) != _KEY_SIZE:
            raise InvalidKey(f"an Ed25519 public key is {_KEY_SIZE} raw bytes")
        self.name = name
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, public_key)
        try:
            self._key = Ed25519PublicKey.from_public_bytes(self.public_key)
        except ValueError as exc:
            raise InvalidKey(f"not an Ed25519 public key: {exc}") from None

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key string; surrounding whitespace (a file's newline) is ignored."""
        name, key_hash, key = _split_key(vkey, parts=3)
        verifier = cls(name, _decode_key(key))
        _require_key_id(verifier, key_hash)
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string to publish to anyone who checks this ledger."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (key id removed) is this key's signature over ``text``."""
        try:
            self._key.verify(signature, text)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NoteVerifier):
            return NotImplemented
        return (self.name, self.public_key) == (other.name, other.public_key)

    def __hash__(self) -> int:
        return hash((self.name, self.public_key))

    def __repr__(self) -> str:
        return f"NoteVerifier({self.vkey!r})"


class NoteSigner:
    """A private key that signs notes under a key name; keep its :attr:`skey` secret."""

    __slots__ = ("_key", "_seed", "key_id", "name", "verifier")

    def __init__(self, name: str, seed: bytes) -> None:
        _require_name(name)
        if not isinstance(seed, bytes) or len(seed) != _KEY_SIZE:
            raise InvalidKey(f"an Ed25519 seed is {_KEY_SIZE} raw bytes")
        self._seed = bytes(seed)
        self._key = Ed25519PrivateKey.from_private_bytes(self._seed)
        self.name = name
        self.verifier = NoteVerifier(name, self._key.public_key().public_bytes_raw())
        self.key_id = self.verifier.key_id

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        """A new random key named ``name`` (e.g. ``ledger.example.com/acme``)."""
        return cls(name, Ed25519PrivateKey.generate().private_bytes_raw())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Read a signer key string; surrounding whitespace (a file's newline) is ignored."""
        private, key_word, name, key_hash, key = _split_key(skey, parts=5)
        if (private, key_word) != ("PRIVATE", "KEY"):
            raise InvalidKey("a signer key starts with PRIVATE+KEY+")
        signer = cls(name, _decode_key(key))
        _require_key_id(signer.verifier, key_hash)
        return signer

    @property
    def skey(self) -> str:
        """The secret signer key string, to store where only the notary can read it."""
        encoded = base64.b64encode(bytes([ED25519]) + self._seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{encoded}"

    def sign(self, text: bytes) -> NoteSignature:
        """This key's signature over ``text``."""
        return NoteSignature(self.name, self.key_id, self._key.sign(text))

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id:08x})"


@dataclass(frozen=True, slots=True)
class Note:
    """An opened note: its text, every signature on it, and the trusted keys that verified it."""

    text: str
    signatures: tuple[NoteSignature, ...]
    verified_by: tuple[NoteVerifier, ...]


def key_id(name: str, public_key: bytes) -> int:
    """The 32-bit id of an Ed25519 key under ``name``, as signed notes spell it."""
    _require_name(name)
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def sign_note(text: str, *signers: NoteSigner) -> bytes:
    """The signed note of ``text`` (which must end in a newline) by each of ``signers``."""
    if not signers:
        raise ValueError("a note needs at least one signer")
    _require_text(text)
    message = text.encode()
    lines = "".join(signer.sign(message).line() for signer in signers)
    return f"{text}\n{lines}".encode()


def parse_note(note: bytes) -> tuple[str, tuple[NoteSignature, ...]]:
    """Split a note into its text and signature lines, verifying nothing.

    Only for showing what a note claims; trust nothing in it before :func:`open_note`.
    """
    if not isinstance(note, bytes):
        raise MalformedNote(f"a signed note is bytes, not {type(note).__name__}")
    try:
        decoded = note.decode()
    except UnicodeDecodeError:
        raise MalformedNote("a signed note is UTF-8 text") from None
    if _CONTROL.search(decoded):
        raise MalformedNote("a signed note holds no control characters but newlines")
    split = decoded.rfind("\n\n")
    text, block = decoded[: split + 1], decoded[split + 2 :]
    if split < 0 or not block.endswith("\n"):
        raise MalformedNote("a signed note ends with a blank line and signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNote(f"a note carries at most {MAX_SIGNATURES} signatures")
    return text, tuple(_parse_signature(line) for line in lines)


def open_note(note: bytes, verifiers: NoteVerifier | Iterable[NoteVerifier]) -> Note:
    """The note's text once a trusted key's signature over it verifies.

    Raises :class:`MalformedNote`, :class:`BadSignature` (a trusted key's signature fails) or
    :class:`UnknownKey` (no signature by a trusted key).
    """
    trusted = _index(verifiers)
    text, signatures = parse_note(note)
    message = text.encode()
    unique = tuple(dict.fromkeys(signatures))
    verified: dict[NoteVerifier, None] = {}
    for signature in unique:
        verifier = trusted.get((signature.name, signature.key_id))
        if verifier is None or verifier in verified:
            continue
        if not verifier.verify(message, signature.signature):
            raise BadSignature(signature.name, signature.key_id)
        verified[verifier] = None
    if not verified:
        raise UnknownKey(tuple(dict.fromkeys((s.name, s.key_id) for s in unique)))
    return Note(text, unique, tuple(verified))


def _parse_signature(line: str) -> NoteSignature:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise MalformedNote("a signature line starts with an em dash and a space")
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    blob = decode_base64(encoded)
    if blob is None:
        raise MalformedNote(f"the signature by {name!r} is not canonical base64")
    if not _is_name(name) or len(blob) < 5:
        raise MalformedNote("a signature line names a valid key and carries a signature")
    return NoteSignature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def _index(verifiers: NoteVerifier | Iterable[NoteVerifier]) -> dict[tuple[str, int], NoteVerifier]:
    """Trusted keys by ``(name, key id)``; two different keys there would be ambiguous."""
    listed = [verifiers] if isinstance(verifiers, NoteVerifier) else list(verifiers)
    index: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in listed:
        if not isinstance(verifier, NoteVerifier):
            raise InvalidKey(f"a trusted key is a NoteVerifier, not {type(verifier).__name__}")
        known = index.setdefault((verifier.name, verifier.key_id), verifier)
        if known != verifier:
            raise InvalidKey(f"two trusted keys share the name and id of {verifier.vkey}")
    return index


def _split_key(encoded: str, *, parts: int) -> list[str]:
    if not isinstance(encoded, str):
        raise InvalidKey(f"a key string is a str, not {type(encoded).__name__}")
    fields = encoded.strip().split("+", parts - 1)
    if len(fields) != parts:
        raise InvalidKey("a key string has the form [PRIVATE+KEY+]name+keyid+key")
    return fields


def _decode_key(encoded: str) -> bytes:
    raw = decode_base64(encoded)
    if raw is None:
        raise InvalidKey("the key material is not canonical base64")
    if len(raw) != 1 + _KEY_SIZE or raw[0] != ED25519:
        raise InvalidKey("only Ed25519 keys (type 0x01, 32 bytes) are supported")
    return raw[1:]


def _require_key_id(verifier: NoteVerifier, key_hash: str) -> None:
    if not _HEX8.match(key_hash) or int(key_hash, 16) != verifier.key_id:
        raise InvalidKey(f"the key id {key_hash!r} does not match the key and name")


def _require_name(name: str) -> None:
    if not _is_name(name):
        raise InvalidKey(f"a key name is non-empty, without spaces or '+': {name!r}")


def _is_name(name: str) -> bool:
    """Go's rule (non-empty UTF-8, no space, no ``+``), and no control characters either."""
    if not isinstance(name, str) or not name or "+" in name or not is_unicode(name):
        return False
    return not any(c.isspace() or c < " " for c in name)


def _require_text(text: str) -> None:
    if not text.endswith("\n"):
        raise ValueError("a note's text ends with a newline")
    if _CONTROL.search(text):
        raise ValueError("a note's text holds no control characters but newlines")
    if not is_unicode(text):
        raise ValueError("a note's text is Unicode text, without lone surrogates")
