"""Strict readers and writers for the fields of checkpoint and ledger-head lines.

Each value has exactly one spelling (decimal without leading zeros, padded standard base64),
so a signed body is canonical: two notes that say the same thing are the same bytes. Readers
raise ``ValueError``; the note parsers turn that into :class:`MalformedNote`.
"""

from __future__ import annotations

import base64
import binascii
import re

from fleetledger.integrity.hashing import EMPTY_ROOT, HASH_SIZE, is_hash

MAX_SIZE = 2**64 - 1
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)\Z")
_CONTROL = re.compile(r"[\x00-\x1f]")


def encode_hash(hashed: bytes) -> str:
    """Standard, padded base64 of a 32-byte hash (44 characters)."""
    return base64.b64encode(hashed).decode()


def decode_hash(text: str, what: str) -> bytes:
    """The 32-byte hash ``text`` spells, refusing any other spelling of it."""
    try:
        hashed = base64.b64decode(text, validate=True)
    except binascii.Error:
        hashed = b""
    if len(hashed) != HASH_SIZE or encode_hash(hashed) != text:
        raise ValueError(f"the {what} is not the base64 of a {HASH_SIZE}-byte hash: {text!r}")
    return hashed


def decode_count(text: str, what: str) -> int:
    """A non-negative decimal with no sign, spaces or leading zeros, up to 2**64 - 1."""
    if not _DECIMAL.match(text) or int(text) > MAX_SIZE:
        raise ValueError(f"the {what} is not a decimal count: {text!r}")
    return int(text)


def check_count(value: int, what: str) -> None:
    """Refuse a value that cannot be written as a tree size or partition number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise ValueError(f"the {what} is an integer from 0 to 2**64 - 1, not {value!r}")


def check_tree(size: int, root: bytes) -> None:
    """Refuse a (size, root) pair no tree can have."""
    check_count(size, "tree size")
    if not is_hash(root):
        raise ValueError(f"a root hash is {HASH_SIZE} raw bytes")
    if size == 0 and root != EMPTY_ROOT:
        raise ValueError("the root of an empty tree is SHA-256 of nothing")


def check_line(text: str, what: str) -> None:
    """Refuse text that cannot be one non-empty line of a note."""
    if not isinstance(text, str) or not text or _CONTROL.search(text):
        raise ValueError(f"the {what} is one non-empty line without control characters")
