"""Exactly-once projections on Kafka: a consume-process-produce loop whose outputs and consumed
offsets commit in one transaction (``send_offsets_to_transaction``), and table projections fed
by a Kafka ledger.

The loop's tests run on Tansu and Apache Kafka; the crash test needs Apache Kafka (Tansu's
``read_committed`` returns aborted records, see KAFKA-TESTING.md) and runs on it only.
"""

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import BackendError, Ledger
from fleetledger.consumers.projection import run_projection
from fleetledger.consumers.tables import project
from interop.brokers import KafkaCluster
from tests.projection_crash import (
    append_tasks,
    assert_killed_mid_work,
    check_one_output_per_input,
    kill_at_random,
    trials,
    writing,
)
from tests.projections import Counts, Echo, all_ids, applied, echoed, register_echo

EVENTS = 3000


def kafka_url(bootstrap: str) -> str:
    """A fresh namespace on the broker."""
    return f"kafka://{bootstrap}?namespace=p{uuid.uuid4().hex[:10]}&timeout=20"


@pytest.fixture
def url(bootstrap: str) -> str:
    """A fresh namespace on the shared broker, once Tansu and once Apache Kafka."""
    return kafka_url(bootstrap)


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    """A Kafka ledger of 300 task events that accepts the echo outputs."""
    with fleetledger.open(url, default_source="kafka-projection") as opened:
        register_echo(opened)
        append_tasks(opened, 300, "t")
        yield opened


def unique(prefix: str) -> str:
    """A group name of this test's own (groups and transactional ids are per cluster)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_every_input_gets_one_output_committed_with_its_offsets(ledger: Ledger) -> None:
    """Batches of 70: each input has exactly one output, and the group has no lag."""
    name = unique("echo")
    run = run_projection(ledger, Echo(name), batch=70)
    assert run.events == run.outputs == 300
    check_one_output_per_input(ledger, name)


def test_a_second_run_resumes_after_the_committed_transactions(ledger: Ledger) -> None:
    """A new run (a new process's, after fencing) starts where the last transaction left."""
    name = unique("echo")
    run_projection(ledger, Echo(name))
    append_tasks(ledger, 25, "u")
    assert run_projection(ledger, Echo(name)).events == 25
    check_one_output_per_input(ledger, name)


def test_a_failed_batch_leaves_neither_outputs_nor_offsets(ledger: Ledger) -> None:
    """The projection raising aborts nothing on the broker (nothing was sent): no output is
    visible, the group has committed nothing, and the next run projects everything."""
    name = unique("echo")
    echo = Echo(name)
    echo.fail_on = sorted(all_ids(ledger))[3]
    with pytest.raises(RuntimeError):
        run_projection(ledger, echo, batch=1000)
    assert echoed(ledger) == []
    echo.fail_on = None
    assert run_projection(ledger, echo).events == 300


def test_a_fenced_writer_can_no_longer_commit_the_groups_offsets(
    apache_kafka: KafkaCluster,
) -> None:
    """Once another ledger (another process's producer) fenced the group, the first one's
    append with the group's offsets is refused, and neither its event nor its offsets show.

    Apache Kafka only: Tansu refuses it too, but only once the client's timeout ran out."""
    url = kafka_url(apache_kafka.address)
    name = unique("echo")
    with (
        fleetledger.open(url, default_source="first") as first,
        fleetledger.open(url, default_source="second") as second,
    ):
        topic = first.topic("task")
        first.append_many([], commit=(name, {(topic, 0): 1}))
        second.fence(name)
        with pytest.raises(BackendError):
            first.append_many(
                [{"type": "task.started", "subject": "zombie"}], commit=(name, {(topic, 0): 2})
            )
        assert [(lag.partition, lag.committed) for lag in second.lag(name)] == [(0, 1)]
        assert list(second.replay("zombie")) == []


def test_a_table_projection_reads_a_kafka_ledger(ledger: Ledger, tmp_path: Path) -> None:
    """Offsets live with the state: a Kafka source needs no group commit."""
    run = project(ledger, Counts(), tmp_path / "p.db", batch=64)
    assert run.events == 300
    assert set(applied(tmp_path / "p.db")) == all_ids(ledger)


@pytest.mark.slow
def test_a_projection_writing_events_survives_kill_9_on_apache_kafka(
    apache_kafka: KafkaCluster,
) -> None:
    """Children killed mid-transaction at random moments, a writer appending meanwhile: each
    next child fences the last one's open transaction (aborted), and in the end every input
    has exactly one committed output.

    Apache Kafka only: on Tansu, whose ``read_committed`` returns the records of aborted
    transactions, the killed children's aborted outputs show as inputs projected twice."""
    url = kafka_url(apache_kafka.address)
    name = unique("echo")
    with fleetledger.open(url, default_source="setup") as ledger:
        register_echo(ledger)
        append_tasks(ledger, EVENTS, "t")
    chance = random.Random(14)
    progress = []
    with writing(url):
        for _ in range(trials()):
            kill_at_random(url, "events", None, chance, name=name, window=(0.0, 1.5))
            with fleetledger.open(url, default_source="checker") as ledger:
                progress.append(len(echoed(ledger)))
    with fleetledger.open(url, default_source="checker") as ledger:
        register_echo(ledger)
        run_projection(ledger, Echo(name))
        check_one_output_per_input(ledger, name)
        total = len(all_ids(ledger))
    assert_killed_mid_work(progress, total)
