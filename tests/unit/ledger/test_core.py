"""What the ledger adds to every event: stamps, ids, classification and canonical bytes."""

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from fleetledger import ContractError, Ledger, Position, Principal
from fleetledger.events import canonical_json
from fleetledger.testing import FakeClock, memory_ledger, prepared

STAMPED = ["authid", "authtype", "recordedtime"]


def body_of(ledger: Ledger, event_id: str) -> bytes:
    """The bytes the backend stores for an event."""
    record = ledger.log.find(event_id)
    assert record is not None
    return record.body


def test_recordedtime_is_the_ledgers_clock_when_it_accepted_the_event(
    ledger: Ledger, clock: FakeClock
) -> None:
    """recordedtime is stamped from the ledger's clock, in UTC with microseconds."""
    clock.set(datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC))
    ledger.append("task.started", subject="t-1", id="evt-1")
    event = ledger.get("evt-1")
    assert event.recordedtime == "2025-03-04T05:06:07.891011Z"
    assert event.recorded_at == clock.now()


def test_time_defaults_to_recordedtime(ledger: Ledger) -> None:
    """An event without a time happened when the ledger recorded it."""
    ledger.append("task.started", subject="t-1", id="evt-1")
    event = ledger.get("evt-1")
    assert event.time == event.recordedtime


def test_a_given_time_is_kept_and_written_in_utc(ledger: Ledger) -> None:
    """A writer's time is kept as the moment it names, normalised to UTC."""
    moment = datetime(2024, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-2)))
    ledger.append("task.started", subject="t-1", id="evt-1", time=moment)
    assert ledger.get("evt-1").time == "2025-01-01T01:00:00.000000Z"


def test_recorded_times_never_go_backwards(ledger: Ledger, clock: FakeClock) -> None:
    """A clock set back does not make a later event look recorded earlier (or at once)."""
    clock.set(datetime(2025, 6, 1, tzinfo=UTC))
    ledger.append("task.started", subject="t-1", id="first")
    clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    ledger.append("task.started", subject="t-1", id="second")
    assert ledger.get("second").recordedtime > ledger.get("first").recordedtime


def test_authid_and_authtype_come_from_the_principal(ledger: Ledger, principal: Principal) -> None:
    """The ledger stamps the principal it was opened with on every event."""
    ledger.append("task.started", subject="t-1", id="evt-1")
    event = ledger.get("evt-1")
    assert (event.authid, event.authtype) == (principal.id, principal.type)


def test_a_ledger_opened_without_a_principal_stamps_the_local_user() -> None:
    """The default principal is the operating-system user, of authtype 'user'."""
    with memory_ledger(default_source="tests") as ledger:
        ledger.append("task.started", subject="t-1", id="evt-1")
        event = ledger.get("evt-1")
    assert event.authtype == "user"
    assert event.authid == Principal.local().id


@pytest.mark.parametrize("attribute", STAMPED)
def test_a_writer_cannot_set_a_stamped_attribute(ledger: Ledger, attribute: str) -> None:
    """authid, authtype and recordedtime in an event mapping are refused, naming the field."""
    event = {"type": "task.started", "subject": "t-1", attribute: "forged"}
    with pytest.raises(ContractError, match="stamped by the ledger") as caught:
        ledger.append_many([event])
    assert caught.value.field == attribute


@pytest.mark.parametrize("attribute", STAMPED)
def test_append_refuses_a_stamped_attribute_as_a_keyword(ledger: Ledger, attribute: str) -> None:
    """append() refuses a stamped attribute given as a keyword, naming it."""
    with pytest.raises(ContractError, match="stamped by the ledger") as caught:
        ledger.append("task.started", subject="t-1", **{attribute: "forged"})
    assert caught.value.field == attribute


def test_a_refused_forgery_stores_nothing(ledger: Ledger) -> None:
    """A batch with a forged authid leaves the ledger unchanged."""
    good = {"type": "task.started", "subject": "t-1"}
    with pytest.raises(ContractError):
        ledger.append_many([good, {**good, "authid": "root"}])
    assert list(ledger.replay("t-1")) == []


def test_the_default_id_is_a_uuid7(ledger: Ledger) -> None:
    """An event appended without an id gets a version 7 UUID."""
    position = ledger.append("task.started", subject="t-1")
    (event,) = ledger.read("task", position.partition)
    assert uuid.UUID(event.id).version == 7


def test_default_ids_grow_in_append_order(ledger: Ledger) -> None:
    """UUIDv7 ids of successive appends sort in append order."""
    for _ in range(50):
        ledger.append("task.started", subject="t-1")
    ids = [e.id for e in ledger.replay("t-1")]
    assert ids == sorted(ids)
    assert len(set(ids)) == 50


def test_a_given_id_is_kept(ledger: Ledger) -> None:
    """A writer's id is the event's id."""
    ledger.append("task.started", subject="t-1", id="my-id")
    assert ledger.get("my-id").id == "my-id"


def test_dataclassification_defaults_to_the_types_classification(ledger: Ledger) -> None:
    """context events are confidential and task events internal unless raised."""
    ledger.append("context.retrieved", subject="t-1", id="ctx", data={"query": "q"})
    ledger.append("task.started", subject="t-1", id="task")
    assert ledger.get("ctx").dataclassification == "confidential"
    assert ledger.get("task").dataclassification == "internal"


