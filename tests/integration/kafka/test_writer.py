"""Producing on Kafka: what a transaction's delivery reports give back, and a failed
transaction never left open."""

import uuid
from typing import Any, ClassVar

import pytest
from confluent_kafka import KafkaError, KafkaException, Producer

import fleetledger
from fleetledger.backends.kafka import writer
from fleetledger.backends.kafka.backend import KafkaBackend
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.errors import BackendError
from fleetledger.testing import make_record
from fleetledger.topics import FamilyPolicy
from interop.brokers import KafkaCluster


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


class AbortTimesOut(Producer):
    """A producer whose next commit times out before it reaches the coordinator (its records
    already written), after which its aborts fail with ``abort_error``, ``aborts_failing``
    times: a batch cut off by a cluster that stopped answering between its records and its
    commit."""

    abort_error: ClassVar[KafkaError] = KafkaError(KafkaError._TIMED_OUT, "test", retriable=True)
    aborts_failing: ClassVar[int] = 1
    cut: ClassVar[list[str]] = []

    def commit_transaction(self, *args: Any) -> None:
        if self.cut:
            self.cut.clear()
            self.flush(10)  # the records are in the log, in the open transaction
            self.failing = self.aborts_failing
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT, "test", retriable=True))
        super().commit_transaction(*args)

    def abort_transaction(self, *args: Any) -> None:
        if getattr(self, "failing", 0):
            self.failing -= 1
            raise KafkaException(self.abort_error)
        super().abort_transaction(*args)


@pytest.mark.parametrize(
    ("abort_error", "aborts_failing"),
    [
        pytest.param(
            KafkaError(KafkaError._TIMED_OUT, "test", retriable=True), 1, id="abort-timed-out"
        ),
        pytest.param(KafkaError(KafkaError._STATE, "test"), 1, id="abort-refused"),
        pytest.param(
            KafkaError(KafkaError._CONFLICT, "commit in progress", retriable=True),
            10**6,
            id="commit-in-progress",
        ),
    ],
)
def test_a_failed_batch_whose_abort_fails_leaves_no_transaction_open(
    apache_kafka: KafkaCluster,
    monkeypatch: pytest.MonkeyPatch,
    abort_error: KafkaError,
    aborts_failing: int,
) -> None:
    """Its records would keep every read_committed reader (the id barrier and reads of this
    process included) from seeing past them until the broker expires the transaction, a
    minute later; the writer ends it as soon as the cluster answers (aborted again, or fenced
    by a new producer of the same transactional id), and goes on committing batches."""
    monkeypatch.setattr(writer, "Producer", AbortTimesOut)
    monkeypatch.setattr(AbortTimesOut, "abort_error", abort_error)
    monkeypatch.setattr(AbortTimesOut, "aborts_failing", aborts_failing)
    monkeypatch.setattr(AbortTimesOut, "cut", [])
    url = f"{apache_kafka.url}?namespace=w{uuid.uuid4().hex[:10]}&timeout=5"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": "task-1"}] * 2)
        AbortTimesOut.cut.append("commit")
        with pytest.raises(BackendError, match="transaction of 2 records failed"):
            ledger.append_many(
                [{"type": "task.started", "subject": "task-1", "id": f"cut-{n}"} for n in (1, 2)]
            )
        after = ledger.append("task.started", subject="task-1", id="after")
        ledger.append_many([{"type": "task.started", "subject": "task-1"}] * 2)
        events = ledger.read("task", after.partition, 0)
    assert "after" in {e.id for e in events}
    assert not {"cut-1", "cut-2"} & {e.id for e in events}
