"""The task projection driven by run_projection on a SQLite ledger: the state family holds
each task's latest summary, exactly once, and an impossible transition is recorded."""

from pathlib import Path

import fleetledger
from fleetledger import Ledger
from fleetledger.consumers import TaskProjection, run_projection
from fleetledger.consumers.tasks import latest_summaries, read_anomalies


def open_ledger(tmp_path: Path) -> Ledger:
    return fleetledger.open(f"sqlite:///{tmp_path}/l.db", default_source="tests")


def test_the_state_family_holds_each_tasks_latest_state(tmp_path: Path) -> None:
    """Two tasks through their lifecycle, projected in two runs: one summary per task and run
    that touched it, the latest saying where each task stands, and nothing left to project."""
    with open_ledger(tmp_path) as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "refund"})
        ledger.append("task.assigned", subject="t-1", data={"assignee": "executor-1"})
        ledger.append("task.requested", subject="t-2", data={"goal": "report"})
        first = run_projection(ledger, TaskProjection(ledger))
        ledger.append("task.started", subject="t-1", agentid="executor-1")
        ledger.append("task.completed", subject="t-1", agentid="executor-1")
        second = run_projection(ledger, TaskProjection(ledger))

        latest = {e.subject: e.data for e in latest_summaries(ledger).events}
        lag = sum(row.lag for row in ledger.lag("tasks"))

    assert (first.events, first.outputs, second.events, second.outputs) == (3, 2, 2, 1)
    assert latest["t-1"]["status"] == "completed"
    assert latest["t-1"]["assignee"] == "executor-1"
    assert latest["t-2"]["status"] == "requested"
    assert lag == 0


def test_an_impossible_transition_is_recorded_beside_the_summary(tmp_path: Path) -> None:
    """A second completion is flagged as task.anomaly.detected, caused by the offending event."""
    with open_ledger(tmp_path) as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "refund"})
        ledger.append("task.completed", subject="t-1")
        again = ledger.append("task.completed", subject="t-1")
        run_projection(ledger, TaskProjection(ledger))
        (anomaly,) = read_anomalies(ledger).events
        (offending,) = ledger.read("task", again.partition, again.offset, limit=1)

    assert anomaly.subject == "t-1"
    assert anomaly.causationid == offending.id
    assert anomaly.data["event_type"] == "task.completed"
