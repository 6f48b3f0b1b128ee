"""Ordering rules on a Kafka ledger: the guard reads the task's acknowledged history to the end
of its partitions before producing, refuses a call without its approval, and stamps the hash
link that orders the pair in a proof against the notary's head."""

import uuid
from collections.abc import Iterator

import pytest

import fleetledger
from fleetledger import Ledger, PolicyViolation
from fleetledger.audit.notary import Notary
from fleetledger.governance import parse_ordering
from fleetledger.integrity import NoteSigner, read_order, verify_order

RULES = parse_ordering(
    [
        {
            "name": "payments need an approval",
            "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
            "requires": {"type": "governance.approval.granted"},
            "join": ["subject", "data.call_id"],
            "unless_after": {"type": "governance.approval.rejected"},
        }
    ]
)
CALL = {"call_id": "c1", "tool": "payments.transfer"}
DECISION = {"approval_id": "a1", "call_id": "c1"}


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("notary.example.com")


@pytest.fixture
def ledger(bootstrap: str, signer: NoteSigner) -> Iterator[Ledger]:
    url = f"kafka://{bootstrap}?namespace=o{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests", signer=signer, ordering=RULES) as opened:
        yield opened


def test_a_call_without_its_approval_is_refused_and_recorded(ledger: Ledger) -> None:
    """Nothing is produced for the call; a denied event names the rule."""
    with pytest.raises(PolicyViolation, match="payments need an approval"):
        ledger.append("tool.call.started", subject="task-1", data=CALL)
    assert [e.type for e in ledger.replay("task-1")] == ["governance.policy.denied"]


def test_an_acknowledged_rejection_refuses_the_call(ledger: Ledger) -> None:
    """Grant then reject, both acknowledged: the guard's read to the end sees the rejection."""
    ledger.append("governance.approval.granted", subject="task-2", data=DECISION)
    ledger.append("governance.approval.rejected", subject="task-2", data=DECISION)
    with pytest.raises(PolicyViolation, match="cancelled"):
        ledger.append("tool.call.started", subject="task-2", data=CALL)


def test_the_hash_link_orders_the_approval_and_the_call_in_a_proof(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """The call names the grant's leaf; one notary head covers both; the proof verifies."""
    ledger.append("governance.approval.granted", id="g3", subject="task-3", data=DECISION)
    ledger.append("tool.call.started", id="c3", subject="task-3", data=CALL)
    assert ledger.get("c3").orderedafter == "g3"
    Notary(ledger.log, ledger.namespace, signer).run_once()

    proof = ledger.prove_order("g3", "c3", signer.verifier)
    assert proof.method == "hash-link"
    assert verify_order(read_order(proof.dumps()), signer.verifier).later == "c3"
