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
    already written), and whose next abort fails with ``abort_error``: a batch cut off by a
    cluster that stopped answering between its records and its commit."""

    abort_error: ClassVar[KafkaError] = KafkaError(KafkaError._TIMED_OUT, "test", retriable=True)
    cut: ClassVar[list[str]] = []

    def commit_transaction(self, *args: Any) -> None:
        if "commit" in self.cut:
            self.cut.remove("commit")
            self.flush(10)  # the records are in the log, in the open transaction
            error = KafkaError(KafkaError._TIMED_OUT, "test", retriable=True)
            raise KafkaException(error)
        super().commit_transaction(*args)

    def abort_transaction(self, *args: Any) -> None:
        if "abort" in self.cut:
            self.cut.remove("abort")
            raise KafkaException(self.abort_error)
        super().abort_transaction(*args)


@pytest.mark.parametrize(
    "abort_error",
    [
        pytest.param(KafkaError(KafkaError._TIMED_OUT, "test", retriable=True), id="timed-out"),
        pytest.param(KafkaError(KafkaError._STATE, "test"), id="refused"),
    ],
)
def test_a_failed_batch_whose_abort_fails_leaves_no_transaction_open(
    apache_kafka: KafkaCluster, monkeypatch: pytest.MonkeyPatch, abort_error: KafkaError
) -> None:
    """Its records would keep every read_committed reader (the id barrier and reads of this
    process included) from seeing past them until the broker expires the transaction, a
    minute later; the writer ends it as soon as the cluster answers (aborted again, or fenced
    by a new producer of the same transactional id)."""
    monkeypatch.setattr(writer, "Producer", AbortTimesOut)
    monkeypatch.setattr(AbortTimesOut, "abort_error", abort_error)
    monkeypatch.setattr(AbortTimesOut, "cut", [])
    url = f"{apache_kafka.url}?namespace=w{uuid.uuid4().hex[:10]}&timeout=5"
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append_many([{"type": "task.started", "subject": "task-1"}] * 2)
        AbortTimesOut.cut[:] = ["commit", "abort"]
        with pytest.raises(BackendError, match="transaction of 2 records failed"):
            ledger.append_many(
                [{"type": "task.started", "subject": "task-1", "id": f"cut-{n}"} for n in (1, 2)]
            )
        after = ledger.append("task.started", subject="task-1", id="after")
        events = ledger.read("task", after.partition, 0)
    assert [e.id for e in events][-1] == "after"
    assert not {"cut-1", "cut-2"} & {e.id for e in events}
