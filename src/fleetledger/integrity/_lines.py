"""Strict readers and writers for the fields of checkpoint and ledger-head lines.

Each value has exactly one spelling (decimal without leading zeros, padded standard base64),
so a signed body is canonical: two notes that say the same thing are the same bytes. Readers
raise ``ValueError``; the note parsers turn that into :class:`MalformedNote`.
"""

from __future__ import annotations

import base64
import binascii
import re
import reprlib

from fleetledger.integrity.hashing import EMPTY_ROOT, HASH_SIZE, is_hash

MAX_SIZE = 2**64 - 1
_MAX_DIGITS = len(str(MAX_SIZE))
_DECIMAL = re.compile(r"(0|[1-9][0-9]*)\Z")
_CONTROL = re.compile(r"[\x00-\x1f]")
_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 100


def decode_base64(text: str) -> bytes | None:
    """The bytes ``text`` spells in standard padded base64, or ``None`` unless it is the one
    spelling of them that encoders write.

    Go's ``base64.StdEncoding`` refuses anything outside the alphabet and wrong or extra
    padding; requiring the exact re-encoding refuses those too, and also the spellings Go
    tolerates but never writes (non-zero unused bits in the last character), so a note or key
    cannot be altered without changing what it decodes to.
    """
    if not text.isascii():  # b64decode raises a plain ValueError for non-ASCII text
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error:
        return None
    return raw if base64.b64encode(raw).decode() == text else None


def encode_hash(hashed: bytes) -> str:
    """Standard, padded base64 of a 32-byte hash (44 characters)."""
    return base64.b64encode(hashed).decode()


def decode_hash(text: str, what: str) -> bytes:
    """The 32-byte hash ``text`` spells, refusing any other spelling of it."""
    hashed = decode_base64(text)
    if hashed is None or len(hashed) != HASH_SIZE:
        raise ValueError(f"the {what} is not the base64 of a {HASH_SIZE}-byte hash: {show(text)}")
    return hashed


def decode_count(text: str, what: str) -> int:
    """A non-negative decimal with no sign, spaces or leading zeros, up to 2**64 - 1."""
    # The length check comes first: int() refuses more than 4300 digits with its own error.
    if len(text) > _MAX_DIGITS or not _DECIMAL.match(text) or int(text) > MAX_SIZE:
        raise ValueError(f"the {what} is not a decimal count: {show(text)}")
    return int(text)


def check_count(value: int, what: str) -> None:
    """Refuse a value that cannot be written as a tree size or partition number."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
        raise ValueError(f"the {what} is an integer from 0 to 2**64 - 1, not {show(value)}")


def check_tree(size: int, root: bytes) -> None:
    """Refuse a (size, root) pair no tree can have."""
    check_count(size, "tree size")
    if not is_hash(root):
        raise ValueError(f"a root hash is {HASH_SIZE} raw bytes")
    if size == 0 and root != EMPTY_ROOT:
        raise ValueError("the root of an empty tree is SHA-256 of nothing")


def check_line(text: str, what: str) -> None:
    """Refuse text that cannot be one non-empty line of a note (which is UTF-8)."""
    if not isinstance(text, str) or not text or _CONTROL.search(text) or not is_unicode(text):
        raise ValueError(
            f"the {what} is one non-empty line of Unicode text without control characters"
        )


def is_unicode(text: str) -> bool:
    """Whether UTF-8 can encode ``text``: a Python string may hold lone surrogates."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def show(value: object) -> str:
    """A short ``repr`` for an error message, even of a huge integer or string.

    ``repr`` of an integer of more than 4300 digits raises ``ValueError`` itself.
    """
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    return _SHORT.repr(value)
