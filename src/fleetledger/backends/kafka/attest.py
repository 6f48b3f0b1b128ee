"""Writer attestation: how a ledger writer's Kafka records are told apart from anyone else's.

Anyone who can produce to a topic can set any header, so a record's headers alone prove
nothing about who wrote it. Every record a ledger writer produces carries ``fl_mac``: a MAC
over what the record holds, under a key only ledger writers hold (HMAC-SHA256, cheap per
record, unlike a signature). A reader checks it; a record without a valid one is *foreign*
(:mod:`fleetledger.events.foreign`): shown, hashed, mirrored, never counted as an event.

The MAC covers the record's topic and partition (so a genuine record copied elsewhere is
foreign there), its key, its value and every other header in order::

    HMAC-SHA256(key, "fleetledger-attest/1" ‖ for each of topic, partition (decimal text),
                key, value, then each header name and value: u64be(length) ‖ bytes,
                with -1 as the length of a Kafka null)

``fl_mac`` is one byte of kind, then, for kind 1 (keyed), the first 4 bytes of SHA-256 of the
key (its id), then the first 16 bytes of the MAC. Kind 0 (*unkeyed*) is the same MAC under
the public key ``fleetledger/unkeyed-attestation/1``: what writers use when no writer key is
configured. It tells accidental foreign records (a producer that knows nothing of the ledger)
from the ledger's own, but not deliberate forgeries; a writer key (``fleetledger keys init
--writer``) does. A reader holding the writer key accepts only records keyed with it; a
reader without one accepts unkeyed records it can check and keyed records it cannot (it trusts
the broker's ACLs for those; the governance layer derives them).
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence
from typing import NamedTuple

HEADER = "fl_mac"
UNKEYED = b"fleetledger/unkeyed-attestation/1"
_DOMAIN = b"fleetledger-attest/1"
_KEYED, _UNKEYED_KIND = 1, 0
_KEYED_SEAL, _UNKEYED_SEAL = bytes([_KEYED]), bytes([_UNKEYED_KIND])
_MAC_BYTES = 16
_ID_BYTES = 4

Header = tuple[str, bytes | None]


class Covered(NamedTuple):
    """What a seal covers: where the record is, and what it holds (``fl_mac`` left out)."""

    topic: str
    partition: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[Header]


class Attestor:
    """Seals records with the writers' key, and checks the seals of records read."""

    def __init__(self, key: bytes | None) -> None:
        self._key = key
        self._key_id = None if key is None else hashlib.sha256(key).digest()[:_ID_BYTES]
        self._keyed = None if key is None else _keyed(key)

    @property
    def keyed(self) -> bool:
        """Whether this attestor holds a writer key (so it can tell forgeries apart)."""
        return self._key is not None

    def seal(self, record: Covered) -> bytes:
        """The ``fl_mac`` header value for a record this writer produces."""
        if self._keyed is None or self._key_id is None:
            return _UNKEYED_SEAL + _mac(_UNKEYED_MAC, record)
        return _KEYED_SEAL + self._key_id + _mac(self._keyed, record)

    def genuine(self, record: Covered) -> bool:
        """Whether a record read was produced by a ledger writer: its last ``fl_mac`` header
        is a seal this reader accepts (see the module)."""
        seal = None
        others: list[Header] = []
        for name, item in record.headers:
            if name == HEADER:
                seal = item
            else:
                others.append((name, item))
        if not seal:
            return False
        kind, rest = seal[0], seal[1:]
        covered = record._replace(headers=others)
        if kind == _UNKEYED_KIND and self._keyed is None:
            return hmac.compare_digest(rest, _mac(_UNKEYED_MAC, covered))
        if kind != _KEYED or len(rest) != _ID_BYTES + _MAC_BYTES:
            return False
        if self._keyed is None:
            return True  # keyed by a key this reader does not hold: it cannot tell
        if rest[:_ID_BYTES] != self._key_id:
            return False
        return hmac.compare_digest(rest[_ID_BYTES:], _mac(self._keyed, covered))


def _mac(keyed: hmac.HMAC, record: Covered) -> bytes:
    """The MAC the module describes, under the key ``keyed`` (an HMAC that has taken the
    domain) holds, computed over the whole record at once: records are sealed on every append
    and checked on every read, so one update, not one per field."""
    digest = keyed.copy()
    digest.update(_covered(record))
    return digest.digest()[:_MAC_BYTES]


def _covered(record: Covered) -> bytes:
    """What the MAC covers after the domain: each field as ``u64be(length) ‖ bytes``."""
    topic = record.topic.encode("utf-8", "surrogateescape")
    partition = str(record.partition).encode()
    key, value = record.key, record.value
    if key is None or value is None:
        return _covered_with_nulls(record)
    lengths = _LENGTHS
    parts = [lengths[len(topic)], topic, lengths[len(partition)], partition]
    parts += (_LENGTH(len(key)), key, _LENGTH(len(value)), value)
    try:
        for name, item in record.headers:
            parts += (_NAMES[name], lengths[len(item)], item)  # type: ignore[arg-type]
    except TypeError:  # len(None): a Kafka null
        return _covered_with_nulls(record)
    return b"".join(parts)


def _covered_with_nulls(record: Covered) -> bytes:
    """:func:`_covered` for a record holding Kafka nulls (one read, never one sealed)."""
    topic = record.topic.encode("utf-8", "surrogateescape")
    parts = [topic, str(record.partition).encode(), record.key, record.value]
    for name, item in record.headers:
        parts += (name.encode("utf-8", "surrogateescape"), item)
    return b"".join(_NULL if part is None else _LENGTH(len(part)) + part for part in parts)


_LENGTH = struct.Struct(">Q").pack
_NULL = _LENGTH(2**64 - 1)
_MAX_NAMES = 1024
_MAX_LENGTH = 4096


class _Lengths(dict[int, bytes]):
    """Length -> ``u64be(length)``, kept for the lengths headers have."""

    def __missing__(self, length: int) -> bytes:
        encoded = _LENGTH(length)
        if length < _MAX_LENGTH:
            self[length] = encoded
        return encoded


class _Names(dict[str, bytes]):
    """Header name -> its covered form, ``u64be(length) ‖ UTF-8``, for the names seen so far
    (a ledger writes a handful; anyone's may be read, so only the first are kept)."""

    def __missing__(self, name: str) -> bytes:
        encoded = name.encode("utf-8", "surrogateescape")
        covered = _LENGTH(len(encoded)) + encoded
        if len(self) < _MAX_NAMES:
            self[name] = covered
        return covered


_NAMES = _Names()
_LENGTHS = _Lengths()


def _keyed(secret: bytes) -> hmac.HMAC:
    """An HMAC under ``secret`` that has taken the domain: each record's starts as a copy."""
    return hmac.new(secret, _DOMAIN, hashlib.sha256)


_UNKEYED_MAC = _keyed(UNKEYED)
