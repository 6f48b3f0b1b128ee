"""TaskProjection: summaries per task changed, anomalies caused by the offending event, and a
state that a new projection reloads from the state family it wrote."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger, NewEvent
from fleetledger.consumers.tasks import (
    GROUP,
    TaskProjection,
    latest_summaries,
    read_anomalies,
    unprojected,
)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with fleetledger.open(f"sqlite:///{tmp_path}/l.db", default_source="tests") as opened:
        yield opened


def run(ledger: Ledger, projection: TaskProjection) -> list[NewEvent]:
    """One exactly-once round as a runner does it: poll, project, store outputs, commit."""
    with ledger.consumer(projection.name, projection.families) as consumer:
        outputs = projection.project(consumer.poll(max=10_000))
        ledger.append_many(outputs)
        consumer.commit()
    return outputs


def test_it_commits_under_the_tasks_group_and_reads_three_families(ledger: Ledger) -> None:
    """The projection's group is "tasks"; it reads task, tool and governance events."""
    projection = TaskProjection(ledger)

    assert (projection.name, projection.families) == (GROUP, ("task", "tool", "governance"))


def test_a_batch_gives_one_summary_per_task_with_its_latest_state(ledger: Ledger) -> None:
    """Three events of t-1 and one of t-2 give two summaries: t-1 assigned, t-2 requested."""
    ledger.append("task.requested", subject="t-1", data={"goal": "g1"})
    ledger.append("task.requested", subject="t-2", data={"goal": "g2"})
    ledger.append("task.assigned", subject="t-1", data={"assignee": "billing"})

    outputs = run(ledger, TaskProjection(ledger))

    assert [(e.type, e.subject, e.data["status"]) for e in outputs] == [
        ("state.summary", "t-1", "assigned"),
        ("state.summary", "t-2", "requested"),
    ]
    assert outputs[0].data["assignee"] == "billing"


def test_an_impossible_transition_is_recorded_caused_by_the_offending_event(
    ledger: Ledger,
) -> None:
    """task.started before any task.requested: a task.anomaly.detected caused by it."""
    started = ledger.append("task.started", subject="t-1", id="s-1")
    assert started is not None

    outputs = run(ledger, TaskProjection(ledger))
    (anomaly,) = [e for e in outputs if e.type == "task.anomaly.detected"]

    assert (anomaly.subject, anomaly.causationid) == ("t-1", "s-1")
    assert anomaly.data["event_id"] == "s-1"
    assert (anomaly.data["from_status"], anomaly.data["to_status"]) == (None, "running")
    assert [e.id for e in read_anomalies(ledger).events] != []


def test_the_same_input_gives_the_same_summaries(ledger: Ledger) -> None:
    """Two projections of the same events write the same summary fields and times."""
    ledger.append("task.requested", subject="t-1", data={"goal": "g", "priority": "high"})
    ledger.append("task.started", subject="t-1")
    events = list(ledger.replay("t-1"))

    first = TaskProjection(ledger).project(events)
    again = TaskProjection(ledger).project(events)

    assert [(e.subject, e.time, e.data, e.causationid) for e in first] == [
        (e.subject, e.time, e.data, e.causationid) for e in again
    ]


def test_a_new_projection_continues_from_the_summaries_committed(ledger: Ledger) -> None:
    """A restarted projection loads t-1 from its summary: attempts and anomalies carry on,
    and completing it later is no anomaly."""
    ledger.append("task.started", subject="t-1")
    ledger.append("task.retried", subject="t-1", data={"attempt": 1})
    run(ledger, TaskProjection(ledger))
    ledger.append("task.completed", subject="t-1")

    outputs = run(ledger, TaskProjection(ledger))

    (summary,) = outputs
    assert (summary.data["status"], summary.data["attempts"], summary.data["anomalies"]) == (
        "completed",
        2,
        1,
    )


def test_reset_forgets_what_was_not_committed(ledger: Ledger) -> None:
    """After reset, a batch projected but never stored is gone: the state is the committed one."""
    ledger.append("task.requested", subject="t-1", data={"goal": "g"})
    projection = TaskProjection(ledger)
    run(ledger, projection)
    ledger.append("task.started", subject="t-1")
    with ledger.consumer(projection.name, projection.families) as consumer:
        projection.project(consumer.poll(max=100))  # the runner's commit fails here

    projection.reset()

    assert projection.state("t-1").status == "requested"


def test_its_own_anomaly_records_are_not_projected_again(ledger: Ledger) -> None:
    """The next round reads the task.anomaly.detected it wrote, and writes nothing for it."""
    ledger.append("task.started", subject="t-1")
    projection = TaskProjection(ledger)
    run(ledger, projection)

    assert run(ledger, projection) == []


def test_events_of_no_task_lifecycle_give_nothing(ledger: Ledger) -> None:
    """Evaluation scores and governance records of other subjects change no task."""
    ledger.append(
        "evaluation.scored",
        subject="t-1",
        data={"metric": "m", "score": 1.0, "evaluator": "e"},
    )
    ledger.append("governance.escalated", subject="t-1", data={"escalated_to": "x", "reason": "r"})

    assert run(ledger, TaskProjection(ledger)) == []


def test_a_task_of_only_tool_calls_has_no_summary_yet(ledger: Ledger) -> None:
    """Without a lifecycle event there is no status to summarize; its first request brings
    the calls already open into the summary."""
    ledger.append("tool.call.requested", subject="t-1", data={"call_id": "c-1", "tool": "a"})
    projection = TaskProjection(ledger)
    assert run(ledger, projection) == []
    ledger.append("task.requested", subject="t-1", data={"goal": "g"})

    (summary,) = run(ledger, projection)

    assert summary.data["open_calls"] == ["c-1"]


def test_a_goal_sealed_for_a_data_subject_is_summarized_for_the_same_one(ledger: Ledger) -> None:
    """A restricted request's summary is restricted too, for the request's data subject."""
    ledger.append(
        "task.requested",
        subject="t-1",
        data={"goal": "refund Ada"},
        dataclassification="restricted",
        datasubject="cust-7",
    )

    (summary,) = run(ledger, TaskProjection(ledger))

    assert (summary.dataclassification, summary.datasubject) == ("restricted", "cust-7")
    (stored,) = latest_summaries(ledger).events
    assert stored.data["goal"] == "refund Ada"


def test_the_backlog_counts_what_the_group_has_not_committed(ledger: Ledger) -> None:
    """Before any run every event counts; after a run, only what came since."""
    ledger.append("task.requested", subject="t-1", data={"goal": "g"})
    assert tuple(unprojected(ledger)) == (1, False)
    run(ledger, TaskProjection(ledger))
    ledger.append("task.started", subject="t-1")

    assert tuple(unprojected(ledger)) == (1, True)
