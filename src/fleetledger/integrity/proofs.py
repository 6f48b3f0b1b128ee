"""Inclusion and consistency proofs: which hashes make them, and how a verifier checks them.

Proving needs hashes of old parts of the tree, which live in storage; this module never
touches storage. Callers pass a :data:`SubtreeHash` callable that returns the root of one
*perfect* subtree (``end - start`` a power of two, ``start`` a multiple of it): a backend with
stored interior nodes answers it in one lookup, and :func:`subtrees_from_leaves` answers it
from leaf hashes alone. Proof hashes that are not perfect subtrees (on the tree's ragged right
edge) are rebuilt here from perfect ones, so a callable never has to know about them.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 in the shape of transparency-dev/merkle's
``proof/verify.go``: split the path where it meets the tree's right border, chain the inner
part by the index bits and the border part always from the left. Every failure raises
:class:`~fleetledger.errors.ProofError` with the root that was expected and, when the proof
was well formed enough to compute one, the root it led to.

Tree sizes and leaf indexes are integers from 0 to 2**64 - 1, as in C2SP checkpoints and
transparency-dev/merkle (``uint64``); anything else (a float, a bool, ``None``, a negative or
larger number) is a malformed argument and raises :class:`~fleetledger.errors.ProofError` too,
so a size of ``0.5`` can never pass for a trivially consistent tree. The bound also keeps every
audit path at most 64 hashes long.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from fleetledger.errors import IntegrityError, ProofError
from fleetledger.integrity._lines import MAX_SIZE, show
from fleetledger.integrity.hashing import EMPTY_ROOT, HASH_SIZE, is_hash
from fleetledger.integrity.tree import fold_subtrees, tree_root

SubtreeHash = Callable[[int, int], bytes]
"""``(start, end) -> root`` of the perfect subtree over leaves ``[start, end)``."""

LeafHashes = Callable[[int, int], Sequence[bytes]]
"""``(start, end) -> leaf hashes`` of leaves ``[start, end)``, in order."""

Range = tuple[int, int]
_sha256 = hashlib.sha256


def subtrees_from_leaves(leaf_hashes: LeafHashes) -> SubtreeHash:
    """A :data:`SubtreeHash` that hashes up from leaf hashes; O(end - start) per call."""

    def subtree(start: int, end: int) -> bytes:
        hashes = leaf_hashes(start, end)
        if len(hashes) != end - start:
            raise IntegrityError(
                f"storage returned {len(hashes)} leaf hashes for leaves [{start}, {end})"
            )
        return tree_root(hashes)

    return subtree


def subtrees_of(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """A :data:`SubtreeHash` over leaf hashes already in memory."""
    return subtrees_from_leaves(lambda start, end: leaf_hashes[start:end])


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The leaf ranges whose roots form the audit path of leaf ``index``, bottom up."""
    _require_counts(None, index=index, size=size)
    if not index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves")
    return _path(index, size)


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The leaf ranges whose roots prove the tree of ``new_size`` extends ``old_size``.

    Empty when there is nothing to prove (equal sizes, or an empty old tree).
    """
    _require_counts(None, old_size=old_size, new_size=new_size)
    if not old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    if old_size in (0, new_size):
        return []
    # The old tree's last perfect subtree ends at old_size; its root is the seed a verifier
    # starts from, and the rest is that subtree's path in the new tree. When old_size is a
    # power of two the seed is the old root itself, which the verifier already holds.
    shift = _trailing_zeros(old_size)
    ranges = _path(old_size - 1, new_size)[shift:]
    if old_size != 1 << shift:
        ranges.insert(0, (old_size - (1 << shift), old_size))
    return ranges


def inclusion_proof(subtree: SubtreeHash, *, index: int, size: int) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3.1)."""
    return [_range_root(start, end, subtree) for start, end in inclusion_ranges(index, size)]


def consistency_proof(subtree: SubtreeHash, *, old_size: int, new_size: int) -> list[bytes]:
    """The proof that the tree of ``new_size`` leaves extends the one of ``old_size`` (§2.1.4.1)."""
    ranges = consistency_ranges(old_size, new_size)
    return [_range_root(start, end, subtree) for start, end in ranges]


def root_from_inclusion_proof(
    leaf_hash: bytes, proof: Sequence[bytes], *, index: int, size: int
) -> bytes:
    """The root that leaf ``index`` with this audit path leads to; raises if malformed."""
    return _inclusion_root(leaf_hash, proof, index, size, expected=None)


