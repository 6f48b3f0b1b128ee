"""Proof properties over random trees: honest proofs verify, any flipped bit is caught."""

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fleetledger.errors import IntegrityError, ProofError
from fleetledger.integrity import (
    EMPTY_ROOT,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hashes,
    root_from_inclusion_proof,
    subtrees_from_leaves,
    subtrees_of,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

PROPERTY = settings(max_examples=50, deadline=None)
MAX_LEAVES = 200


@st.composite
def trees(draw: st.DrawFn, min_size: int = 1) -> list[bytes]:
    """Leaf hashes of a random tree of ``min_size`` to ``MAX_LEAVES`` leaves."""
    size = draw(st.integers(min_value=min_size, max_value=MAX_LEAVES))
    seed = draw(st.binary(max_size=8))
    return leaf_hashes(seed + i.to_bytes(2, "big") for i in range(size))


def flip(value: bytes, bit: int) -> bytes:
    """``value`` with one bit flipped (``bit`` counts from the first byte's low bit)."""
    out = bytearray(value)
    out[bit // 8] ^= 1 << bit % 8
    return bytes(out)


@PROPERTY
@given(trees())
def test_every_leaf_has_an_inclusion_proof_that_verifies(hashes: list[bytes]) -> None:
    """For every leaf of the tree, its audit path leads to the tree's root."""
    size, root, subtrees = len(hashes), tree_root(hashes), subtrees_of(hashes)
    for index, hashed in enumerate(hashes):
        proof = inclusion_proof(subtrees, index=index, size=size)
        verify_inclusion(hashed, proof, index=index, size=size, root=root)


@PROPERTY
@given(trees(), st.data())
def test_root_from_inclusion_proof_is_the_tree_root(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """The root a proof leads to is the root of the tree it was made from."""
    index = data.draw(st.integers(0, len(hashes) - 1))
    proof = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
    computed = root_from_inclusion_proof(hashes[index], proof, index=index, size=len(hashes))
    assert computed == tree_root(hashes)


@PROPERTY
@given(trees(), st.data())
def test_a_flipped_bit_in_the_leaf_fails_inclusion(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """Any change to the leaf hash makes the proof miss the root."""
    index = data.draw(st.integers(0, len(hashes) - 1))
    proof = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
    leaf = flip(hashes[index], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_inclusion(leaf, proof, index=index, size=len(hashes), root=tree_root(hashes))


@PROPERTY
@given(trees(min_size=2), st.data())
def test_a_flipped_bit_in_the_proof_fails_inclusion(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """Any change to any hash of the audit path makes it miss the root."""
    index = data.draw(st.integers(0, len(hashes) - 1))
    proof = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
    at = data.draw(st.integers(0, len(proof) - 1))
    proof[at] = flip(proof[at], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_inclusion(
            hashes[index], proof, index=index, size=len(hashes), root=tree_root(hashes)
        )


@PROPERTY
@given(trees(), st.data())
def test_a_flipped_bit_in_the_root_fails_inclusion(
    hashes: list[bytes], data: st.DataObject
) -> None:
    """A proof checked against any other root fails, carrying both roots."""
    index = data.draw(st.integers(0, len(hashes) - 1))
    proof = inclusion_proof(subtrees_of(hashes), index=index, size=len(hashes))
    root = flip(tree_root(hashes), data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError) as info:
        verify_inclusion(hashes[index], proof, index=index, size=len(hashes), root=root)
    assert (info.value.expected, info.value.computed) == (root, tree_root(hashes))


@st.composite
def extensions(draw: st.DrawFn, min_old: int = 0) -> tuple[list[bytes], int]:
    """A random tree of ``n`` leaves and an older size ``min_old <= m <= n`` of it."""
    hashes = draw(trees())
    return hashes, draw(st.integers(min_old, len(hashes)))


@PROPERTY
@given(extensions())
def test_a_consistency_proof_verifies_between_any_two_sizes(tree: tuple[list[bytes], int]) -> None:
    """The tree at size n provably extends itself at any size m <= n."""
    hashes, old = tree
    proof = consistency_proof(subtrees_of(hashes), old_size=old, new_size=len(hashes))
    verify_consistency(
        proof,
        old_size=old,
        new_size=len(hashes),
        old_root=tree_root(hashes[:old]),
        new_root=tree_root(hashes),
    )


@PROPERTY
@given(extensions(), st.data())
def test_a_flipped_bit_in_a_consistency_proof_fails(
    tree: tuple[list[bytes], int], data: st.DataObject
) -> None:
    """Any change to any hash of a non-empty consistency proof is caught."""
    hashes, old = tree
    proof = consistency_proof(subtrees_of(hashes), old_size=old, new_size=len(hashes))
    assume(proof)
    at = data.draw(st.integers(0, len(proof) - 1))
    proof[at] = flip(proof[at], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_consistency(
            proof,
            old_size=old,
            new_size=len(hashes),
            old_root=tree_root(hashes[:old]),
            new_root=tree_root(hashes),
        )


@PROPERTY
@given(extensions(min_old=1), st.data(), st.booleans())
def test_a_flipped_bit_in_either_root_fails_consistency(
    tree: tuple[list[bytes], int], data: st.DataObject, old_side: bool
) -> None:
    """A consistency proof from a non-empty tree checked against any other root fails."""
    hashes, old = tree
    proof = consistency_proof(subtrees_of(hashes), old_size=old, new_size=len(hashes))
    roots = [tree_root(hashes[:old]), tree_root(hashes)]
    roots[0 if old_side else 1] = flip(roots[0 if old_side else 1], data.draw(st.integers(0, 255)))
    with pytest.raises(ProofError):
        verify_consistency(
            proof, old_size=old, new_size=len(hashes), old_root=roots[0], new_root=roots[1]
        )


@PROPERTY
@given(extensions(min_old=1))
def test_a_changed_old_leaf_breaks_consistency(tree: tuple[list[bytes], int]) -> None:
    """Rewriting history (a leaf below the old size) cannot be proved consistent."""
    hashes, old = tree
    rewritten = [flip(hashes[0], 0), *hashes[1:]]
    proof = consistency_proof(subtrees_of(rewritten), old_size=old, new_size=len(hashes))
    with pytest.raises(ProofError):
        verify_consistency(
            proof,
            old_size=old,
            new_size=len(hashes),
            old_root=tree_root(hashes[:old]),
            new_root=tree_root(rewritten),
        )


@PROPERTY
@given(extensions())
def test_proofs_ask_storage_only_for_perfect_subtrees(tree: tuple[list[bytes], int]) -> None:
    """The storage callable is asked only for aligned power-of-two ranges inside the tree."""
    hashes, old = tree
    asked: list[tuple[int, int]] = []

    def leaves(start: int, end: int) -> list[bytes]:
        asked.append((start, end))
        return hashes[start:end]

    subtrees = subtrees_from_leaves(leaves)
    consistency_proof(subtrees, old_size=old, new_size=len(hashes))
    inclusion_proof(subtrees, index=len(hashes) - 1, size=len(hashes))
    for start, end in asked:
        width = end - start
        assert width & (width - 1) == 0
        assert start % width == 0
        assert end <= len(hashes)


def test_storage_that_loses_leaves_is_an_integrity_error() -> None:
    """A backend returning fewer leaf hashes than asked is reported, not proved around."""
    hashes = leaf_hashes(bytes([i]) for i in range(5))
    short = subtrees_from_leaves(lambda start, end: hashes[start : end - 1])
    with pytest.raises(IntegrityError, match="returned"):
        inclusion_proof(short, index=0, size=5)


def test_proving_a_leaf_outside_the_tree_is_refused() -> None:
    """There is no audit path for leaf 5 of a 5-leaf tree."""
    with pytest.raises(ProofError, match="not in a tree"):
        inclusion_proof(subtrees_of([]), index=5, size=5)


def test_proving_a_shrinking_tree_is_refused() -> None:
    """There is no consistency proof from a bigger tree to a smaller one."""
    with pytest.raises(ProofError, match="no consistency proof"):
        consistency_proof(subtrees_of([]), old_size=3, new_size=2)


# -- malformed arguments (fuzzing): sizes and indexes are integers from 0 to 2**64 - 1 ----------

ONE_LEAF = leaf_hashes([b"only"])[0]


@pytest.mark.parametrize("size", [None, 1.0, "1"], ids=["none", "float", "str"])
def test_a_tree_size_that_is_not_an_integer_is_a_proof_error(size: object) -> None:
    """verify_inclusion refuses a size of the wrong type with ProofError, not TypeError."""
    with pytest.raises(ProofError, match="size is an integer"):
        verify_inclusion(ONE_LEAF, [], index=0, size=size, root=ONE_LEAF)  # type: ignore[arg-type]


def test_a_bool_is_not_a_leaf_index() -> None:
    """True is not leaf 1, though Python compares them equal."""
    hashes = leaf_hashes([b"a", b"b"])
    with pytest.raises(ProofError, match="index is an integer"):
        verify_inclusion(hashes[1], [hashes[0]], index=True, size=2, root=tree_root(hashes))


@pytest.mark.parametrize(
    ("old_size", "new_size"), [(0, 0.5), (0.5, 0.5)], ids=["from-empty", "equal"]
)
def test_a_fractional_size_is_never_trivially_consistent(
    old_size: object, new_size: object
) -> None:
    """A fractional size used to pass as an empty or unchanged tree; it is a ProofError."""
    with pytest.raises(ProofError, match="size is an integer"):
        verify_consistency(
            [],
            old_size=old_size,  # type: ignore[arg-type]
            new_size=new_size,  # type: ignore[arg-type]
            old_root=EMPTY_ROOT,
            new_root=EMPTY_ROOT,
        )


def test_a_fractional_old_size_is_a_proof_error() -> None:
    """verify_consistency refuses old_size=0.5 with ProofError, not TypeError."""
    with pytest.raises(ProofError, match="old_size is an integer"):
        verify_consistency(
            [],
            old_size=0.5,  # type: ignore[arg-type]
            new_size=1,
            old_root=ONE_LEAF,
            new_root=ONE_LEAF,
        )


def test_a_negative_tree_size_has_no_inclusion_ranges() -> None:
    """inclusion_ranges(8, -1) is a ProofError, a LedgerError, not a plain ValueError."""
    with pytest.raises(ProofError, match="size is an integer"):
        inclusion_ranges(8, -1)


def test_a_negative_tree_size_has_no_consistency_ranges() -> None:
    """consistency_ranges(8, -1) is a ProofError, a LedgerError, not a plain ValueError."""
    with pytest.raises(ProofError, match="new_size is an integer"):
        consistency_ranges(8, -1)


def test_a_tree_size_beyond_uint64_is_refused() -> None:
    """Sizes are uint64 as in checkpoints, which also bounds an audit path to 64 hashes."""
    with pytest.raises(ProofError, match=r"2\*\*64 - 1"):
        inclusion_ranges(0, 2**64)


def test_a_proof_that_is_not_a_sequence_is_a_proof_error() -> None:
    """A missing proof (None) is refused as malformed, not with a TypeError."""
    with pytest.raises(ProofError, match="proof hash"):
        verify_inclusion(ONE_LEAF, None, index=0, size=1, root=ONE_LEAF)  # type: ignore[arg-type]


def test_an_empty_tree_is_not_consistent_with_another_root_of_size_zero() -> None:
    """From size 0 to size 0 the new root must be the empty root too, as transparency-dev has it."""
    with pytest.raises(ProofError, match="two different roots"):
        verify_consistency(
            [], old_size=0, new_size=0, old_root=EMPTY_ROOT, new_root=leaf_hashes([b"x"])[0]
        )
