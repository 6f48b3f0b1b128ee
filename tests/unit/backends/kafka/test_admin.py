"""The admin client's answers while a cluster's leadership moves, with librdkafka's admin client
replaced by a scripted one: asked again after fresh metadata, never an untyped error, never a
wait past the timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from fleetledger.backends.kafka import admin as admin_module
from fleetledger.backends.kafka.admin import Admin
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.errors import BackendError
from fleetledger.topics import FamilyPolicy

TIMEOUT = 0.5
TP = ("ns.task", 0)

Answer = Callable[[], Any]
"""What one request answers: a value, or raises."""


def answered(answer: Answer) -> Future[Any]:
    """A future resolved with what ``answer`` gives or raises."""
    future: Future[Any] = Future()
    try:
        future.set_result(answer())
    except Exception as exc:  # the scripted error, delivered through the future
        future.set_exception(exc)
    return future


def never() -> Future[Any]:
    """A future no answer ever resolves (librdkafka waiting on a broker forever)."""
    return Future()


def fails(code: int) -> Answer:
    def answer() -> Any:
        raise KafkaException(KafkaError(code))

    return answer


def offset(value: int) -> Answer:
    return lambda: SimpleNamespace(offset=value)


class ScriptedClient:
    """Plays librdkafka's AdminClient: each request takes the next scripted answer; metadata
    requests are counted (a refresh)."""

    def __init__(
        self, answers: list[Answer] | None = None, *, silent: bool = False, blind: bool = False
    ) -> None:
        self.answers = list(answers or [])
        self.silent = silent
        self.blind = blind
        """Metadata requests wait out their timeout and fail (a client stuck on dropped
        brokers)."""
        self.refreshes = 0
        self.asked = 0

    def _next(self) -> Future[Any]:
        self.asked += 1
        if self.silent:
            return never()
        return answered(self.answers.pop(0) if len(self.answers) > 1 else self.answers[0])

    def list_offsets(self, wanted: dict[Any, Any], **_: Any) -> dict[Any, Future[Any]]:
        return {tp: self._next() for tp in wanted}

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> Any:
        self.refreshes += 1
        if self.blind:
            time.sleep(timeout)
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT))
        topics = {"ns.task": SimpleNamespace(partitions={0: None}, error=None)}
        return SimpleNamespace(topics=topics)

    def describe_configs(self, resources: list[Any], **_: Any) -> dict[Any, Future[Any]]:
        return {resource: self._next() for resource in resources}

    def list_consumer_group_offsets(self, request: list[Any], **_: Any) -> dict[str, Future[Any]]:
        return {request[0].group_id: self._next()}

    def list_consumer_groups(self, **_: Any) -> Future[Any]:
        return self._next()


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> list[ScriptedClient]:
    """The scripted clients Admin gets, in the order it creates them (the test fills it)."""
    queue: list[ScriptedClient] = []

    def make(config: dict[str, Any]) -> ScriptedClient:
        return queue.pop(0)

    monkeypatch.setattr(admin_module, "AdminClient", make)
    return queue


def admin(clients: list[ScriptedClient], *scripted: ScriptedClient) -> Admin:
    clients.extend(scripted)
    return Admin(KafkaSettings("127.0.0.1:9", timeout=TIMEOUT))


def test_a_fenced_leader_epoch_is_asked_again_after_a_metadata_refresh(
    clients: list[ScriptedClient],
) -> None:
    """After a leader change the cached epoch is stale: new metadata, then the answer."""
    client = ScriptedClient([fails(KafkaError.FENCED_LEADER_EPOCH), offset(7)])
    assert admin(clients, client).latest([TP]) == {TP: 7}
    assert client.refreshes == 1


def test_no_offset_from_a_dead_leader_is_asked_again_not_returned(
    clients: list[ScriptedClient],
) -> None:
    """librdkafka answers -1001 (no offset) when the leader it asked is gone: never an end."""
    client = ScriptedClient([offset(-1001), offset(3)])
    assert admin(clients, client).watermarks([TP]) == {TP: (3, 3)}


def test_offsets_are_asked_through_a_new_client_when_the_old_one_finds_no_leader(
    clients: list[ScriptedClient],
) -> None:
    """Half the timeout of "no leaders found" from one client: a new one is asked."""
    stuck = ScriptedClient([fails(KafkaError._NOENT)])
    assert admin(clients, stuck, ScriptedClient([offset(9)])).latest([TP]) == {TP: 9}
    assert stuck.asked > 1


def test_a_client_whose_metadata_never_comes_is_replaced_within_the_timeout(
    clients: list[ScriptedClient],
) -> None:
    """No leader found at once and metadata that never comes: the wait for metadata ends
    at half the timeout, and a new client answers."""
    stuck = ScriptedClient([fails(KafkaError._NOENT)], blind=True)
    began = time.monotonic()
    assert admin(clients, stuck, ScriptedClient([offset(4)])).latest([TP]) == {TP: 4}
    assert time.monotonic() - began < TIMEOUT


def test_the_topics_are_listed_through_a_new_client_when_metadata_never_comes(
    clients: list[ScriptedClient],
) -> None:
    """The topic listing that opening and the notary rely on gets the same second chance."""
    listed = admin(clients, ScriptedClient(blind=True), ScriptedClient()).partitions()
    assert listed == {"ns.task": 1}


def test_a_partition_without_a_leader_until_the_timeout_is_a_backend_error(
    clients: list[ScriptedClient],
) -> None:
    """Still no offset at the deadline: BackendError naming the partition, in about the
    timeout."""
    began = time.monotonic()
    no_offset = [ScriptedClient([offset(-1001)]), ScriptedClient([offset(-1001)])]
    with pytest.raises(BackendError, match=r"ns\.task/0"):
        admin(clients, *no_offset).latest([TP])
    assert time.monotonic() - began < TIMEOUT + 1


def test_offsets_that_never_come_are_a_backend_error_within_the_timeout(
    clients: list[ScriptedClient],
) -> None:
    """A future librdkafka never resolves: BackendError, not concurrent.futures' TimeoutError."""
    began = time.monotonic()
    with pytest.raises(BackendError, match="listing offsets"):
        admin(clients, ScriptedClient(silent=True), ScriptedClient(silent=True)).latest([TP])
    assert time.monotonic() - began < 2 * TIMEOUT + 2


