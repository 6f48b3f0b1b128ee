"""Tree roots and the Frontier: published roots, every size, and persistence round trips."""

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleetledger.integrity import EMPTY_ROOT, Frontier, leaf_hash, leaf_hashes, tree_root

TREE = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())["tree"]
LEAVES = [bytes.fromhex(leaf) for leaf in TREE["leaves_hex"]]
ROOTS = [bytes.fromhex(root) for root in TREE["roots_hex"]]
PROPERTY = settings(max_examples=50, deadline=None)
events = st.lists(st.binary(max_size=40), max_size=200)


def reference_root(hashes: list[bytes]) -> bytes:
    """RFC 6962 MTH written as the RFC defines it: split at the largest power of two below n."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    split = 1 << (len(hashes) - 1).bit_length() - 1
    left, right = reference_root(hashes[:split]), reference_root(hashes[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


@pytest.mark.parametrize("size", range(1, 9))
def test_tree_root_matches_the_published_root_at_each_size(size: int) -> None:
    """The 8-leaf reference tree has the published root at every size."""
    assert tree_root(leaf_hashes(LEAVES[:size])) == ROOTS[size - 1]


@pytest.mark.parametrize("size", range(1, 9))
def test_frontier_root_matches_the_published_root_at_each_size(size: int) -> None:
    """Appending the reference leaves one by one passes through every published root."""
    frontier = Frontier()
    for leaf in LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.root() == ROOTS[size - 1]


def test_an_empty_tree_has_the_empty_root() -> None:
    """Both ways of computing a root agree on the empty tree."""
    assert tree_root([]) == Frontier().root() == EMPTY_ROOT


@PROPERTY
@given(events)
def test_tree_root_equals_the_rfc_definition(items: list[bytes]) -> None:
    """Level-by-level hashing builds exactly the tree RFC 6962 defines recursively."""
    hashes = leaf_hashes(items)
    assert tree_root(hashes) == reference_root(hashes)


@PROPERTY
@given(events)
def test_frontier_root_equals_the_recomputed_root_at_every_size(items: list[bytes]) -> None:
    """After each append the frontier's root is the root of all leaves so far."""
    frontier, hashes = Frontier(), leaf_hashes(items)
    for size, item in enumerate(items, start=1):
        frontier.append(item)
        assert frontier.root() == tree_root(hashes[:size])


@PROPERTY
@given(st.lists(events, max_size=6))
def test_extending_in_batches_equals_appending_one_by_one(batches: list[list[bytes]]) -> None:
    """Batch appends merge with the frontier's existing subtrees exactly like single appends."""
    batched, single = Frontier(), Frontier()
    for batch in batches:
        batched.extend(batch)
        for item in batch:
            single.append(item)
        assert batched == single


@PROPERTY
@given(events)
def test_a_frontier_holds_one_hash_per_set_bit_of_its_size(items: list[bytes]) -> None:
    """The state is log-sized: one perfect subtree per set bit of the size."""
    frontier = Frontier()
    frontier.extend(items)
    assert len(frontier.hashes) == len(items).bit_count()


@PROPERTY
@given(events)
def test_a_frontier_round_trips_through_bytes(items: list[bytes]) -> None:
    """to_bytes then from_bytes gives an equal frontier with the same root."""
    frontier = Frontier()
    frontier.extend(items)
    restored = Frontier.from_bytes(frontier.to_bytes())
    assert restored == frontier
    assert restored.root() == frontier.root()


@PROPERTY
@given(events, events)
def test_a_restored_frontier_keeps_growing_like_the_original(
    first: list[bytes], second: list[bytes]
) -> None:
    """Persisting mid-log and appending afterwards reaches the root of the whole log."""
    frontier = Frontier()
    frontier.extend(first)
    restored = Frontier.restore(frontier.size, frontier.hashes)
    restored.extend(second)
    assert restored.root() == tree_root(leaf_hashes(first + second))


def test_extend_returns_the_leaf_hash_of_each_item() -> None:
    """The hashes to store next to the events come back from extend."""
    assert Frontier().extend(LEAVES) == leaf_hashes(LEAVES)


def test_append_returns_the_leaf_hash() -> None:
    """The hash to store next to one event comes back from append."""
    assert Frontier().append(b"event") == leaf_hash(b"event")


def test_append_hash_grows_the_tree_like_append() -> None:
    """Replaying stored leaf hashes gives the same tree as hashing the events."""
    by_hash = Frontier()
    by_hash.extend_hashes(leaf_hashes(LEAVES))
    assert by_hash.root() == ROOTS[-1]


def test_append_hash_refuses_a_value_that_is_not_a_hash() -> None:
    """Only 32-byte hashes can enter a frontier."""
    with pytest.raises(ValueError, match="32 raw bytes"):
        Frontier().append_hash(b"short")


def test_restore_refuses_a_hash_count_that_does_not_fit_the_size() -> None:
    """A frontier of size 5 has two subtrees (4 + 1), not one."""
    with pytest.raises(ValueError, match="has 2 subtree hashes"):
        Frontier.restore(5, [EMPTY_ROOT])


def test_restore_refuses_a_negative_size() -> None:
    """Sizes count leaves."""
    with pytest.raises(ValueError, match="non-negative"):
        Frontier.restore(-1, [])


def test_restore_refuses_a_size_too_large_to_persist() -> None:
    """A size past 2**64 - 1 cannot be written in to_bytes' 8 bytes, so it is refused early."""
    with pytest.raises(ValueError, match=r"2\*\*64 - 1"):
        Frontier.restore(2**64, [EMPTY_ROOT])


def test_from_bytes_refuses_a_truncated_state() -> None:
    """A state cut short is refused, not read as a smaller tree."""
    frontier = Frontier()
    frontier.extend(LEAVES[:3])
    with pytest.raises(ValueError, match="cannot hold"):
        Frontier.from_bytes(frontier.to_bytes()[:-1])


def test_a_copy_grows_independently() -> None:
    """Appending to a copy leaves the original as it was."""
    frontier = Frontier()
    frontier.extend(LEAVES[:3])
    copy = frontier.copy()
    copy.append(b"more")
    assert (frontier.size, copy.size) == (3, 4)
    assert frontier.root() == ROOTS[2]