def test_dataclassification_can_be_raised(ledger: Ledger) -> None:
    """A writer may classify an event above its type's default."""
    ledger.append("task.started", subject="t-1", id="evt-1", dataclassification="restricted")
    assert ledger.get("evt-1").dataclassification == "restricted"


def test_dataclassification_cannot_be_lowered(ledger: Ledger) -> None:
    """Classifying a confidential type as public is refused, naming the field."""
    with pytest.raises(ContractError, match="lowered") as caught:
        ledger.append(
            "context.retrieved", subject="t-1", data={"query": "q"}, dataclassification="public"
        )
    assert caught.value.field == "dataclassification"


def test_an_unknown_dataclassification_is_refused(ledger: Ledger) -> None:
    """Only the four classifications are accepted."""
    with pytest.raises(ContractError, match="secret") as caught:
        ledger.append("task.started", subject="t-1", dataclassification="secret")
    assert caught.value.field == "dataclassification"


def test_the_stored_body_is_the_canonical_json_of_the_event(ledger: Ledger) -> None:
    """The stored bytes are their own RFC 8785 form: re-canonicalising changes nothing."""
    ledger.append(
        "evaluation.scored",
        subject="t-1",
        id="evt-1",
        tenant="acme",
        data={"metric": "accuracy", "score": 0.1, "evaluator": "judge", "rationale": "é 😀"},
    )
    body = body_of(ledger, "evt-1")
    assert body == canonical_json(json.loads(body))


def test_the_stored_body_has_no_position(ledger: Ledger) -> None:
    """The position is where the event sits, not part of its bytes."""
    ledger.append("task.started", subject="t-1", id="evt-1")
    stored = json.loads(body_of(ledger, "evt-1"))
    assert not {"position", "topic", "partition", "offset"} & set(stored)


def test_the_stored_body_carries_the_stamps(ledger: Ledger, principal: Principal) -> None:
    """The canonical bytes include what the ledger stamped, so proofs cover attribution."""
    ledger.append("task.started", subject="t-1", id="evt-1")
    stored = json.loads(body_of(ledger, "evt-1"))
    assert stored["authid"] == principal.id
    assert stored["recordedtime"] == ledger.get("evt-1").recordedtime
    assert stored["specversion"] == "1.0"


def test_numbers_are_stored_in_their_ecmascript_form(ledger: Ledger) -> None:
    """Floats are written as JavaScript writes them (RFC 8785 section 3.2.2.3)."""
    for n, score in enumerate([1.0, 1e21, 0.000001, 1e-7]):
        ledger.append(
            "evaluation.scored",
            subject="t-1",
            id=f"evt-{n}",
            data={"metric": "m", "score": score, "evaluator": "e"},
        )
    written = [b'"score":1,', b'"score":1e+21,', b'"score":0.000001,', b'"score":1e-7,']
    for n, expected in enumerate(written):
        assert expected in body_of(ledger, f"evt-{n}")


def test_a_decoded_event_carries_its_position(ledger: Ledger) -> None:
    """Events read back know where they are stored."""
    position = ledger.append("task.started", subject="t-1", id="evt-1")
    assert ledger.get("evt-1").position == position
    assert isinstance(position, Position)


def test_the_event_as_a_dict_is_the_stored_json(ledger: Ledger) -> None:
    """Event.to_dict() is the CloudEvents structured JSON the ledger stored."""
    ledger.append("task.requested", subject="t-1", id="evt-1", data={"goal": "g"})
    assert ledger.get("evt-1").to_dict() == json.loads(body_of(ledger, "evt-1"))


@pytest.mark.parametrize(
    "event",
    [
        {"type": "evaluation.scored", "data": {"metric": "m", "score": 0.5, "evaluator": "e"}},
        {
            "type": "tool.call.requested",
            "data": {"call_id": "c-1", "tool": "t", "arguments": {"\U0001f600": 1e21, "z": 1.5}},
        },
    ],
    ids=["plain", "careful"],
)
def test_a_prepared_records_envelope_holds_exactly_what_its_bytes_hold(
    ledger: Ledger, event: dict[str, object]
) -> None:
    """Attributes and data JSON from the record's envelope rebuild its body byte for byte,
    so a binding may write them apart without parsing the body."""
    (record,) = prepared([{"subject": "t-1", **event}], ledger)
    assert record.event is not None
    rebuilt = dict(record.event.attributes())
    rebuilt["data"] = json.loads(record.event.data_json())
    assert canonical_json(rebuilt) == record.body
    assert json.loads(record.body)["data"] == json.loads(record.event.data_json())


def test_only_records_with_minted_ids_say_so(ledger: Ledger) -> None:
    """A record whose id the ledger minted is marked; one with the writer's id is not."""
    events = [{"type": "task.started", "subject": "t-1"}, {**_STARTED, "id": "evt-9"}]
    minted, given = prepared(events, ledger)
    assert (minted.minted, given.minted) == (True, False)


_STARTED = {"type": "task.started", "subject": "t-1"}
