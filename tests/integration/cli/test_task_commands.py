"""``fleetledger state`` and ``fleetledger tasks`` on a real SQLite ledger: a task's state now
and then, and the task projection's table with its filters, anomalies and backlog note."""

import json
from datetime import UTC, datetime

import pytest

import fleetledger
from fleetledger.consumers.tasks import TaskProjection
from fleetledger.testing import FakeClock
from tests.integration.cli.conftest import Run

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def fleet(url: str) -> str:
    """Three tasks a minute apart, projected once: t-1 failed (owned by billing), t-2 running
    (owned by research), t-3 started before it was requested (an anomaly); then one more
    event the projection has not seen."""
    clock = FakeClock(START)
    with fleetledger.open(url, clock=clock, default_source="tests") as ledger:
        for type_, task, data in [
            ("task.requested", "t-1", {"goal": "refund order 42"}),
            ("task.assigned", "t-1", {"assignee": "billing"}),
            ("task.failed", "t-1", {"error": "card declined"}),
            ("task.requested", "t-2", {"goal": "find the invoice"}),
            ("task.started", "t-2", {"agent": "research"}),
            ("task.started", "t-3", {}),
        ]:
            clock.advance(60)
            ledger.append(type_, subject=task, data=data, time=clock.now())
        projection = TaskProjection(ledger)
        with ledger.consumer(projection.name, projection.families) as consumer:
            ledger.append_many(projection.project(consumer.poll(max=1000)))
            consumer.commit()
        clock.advance(60)
        ledger.append("task.completed", subject="t-2")
    return url


def test_state_shows_the_status_owner_and_goal(run: Run, fleet: str) -> None:
    """state TASK prints the task's status, owner and goal."""
    result = run("state", "t-1")

    assert result.exit_code == 0, result.output
    assert "task t-1: failed" in result.stdout
    assert "billing" in result.stdout
    assert "card declined" in result.stdout


def test_state_as_of_a_moment_shows_the_state_then(run: Run, fleet: str) -> None:
    """--as-of takes the events recorded at or before the time: t-1 was assigned then."""
    result = run("state", "t-1", "--as-of", "2025-01-06T09:02:00Z", "--json")

    assert result.exit_code == 0, result.output
    state = json.loads(result.stdout)
    assert (state["status"], state["assignee"], state["error"]) == ("assigned", "billing", None)


def test_state_corrected_leaves_a_superseded_event_out(run: Run, url: str) -> None:
    """--corrected folds the history without the event a correction superseded."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "g"})
        ledger.append("task.started", subject="t-1", id="oops")
        ledger.append("task.assigned", subject="t-1", supersedes="oops", data={"assignee": "b"})

    recorded = json.loads(run("state", "t-1", "--json").stdout)
    corrected = json.loads(run("state", "t-1", "--corrected", "--json").stdout)

    assert (recorded["status"], corrected["status"]) == ("running", "assigned")


def test_state_of_an_unknown_task_exits_2(run: Run, fleet: str) -> None:
    """A task with no events is a usage error: exit 2, one line naming it."""
    result = run("state", "t-9")

    assert result.exit_code == 2
    assert "no events for task 't-9'" in result.stderr


def test_state_refuses_a_time_without_a_zone(run: Run, fleet: str) -> None:
    """--as-of without a timezone is refused (exit 2), as --since is."""
    result = run("state", "t-1", "--as-of", "2025-01-06T09:02:00")

    assert result.exit_code == 2
    assert "timezone" in result.stderr


def test_tasks_lists_each_task_newest_first_and_says_how_far_behind_it_is(
    run: Run, fleet: str
) -> None:
    """tasks shows the latest summary per task, and on stderr the events not projected yet."""
    result = run("tasks")

    assert result.exit_code == 0, result.output
    first = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert [word for word in first if word.startswith("t-")] == ["t-3", "t-2", "t-1"]
    # the completion of t-2, and the anomaly the projection wrote after its commit
    assert "2 task/tool/governance events behind" in result.stderr


def test_tasks_filters_by_status_and_owner(run: Run, fleet: str) -> None:
    """--status and --agent keep the tasks in that status and of that owner."""
    failed = [
        json.loads(line)["task"]
        for line in run("tasks", "--status", "failed", "--json").stdout.splitlines()
    ]
    owned = [
        json.loads(line)["task"]
        for line in run("tasks", "--agent", "research", "--json").stdout.splitlines()
    ]

    assert (failed, owned) == (["t-1"], ["t-2"])


def test_tasks_since_keeps_the_tasks_active_since_then(run: Run, fleet: str) -> None:
    """--since keeps tasks whose last event happened at or after the time."""
    result = run("tasks", "--since", "2025-01-06T09:05:00Z", "--json")

    assert [json.loads(line)["task"] for line in result.stdout.splitlines()] == ["t-3", "t-2"]


def test_tasks_limit_keeps_the_newest(run: Run, fleet: str) -> None:
    """--limit N keeps the N most recently updated tasks."""
    result = run("tasks", "--limit", "1", "--json")

    assert [json.loads(line)["task"] for line in result.stdout.splitlines()] == ["t-3"]


def test_tasks_anomalies_lists_the_impossible_transitions(run: Run, fleet: str) -> None:
    """--anomalies lists task.anomaly.detected: t-3 started before it was requested."""
    table = run("tasks", "--anomalies")
    (event,) = [
        json.loads(line) for line in run("tasks", "--anomalies", "--json").stdout.splitlines()
    ]

    assert table.exit_code == 0, table.output
    assert "task.started before any task.requested" in table.stdout
    assert (event["type"], event["subject"], event["data"]["to_status"]) == (
        "task.anomaly.detected",
        "t-3",
        "running",
    )


def test_tasks_before_the_projection_ran_says_so(run: Run, url: str) -> None:
    """Without a committed tasks group the list is empty and stderr says nothing was projected."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "g"})

    result = run("tasks")

    assert result.exit_code == 0, result.output
    assert "no tasks match" in result.stdout
    assert "has not run yet" in result.stderr
    assert "1 task/tool/governance events not projected" in result.stderr


def test_tasks_refuses_an_unknown_status(run: Run, fleet: str) -> None:
    """--status takes the task statuses only: exit 2 listing them."""
    result = run("tasks", "--status", "done")

    assert result.exit_code == 2
    assert "awaiting_approval" in result.stderr
