"""Task state on a Kafka ledger: state_at as of a moment and as corrected, and the task
projection reloading its state from the state family, on Tansu and Apache Kafka."""

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.consumers import run_projection
from fleetledger.consumers.tasks import TaskProjection, latest_summaries
from fleetledger.testing import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 1, 6, 9, 0, tzinfo=UTC))


@pytest.fixture
def ledger(bootstrap: str, clock: FakeClock) -> Iterator[Ledger]:
    """A ledger of its own namespace on the shared broker, stamped by the test's clock."""
    url = f"kafka://{bootstrap}?namespace=t{uuid.uuid4().hex[:10]}&timeout=10"
    with fleetledger.open(url, clock=clock, default_source="tests") as opened:
        yield opened


def test_state_at_answers_as_of_a_moment_and_as_corrected(ledger: Ledger, clock: FakeClock) -> None:
    """As of the start the task was running; now, as recorded, it still runs (reassigned);
    as corrected, the mistaken start never happened."""
    ledger.append("task.requested", subject="t-1", data={"goal": "refund order 42"})
    clock.advance(60)
    oops = f"oops-{uuid.uuid4().hex}"
    ledger.append("task.started", subject="t-1", id=oops)
    started = clock.now()
    clock.advance(60)
    ledger.append("task.assigned", subject="t-1", supersedes=oops, data={"assignee": "b"})

    then = ledger.state_at("t-1", as_of=started)
    before = ledger.state_at("t-1", as_of=started - timedelta(microseconds=1))
    recorded = ledger.state_at("t-1")
    corrected = ledger.state_at("t-1", corrected=True)

    assert (then.status, then.attempts, before.status) == ("running", 1, "requested")
    assert (recorded.status, recorded.owner) == ("running", "b")
    assert (corrected.status, corrected.attempts, corrected.owner) == ("assigned", 0, "b")


def test_a_restarted_projection_continues_from_its_summaries(ledger: Ledger) -> None:
    """Summaries written in one round are what a new projection folds the next round from."""
    ledger.append("task.started", subject="t-1")
    first = TaskProjection(ledger)
    with ledger.consumer(first.name, first.families) as consumer:
        ledger.append_many(first.project(consumer.poll(max=100, timeout=5)))
        consumer.commit()
    ledger.append("task.completed", subject="t-1")

    second = TaskProjection(ledger)
    with ledger.consumer(second.name, second.families) as consumer:
        outputs = second.project(consumer.poll(max=100, timeout=5))

    assert [(e.type, e.data["status"], e.data["anomalies"]) for e in outputs] == [
        ("state.summary", "completed", 1)
    ]


def test_run_projection_writes_each_tasks_state_with_its_offsets(ledger: Ledger) -> None:
    """The task projection in the transactional consume-process-produce loop: one summary per
    task with the latest status, and the group's offsets committed with them."""
    ledger.append("task.requested", subject="t-1", data={"goal": "refund"})
    ledger.append("task.started", subject="t-1")
    ledger.append("task.requested", subject="t-2", data={"goal": "report"})
    ledger.append("task.completed", subject="t-1")

    run = run_projection(ledger, TaskProjection(ledger))
    latest = {e.subject: e.data["status"] for e in latest_summaries(ledger).events}

    assert (run.events, run.outputs) == (4, 2)
    assert latest == {"t-1": "completed", "t-2": "requested"}
    assert sum(row.lag for row in ledger.lag("tasks")) == 0
