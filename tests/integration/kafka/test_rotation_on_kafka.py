"""Signing-key rotation on Kafka: the notary hands over, verify follows from either key."""

import uuid
from collections.abc import Iterator

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteSigner, verify_bundle

OLD = NoteSigner.generate("notary.example.com")
NEW = NoteSigner.generate("notary.example.com")


@pytest.fixture
def rotated(bootstrap: str) -> Iterator[Ledger]:
    """A Kafka ledger notarized by the old key, handed over, then notarized by the new key
    (by a notary started afresh, as after a restart)."""
    url = f"kafka://{bootstrap}?namespace=n{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, default_source="tests", signer=False) as ledger:
        ledger.append("task.requested", subject="task-1", data={"goal": "g"})
        ledger.notary(OLD).rotate(NEW)
        ledger.append("task.requested", subject="task-1", data={"goal": "h"})
        ledger.notary(NEW).run_once()
        yield ledger


def test_a_rotated_kafka_ledger_verifies_with_the_old_key(rotated: Ledger) -> None:
    """The old key's holder follows the notary's handover to heads of the new key."""
    result = rotated.verify(OLD.verifier)
    assert result.ok, result.findings


def test_a_rotated_kafka_ledger_verifies_with_the_new_key(rotated: Ledger) -> None:
    """The new key's holder follows the handover back to heads the old key signed."""
    result = rotated.verify(NEW.verifier)
    assert result.ok, result.findings


def test_a_bundle_of_a_rotated_kafka_ledger_verifies_with_the_old_key(rotated: Ledger) -> None:
    """The bundle carries the notary's handover, so the old key proves its signer offline."""
    bundle = rotated.evidence("task-1", OLD.verifier)
    assert verify_bundle(bundle, OLD.verifier).signer_proved
