"""Erasure on Kafka: the topics hold only ciphertext of a data subject's confidential fields,
so after forget no record of any of the ledger's topics yields their plaintext, and verify
still passes."""

import uuid
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient

import fleetledger

from .conftest import read_raw

SECRETS = ("refund alice@example.com", "IBAN DE89370400440532013000")


def test_no_record_of_any_topic_holds_the_forgotten_subjects_plaintext(
    bootstrap: str, tmp_path: Path
) -> None:
    """Values and headers of every record of every topic of the namespace, read raw."""
    namespace = f"e{uuid.uuid4().hex[:10]}"
    url = f"kafka://{bootstrap}?namespace={namespace}&timeout=10"
    keys = tmp_path / "keys.db"
    common = {"subject": "task-1", "datasubject": "cust-7", "dataclassification": "restricted"}
    with fleetledger.open(url, default_source="tests", keys=keys) as ledger:
        ledger.append("task.requested", data={"goal": SECRETS[0]}, **common)
        ledger.append(
            "tool.call.requested",
            id="e2",
            data={"call_id": "c-1", "tool": "payments.refund", "arguments": {"iban": SECRETS[1]}},
            **common,
        )
        assert ledger.get("e2").data["arguments"] == {"iban": SECRETS[1]}
        ledger.forget("cust-7")
        assert ledger.get("e2").data["arguments"] == {"$erased": True}
        assert ledger.verify().ok
    listed = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    topics = {
        name: len(meta.partitions) for name, meta in listed.items() if name.startswith(namespace)
    }
    raw = b"".join(
        (message.value() or b"") + b"".join(v or b"" for _, v in message.headers() or [])
        for topic, partitions in topics.items()
        for message in read_raw(bootstrap, topic, partitions)
    )
    assert b"payments.refund" in raw  # the records were read: the join field is in the clear
    for secret in SECRETS:
        assert secret.encode() not in raw
    for path in tmp_path.iterdir():
        for secret in SECRETS:
            assert secret.encode() not in path.read_bytes(), path


def test_a_kafka_ledger_without_a_key_store_refuses_to_store_plaintext(bootstrap: str) -> None:
    """No key store by default on Kafka: a restricted confidential field is refused."""
    url = f"kafka://{bootstrap}?namespace=e{uuid.uuid4().hex[:10]}&timeout=10"
    with (
        fleetledger.open(url, default_source="tests") as ledger,
        pytest.raises(fleetledger.ConfigurationError, match="key store"),
    ):
        ledger.append(
            "task.requested",
            subject="task-1",
            dataclassification="restricted",
            data={"goal": SECRETS[0]},
        )
