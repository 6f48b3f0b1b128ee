"""RFC 6962 hashing: the only place a leaf or node hash of a partition is ever computed.

A partition is an RFC 6962 (RFC 9162 §2.1.1) Merkle tree over SHA-256. The one-byte prefixes
keep a leaf hash from ever equalling a node hash, so nobody can pass an interior node off as a
leaf (a second-preimage attack on the tree). Hashes are raw 32-byte ``bytes`` everywhere in
this package; hex and base64 are for the edges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

HASH_SIZE = 32
"""Length in bytes of every hash in a tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the empty tree: SHA-256 of the empty string (RFC 6962 §2.1)."""

_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """The leaf hash of one stored event: SHA-256(0x00 ‖ data)."""
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node: SHA-256(0x01 ‖ left ‖ right)."""
    return _sha256(b"\x01" + left + right).digest()


def leaf_hashes(items: Iterable[bytes]) -> list[bytes]:
    """The leaf hash of each item, in order, without a Python call per item beyond SHA-256."""
    sha = _sha256
    return [sha(b"\x00" + data).digest() for data in items]


def is_hash(value: object) -> bool:
    """Whether ``value`` has the shape of a tree hash (32 raw bytes)."""
    return isinstance(value, bytes) and len(value) == HASH_SIZE
