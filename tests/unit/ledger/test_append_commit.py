"""Appending with a consumer group's offsets (``append_many(..., commit=...)``) and fencing."""

import pytest

from fleetledger import ConfigurationError, ContractError, Ledger


def test_events_and_offsets_are_stored_together(ledger: Ledger) -> None:
    """The events are stored and the group's offsets committed by one call."""
    topic = ledger.topic("task")
    positions = ledger.append_many(
        [{"type": "task.started", "subject": "t1"}], commit=("projector", {(topic, 0): 3})
    )
    assert positions.appended == 1
    assert [(lag.partition, lag.committed) for lag in ledger.lag("projector")] == [(0, 3)]


def test_a_commit_without_a_group_name_is_refused(ledger: Ledger) -> None:
    """An empty group name is a contract error, and nothing is stored."""
    with pytest.raises(ContractError):
        ledger.append_many(
            [{"type": "task.started", "subject": "t1"}],
            commit=(" ", {(ledger.topic("task"), 0): 1}),
        )
    assert ledger.groups() == []
    assert list(ledger.replay("t1")) == []


def test_a_negative_offset_in_a_commit_is_refused(ledger: Ledger) -> None:
    """Offsets are 0 or more."""
    with pytest.raises(ContractError, match="offset"):
        ledger.append_many([], commit=("projector", {(ledger.topic("task"), 0): -1}))


def test_a_commit_of_a_missing_partition_is_refused(ledger: Ledger) -> None:
    """The backend refuses a partition the topic does not have; nothing is committed."""
    with pytest.raises(LookupError):
        ledger.append_many([], commit=("projector", {(ledger.topic("task"), 99): 1}))
    assert ledger.groups() == []


def test_fencing_a_group_on_a_local_ledger_changes_nothing(ledger: Ledger) -> None:
    """On memory (as on SQLite) an append with offsets is never left open: fence is a no-op
    that still checks its argument."""
    ledger.fence("projector")
    assert ledger.groups() == []
    with pytest.raises(ConfigurationError):
        ledger.fence("")
