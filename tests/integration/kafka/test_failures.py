"""Failures a Kafka ledger meets: a stalled broker, no broker, topics that do not match."""

import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

import fleetledger
from fleetledger import Ledger
from fleetledger.backends.kafka.admin import TopicConfigWarning
from fleetledger.errors import BackendError, ConfigurationError, LedgerError, NotFound
from fleetledger.testing import prepared

from .conftest import Broker, free_port, read_raw, start_broker

PAUSE = 3.0  # seconds the broker is stalled


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[Broker]:
    """A broker of the test's own, which it may stall."""
    broker = start_broker(tmp_path / "broker.log")
    yield broker
    broker.stop()


def namespace() -> str:
    return f"f{uuid.uuid4().hex[:10]}"


def create_topic(bootstrap: str, topic: str, partitions: int, **config: str) -> None:
    """Create a topic behind fleetledger's back."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, partitions, 1, config=config)]).values():
        future.result(timeout=10)


def stored_ids(ledger: Ledger, bootstrap: str) -> list[str]:
    """Every event id the task topic holds, copies included (read below the ledger's filter)."""
    messages = read_raw(bootstrap, ledger.topic("task"), 4)
    return [dict(m.headers() or [])["ce_id"].decode() for m in messages]


def test_a_stalled_broker_loses_and_duplicates_no_acknowledged_event(own_broker: Broker) -> None:
    """Appends while the broker is stopped (SIGSTOP) either fail or are stored exactly once."""
    url = f"{own_broker.url}?namespace={namespace()}&timeout=20"
    acknowledged: list[str] = []
    failed: list[str] = []
    lock = threading.Lock()
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="warm-up", data={"goal": "g"})

        def write(writer: int) -> None:
            deadline = time.monotonic() + 30
            for n in range(40):
                if time.monotonic() > deadline:
                    break
                ids = [f"w{writer}-{n}-{k}" for k in range(1 + n % 2)]
                events = [
                    {"type": "task.started", "subject": f"task-{n % 7}", "id": i} for i in ids
                ]
                try:
                    ledger.append_many(events) if len(events) > 1 else ledger.append(**events[0])
                except LedgerError:
                    with lock:
                        failed.extend(ids)
                else:
                    with lock:
                        acknowledged.extend(ids)
                time.sleep(0.02)

        writers = [threading.Thread(target=write, args=(w,)) for w in range(2)]
        for thread in writers:
            thread.start()
        time.sleep(0.3)
        own_broker.pause()
        time.sleep(PAUSE)
        own_broker.resume()
        for thread in writers:
            thread.join(timeout=60)
        for event_id in failed:  # a failed append is retried with the same id: stored once
            ledger.append("task.started", subject="retry", id=event_id)
        stored = stored_ids(ledger, own_broker.address)
    assert acknowledged
    assert set(acknowledged) <= set(stored)
    assert set(failed) <= set(stored)
    assert len(stored) == len(set(stored)), "an event id was stored twice"


def test_an_unreachable_broker_fails_at_open_quickly_and_clearly() -> None:
    """A closed loopback port: a BackendError naming the address, within the timeout."""
    address = f"127.0.0.1:{free_port()}"
    began = time.monotonic()
    with pytest.raises(
        BackendError, match=re.escape(f"cannot reach the Kafka brokers at {address}")
    ):
        fleetledger.open(f"kafka://{address}?timeout=3")
    assert time.monotonic() - began < 15


def test_a_topic_with_another_partition_count_is_refused_by_name(bootstrap: str) -> None:
    """A family topic created beforehand with 3 partitions (the policy says 4) stops open."""
    ns = namespace()
    create_topic(bootstrap, f"{ns}.task", 3)
    with pytest.raises(ConfigurationError, match=rf"'{ns}\.task' has 3 partitions.*asks for 4"):
        fleetledger.open(f"kafka://{bootstrap}?namespace={ns}")


def test_a_topic_that_would_delete_audit_events_is_refused(bootstrap: str) -> None:
    """An audit topic kept 1 s by the broker (the policy keeps it forever) stops open."""
    ns = namespace()
    create_topic(bootstrap, f"{ns}.governance", 4, **{"retention.ms": "1000"})
    with pytest.raises(ConfigurationError, match=rf"'{ns}\.governance' has retention\.ms=1000"):
        fleetledger.open(f"kafka://{bootstrap}?namespace={ns}")


def test_a_topic_with_another_cleanup_policy_is_refused(bootstrap: str) -> None:
    """The compacted state family on a topic that deletes instead stops open."""
    ns = namespace()
    create_topic(bootstrap, f"{ns}.state", 4, **{"cleanup.policy": "delete"})
    with pytest.raises(ConfigurationError, match=r"cleanup\.policy=delete.*compact"):
        fleetledger.open(f"kafka://{bootstrap}?namespace={ns}")


def test_a_topic_that_keeps_more_than_its_policy_is_left_alone_with_a_warning(
    bootstrap: str,
) -> None:
    """context (kept 7 days by policy) on a topic kept forever: a warning, nothing altered."""
    ns = namespace()
    create_topic(bootstrap, f"{ns}.context", 4, **{"retention.ms": "-1"})
    with (
        pytest.warns(TopicConfigWarning, match=rf"'{ns}\.context' has retention\.ms=-1"),
        fleetledger.open(f"kafka://{bootstrap}?namespace={ns}") as ledger,
    ):
        assert ledger.append("context.retrieved", subject="t", source="s", data={"query": "q"})


def test_appending_to_a_missing_topic_names_it(bootstrap: str) -> None:
    """A record for a topic the ledger never created: NotFound naming the topic."""
    with fleetledger.open(f"kafka://{bootstrap}?namespace={namespace()}") as ledger:
        (record,) = prepared([{"type": "task.started", "subject": "t", "source": "s"}], ledger)
        with pytest.raises(NotFound, match=r"no-such\.task"):
            ledger.log.append([record._replace(topic="no-such.task")])
        with pytest.raises(NotFound, match=r"no-such\.task"):
            ledger.log.read("no-such.task", 0, 0, 10)
