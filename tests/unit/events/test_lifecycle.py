"""The task lifecycle state machine: the transition table cell by cell, and how events apply."""

from typing import Any

import msgspec
import pytest

from fleetledger.events import Event
from fleetledger.events.lifecycle import (
    LIFECYCLE_TYPES,
    TaskState,
    advance,
    concerns,
    fold,
    transition,
)
from fleetledger.events.taskstate import STATUSES, from_summary, to_summary

COLUMNS = (None, *STATUSES)
SHORT = {
    "-": None,
    "req": "requested",
    "dec": "decomposed",
    "asg": "assigned",
    "run": "running",
    "awa": "awaiting_approval",
    "com": "completed",
    "fai": "failed",
    "can": "cancelled",
    "cmp": "compensated",
}
# The table of the module docstring, written out again: "=" the status stays, "!" an anomaly.
TABLE = """
requested      req   !=    !=    !=    !=    !=    !=    !=    !=    !=
decomposed     !dec  dec   dec   dec   =     =     !=    !=    !=    !=
assigned       !asg  asg   asg   asg   =     =     !=    !=    !=    !=
started        !run  run   run   run   run   run   !=    !=    !=    !=
handed_off     !asg  !asg  !asg  =     =     =     !=    !=    !=    !=
checkpointed   !run  !run  !run  !run  =     =     !=    !=    !=    !=
retried        !run  !run  !run  !run  run   run   !=    run   !=    !=
completed      !com  com   com   com   com   com   !=    !=    !=    !=
failed         !fai  fai   fai   fai   fai   fai   !=    !=    !=    !=
cancelled      !can  can   can   can   can   can   !=    !=    !=    !=
compensated    !cmp  !cmp  !cmp  !cmp  !cmp  !cmp  cmp   cmp   !=    cmp
"""
DATA: dict[str, dict[str, Any]] = {
    "task.requested": {"goal": "refund order 42"},
    "task.decomposed": {"subtasks": ["t-2"]},
    "task.assigned": {"assignee": "billing"},
    "task.handed_off": {"from_agent": "billing", "to_agent": "billing-2"},
    "task.retried": {"attempt": 1},
    "task.failed": {"error": "card processor unavailable"},
    "task.compensated": {"action": "refund reversed"},
}


def expected() -> list[tuple[str, Any, Any, bool]]:
    """(event type, from status, to status, allowed) for every cell of TABLE."""
    cells = []
    for line in TABLE.strip().splitlines():
        name, *row = line.split()
        for before, cell in zip(COLUMNS, row, strict=True):
            allowed = not cell.startswith("!")
            target = cell.removeprefix("!")
            after = before if target == "=" else SHORT[target]
            cells.append((f"task.{name}", before, after, allowed))
    return cells


COUNTER = iter(range(1_000_000))


def event(type_: str, data: Any = None, **attributes: Any) -> Event:
    """An event of task t-1 as the ledger would give it back."""
    n = next(COUNTER)
    return Event(
        id=attributes.pop("id", f"e-{n}"),
        type=type_,
        source="tests",
        subject="t-1",
        time=f"2025-01-06T09:00:{n % 60:02d}.000000Z",
        data=DATA.get(type_, {}) if data is None else data,
        **attributes,
    )


def at(status: Any, **fields: Any) -> TaskState:
    """A task of that status that has seen one event (none for status None)."""
    seen = {} if status is None else {"first_event_id": "e-0", "last_event_id": "e-0"}
    return TaskState(task="t-1", status=status, **seen, **fields)


def test_the_table_covers_every_lifecycle_type_from_every_status() -> None:
    """The table has a cell for each of the 11 lifecycle types and 10 statuses (with none)."""
    cells = expected()
    assert {(c[0], c[1]) for c in cells} == {(t, s) for t in LIFECYCLE_TYPES for s in COLUMNS}


@pytest.mark.parametrize(("type_", "before", "after", "allowed"), expected())
def test_each_lifecycle_event_moves_the_status_as_the_table_says(
    type_: str, before: Any, after: Any, allowed: bool
) -> None:
    """advance() leads where the table says, with an anomaly exactly where it marks one."""
    step = advance(at(before), event(type_))

    assert step.state.status == after
    assert (step.anomaly is None) == allowed
    assert transition(type_, before) == (after, allowed)


