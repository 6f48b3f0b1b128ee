"""RFC 6962 leaf and node hashing against transparency-dev/merkle's published hasher vectors."""

import json
from pathlib import Path

from fleetledger.integrity import EMPTY_ROOT, HASH_SIZE, leaf_hash, leaf_hashes, node_hash

HASHER = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())["hasher"]


def test_the_empty_root_is_sha256_of_nothing() -> None:
    """The root of an empty tree is the published SHA-256 of the empty string."""
    assert EMPTY_ROOT.hex() == HASHER["empty_root"]


def test_an_empty_leaf_hashes_to_the_published_value() -> None:
    """An empty leaf is SHA-256(0x00), which differs from the empty tree's root."""
    assert leaf_hash(b"").hex() == HASHER["empty_leaf"]


def test_a_leaf_hashes_to_the_published_value() -> None:
    """A leaf hash is SHA-256(0x00 ‖ data)."""
    vector = HASHER["leaf"]
    assert leaf_hash(bytes.fromhex(vector["data_hex"])).hex() == vector["hash"]


def test_a_node_hashes_to_the_published_value() -> None:
    """A node hash is SHA-256(0x01 ‖ left ‖ right)."""
    vector = HASHER["node"]
    left, right = bytes.fromhex(vector["left_hex"]), bytes.fromhex(vector["right_hex"])
    assert node_hash(left, right).hex() == vector["hash"]


def test_a_node_is_never_the_leaf_of_its_children_concatenated() -> None:
    """Domain separation: an interior node cannot pass for a leaf (second preimage)."""
    left, right = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(left, right) != leaf_hash(left + right)


def test_swapping_children_changes_the_node_hash() -> None:
    """A node hash depends on the order of its children."""
    left, right = leaf_hash(b"Hello"), leaf_hash(b"World")
    assert node_hash(left, right) != node_hash(right, left)


def test_leaf_hashes_hashes_each_item_in_order() -> None:
    """The bulk helper gives the same hashes as one call per item."""
    items = [b"", b"a", b"bc" * 300]
    assert leaf_hashes(items) == [leaf_hash(item) for item in items]


def test_every_hash_is_32_bytes() -> None:
    """Hashes are raw SHA-256 digests."""
    assert len(leaf_hash(b"x")) == len(node_hash(EMPTY_ROOT, EMPTY_ROOT)) == HASH_SIZE
