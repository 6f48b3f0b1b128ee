"""The proof routes: inclusion, consistency and order proofs, evidence bundles and verify.

Each answers the JSON the command line writes (``prove --json``, ``evidence``), so a proof
fetched over HTTP is checked offline by the same tools (``fleetledger verify-bundle``, the
integrity functions), with a public key obtained independently of this server.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from fleetledger import ContractError, Ledger
from fleetledger.server.auth import acting
from fleetledger.server.models import VerificationOut
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["proofs"], responses=ROUTE_PROBLEMS)
Acting = Annotated[Ledger, Depends(acting)]
HeadRef = Annotated[str, Query(description="A head's number (GET /heads), or 'latest'")]


def head_ref(text: str, name: str) -> int | str:
    """``latest`` or a head's number; 400 naming the parameter otherwise."""
    if text == "latest":
        return text
    if text.isascii() and text.isdigit() and len(text) < 10:
        return int(text)
    raise ContractError(f"{name} is a head's number or 'latest', not {text!r}", field=name)


@router.get("/events/{event_id}/proof", response_model=dict[str, Any])
def inclusion(event_id: str, ledger: Acting) -> Any:
    """The event's inclusion proof against the newest signed ledger head covering it."""
    return ledger.prove(event_id).to_json()


@router.get("/events/{event_id}/material", response_model=dict[str, Any])
def material(event_id: str, ledger: Acting) -> Any:
    """The event's stored bytes (base64) and its inclusion proof as stored, checked by no one
    here: for a verifier that trusts nothing this server says (the UI's event page)."""
    return ledger.proof_material(event_id).to_json()


@router.get("/proofs/consistency", response_model=dict[str, Any])
def consistency(ledger: Acting, old: HeadRef, new: HeadRef = "latest") -> Any:
    """A proof that head ``new`` extends head ``old`` in every partition of ``old``."""
    return ledger.prove_consistency(head_ref(old, "old"), head_ref(new, "new")).to_json()


@router.get("/proofs/order", response_model=dict[str, Any])
def order(ledger: Acting, earlier: str, later: str) -> Any:
    """A proof that event ``earlier`` was committed before event ``later``."""
    return ledger.prove_order(earlier, later).to_json()


@router.get(
    "/tasks/{task}/evidence",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def evidence(task: str, ledger: Acting) -> Response:
    """The task's evidence bundle: the very bytes ``fleetledger evidence`` writes."""
    bundle = ledger.evidence(task)
    return Response(bundle.dumps(), media_type="application/json")


@router.get("/verify", response_model=VerificationOut)
def verify(ledger: Acting, deep: bool = False) -> VerificationOut:
    """Recompute every partition's tree and check its signed checkpoints."""
    result = ledger.verify(deep=deep)
    return VerificationOut(
        ok=result.ok,
        partitions=result.partitions,
        events=result.events,
        leaves=result.leaves,
        checkpoints=result.checkpoints,
        signatures_checked=result.signatures_checked,
        uncovered=result.uncovered,
        unsigned=result.unsigned,
        findings=[finding._asdict() for finding in result.findings],  # type: ignore[misc]
    )