def test_a_group_listing_that_never_comes_is_a_backend_error(
    clients: list[ScriptedClient],
) -> None:
    """Every admin request is translated, the wait for its future included."""
    with pytest.raises(BackendError, match="listing consumer groups"):
        admin(clients, ScriptedClient(silent=True)).groups()


def test_committed_offsets_are_asked_through_a_new_client_when_the_coordinator_is_silent(
    clients: list[ScriptedClient],
) -> None:
    """A client stuck on a dropped coordinator is replaced, within the same call."""
    tp = SimpleNamespace(topic="ns.task", partition=0, offset=42, error=None)
    fresh = ScriptedClient([lambda: SimpleNamespace(topic_partitions=[tp])])
    found = admin(clients, ScriptedClient(silent=True), fresh).committed("audit")
    assert found == {TP: 42}


def test_a_topic_a_broker_does_not_know_yet_is_described_again(
    clients: list[ScriptedClient],
) -> None:
    """Just created, the topic can be unknown to the broker asked for its configs."""
    configs = {
        "cleanup.policy": SimpleNamespace(value="delete"),
        "retention.ms": SimpleNamespace(value="-1"),
        "retention.bytes": SimpleNamespace(value="-1"),
    }
    client = ScriptedClient([fails(KafkaError.UNKNOWN_TOPIC_OR_PART), lambda: configs])
    admin(clients, client).ensure({"ns.task": FamilyPolicy(family="task", partitions=1)})
    assert client.asked == 2