def verify_inclusion(
    leaf_hash: bytes, proof: Sequence[bytes], *, index: int, size: int, root: bytes
) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``."""
    computed = _inclusion_root(leaf_hash, proof, index, size, expected=root)
    _require_match(computed, root, f"leaf {index} is not included in the tree of {size} leaves")


def verify_consistency(
    proof: Sequence[bytes],
    *,
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
) -> None:
    """Check that the tree ``(new_size, new_root)`` is an append-only extension of the old one.

    Any tree extends the empty tree, so from ``old_size == 0`` only an empty proof and the
    empty-tree root are accepted; between equal sizes the roots must be equal.
    """
    _check_hashes(proof, old_root, new_root, expected=new_root)
    _require_counts(new_root, old_size=old_size, new_size=new_size)
    if not old_size <= new_size:
        raise ProofError(
            f"a tree of {new_size} leaves cannot extend one of {old_size}", expected=new_root
        )
    if old_size in (0, new_size):
        _verify_trivial(proof, old_size, new_size, old_root, new_root)
        return
    computed = _consistency_root(proof, old_size, new_size, old_root, new_root)
    _require_match(computed, new_root, f"the tree of {new_size} leaves does not extend {old_size}")


def _path(index: int, size: int) -> list[Range]:
    """Audit path ranges of ``index``: inner siblings by level, then left border siblings."""
    inner = (index ^ (size - 1)).bit_length()
    ranges = []
    for level in range(inner):
        start = ((index >> level) ^ 1) << level
        # Only the topmost inner sibling can reach past the tree's end (the ragged edge).
        ranges.append((start, min(start + (1 << level), size)))
    for level in range(inner, index.bit_length()):
        if (index >> level) & 1:
            start = ((index >> level) ^ 1) << level
            ranges.append((start, start + (1 << level)))
    return ranges


def _range_root(start: int, end: int, subtree: SubtreeHash) -> bytes:
    """The root over an aligned leaf range, from the perfect subtrees that tile it."""
    roots = []
    width = end - start
    for bit in reversed(range(width.bit_length())):
        if width >> bit & 1:
            roots.append(_checked(subtree(start, start + (1 << bit)), start))
            start += 1 << bit
    return fold_subtrees(roots)


def _checked(hashed: bytes, start: int) -> bytes:
    if not is_hash(hashed):
        raise IntegrityError(f"storage returned a malformed subtree hash at leaf {start}")
    return hashed


def _inclusion_root(
    leaf_hash: bytes, proof: Sequence[bytes], index: int, size: int, *, expected: bytes | None
) -> bytes:
    _check_hashes(proof, leaf_hash, expected=expected)
    _require_counts(expected, index=index, size=size)
    if not index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size} leaves", expected=expected)
    inner, border = _decompose(index, size)
    _check_length(proof, inner + border, expected)
    seed = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border(seed, proof[inner:])


def _consistency_root(
    proof: Sequence[bytes], old_size: int, new_size: int, old_root: bytes, new_root: bytes
) -> bytes:
    """The new root the proof leads to, after checking it also leads to ``old_root``."""
    inner, border = _decompose(old_size - 1, new_size)
    shift = _trailing_zeros(old_size)
    inner -= shift  # the levels below ``shift`` are inside the seed subtree
    # The seed is the old tree's last perfect subtree; when that is the whole old tree the
    # verifier holds it already and the proof leaves it out.
    seeded = old_size == 1 << shift
    _check_length(proof, (0 if seeded else 1) + inner + border, new_root)
    seed, rest = (old_root, proof) if seeded else (proof[0], proof[1:])
    mask = (old_size - 1) >> shift
    old = _chain_border(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _require_match(old, old_root, f"the proof does not lead to the old root of {old_size} leaves")
    return _chain_border(_chain_inner(seed, rest[:inner], mask), rest[inner:])


def _verify_trivial(
    proof: Sequence[bytes], old_size: int, new_size: int, old_root: bytes, new_root: bytes
) -> None:
    if proof:
        raise ProofError(
            f"a proof from size {old_size} to {new_size} is empty, not {len(proof)} hashes",
            expected=new_root,
        )
    if old_size == 0:
        _require_match(old_root, EMPTY_ROOT, "the root of an empty tree is SHA-256 of nothing")
    if old_size == new_size:  # from 0 to 0 as well: the new root is then the empty root too
        _require_match(new_root, old_root, f"two different roots for {old_size} leaves")


def _decompose(index: int, size: int) -> tuple[int, int]:
    """Split an audit path where the paths to ``index`` and to the last leaf meet."""
    inner = (index ^ (size - 1)).bit_length()
    return inner, (index >> inner).bit_count()


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    sha = _sha256
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = sha(b"\x01" + sibling + seed).digest()
        else:
            seed = sha(b"\x01" + seed + sibling).digest()
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Like :func:`_chain_inner` with only left siblings: the subtree as the old tree saw it."""
    sha = _sha256
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = sha(b"\x01" + sibling + seed).digest()
    return seed


def _chain_border(seed: bytes, proof: Sequence[bytes]) -> bytes:
    sha = _sha256
    for sibling in proof:
        seed = sha(b"\x01" + sibling + seed).digest()
    return seed


def _trailing_zeros(value: int) -> int:
    return (value & -value).bit_length() - 1


def _require_counts(expected: bytes | None, **counts: int) -> None:
    """Refuse a size or index that is not an integer from 0 to 2**64 - 1 (bools are not)."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SIZE:
            raise ProofError(
                f"{name} is an integer from 0 to 2**64 - 1, not {show(value)}", expected=expected
            )


def _check_hashes(proof: Sequence[bytes], *hashes: bytes, expected: bytes | None) -> None:
    if not all(is_hash(h) for h in hashes):
        raise ProofError(f"a leaf hash or root is {HASH_SIZE} raw bytes", expected=expected)
    if not isinstance(proof, Sequence) or not all(is_hash(h) for h in proof):
        raise ProofError(f"every proof hash is {HASH_SIZE} raw bytes", expected=expected)


def _check_length(proof: Sequence[bytes], want: int, expected: bytes | None) -> None:
    if len(proof) != want:
        raise ProofError(
            f"the proof has {len(proof)} hashes where {want} are needed", expected=expected
        )


def _require_match(computed: bytes, expected: bytes, message: str) -> None:
    if computed != expected:
        raise ProofError(
            f"{message}: computed root {computed.hex()}, expected {expected.hex()}",
            expected=expected,
            computed=computed,
        )
