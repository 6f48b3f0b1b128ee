"""Every RFC 6962 proof vector transparency-dev/merkle publishes, through fleetledger's verifiers.

The files under ``tests/vectors/rfc6962/`` (see its README) are upstream's own answers: each
says whether verifying it must fail. fleetledger agrees on every file but the one in
``STRICTER``, which it refuses on purpose.

Upstream also refuses every consistency proof from size 0 as meaningless, where fleetledger
accepts the empty proof from the empty tree's root (any tree extends the empty one). No
vector holds that case: of upstream's vectors from size 0, fleetledger refuses the one with a
proof for its proof, and the others because one of their roots is no 32-byte hash (upstream
writes ``don't care 1`` or ``2``), so both sides refuse all of them.
"""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from fleetledger.integrity import ProofError, verify_consistency, verify_inclusion

VECTORS = Path(__file__).parents[2] / "vectors" / "rfc6962"
FILES = sorted(path.relative_to(VECTORS).as_posix() for path in VECTORS.rglob("*.json"))
STRICTER = "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"


def vector(name: str) -> dict[str, Any]:
    """One upstream file, parsed."""
    loaded: dict[str, Any] = json.loads((VECTORS / name).read_text())
    return loaded


def b64(text: str) -> bytes:
    """A hash as upstream writes it: standard base64."""
    return base64.b64decode(text, validate=True)


def verify(v: dict[str, Any]) -> None:
    """Verify a vector with fleetledger: an inclusion proof if it names a leaf, else consistency."""
    proof = [b64(h) for h in v["proof"] or []]
    if "leafIdx" in v:
        verify_inclusion(
            b64(v["leafHash"]), proof, index=v["leafIdx"], size=v["treeSize"], root=b64(v["root"])
        )
    else:
        verify_consistency(
            proof,
            old_size=v["size1"],
            new_size=v["size2"],
            old_root=b64(v["root1"]),
            new_root=b64(v["root2"]),
        )


AGREED = [name for name in FILES if name != STRICTER]
ACCEPTED = [name for name in AGREED if not vector(name)["wantErr"]]
REFUSED = [name for name in AGREED if vector(name)["wantErr"]]


def test_every_upstream_file_is_here() -> None:
    """98 inclusion and 98 consistency files, as upstream has, so none was lost in copying."""
    assert sum(name.startswith("inclusion/") for name in FILES) == 98
    assert sum(name.startswith("consistency/") for name in FILES) == 98


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_proof_upstream_accepts_verifies(name: str) -> None:
    """Each of upstream's reference proofs, and the one-leaf tree's, verifies."""
    verify(vector(name))


@pytest.mark.parametrize("name", REFUSED)
def test_a_proof_upstream_refuses_raises_proof_error(name: str) -> None:
    """Each corruption and edge case upstream refuses is refused with ProofError."""
    with pytest.raises(ProofError):
        verify(vector(name))


def test_a_root_that_is_no_hash_is_refused_even_between_equal_sizes() -> None:
    """Deliberately stricter than upstream: between equal sizes with an empty proof, upstream
    only compares the two roots and accepts two equal 12-byte values (``don't care 2``).
    fleetledger first requires every root to be a 32-byte SHA-256 hash, since a value that
    cannot be a root proves nothing, so it raises ProofError."""
    assert not vector(STRICTER)["wantErr"]
    with pytest.raises(ProofError, match="32 raw bytes"):
        verify(vector(STRICTER))
