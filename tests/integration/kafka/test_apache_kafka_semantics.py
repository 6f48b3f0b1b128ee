"""What Apache Kafka does that Tansu, the other test broker, does not (KAFKA-TESTING.md): each
test runs on both brokers and is an expected failure on Tansu, naming the deviation, so that
it is reported and its mark goes once Tansu catches up. On Apache Kafka every one must pass."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteSigner
from fleetledger.topics import FamilyPolicy, partition_for

from .conftest import Broker, read_raw


def on_tansu_deviates(request: pytest.FixtureRequest, broker: Broker, deviation: str) -> float:
    """Mark the running test an expected failure on Tansu, naming how Tansu deviates; the
    seconds the test may wait for the broker (short on Tansu: it waits for what never comes)."""
    if broker.kind == "tansu":
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"Tansu: {deviation}"))
        return 3.0
    return 30.0


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("apache.example.com")


@pytest.fixture
def ledger(broker: Broker, signer: NoteSigner) -> Iterator[Ledger]:
    """A ledger of its own namespace whose context family keeps events for one second."""
    url = f"{broker.url}?namespace=a{uuid.uuid4().hex[:10]}&timeout=10"
    short = FamilyPolicy(family="context", retention_ms=1000)
    with fleetledger.open(url, signer=signer, default_source="t", policies=[short]) as opened:
        yield opened


def earliest(bootstrap: str, topic: str, partition: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "watermarks"})
    try:
        low, _ = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    finally:
        consumer.close()
    return int(low)


def test_the_broker_deletes_expired_events_and_verify_counts_them_expired(
    request: pytest.FixtureRequest, broker: Broker, ledger: Ledger, signer: NoteSigner
) -> None:
    """Retention is the broker's on Kafka: a family's retention.ms removes its records on the
    broker's clock; the notary's leaves outlive them, so verify counts them expired."""
    patience = on_tansu_deviates(
        request, broker, "no broker-side retention: records are never deleted"
    )
    for n in range(4):
        ledger.append("context.retrieved", subject="t-1", data={"query": f"q{n}"})
    ledger.notary(signer).run_once()
    topic = ledger.topic("context")
    partition = partition_for("t-1", ledger.families()["context"].partitions)
    deadline = time.monotonic() + patience
    while earliest(broker.address, topic, partition) == 0 and time.monotonic() < deadline:
        time.sleep(0.25)

    assert earliest(broker.address, topic, partition) > 0
    result = ledger.verify(signer.verifier)
    assert result.ok, result.findings
    assert result.expired == 4


def test_records_of_an_aborted_transaction_are_never_read(
    request: pytest.FixtureRequest, broker: Broker, ledger: Ledger
) -> None:
    """A transaction aborted on a ledger topic (a copy of a stored event under a new id) is
    read neither by the ledger nor by a plain read_committed consumer."""
    on_tansu_deviates(
        request, broker, "records of an aborted transaction are returned under read_committed"
    )
    kept = ledger.append("task.requested", subject="t-1", data={"goal": "kept"})
    (stored,) = read_raw(broker.address, ledger.topic("task"), 4)
    headers = [(k, v) for k, v in stored.headers() or [] if k != "ce_id"]
    producer = Producer({"bootstrap.servers": broker.address, "transactional.id": "aborting"})
    producer.init_transactions(10)
    producer.begin_transaction()
    producer.produce(
        stored.topic() or "",
        stored.value(),
        stored.key(),
        partition=stored.partition() or 0,
        headers=[*headers, ("ce_id", uuid.uuid4().hex.encode())],
    )
    producer.flush(10)
    producer.abort_transaction(10)
    after = ledger.append("task.completed", subject="t-1", data={"result": "after"})

    assert [e.position for e in ledger.replay("t-1")] == [kept, after]
    assert len(read_raw(broker.address, ledger.topic("task"), 4)) == 2


def test_a_kip_848_consumer_group_reads_every_event_and_its_commits_show_as_lag(
    request: pytest.FixtureRequest, broker: Broker, ledger: Ledger
) -> None:
    """A plain consumer of the new group protocol (``group.protocol=consumer``) subscribed to
    a ledger topic gets every event at the ledger's positions, and the ledger reads the
    offsets it commits."""
    patience = on_tansu_deviates(request, broker, "KIP-848 consumer groups never assign partitions")
    appended = ledger.append_many(
        [{"type": "task.requested", "subject": f"t-{n}", "data": {"goal": "g"}} for n in range(6)]
    )
    group = f"kip848-{uuid.uuid4().hex[:8]}"
    consumer = Consumer(
        {
            "bootstrap.servers": broker.address,
            "group.id": group,
            "group.protocol": "consumer",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([ledger.topic("task")])
    seen: set[tuple[int, int]] = set()
    try:
        deadline = time.monotonic() + patience
        while len(seen) < len(appended) and time.monotonic() < deadline:
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                seen.add((message.partition() or 0, message.offset() or 0))
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()

    assert seen == {(p.partition, p.offset) for p in appended}
    assert sum(row.lag for row in ledger.lag(group)) == 0
    assert {row.committed for row in ledger.lag(group)} - {0} != set()
