"""A head replay on a Kafka copy of a SQLite ledger: the same events in the same order as on
the SQLite file, each checked against the head the SQLite writer signed."""

import uuid
from pathlib import Path

import pytest

import fleetledger
from fleetledger.demo import simulate
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import mirror


@pytest.mark.usefixtures("broker")
def test_a_kafka_copy_replays_a_head_as_the_sqlite_ledger_does(
    bootstrap: str, tmp_path: Path
) -> None:
    """Head #1 signed on SQLite, mirrored to Kafka: identical id sequences on both."""
    namespace = f"r{uuid.uuid4().hex[:10]}"
    signer = NoteSigner.generate("kafka-replay.example.com")
    sqlite_url = f"sqlite:///{tmp_path / 'fleet.db'}?namespace={namespace}"
    with fleetledger.open(sqlite_url, signer=signer) as source:
        simulate(source, tasks=3, seed=11)
    kafka_url = f"kafka://{bootstrap}?namespace={namespace}&timeout=10"
    with (
        fleetledger.open(sqlite_url, readonly=True) as source,
        fleetledger.open(kafka_url, signer=signer, default_source="t") as kafka,
    ):
        assert mirror(source, kafka).ok
        expected = [event.id for event in source.replay_head(1, verifier=signer.verifier)]
        on_kafka = kafka.replay_head(1)

        assert [event.id for event in on_kafka] == expected
        assert on_kafka.signatures_checked
        assert on_kafka.partitions == source.heads()[0].partitions
