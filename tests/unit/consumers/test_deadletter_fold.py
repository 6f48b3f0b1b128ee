"""The fold of the dead-letter topic's records into each dead letter's current state."""

from typing import Any

from fleetledger.consumers import DeadLetterStatus
from fleetledger.consumers.deadletter import dead_letter_id, fold


def entry(letter_id: str = "a", at: int = 1, **more: Any) -> dict[str, Any]:
    """A recorded entry."""
    return {
        "kind": "recorded",
        "id": letter_id,
        "at_ms": at,
        "group": "audit",
        "handler": "app:h",
        "topic": "fleet.task",
        "partition": 2,
        "offset": 7,
        "event_id": "e1",
        "event_type": "task.requested",
        "subject": "t1",
        "error": {"type": "ValueError", "message": "bad", "traceback": "tb"},
        "attempts": 5,
        **more,
    }


def change(kind: str, at: int, letter_id: str = "a", **more: Any) -> dict[str, Any]:
    """A state change of entry ``letter_id``."""
    return {"kind": kind, "id": letter_id, "at_ms": at, "by": "ops", **more}


def test_an_entry_starts_recorded_with_its_error_and_position() -> None:
    """The entry's fields as recorded."""
    (letter,) = fold([entry()]).values()

    assert letter.status is DeadLetterStatus.RECORDED
    assert (letter.topic, letter.partition, letter.offset) == ("fleet.task", 2, 7)
    assert (letter.error.type, letter.error.message, letter.attempts) == ("ValueError", "bad", 5)
    assert letter.family == "task"


def test_state_changes_apply_in_order() -> None:
    """retry-requested then resolved: resolved, with the history of both."""
    letters = fold([entry(), change("retry-requested", 2), change("resolved", 3)])

    assert letters["a"].status is DeadLetterStatus.RESOLVED
    assert [kind for kind, _, _ in letters["a"].history] == [
        "recorded",
        "retry-requested",
        "resolved",
    ]
    assert letters["a"].updated_ms == 3


def test_a_failed_retry_reopens_the_entry_with_a_new_attempt() -> None:
    """attempted: status back to recorded, the new error and attempt count."""
    failed = change(
        "attempted", 3, error={"type": "KeyError", "message": "x", "traceback": ""}, attempts=6
    )
    letters = fold([entry(), change("retry-requested", 2), failed])

    assert letters["a"].status is DeadLetterStatus.RECORDED
    assert (letters["a"].error.type, letters["a"].attempts) == ("KeyError", 6)


def test_a_dropped_entry_is_kept() -> None:
    """dropped is a state, not a deletion."""
    assert fold([entry(), change("dropped", 2)])["a"].status is DeadLetterStatus.DROPPED


def test_a_change_of_an_unknown_entry_is_passed_over() -> None:
    """A change whose entry is not (visibly) recorded makes no dead letter."""
    assert fold([change("resolved", 2, letter_id="nobody")]) == {}


def test_an_entry_recorded_twice_stays_one_dead_letter() -> None:
    """A runner that crashed after recording re-records the same id: one entry, its history kept."""
    letters = fold([entry(at=1), entry(at=5)])

    assert len(letters) == 1
    assert letters["a"].recorded_ms == 1
    assert len(letters["a"].history) == 2


def test_ids_are_stable_and_distinct_per_event_group_and_handler() -> None:
    """The same event, group and handler give the same id; another handler another."""
    first = dead_letter_id("audit", "fleet.task", 2, 7, "app:h")

    assert first == dead_letter_id("audit", "fleet.task", 2, 7, "app:h")
    assert first != dead_letter_id("audit", "fleet.task", 2, 7, "app:other")
    assert first != dead_letter_id("eval", "fleet.task", 2, 7, "app:h")
