"""Proof services over any provable log: verify, prove, collect evidence, notarize.

They sit below the facade (:class:`fleetledger.Ledger`) and above storage: each takes a log
that implements the read and proof tiers of :mod:`fleetledger.backends.protocols` (the facade
hands them its access-checked view, never the raw backend) and does the I/O that
:mod:`fleetledger.integrity`'s pure functions leave out.
"""

from fleetledger.audit.evidence import collect_evidence
from fleetledger.audit.findings import Finding, FindingKind
from fleetledger.audit.fleet import HeadTally, open_fleet_head, replay_fleet
from fleetledger.audit.notary import Notary, NotaryRound
from fleetledger.audit.order import prove_order
from fleetledger.audit.prove import (
    LATEST,
    ConsistencyProof,
    HeadRef,
    InclusionProof,
    PartitionConsistency,
    ProofMaterial,
    StoredHead,
    proof_material,
    prove_consistency,
    prove_event,
    stored_heads,
)
from fleetledger.audit.verify import Verification, verify_ledger

__all__ = [
    "LATEST",
    "ConsistencyProof",
    "Finding",
    "FindingKind",
    "HeadRef",
    "HeadTally",
    "InclusionProof",
    "Notary",
    "NotaryRound",
    "PartitionConsistency",
    "ProofMaterial",
    "StoredHead",
    "Verification",
    "collect_evidence",
    "open_fleet_head",
    "proof_material",
    "prove_consistency",
    "prove_event",
    "prove_order",
    "replay_fleet",
    "stored_heads",
    "verify_ledger",
]
