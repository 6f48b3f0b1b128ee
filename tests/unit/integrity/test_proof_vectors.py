"""Inclusion and consistency proofs against transparency-dev/merkle's published vectors."""

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetledger.errors import IntegrityError, ProofError
from fleetledger.integrity import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hashes,
    subtrees_of,
    verify_consistency,
    verify_inclusion,
)

VECTORS = json.loads((Path(__file__).parent / "vectors" / "rfc6962.json").read_text())
LEAF_HASHES = leaf_hashes(bytes.fromhex(leaf) for leaf in VECTORS["tree"]["leaves_hex"])
INCLUSION = VECTORS["inclusion"]
CONSISTENCY = VECTORS["consistency"]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def b64(text: str) -> bytes:
    """Decode a base64 field of an upstream vector."""
    return base64.b64decode(text)


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    """The proof of an upstream vector (JSON null is the empty proof)."""
    return [b64(h) for h in vector["proof"] or []]


def flipped(proof: list[bytes], i: int, mask: int) -> list[bytes]:
    """A copy of ``proof`` with ``mask`` flipped in the first byte of element ``i``."""
    out = list(proof)
    out[i] = bytes([out[i][0] ^ mask]) + out[i][1:]
    return out


def check_inclusion(v: dict[str, Any]) -> None:
    """Verify one inclusion vector."""
    verify_inclusion(
        b64(v["leafHash"]), proof_of(v), index=v["leafIdx"], size=v["treeSize"], root=b64(v["root"])
    )


def check_consistency(v: dict[str, Any]) -> None:
    """Verify one consistency vector."""
    verify_consistency(
        proof_of(v),
        old_size=v["size1"],
        new_size=v["size2"],
        old_root=b64(v["root1"]),
        new_root=b64(v["root2"]),
    )