@pytest.mark.parametrize(("type_", "before", "after", "allowed"), expected())
def test_an_anomaly_names_the_event_and_both_statuses_and_is_counted(
    type_: str, before: Any, after: Any, allowed: bool
) -> None:
    """An anomaly carries the event's id and type, from and to; the state counts it."""
    offending = event(type_)
    step = advance(at(before), offending)

    if allowed:
        assert step.state.anomalies == 0
        return
    assert step.anomaly is not None
    assert (step.anomaly.event_id, step.anomaly.event_type) == (offending.id, type_)
    assert (step.anomaly.from_status, step.anomaly.to_status) == (before, after)
    assert step.anomaly.reason
    assert step.state.anomalies == 1
    assert step.state.last_event_id == offending.id


def test_a_started_task_before_any_request_is_running_with_its_first_event() -> None:
    """task.started before task.requested is an anomaly that still creates a running task."""
    started = event("task.started", agentid="executor-1")
    state, anomalies = fold("t-1", [started])

    assert (state.status, state.attempts, state.assignee) == ("running", 1, "executor-1")
    assert state.first_event_id == started.id
    assert [a.reason for a in anomalies] == ["task.started before any task.requested"]


def test_a_late_event_on_an_ended_task_changes_nothing_but_the_last_event() -> None:
    """A task.failed after task.completed leaves the outcome and its fields as they were."""
    state, anomalies = fold(
        "t-1", [event("task.requested"), event("task.completed"), event("task.failed")]
    )

    assert (state.status, state.error, state.last_event_type) == (
        "completed",
        None,
        "task.failed",
    )
    assert len(anomalies) == state.anomalies == 1


def test_a_second_request_only_fills_what_is_not_known_yet() -> None:
    """A repeated task.requested is an anomaly; it keeps the goal and adds a missing parent."""
    first = event("task.requested", {"goal": "first"})
    again = event("task.requested", {"goal": "second", "parent_task": "p-1"})
    state, anomalies = fold("t-1", [first, event("task.started"), again])

    assert (state.status, state.goal, state.parent_task) == ("running", "first", "p-1")
    assert len(anomalies) == 1


def test_a_correction_restating_the_outcome_moves_an_ended_task_without_an_anomaly() -> None:
    """A task.failed superseding the task.completed makes the task failed, as corrected."""
    done = event("task.completed")
    fix = event("task.failed", {"error": "wrong amount"}, supersedes=done.id)
    state, anomalies = fold("t-1", [event("task.requested"), done, fix])

    assert (state.status, state.error) == ("failed", "wrong amount")
    assert anomalies == []


def test_a_correction_of_an_assignment_changes_the_owner_but_not_a_running_status() -> None:
    """A corrected task.assigned while running names the new owner; the task stays running."""
    assigned = event("task.assigned", {"assignee": "a"})
    fix = event("task.assigned", {"assignee": "b"}, supersedes=assigned.id)
    state, _ = fold("t-1", [event("task.requested"), assigned, event("task.started"), fix])

    assert (state.status, state.assignee) == ("running", "b")


def test_a_retry_counts_a_run_and_a_retry_after_a_failure_clears_its_error() -> None:
    """started makes attempts 1; each retry adds one; a retried failure runs again."""
    state, anomalies = fold(
        "t-1",
        [
            event("task.requested"),
            event("task.started"),
            event("task.retried"),
            event("task.failed"),
            event("task.retried", {"attempt": 2}),
        ],
    )

    assert (state.status, state.attempts, state.error) == ("running", 3, None)
    assert anomalies == []


def test_an_approval_request_awaits_and_its_grant_resumes_the_run() -> None:
    """approval.requested moves running to awaiting_approval; the grant moves it back."""
    asked = fold(
        "t-1",
        [
            event("task.requested"),
            event("task.started"),
            event("governance.approval.requested", {"approval_id": "ap-1"}),
        ],
    )[0]
    granted = advance(asked, event("governance.approval.granted", {"approval_id": "ap-1"}))

    assert (asked.status, asked.pending_approvals) == ("awaiting_approval", ("ap-1",))
    assert (granted.state.status, granted.state.pending_approvals) == ("running", ())


