"""Bad input through the API: a typed error naming the field, and nothing stored."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from fleetledger import (
    ContractError,
    EventTooLarge,
    Ledger,
    LedgerError,
    UnknownEventType,
)
from fleetledger.testing import FakeClock, memory_ledger

Append = Callable[[Ledger], object]

GOOD = {"type": "task.requested", "subject": "t-1", "data": {"goal": "ship it"}}


def append(type: str = "task.requested", **attributes: Any) -> Append:
    """An append of one event; data defaults to a valid task.requested."""
    attributes.setdefault("subject", "t-1")
    if type == "task.requested":
        attributes.setdefault("data", {"goal": "ship it"})
    return lambda ledger: ledger.append(type, **attributes)


def append_many(*events: Any) -> Append:
    """An append_many of the given events."""
    return lambda ledger: ledger.append_many(list(events))


def score(value: Any) -> Append:
    """An evaluation.scored event with ``value`` as its score."""
    return append("evaluation.scored", data={"metric": "m", "score": value, "evaluator": "e"})


def _deep(levels: int) -> dict[str, object]:
    """A dict nested ``levels`` deep."""
    value: dict[str, object] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


CASES = [
    pytest.param(append(data={"goal": 5}), ContractError, "data.goal", id="data-of-wrong-type"),
    pytest.param(append(data={}), ContractError, "data.goal", id="missing-required-data-field"),
    pytest.param(
        append(data={"goal": "g", "colour": "red"}),
        ContractError,
        "data.colour",
        id="unknown-data-field",
    ),
    pytest.param(
        append(data={"goal": "g", "priority": "asap"}),
        ContractError,
        "data.priority",
        id="value-outside-a-literal",
    ),
    pytest.param(append("task.exploded"), UnknownEventType, "type", id="unknown-type"),
    pytest.param(append(123), ContractError, "type", id="type-not-a-string"),
    pytest.param(append(["task.started"]), ContractError, "type", id="type-unhashable"),
    pytest.param(append("Task"), ContractError, "type", id="type-without-family"),
    pytest.param(
        append_many({"type": "task.started"}), ContractError, "subject", id="missing-subject"
    ),
    pytest.param(append_many({"subject": "t-1"}), ContractError, "type", id="missing-type"),
    pytest.param(append(subject=""), ContractError, "subject", id="empty-subject"),
    pytest.param(append(subject="   "), ContractError, "subject", id="blank-subject"),
    pytest.param(append(subject="x" * 1025), ContractError, "subject", id="overlong-subject"),
    pytest.param(append(subject=42), ContractError, "subject", id="subject-not-a-string"),
    pytest.param(append(source=b"agent"), ContractError, "source", id="source-not-a-string"),
    pytest.param(append(tenant=7), ContractError, "tenant", id="extension-not-a-string"),
    pytest.param(
        append(subject="t-\ud800"), ContractError, "subject", id="lone-surrogate-in-subject"
    ),
    pytest.param(append(id=""), ContractError, "id", id="empty-id"),
    pytest.param(
        append(traceparent="not-a-trace"), ContractError, "traceparent", id="bad-traceparent"
    ),
    pytest.param(append(time="yesterday"), ContractError, "time", id="unparsable-time"),
    pytest.param(append(time="2025-01-01T00:00:00"), ContractError, "time", id="time-without-zone"),
    pytest.param(score(float("nan")), ContractError, "data.score", id="nan-in-data"),
    pytest.param(score(float("inf")), ContractError, "data.score", id="infinity-in-data"),
    pytest.param(
        append(data={"goal": "g", "inputs": {"n": 2**53}}),
        ContractError,
        "data.inputs.n",
        id="integer-beyond-2-53",
    ),
    pytest.param(
        append(data={"goal": "g", "inputs": {"n": -(2**60)}}),
        ContractError,
        "data.inputs.n",
        id="negative-integer-beyond-2-53",
    ),
    pytest.param(
        append(data={"goal": "g", "inputs": {"note": "\udfff"}}),
        ContractError,
        "data.inputs.note",
        id="lone-surrogate-in-data",
    ),
    pytest.param(
        append_many({**GOOD, "colour": "red"}),
        ContractError,
        "colour",
        id="unknown-attribute-in-mapping",
    ),
    pytest.param(append_many("task.started"), ContractError, None, id="event-not-a-mapping"),
    pytest.param(
        append_many(GOOD, {**GOOD, "data": {}}),
        ContractError,
        "data.goal",
        id="one-bad-event-in-a-batch",
    ),
    pytest.param(
        append_many(GOOD, {**GOOD, "type": "task.exploded"}),
        UnknownEventType,
        "type",
        id="one-unknown-type-in-a-batch",
    ),
    pytest.param(
        append(supersedes="evt-404"), ContractError, "supersedes", id="correction-of-nothing"
    ),
    pytest.param(append(subject="t-1\n"), ContractError, "subject", id="newline-in-subject"),
    pytest.param(append(subject="t\x1b[31m"), ContractError, "subject", id="escape-in-subject"),
    pytest.param(append(tenant="acme\x00"), ContractError, "tenant", id="nul-in-tenant"),
    pytest.param(append(id="evt\r1"), ContractError, "id", id="carriage-return-in-id"),
    pytest.param(append(agentid="a\x85"), ContractError, "agentid", id="c1-control-in-key"),
    pytest.param(append(subject="t\u2028"), ContractError, "subject", id="line-separator"),
    pytest.param(append(source="agents/my planner"), ContractError, "source", id="space-in-source"),
    pytest.param(append(source="agents/ü"), ContractError, "source", id="non-ascii-in-source"),
    pytest.param(append(source="1:x"), ContractError, "source", id="scheme-not-a-letter"),
    pytest.param(append(source="%zz"), ContractError, "source", id="bad-percent-escape"),
    pytest.param(
        append(traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01\n"),
        ContractError,
        "traceparent",
        id="traceparent-with-a-trailing-newline",
    ),
    pytest.param(append("task.started\n"), ContractError, "type", id="type-with-a-newline"),
    pytest.param(
        append(time="0001-01-01T00:00:00+01:00"), ContractError, "time", id="time-before-year-1"
    ),
    pytest.param(append(time="999-01-01T00:00:00Z"), ContractError, "time", id="3-digit-year"),
    pytest.param(append(time="20250101T000000Z"), ContractError, "time", id="basic-iso-format"),
    pytest.param(append(time="2025-01-01"), ContractError, "time", id="date-without-time"),
    pytest.param(append(dataclassification=[]), ContractError, "dataclassification", id="list"),
    pytest.param(append_many({**GOOD, 1: "x"}), ContractError, "1", id="non-text-attribute"),
    pytest.param(
        append(data={"goal": "g", "inputs": _deep(1000)}), ContractError, "data", id="deep"
    ),
]


def count(ledger: Ledger) -> int:
    """Events retained across every topic."""
    return sum(info.events for info in ledger.topics())


@pytest.mark.parametrize(("call", "error", "field"), CASES)
def test_bad_input_raises_a_typed_error_naming_the_field(
    ledger: Ledger, call: Append, error: type[LedgerError], field: str | None
) -> None:
    """Each bad input raises its ContractError subclass with ``field`` set to the culprit."""
    with pytest.raises(error) as caught:
        call(ledger)
    assert isinstance(caught.value, ContractError)
    if field is not None:
        assert caught.value.field is not None
        assert caught.value.field == field
        assert field.rsplit(".", 1)[-1] in str(caught.value)


@pytest.mark.parametrize(("call", "error", "field"), CASES)
def test_bad_input_leaves_the_ledger_unchanged(
    ledger: Ledger, call: Append, error: type[LedgerError], field: str | None
) -> None:
    """After a refused append the ledger holds exactly what it held before."""
    ledger.append("task.started", subject="t-0", id="before")
    with pytest.raises(error):
        call(ledger)
    assert count(ledger) == 1


def test_an_error_in_a_batch_names_the_events_index(ledger: Ledger) -> None:
    """A refused append_many says which event of the batch is at fault."""
    with pytest.raises(ContractError, match="event 2"):
        ledger.append_many([GOOD, GOOD, {**GOOD, "subject": " "}])


def test_an_oversized_event_is_refused_with_its_size_and_the_limit(clock: FakeClock) -> None:
    """With max_event_bytes=1024 a larger event raises EventTooLarge and stores nothing."""
    with memory_ledger(max_event_bytes=1024, clock=clock, default_source="tests") as ledger:
        with pytest.raises(EventTooLarge, match="1024") as caught:
            ledger.append("task.requested", subject="t-1", data={"goal": "x" * 2000})
        assert caught.value.size > caught.value.limit == 1024
        assert count(ledger) == 0


def test_an_oversized_event_in_a_batch_is_refused_naming_its_index(clock: FakeClock) -> None:
    """One oversized event in append_many raises EventTooLarge for that event; nothing stored."""
    small = {"type": "task.requested", "subject": "t-1", "data": {"goal": "x"}}
    big = {**small, "data": {"goal": "x" * 2000}}
    with memory_ledger(max_event_bytes=1024, clock=clock, default_source="tests") as ledger:
        with pytest.raises(EventTooLarge, match="event 1") as caught:
            ledger.append_many([small, big])
        assert caught.value.limit == 1024
        assert count(ledger) == 0


def test_an_event_just_under_the_limit_is_accepted(clock: FakeClock) -> None:
    """max_event_bytes bounds the encoded size, and smaller events pass."""
    with memory_ledger(max_event_bytes=1024, clock=clock, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t-1", data={"goal": "x" * 500})
        assert count(ledger) == 1


def test_a_missing_source_is_refused_when_there_is_no_default(clock: FakeClock) -> None:
    """source is required unless the ledger was opened with default_source."""
    with memory_ledger(clock=clock) as ledger:
        with pytest.raises(ContractError) as caught:
            ledger.append("task.started", subject="t-1")
        assert caught.value.field == "source"
        assert count(ledger) == 0


def test_a_value_json_cannot_hold_is_refused_as_a_contract_error(ledger: Ledger) -> None:
    """An arbitrary Python object inside free-form data is refused with a ContractError."""
    with pytest.raises(ContractError) as caught:
        ledger.append("task.requested", subject="t-1", data={"goal": "g", "inputs": {"x": 1j}})
    assert caught.value.field == "data.inputs.x"


def test_data_that_is_not_an_object_is_refused_naming_data(ledger: Ledger) -> None:
    """data given as a list instead of an object is refused with field 'data'."""
    with pytest.raises(ContractError) as caught:
        ledger.append("task.requested", subject="t-1", data=["ship it"])
    assert caught.value.field == "data"


def test_a_time_is_written_with_four_year_digits(ledger: Ledger) -> None:
    """Year 1 is 0001, signed and stored that way, and parses back."""
    ledger.append("task.started", subject="t-1", id="old", time="0001-01-01T00:00:00Z")
    assert ledger.get("old").time == "0001-01-01T00:00:00.000000Z"


def test_a_correction_of_another_task_is_refused(ledger: Ledger) -> None:
    """supersedes must name an event of the same task, not only of the same family."""
    ledger.append("task.started", subject="t-1", id="first")
    with pytest.raises(ContractError, match="same task") as caught:
        ledger.append("task.started", subject="t-2", supersedes="first")
    assert caught.value.field == "supersedes"


@pytest.mark.parametrize(
    "read",
    [
        lambda ledger: ledger.read("task", 0, -1),
        lambda ledger: ledger.read("task", -1),
        lambda ledger: ledger.read("task", 0, 0, limit=-5),
        lambda ledger: list(ledger.tail(last=-1)),
        lambda ledger: ledger.consumer("g").poll(max=-1),
        lambda ledger: ledger.consumer("g").seek("fleet.task", 0, -3),
    ],
    ids=["negative-offset", "negative-partition", "negative-limit", "tail", "poll", "seek"],
)
def test_negative_offsets_and_limits_are_refused(ledger: Ledger, read: Append) -> None:
    """A negative offset, partition, limit or count is a ContractError, not an empty answer."""
    with pytest.raises(ContractError):
        read(ledger)


@pytest.mark.parametrize(
    "read",
    [
        lambda ledger: ledger.read("task", since=datetime(2025, 1, 1)),
        lambda ledger: list(ledger.replay("t-1", since=datetime(2025, 1, 1))),
        lambda ledger: ledger.maintain(now=datetime(2025, 1, 1)),
        lambda ledger: ledger.consumer("g").seek_to_time(datetime(2025, 1, 1)),
        lambda ledger: ledger.move_group("g", datetime(2025, 1, 1)),
    ],
    ids=["read-since", "replay-since", "maintain", "seek-to-time", "move-group"],
)
def test_naive_datetimes_are_refused_everywhere(ledger: Ledger, read: Append) -> None:
    """A datetime without a zone is refused: the ledger cannot guess which moment it names."""
    with pytest.raises(ContractError, match="timezone"):
        read(ledger)
