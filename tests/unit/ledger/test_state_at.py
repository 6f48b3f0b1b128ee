"""Ledger.state_at: a task's lifecycle state as of a recorded time, as recorded or corrected."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fleetledger import ContractError, Ledger, NotFound
from fleetledger.testing import FakeClock, memory_ledger


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 1, 6, 9, 0, tzinfo=UTC))


@pytest.fixture
def ledger(clock: FakeClock) -> Iterator[Ledger]:
    with memory_ledger(clock=clock, default_source="tests") as opened:
        yield opened


def step(ledger: Ledger, clock: FakeClock, type_: str, **attributes: object) -> datetime:
    """Append one event of task t-1 a minute after the last; return when it was recorded."""
    clock.advance(60)
    ledger.append(type_, subject="t-1", **attributes)
    return clock.now()


def test_the_state_now_folds_every_event_of_the_task(ledger: Ledger, clock: FakeClock) -> None:
    """Without as_of, the state is that of the whole history."""
    step(ledger, clock, "task.requested", data={"goal": "refund order 42"})
    step(ledger, clock, "task.assigned", data={"assignee": "billing"})
    step(ledger, clock, "task.started")

    state = ledger.state_at("t-1")

    assert (state.status, state.owner, state.goal, state.attempts) == (
        "running",
        "billing",
        "refund order 42",
        1,
    )


def test_as_of_includes_an_event_recorded_at_that_moment_and_none_after(
    ledger: Ledger, clock: FakeClock
) -> None:
    """as_of is inclusive: the state then has the event recorded at it, not the next one."""
    step(ledger, clock, "task.requested", data={"goal": "g"})
    assigned = step(ledger, clock, "task.assigned", data={"assignee": "billing"})
    step(ledger, clock, "task.started")

    assert ledger.state_at("t-1", as_of=assigned).status == "assigned"
    assert ledger.state_at("t-1", as_of=assigned - timedelta(microseconds=1)).status == (
        "requested"
    )


def test_a_correction_changes_the_corrected_state_only(ledger: Ledger, clock: FakeClock) -> None:
    """A task.assigned correcting a mistaken task.started: as recorded the task was started
    (and stays running), as corrected it was only ever assigned."""
    step(ledger, clock, "task.requested", data={"goal": "g"})
    step(ledger, clock, "task.started", id="oops")
    step(ledger, clock, "task.assigned", supersedes="oops", data={"assignee": "b"})

    recorded = ledger.state_at("t-1")
    corrected = ledger.state_at("t-1", corrected=True)

    assert (recorded.status, recorded.attempts, recorded.owner) == ("running", 1, "b")
    assert (corrected.status, corrected.attempts, corrected.owner) == ("assigned", 0, "b")


def test_a_correction_restating_an_outcome_is_no_anomaly_as_recorded(
    ledger: Ledger, clock: FakeClock
) -> None:
    """A task.failed superseding the task.completed ends the task failed in both views."""
    step(ledger, clock, "task.requested", data={"goal": "g"})
    step(ledger, clock, "task.completed", id="done")
    step(ledger, clock, "task.failed", data={"error": "wrong amount"}, supersedes="done")

    for corrected in (False, True):
        state = ledger.state_at("t-1", corrected=corrected)
        assert (state.status, state.error, state.anomalies) == ("failed", "wrong amount", 0)


def test_a_superseded_start_is_left_out_of_the_corrected_state(
    ledger: Ledger, clock: FakeClock
) -> None:
    """A task.cancelled correcting a mistaken task.started: as recorded the task ran and was
    then cancelled; as corrected it was never started (no attempt counted)."""
    step(ledger, clock, "task.requested", data={"goal": "g"})
    step(ledger, clock, "task.started", id="oops")
    step(ledger, clock, "task.cancelled", supersedes="oops", data={"reason": "never ran"})

    recorded = ledger.state_at("t-1")
    corrected = ledger.state_at("t-1", corrected=True)

    assert (recorded.status, recorded.attempts) == ("cancelled", 1)
    assert (corrected.status, corrected.attempts) == ("cancelled", 0)


def test_an_unknown_task_is_not_found(ledger: Ledger) -> None:
    """A task with no events at all is NotFound, naming it."""
    with pytest.raises(NotFound, match="'t-9'"):
        ledger.state_at("t-9")


def test_a_moment_before_the_first_event_is_not_found(ledger: Ledger, clock: FakeClock) -> None:
    """Before its first event was recorded, the task did not exist yet."""
    first = step(ledger, clock, "task.requested", data={"goal": "g"})

    with pytest.raises(NotFound, match="at or before"):
        ledger.state_at("t-1", as_of=first - timedelta(seconds=1))


def test_a_naive_as_of_is_refused_by_its_name(ledger: Ledger, clock: FakeClock) -> None:
    """as_of without a timezone is a ContractError naming as_of."""
    step(ledger, clock, "task.requested", data={"goal": "g"})

    with pytest.raises(ContractError) as info:
        ledger.state_at("t-1", as_of=datetime(2025, 1, 6, 9, 5))

    assert info.value.field == "as_of"


def test_an_impossible_history_is_folded_with_its_anomalies_counted(
    ledger: Ledger, clock: FakeClock
) -> None:
    """A task.started before any task.requested and a second completion are counted."""
    step(ledger, clock, "task.started")
    step(ledger, clock, "task.completed")
    step(ledger, clock, "task.completed")

    state = ledger.state_at("t-1")

    assert (state.status, state.anomalies, state.first_event_type) == (
        "completed",
        2,
        "task.started",
    )
