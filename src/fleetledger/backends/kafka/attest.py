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
from collections.abc import Sequence
from typing import NamedTuple

HEADER = "fl_mac"
UNKEYED = b"fleetledger/unkeyed-attestation/1"
_DOMAIN = b"fleetledger-attest/1"
_KEYED, _UNKEYED_KIND = 1, 0
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

    @property
    def keyed(self) -> bool:
        """Whether this attestor holds a writer key (so it can tell forgeries apart)."""
        return self._key is not None

    def seal(self, record: Covered) -> bytes:
        """The ``fl_mac`` header value for a record this writer produces."""
        if self._key is None or self._key_id is None:
            return bytes([_UNKEYED_KIND]) + _mac(UNKEYED, record)
        return bytes([_KEYED]) + self._key_id + _mac(self._key, record)

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
        if kind == _UNKEYED_KIND and self._key is None:
            return hmac.compare_digest(rest, _mac(UNKEYED, covered))
        if kind != _KEYED or len(rest) != _ID_BYTES + _MAC_BYTES:
            return False
        if self._key is None:
            return True  # keyed by a key this reader does not hold: it cannot tell
        if rest[:_ID_BYTES] != self._key_id:
            return False
        return hmac.compare_digest(rest[_ID_BYTES:], _mac(self._key, covered))


def _mac(secret: bytes, record: Covered) -> bytes:
    digest = hmac.new(secret, _DOMAIN, hashlib.sha256)
    topic = record.topic.encode("utf-8", "surrogateescape")
    for part in (topic, str(record.partition).encode(), record.key, record.value):
        _field(digest, part)
    for name, item in record.headers:
        _field(digest, name.encode("utf-8", "surrogateescape"))
        _field(digest, item)
    return digest.digest()[:_MAC_BYTES]


def _field(digest: hmac.HMAC, part: bytes | None) -> None:
    if part is None:
        digest.update((2**64 - 1).to_bytes(8, "big"))
        return
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)