def test_a_rejected_approval_also_closes_the_call_it_was_for() -> None:
    """A rejection decides the approval and the call it names will not run: both close."""
    state, _ = fold(
        "t-1",
        [
            event("task.requested"),
            event("task.started"),
            event("tool.call.requested", {"call_id": "c-1", "tool": "pay"}),
            event("governance.approval.requested", {"approval_id": "ap-1", "call_id": "c-1"}),
            event("governance.approval.rejected", {"approval_id": "ap-1", "call_id": "c-1"}),
        ],
    )

    assert (state.status, state.open_calls, state.pending_approvals) == ("running", (), ())


def test_tool_calls_are_open_from_requested_until_completed_or_failed() -> None:
    """Calls requested or started are open; completed and failed ones are not."""
    state, _ = fold(
        "t-1",
        [
            event("tool.call.requested", {"call_id": "c-1", "tool": "a"}),
            event("tool.call.started", {"call_id": "c-1", "tool": "a"}),
            event("tool.call.started", {"call_id": "c-2", "tool": "b"}),
            event("tool.call.started", {"call_id": "c-3", "tool": "c"}),
            event("tool.call.completed", {"call_id": "c-1", "tool": "a"}),
            event("tool.call.failed", {"call_id": "c-3", "tool": "c", "error": "x"}),
        ],
    )

    assert state.open_calls == ("c-2",)


def test_tool_events_after_the_task_ended_are_no_anomaly() -> None:
    """A compensating call on a completed task keeps the books without an anomaly."""
    state, anomalies = fold(
        "t-1",
        [
            event("task.requested"),
            event("task.completed"),
            event("tool.call.requested", {"call_id": "undo", "tool": "refund"}),
        ],
    )

    assert (state.status, state.open_calls, anomalies) == ("completed", ("undo",), [])


def test_a_policy_denial_closes_the_call_it_names_and_one_naming_none_is_ignored() -> None:
    """governance.policy.denied with a call_id closes that call; without one it is not ours."""
    denial = {"policy": "p", "action": "a", "reason": "r"}
    opened = fold("t-1", [event("tool.call.requested", {"call_id": "c-1", "tool": "a"})])[0]
    unrelated = event("governance.policy.denied", denial)

    assert advance(opened, unrelated).state is opened
    assert not concerns(unrelated)
    closed = advance(opened, event("governance.policy.denied", {**denial, "call_id": "c-1"}))
    assert closed.state.open_calls == ()


@pytest.mark.parametrize(
    "type_", ["evaluation.scored", "governance.token.created", "task.anomaly.detected"]
)
def test_events_outside_the_lifecycle_change_nothing(type_: str) -> None:
    """Other types, the projection's own anomaly records included, leave the state as it is."""
    state = at("running")

    assert advance(state, event(type_, {})) == (state, None)


def test_a_sealed_or_erased_goal_is_not_read_as_a_goal() -> None:
    """Only a goal that is text is kept: a sealed or erased field reads as unknown."""
    state, _ = fold("t-1", [event("task.requested", {"goal": {"$erased": True}})])

    assert (state.status, state.goal, state.classification) == ("requested", None, None)


def test_a_goal_keeps_the_classification_and_data_subject_it_was_recorded_with() -> None:
    """The state remembers how the goal was sealed, so a summary can seal it the same way."""
    requested = event("task.requested", dataclassification="restricted", datasubject="cust-7")
    state, _ = fold("t-1", [requested])

    assert (state.classification, state.datasubject) == ("restricted", "cust-7")


def test_a_state_survives_a_round_trip_through_its_summary() -> None:
    """from_summary(to_summary(s)) gives back every field a summary carries."""
    state, _ = fold(
        "t-1",
        [
            event("task.requested", {"goal": "g", "priority": "high", "parent_task": "p"}),
            event("task.decomposed"),
            event("task.assigned"),
            event("task.started"),
            event("tool.call.requested", {"call_id": "c-1", "tool": "a"}),
            event("governance.approval.requested", {"approval_id": "ap-1"}),
            event("task.requested"),
        ],
    )
    summary = event("state.summary", msgspec.to_builtins(to_summary(state)))

    assert from_summary(summary) == state


def test_a_task_without_a_status_has_no_summary() -> None:
    """to_summary refuses a task that has seen only tool or approval events."""
    state, _ = fold("t-1", [event("tool.call.requested", {"call_id": "c", "tool": "a"})])

    with pytest.raises(ValueError, match="no lifecycle status"):
        to_summary(state)
