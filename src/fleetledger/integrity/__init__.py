"""Integrity: RFC 6962 Merkle trees, proofs and signed checkpoints, with no I/O.

Every partition is an append-only RFC 6962 tree whose leaves are the stored event bytes. This
package computes every hash of those trees (:mod:`.hashing`), keeps a partition's root as it
grows (:class:`Frontier`), makes and checks inclusion and consistency proofs (:mod:`.proofs`)
and signs and opens checkpoints and ledger heads (:mod:`.checkpoint`, :mod:`.head`) as C2SP
signed notes (:mod:`.note`), and reads and verifies evidence bundles (:mod:`.bundle`) and
order proofs (:mod:`.order`) offline.
It takes bytes and callables, never a backend, and imports nothing from fleetledger but
:mod:`fleetledger.errors`.
"""

from fleetledger.errors import (
    BadSignature,
    InvalidKey,
    MalformedBundle,
    MalformedNote,
    NoteError,
    ProofError,
    UnknownKey,
    WrongOrigin,
)
from fleetledger.integrity.bundle import (
    BundleEvent,
    BundleFinding,
    BundleFindingKind,
    BundleVerification,
    EvidenceBundle,
    ExcludedEvent,
    ManifestEntry,
    read_bundle,
    verify_bundle,
)
from fleetledger.integrity.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from fleetledger.integrity.handover import (
    KeyChain,
    KeyHandover,
    key_chain,
    open_handover,
    open_handover_head,
    sign_handover,
)
from fleetledger.integrity.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, leaf_hashes, node_hash
from fleetledger.integrity.head import LedgerHead, PartitionHead, open_ledger_head, sign_ledger_head
from fleetledger.integrity.note import (
    Note,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    parse_note,
    sign_note,
)
from fleetledger.integrity.order import (
    EarlierHead,
    OrderedEvent,
    OrderProof,
    OrderVerification,
    PartitionExtension,
    read_order,
    verify_order,
)
from fleetledger.integrity.proofs import (
    LeafHashes,
    SubtreeHash,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    root_from_inclusion_proof,
    subtrees_from_leaves,
    subtrees_of,
    verify_consistency,
    verify_inclusion,
)
from fleetledger.integrity.tree import Frontier, tree_root

__all__ = [
    "verify_order",
    "read_order",
    "PartitionExtension",
    "OrderVerification",
    "OrderProof",
    "OrderedEvent",
    "EarlierHead",
    "EMPTY_ROOT",
    "HASH_SIZE",
    "BadSignature",
    "BundleEvent",
    "BundleFinding",
    "BundleFindingKind",
    "BundleVerification",
    "Checkpoint",
    "EvidenceBundle",
    "ExcludedEvent",
    "Frontier",
    "InvalidKey",
    "LeafHashes",
    "LedgerHead",
    "MalformedBundle",
    "MalformedNote",
    "KeyChain",
    "KeyHandover",
    "ManifestEntry",
    "Note",
    "NoteError",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "PartitionHead",
    "ProofError",
    "SubtreeHash",
    "UnknownKey",
    "WrongOrigin",
    "consistency_proof",
    "consistency_ranges",
    "inclusion_proof",
    "inclusion_ranges",
    "key_chain",
    "key_id",
    "leaf_hash",
    "leaf_hashes",
    "node_hash",
    "open_checkpoint",
    "open_handover",
    "open_handover_head",
    "open_ledger_head",
    "open_note",
    "parse_note",
    "read_bundle",
    "root_from_inclusion_proof",
    "sign_checkpoint",
    "sign_handover",
    "sign_ledger_head",
    "sign_note",
    "subtrees_from_leaves",
    "subtrees_of",
    "tree_root",
    "verify_bundle",
    "verify_consistency",
    "verify_inclusion",
]
