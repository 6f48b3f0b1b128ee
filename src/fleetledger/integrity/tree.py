"""Tree roots: of a whole list of leaves, and of a growing log through its :class:`Frontier`.

The tree is the RFC 6962 one: for ``n > 1`` leaves, ``k`` is the largest power of two below
``n`` and the root is ``node(root(leaves[:k]), root(leaves[k:]))``. Hashing level by level and
carrying an odd last node up unchanged builds exactly that tree, and does it with one list
comprehension per level instead of a recursive call per node.

A :class:`Frontier` (the "compact range" ``[0, size)`` of transparency-dev/merkle) is what a
ledger keeps per partition: the roots of the perfect subtrees that make up the tree, largest
first, one per set bit of ``size``. Appending costs one node hash on average (at most
``log2 n``), the root costs ``popcount(size) - 1`` hashes, and its state is small enough to
persist next to every write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from fleetledger.integrity._lines import MAX_SIZE, show
from fleetledger.integrity.hashing import EMPTY_ROOT, HASH_SIZE, is_hash, leaf_hash, leaf_hashes

_sha256 = hashlib.sha256
_SIZE_BYTES = 8
_ONE_BY_ONE = 16
"""Up to this many new leaves, pushing each is faster than hashing row by row."""


def tree_root(hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 root over the leaf hashes ``hashes`` (``EMPTY_ROOT`` for none)."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    while len(level) > 1:
        odd = [level.pop()] if len(level) & 1 else []
        level = _pair_up(level) + odd
    return level[0]


def _pair_up(level: list[bytes]) -> list[bytes]:
    """The parents of an even-length row of sibling hashes: one list comprehension per row."""
    sha, pairs = _sha256, zip(level[::2], level[1::2], strict=True)
    return [sha(b"\x01" + left + right).digest() for left, right in pairs]


def fold_subtrees(roots: Sequence[bytes]) -> bytes:
    """The root of adjacent perfect subtrees given largest first, as RFC 6962 joins them.

    Smaller subtrees always sit to the right, so the fold runs right to left: the last two
    join first, and each bigger subtree becomes the left child of what is built so far.
    """
    if not roots:
        return EMPTY_ROOT
    sha = _sha256
    root = roots[-1]
    for left in reversed(roots[:-1]):
        root = sha(b"\x01" + left + root).digest()
    return root


def _check_hashes(hashes: Sequence[bytes]) -> None:
    """Refuse anything but hashes (32 raw bytes each), checked in two passes that run in C."""
    if set(map(type, hashes)) - {bytes} or set(map(len, hashes)) - {HASH_SIZE}:
        raise ValueError(f"a leaf hash is {HASH_SIZE} raw bytes")


def _set_bits_high_to_low(size: int) -> list[int]:
    return [bit for bit in reversed(range(size.bit_length())) if size >> bit & 1]


class Frontier:
    """The right edge of a partition's tree: append leaves, read the root, persist the state.

    ``hashes`` are the roots of the perfect subtrees covering ``[0, size)``, largest first;
    there is exactly one per set bit of ``size``. Nothing here stores leaves, so memory stays
    at ``log2 n`` hashes however long the log grows.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._hashes: list[bytes] = []
        self._size = 0

    @classmethod
    def restore(cls, size: int, hashes: Sequence[bytes]) -> Frontier:
        """Rebuild a frontier from a persisted ``(size, hashes)``, refusing impossible states."""
        # The bound is what to_bytes can store in its 8 size bytes (and what checkpoints allow).
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_SIZE:
            raise ValueError(
                f"a frontier size is a non-negative integer up to 2**64 - 1, not {show(size)}"
            )
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a frontier of size {size} has {size.bit_count()} subtree hashes, "
                f"not {len(hashes)}"
            )
        if not all(is_hash(h) for h in hashes):
            raise ValueError(f"every frontier hash is {HASH_SIZE} raw bytes")
        frontier = cls()
        frontier._hashes = list(hashes)
        frontier._size = size
        return frontier

    @classmethod
    def from_bytes(cls, data: bytes) -> Frontier:
        """Read the form :meth:`to_bytes` writes: 8-byte big-endian size, then the hashes."""
        if len(data) < _SIZE_BYTES or (len(data) - _SIZE_BYTES) % HASH_SIZE:
            raise ValueError(f"{len(data)} bytes cannot hold a size and whole hashes")
        size = int.from_bytes(data[:_SIZE_BYTES], "big")
        body = data[_SIZE_BYTES:]
        hashes = [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)]
        return cls.restore(size, hashes)

    def to_bytes(self) -> bytes:
        """A compact, self-checking encoding to persist (``8 + 32 * popcount(size)`` bytes)."""
        return self._size.to_bytes(_SIZE_BYTES, "big") + b"".join(self._hashes)

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The perfect subtree roots covering ``[0, size)``, largest first."""
        return tuple(self._hashes)

    def append(self, data: bytes) -> bytes:
        """Add one event's stored bytes as the next leaf; return its leaf hash to store with it."""
        hashed = leaf_hash(data)
        self._push(hashed)
        return hashed

    def extend(self, items: Iterable[bytes]) -> list[bytes]:
        """Add many events' stored bytes, in order; return their leaf hashes (one per item)."""
        hashed = leaf_hashes(items)
        self._push_many(hashed)
        return hashed

    def append_hash(self, hashed: bytes) -> None:
        """Add a leaf by the hash :func:`leaf_hash` gave for it (e.g. read back from storage)."""
        if not is_hash(hashed):
            raise ValueError(f"a leaf hash is {HASH_SIZE} raw bytes")
        self._push(hashed)

    def extend_hashes(self, hashes: Iterable[bytes]) -> None:
        """Add many leaves by hash, in order; the fast path for replaying a stored partition."""
        batch = list(hashes)
        _check_hashes(batch)
        self._push_many(batch)

    def extended(self, hashes: Sequence[bytes]) -> Frontier:
        """A new frontier: this one with the leaves ``hashes`` appended (this one unchanged).

        What an append does with each transaction's leaves: it costs no copy of this
        frontier's state through :meth:`restore`, and a few leaves are pushed one by one.
        """
        _check_hashes(hashes)
        grown = Frontier()
        grown._hashes, grown._size = list(self._hashes), self._size
        if len(hashes) <= _ONE_BY_ONE:
            for hashed in hashes:
                grown._push(hashed)
        else:
            grown._push_many(list(hashes))
        return grown

    def root(self) -> bytes:
        """The RFC 6962 root of the tree as it stands."""
        return fold_subtrees(self._hashes)

    def copy(self) -> Frontier:
        """An independent frontier at the same size, e.g. to try a batch before committing it."""
        return Frontier.restore(self._size, self._hashes)

    def _push(self, hashed: bytes) -> None:
        # Each trailing one bit of the old size is a perfect subtree of the same height as
        # the carry, so they merge, exactly like incrementing a binary counter.
        hashes, size, sha = self._hashes, self._size, _sha256
        while size & 1:
            hashed = sha(b"\x01" + hashes.pop() + hashed).digest()
            size >>= 1
        hashes.append(hashed)
        self._size += 1

    def _push_many(self, hashes: list[bytes]) -> None:
        # Binary addition, one tree level at a time: at each level the frontier's own subtree
        # (if that bit of the size is set) sits just left of the new nodes, and pairs with the
        # first of them; an odd one out stays in the frontier at that level. Hashing a whole
        # row per list comprehension keeps Python overhead per node low.
        size = self._size
        existing = dict(zip(_set_bits_high_to_low(size), self._hashes, strict=True))
        kept: dict[int, bytes] = {}
        row, level = list(hashes), 0
        while row or existing:
            if level in existing:
                row = [existing.pop(level), *row]
            if len(row) & 1:
                kept[level] = row.pop()
            row = _pair_up(row)
            level += 1
        self._hashes = [kept[bit] for bit in sorted(kept, reverse=True)]
        self._size = size + len(hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable: equal frontiers may diverge

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()})"
