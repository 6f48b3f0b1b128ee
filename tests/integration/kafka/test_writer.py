"""Producing on Kafka: what a transaction's delivery reports give back."""

import uuid

from fleetledger.backends.kafka.backend import KafkaBackend
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.testing import make_record
from fleetledger.topics import FamilyPolicy


def test_a_batch_across_topics_and_partitions_gets_each_records_own_position(
    bootstrap: str,
) -> None:
    """Reports name only a message's partition: each record still gets the offset it holds."""
    prefix = f"w{uuid.uuid4().hex[:12]}"
    topics = [f"{prefix}.task", f"{prefix}.tool"]
    backend = KafkaBackend(KafkaSettings(bootstrap))
    try:
        backend.create_topics({t: FamilyPolicy(family="f", partitions=3) for t in topics})
        records = [make_record(topics[n % 2], n * 7 % 3)._replace(minted=True) for n in range(60)]
        positions = backend.append(records)
        for record, position in zip(records, positions, strict=True):
            (stored,) = backend.read(position.topic, position.partition, position.offset, 1)
            assert (stored.id, stored.offset) == (record.id, position.offset)
    finally:
        backend.close()
