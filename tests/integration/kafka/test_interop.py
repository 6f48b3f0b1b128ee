"""Our topics are plain Kafka and plain CloudEvents: tools that know nothing of fleetledger
read them."""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary
from confluent_kafka import Consumer, Message

import fleetledger
from fleetledger import Ledger
from fleetledger.events.envelope import Event
from fleetledger.topics import partition_for

EXTENSIONS = {
    "tenant": "acme",
    "agentid": "planner-7",
    "correlationid": "run-42",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
}


@pytest.fixture
def ledger(bootstrap: str) -> Iterator[Ledger]:
    """A Kafka ledger with a namespace of its own, holding a few events of one task."""
    url = f"kafka://{bootstrap}?namespace=i{uuid.uuid4().hex[:10]}"
    with fleetledger.open(url, default_source="agents/planner") as opened:
        opened.append("task.requested", subject="task-7", data={"goal": "ünïcode ✓"}, **EXTENSIONS)
        opened.append_many(
            [
                {"type": "task.started", "subject": "task-7", **EXTENSIONS},
                {
                    "type": "task.checkpointed",
                    "subject": "task-7",
                    "data": {"progress": 0.5, "state": {"nested": [1, 2.25]}},
                },
            ]
        )
        yield opened


def consume_all(bootstrap: str, topic: str, count: int) -> list[Message]:
    """Read ``topic`` from the start with a plain confluent-kafka consumer group."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"plain-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 2000,
            "heartbeat.interval.ms": 500,
            "fetch.wait.max.ms": 10,
            "isolation.level": "read_committed",
        }
    )
    consumer.subscribe([topic])
    messages: list[Message] = []
    try:
        for _ in range(300):  # bounded: about 30 s at most
            message = consumer.poll(0.1)
            if message is not None and message.error() is None:
                messages.append(message)
            if len(messages) >= count:
                break
    finally:
        consumer.close()
    return messages


def as_cloudevent(message: Message) -> Any:
    """The CloudEvents SDK's reading of one Kafka message (binary mode)."""
    headers = dict(message.headers() or [])
    return from_binary(KafkaMessage(headers=headers, key=message.key(), value=message.value()))


def events_by_id(ledger: Ledger) -> dict[str, Event]:
    return {event.id: event for event in ledger.replay("task-7")}


def test_a_plain_consumer_reads_our_topic_with_keys_and_partitions(
    ledger: Ledger, bootstrap: str
) -> None:
    """A consumer group that knows nothing of fleetledger gets every event, keyed by task."""
    ours = events_by_id(ledger)
    messages = consume_all(bootstrap, ledger.topic("task"), len(ours))
    assert len(messages) == len(ours) == 3
    for message in messages:
        headers = dict(message.headers() or [])
        event = ours[headers["ce_id"].decode()]
        assert message.key() == b"task-7"
        assert message.partition() == partition_for("task-7", 4) == event.position.partition
        assert message.offset() == event.position.offset
        assert json.loads(message.value()) == event.data
        assert headers["content-type"] == b"application/json"


def test_the_cloudevents_sdk_parses_every_record_with_our_attributes(
    ledger: Ledger, bootstrap: str
) -> None:
    """cloudevents' Kafka binding reads id, type, source, subject and extensions as we wrote."""
    ours = events_by_id(ledger)
    for message in consume_all(bootstrap, ledger.topic("task"), len(ours)):
        cloudevent = as_cloudevent(message)
        event = ours[cloudevent["id"]]
        attributes = cloudevent.get_attributes()
        assert attributes["specversion"] == "1.0"
        assert attributes["type"] == event.type
        assert attributes["source"] == event.source
        assert attributes["subject"] == event.subject
        assert attributes["datacontenttype"] == "application/json"
        assert attributes["recordedtime"] == event.recordedtime
        assert attributes["authid"] == event.authid
        assert attributes["dataversion"] == str(event.dataversion)
        for name in EXTENSIONS:
            assert attributes.get(name) == getattr(event, name), name
        assert cloudevent.get_data() == event.data