def inclusion_probes(v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """transparency-dev's corruptInclusionProof: every way a good proof must stop verifying."""
    idx, size, proof = v["leafIdx"], v["treeSize"], v["proof"] or []
    root = v["root"]
    enc = base64.b64encode
    probes: list[tuple[str, dict[str, Any]]] = [
        ("leafIdx - 1", {"leafIdx": idx - 1}),
        ("leafIdx + 1", {"leafIdx": idx + 1}),
        ("leafIdx ^ 2", {"leafIdx": idx ^ 2}),
        ("treeSize * 2", {"treeSize": size * 2}),
        ("treeSize / 2", {"treeSize": size // 2}),
        ("wrong leaf", {"leafHash": enc(b"WrongLeaf").decode()}),
        ("empty root", {"root": enc(EMPTY_ROOT).decode()}),
        ("random root", {"root": enc(SOME_HASH).decode()}),
        ("trailing garbage", {"proof": [*proof, ""]}),
        ("trailing root", {"proof": [*proof, root]}),
        ("preceding garbage", {"proof": ["", *proof]}),
        ("preceding root", {"proof": [root, *proof]}),
    ]
    raw = proof_of(v)
    for i in range(len(raw)):
        probes.append((f"modified proof[{i}] bit 3", {"proof": encoded(flipped(raw, i, 8))}))
    if raw:
        probes.append(("removed component", {"proof": proof[:-1]}))
    if len(raw) > 1:
        probes.append(
            ("inserted component", {"proof": [proof[0], enc(SOME_HASH).decode(), *proof[1:]]})
        )
    return probes


def consistency_probes(v: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """transparency-dev's corruptConsistencyProof, for proofs that are not empty."""
    size1, size2, proof = v["size1"], v["size2"], v["proof"] or []
    root1, root2 = v["root1"], v["root2"]
    wrong = base64.b64encode(b"WrongRoot").decode()
    probes: list[tuple[str, dict[str, Any]]] = [
        ("size1 - 1", {"size1": size1 - 1}),
        ("size1 + 1", {"size1": size1 + 1}),
        ("size1 ^ 2", {"size1": size1 ^ 2}),
        ("size2 * 2", {"size2": size2 * 2}),
        ("size2 / 2", {"size2": size2 // 2}),
        ("wrong root1", {"root1": wrong}),
        ("wrong root2", {"root2": wrong}),
        ("swapped roots", {"root1": root2, "root2": root1}),
        ("empty proof", {"proof": []}),
        ("trailing garbage", {"proof": [*proof, ""]}),
        ("trailing root1", {"proof": [*proof, root1]}),
        ("trailing root2", {"proof": [*proof, root2]}),
        ("preceding garbage", {"proof": ["", *proof]}),
        ("preceding root1", {"proof": [root1, *proof]}),
        ("preceding root2", {"proof": [root2, *proof]}),
        ("preceding proof[0]", {"proof": [proof[0], *proof]}),
        ("truncated proof", {"proof": proof[:-1]}),
    ]
    raw = proof_of(v)
    for i in range(len(raw)):
        probes.append((f"modified proof[{i}] bit 4", {"proof": encoded(flipped(raw, i, 16))}))
    return probes


def encoded(proof: list[bytes]) -> list[str]:
    """Back to the vectors' base64 form."""
    return [base64.b64encode(h).decode() for h in proof]


Probes = Callable[[dict[str, Any]], list[tuple[str, dict[str, Any]]]]


def corruptions(vectors: list[dict[str, Any]], probes: Probes, *, empty: bool) -> list[Any]:
    """One pytest param per (happy path, corruption); ``empty``: corrupt empty proofs too."""
    return [
        pytest.param({**v, **change}, id=f"{v['source']}:{name}")
        for v in vectors
        if not v["wantErr"] and (empty or v["proof"])
        for name, change in probes(v)
    ]


@pytest.mark.parametrize("vector", INCLUSION, ids=[v["source"] for v in INCLUSION])
def test_a_published_inclusion_vector_verifies_or_fails_as_published(
    vector: dict[str, Any],
) -> None:
    """Happy paths verify; published failures raise ProofError."""
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check_inclusion(vector)
    else:
        check_inclusion(vector)


@pytest.mark.parametrize("vector", CONSISTENCY, ids=[v["source"] for v in CONSISTENCY])
def test_a_published_consistency_vector_verifies_or_fails_as_published(
    vector: dict[str, Any],
) -> None:
    """Happy paths verify; published failures raise ProofError."""
    if vector["wantErr"]:
        with pytest.raises(ProofError):
            check_consistency(vector)
    else:
        check_consistency(vector)


@pytest.mark.parametrize("vector", corruptions(INCLUSION, inclusion_probes, empty=True))
def test_every_upstream_corruption_of_an_inclusion_proof_fails(vector: dict[str, Any]) -> None:
    """Each corruption transparency-dev applies to a good inclusion proof raises ProofError."""
    with pytest.raises(ProofError):
        check_inclusion(vector)


@pytest.mark.parametrize("vector", corruptions(CONSISTENCY, consistency_probes, empty=False))
def test_every_upstream_corruption_of_a_consistency_proof_fails(vector: dict[str, Any]) -> None:
    """Each corruption transparency-dev applies to a good consistency proof raises ProofError."""
    with pytest.raises(ProofError):
        check_consistency(vector)


@pytest.mark.parametrize(
    "vector", [v for v in INCLUSION if not v["wantErr"]], ids=lambda v: v["source"]
)
def test_inclusion_proof_reproduces_the_published_proof(vector: dict[str, Any]) -> None:
    """Proving from the reference tree's leaves gives the published audit path."""
    size = vector["treeSize"]
    made = inclusion_proof(subtrees_of(LEAF_HASHES[:size]), index=vector["leafIdx"], size=size)
    assert made == proof_of(vector)


@pytest.mark.parametrize(
    "vector", [v for v in CONSISTENCY if not v["wantErr"]], ids=lambda v: v["source"]
)
def test_consistency_proof_reproduces_the_published_proof(vector: dict[str, Any]) -> None:
    """Proving from the reference tree's leaves gives the published consistency proof."""
    subtrees = subtrees_of(LEAF_HASHES[: vector["size2"]])
    made = consistency_proof(subtrees, old_size=vector["size1"], new_size=vector["size2"])
    assert made == proof_of(vector)


def test_a_proof_error_carries_the_expected_and_computed_roots() -> None:
    """A report can show which root the proof reached instead of the trusted one."""
    vector = INCLUSION[1]
    with pytest.raises(ProofError) as info:
        verify_inclusion(
            LEAF_HASHES[1], proof_of(vector), index=0, size=8, root=b64(vector["root"])
        )
    assert info.value.expected == b64(vector["root"])
    assert info.value.computed is not None
    assert info.value.computed != info.value.expected


def test_a_malformed_proof_error_has_no_computed_root() -> None:
    """A proof of the wrong length leads nowhere, so nothing was computed."""
    with pytest.raises(ProofError) as info:
        verify_inclusion(LEAF_HASHES[0], [], index=0, size=8, root=b64(INCLUSION[1]["root"]))
    assert info.value.computed is None


def test_a_proof_error_is_an_integrity_error() -> None:
    """Callers catching IntegrityError also catch failed proofs."""
    assert issubclass(ProofError, IntegrityError)


def test_consistency_from_the_empty_tree_needs_no_proof() -> None:
    """Every tree extends the empty one; the old root must be the empty-tree root."""
    root = b64(INCLUSION[1]["root"])
    verify_consistency([], old_size=0, new_size=8, old_root=EMPTY_ROOT, new_root=root)


def test_consistency_from_the_empty_tree_refuses_another_old_root() -> None:
    """An 'empty' tree with a root other than SHA-256 of nothing is not empty."""
    root = b64(INCLUSION[1]["root"])
    with pytest.raises(ProofError):
        verify_consistency([], old_size=0, new_size=8, old_root=root, new_root=root)


def test_consistency_between_equal_sizes_refuses_different_roots() -> None:
    """Two trees of the same size are consistent only if they are the same tree."""
    with pytest.raises(ProofError):
        verify_consistency(
            [], old_size=8, new_size=8, old_root=b64(INCLUSION[1]["root"]), new_root=SOME_HASH
        )


def test_consistency_refuses_a_shrinking_tree() -> None:
    """A log never gets shorter."""
    root = hashlib.sha256(b"x").digest()
    with pytest.raises(ProofError, match="cannot extend"):
        verify_consistency([], old_size=2, new_size=1, old_root=root, new_root=root)
