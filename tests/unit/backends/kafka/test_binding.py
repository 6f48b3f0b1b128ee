"""The CloudEvents Kafka binding: binary mode out, the exact canonical body back."""

from typing import Any

import pytest

from fleetledger import Ledger
from fleetledger.backends.kafka.attest import HEADER as MAC
from fleetledger.backends.kafka.attest import Attestor, Covered
from fleetledger.backends.kafka.binding import (
    APPENDED,
    CONTENT_TYPE,
    UNATTESTED,
    from_message,
    millis,
    to_message,
)
from fleetledger.backends.protocols import Record
from fleetledger.events import foreign
from fleetledger.testing import make_record, memory_ledger
from fleetledger.testing import prepared as ledger_records

# One event of every catalogue type, with unicode, floats, nested and free-form data.
EVENTS: list[dict[str, Any]] = [
    {"type": "task.requested", "data": {"goal": "rembourser la commande n°42 — vite 🚀"}},
    {"type": "task.decomposed", "data": {"subtasks": ["t-2", "t-3"], "plan": "split"}},
    {"type": "task.assigned", "data": {"assignee": "agent-ü", "role": "billing"}},
    {"type": "task.started", "data": {}},
    {"type": "task.handed_off", "data": {"from_agent": "a", "to_agent": "b"}},
    {
        "type": "task.checkpointed",
        "data": {"progress": 0.333, "state": {"z": [1, 2.5, {"deep": None}], "é": "x"}},
    },
    {"type": "task.retried", "data": {"attempt": 2, "delay_ms": 1e-7}},
    {"type": "task.completed", "data": {"result": {"total": 1e21, "items": [0.1, -0.0]}}},
    {"type": "task.failed", "data": {"error": 'quote " and \\ backslash\n newline'}},
    {"type": "task.cancelled", "data": {"reason": "控制字符\u0001"}},
    {"type": "task.compensated", "data": {"action": "reversed refund r-9"}},
    {"type": "context.retrieved", "data": {"query": "q", "sources": ["a", "b"]}},
    {"type": "context.memory.updated", "data": {"key": "k", "value": {"😀": 1, "a": 2}}},
    {"type": "context.prompt.rendered", "data": {"template_id": "t", "template_version": "3"}},
    {"type": "tool.call.requested", "data": {"call_id": "c", "tool": "t", "arguments": {}}},
    {"type": "tool.call.started", "data": {"call_id": "c", "tool": "t"}},
    {"type": "tool.call.completed", "data": {"call_id": "c", "tool": "t", "duration_ms": 12.5}},
    {"type": "tool.call.failed", "data": {"call_id": "c", "tool": "t", "error": "timeout"}},
    {"type": "governance.guardrail.checked", "data": {"guardrail": "pii", "passed": True}},
    {"type": "governance.policy.denied", "data": {"policy": "p", "action": "a", "reason": "r"}},
    {"type": "governance.approval.requested", "data": {"approval_id": "ap"}},
    {"type": "governance.approval.granted", "data": {"approval_id": "ap"}},
    {"type": "governance.approval.rejected", "data": {"approval_id": "ap"}},
    {"type": "governance.escalated", "data": {"escalated_to": "oncall", "reason": "big"}},
    {"type": "governance.erasure.performed", "data": {"erased_subject": "c-42"}},
    {"type": "evaluation.scored", "data": {"metric": "f", "score": 0.92, "evaluator": "j"}},
    {"type": "evaluation.feedback", "data": {"rating": 4, "comment": "très bien"}},
    {"type": "state.summary", "data": {"status": "running", "last_event_type": "task.started"}},
]
EXTENSIONS = {
    "tenant": "acme",
    "agentid": "agent/ö",
    "correlationid": "run-1",
    "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
}


@pytest.fixture(scope="module")
def ledger() -> Ledger:
    """A memory ledger to prepare real, stamped records with."""
    return memory_ledger(default_source="agents/tests")


def prepared(ledger: Ledger, event: dict[str, Any], **extra: str) -> Record:
    """The record the ledger would append for ``event`` (subject ``task-1`` by default)."""
    return ledger_records([{"subject": "task-1", **event, **extra}], ledger)[0]


def back(record: Record, message: Any, offset: int = 7, attestor: Attestor = UNATTESTED) -> Any:
    """The stored record a consumer gets from ``message``."""
    return from_message(
        record.topic,
        record.partition,
        offset,
        key=message.key,
        value=message.value,
        headers=message.headers,
        timestamp_ms=0,
        attestor=attestor,
    )


@pytest.mark.parametrize("event", EVENTS, ids=[e["type"] for e in EVENTS])
def test_every_catalogue_event_goes_binary_and_comes_back_byte_identical(
    ledger: Ledger, event: dict[str, Any]
) -> None:
    """Headers + value re-derive the canonical body and every column of the record."""
    record = prepared(ledger, event, **EXTENSIONS)
    message = to_message(record, 123)
    names = dict(message.headers)
    assert names[CONTENT_TYPE] == b"application/json"
    assert names["ce_id"] == record.id.encode()
    stored = back(record, message)
    assert stored.body == record.body
    assert stored[3:] == (record.key, record.id, record.subject, record.type, *record[6:8])


@pytest.mark.parametrize("event", EVENTS, ids=[e["type"] for e in EVENTS])
def test_a_record_with_its_envelope_makes_the_message_its_body_alone_makes(
    ledger: Ledger, event: dict[str, Any]
) -> None:
    """Headers and value built from the core's envelope are, byte for byte and in order,
    the ones parsed out of the record's body: records stored either way read back alike."""
    record = prepared(ledger, event, **EXTENSIONS)
    assert record.event is not None
    from_envelope = to_message(record, 123, Attestor(b"k" * 32))
    from_body = to_message(record._replace(event=None), 123, Attestor(b"k" * 32))
    assert from_envelope == from_body


def test_binary_mode_puts_each_attribute_in_a_ce_header_and_the_data_in_the_value(
    ledger: Ledger,
) -> None:
    """The Kafka binding's binary mode: ce_ headers, content-type, data as value, key."""
    record = prepared(ledger, EVENTS[0], tenant="acme")
    message = to_message(record, 5)
    headers = dict(message.headers)
    assert message.key == b"task-1"
    assert message.value.startswith(b'{"deadline":null,"goal":"rembourser')
    assert b"specversion" not in message.value  # the data object itself, not the envelope
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"task.requested"
    assert headers["ce_subject"] == b"task-1"
    assert headers["ce_tenant"] == b"acme"
    assert headers["ce_dataversion"] == b"1"
    assert headers[APPENDED] == b"5"
    assert "ce_datacontenttype" not in headers


def test_dataversion_comes_back_as_a_json_integer(ledger: Ledger) -> None:
    """The one integer attribute is a number in the re-derived body, not a string."""
    record = prepared(ledger, EVENTS[3])
    stored = back(record, to_message(record, 1))
    assert b'"dataversion":1,' in stored.body


def test_a_value_another_producer_rewrote_is_foreign(ledger: Ledger) -> None:
    """The same headers with a value written by someone else fail the writer's seal: the
    record is foreign, its bytes the canonical encoding of what the message holds."""
    record = prepared(ledger, EVENTS[5])
    message = to_message(record, 1)
    loose = b'{ "state": {"x": 1}, "progress": 0.333, "step": null }'
    stored = from_message(
        record.topic, 0, 0, key=message.key, value=loose, headers=message.headers, timestamp_ms=0
    )
    assert foreign.decode(stored.body) == (message.key, message.headers, loose)
    assert (stored.subject, stored.type) == ("", "")


def test_a_genuine_record_copied_to_another_partition_is_foreign(ledger: Ledger) -> None:
    """The seal covers topic and partition: a copy of a genuine message elsewhere is foreign."""
    record = prepared(ledger, EVENTS[0])
    message = to_message(record, 1)
    moved = from_message(
        record.topic,
        record.partition + 1,
        0,
        key=message.key,
        value=message.value,
        headers=message.headers,
        timestamp_ms=0,
    )
    assert foreign.is_foreign(moved.body)


def test_a_foreign_record_goes_back_to_kafka_verbatim(ledger: Ledger) -> None:
    """A mirror's copy of a foreign record is produced as it was: same key, headers, value."""
    headers = [("h", b"\xff"), ("n", None)]
    body = foreign.encode(b"k", headers, b"not json")
    record = make_record(body=body)
    message = to_message(record, 1)
    assert (message.key, message.headers, message.value) == (b"k", headers, b"not json")


def test_a_writer_key_tells_forged_seals_apart() -> None:
    """A reader holding the writers' key refuses an unkeyed seal and another key's seal."""
    record = make_record(body=b'{"id":"x"}')
    keyed, other = Attestor(b"k" * 32), Attestor(b"o" * 32)
    message = to_message(record, 1, keyed)
    assert back(record, message, attestor=keyed).body == record.body
    for forged in (to_message(record, 1), to_message(record, 1, other)):
        assert foreign.is_foreign(back(record, forged, attestor=keyed).body)


def test_a_reader_without_the_key_accepts_keyed_seals_it_cannot_check() -> None:
    """Without the writers' key a reader trusts keyed seals (broker ACLs guard the topic)."""
    record = make_record(body=b'{"id":"x"}')
    message = to_message(record, 1, Attestor(b"k" * 32))
    assert back(record, message).body == record.body


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ce_id", b"\xff"),
        ("fl_id", b"\xff"),
        ("fl_subject", b"\xff"),
        ("fl_type", b"\xff"),
        ("fl_recorded_ms", b"x"),
        ("fl_appended", b"x"),
        ("ce_dataversion", "²".encode()),
        ("ce_recordedtime", "2025-01-01T00:00:00.²²²²²²Z".encode()),
        ("ce_recordedtime", "٢٠٢٥-01-01T00:00:00.000000Z".encode()),
    ],
)
def test_an_odd_header_never_raises_sealed_or_not(name: str, value: bytes) -> None:
    """Unreadable headers: unsealed, the record is foreign; sealed (by a writer, or by anyone
    using the public unkeyed seal) it is read without an exception either way."""
    headers: list[tuple[str, bytes | None]] = [("ce_id", b"i"), ("ce_subject", b"s")]
    headers += [("ce_recordedtime", b"2025-01-01T00:00:00.000000Z"), (name, value)]
    seal = UNATTESTED.seal(Covered("t", 0, b"k", b"{}", headers))
    unsealed = from_message("t", 0, 3, key=b"k", value=b"{}", headers=headers, timestamp_ms=0)
    sealed = from_message(
        "t", 0, 3, key=b"k", value=b"{}", headers=[*headers, (MAC, seal)], timestamp_ms=0
    )
    assert foreign.is_foreign(unsealed.body)
    assert sealed.offset == 3


@pytest.mark.parametrize("value", [b"not json", b"1e400", b"\xff\xfe", b"[" * 2000, None])
def test_a_value_no_ledger_writer_wrote_is_foreign(value: bytes | None) -> None:
    """Any value, however malformed, reads as a foreign record, never an exception."""
    read = from_message("t", 0, 0, key=None, value=value, headers=[("ce_id", b"i")], timestamp_ms=5)
    assert foreign.decode(read.body) == (None, [("ce_id", b"i")], value)
    assert read.recorded_ms == 5


def test_an_unsealed_body_is_never_spliced_into_an_event() -> None:
    """A forged fl_appended header does not make a non-JSON value part of an event's bytes."""
    read = from_message(
        "t",
        0,
        0,
        key=b"k",
        value=b"not json",
        headers=[("ce_id", b"i"), ("fl_appended", b"1")],
        timestamp_ms=0,
    )
    assert foreign.is_foreign(read.body)
    assert b"not json" not in read.body


def test_bodies_that_are_not_canonical_cloudevents_are_stored_raw() -> None:
    """Any bytes round-trip: a body binary mode cannot rebuild travels as the value."""
    for body in (bytes(range(256)), b'{"id":"x"}', b'{"b":1, "a":2}', b"", b"null"):
        record = make_record(body=body, subject="s", type="task.started", recorded_ms=42)
        message = to_message(record, 9)
        assert dict(message.headers)[CONTENT_TYPE] == b"application/octet-stream"
        stored = back(record, message)
        assert stored.body == body
        assert stored[3:8] == (record.key, record.id, "s", "task.started", 42)


def test_a_record_whose_columns_disagree_with_its_body_is_stored_raw(ledger: Ledger) -> None:
    """Binary mode is chosen only when the headers would give back the record's own columns."""
    record = prepared(ledger, EVENTS[0])._replace(recorded_ms=1)
    message = to_message(record, 9)
    assert "ce_id" not in dict(message.headers)
    stored = back(record, message)
    assert (stored.body, stored.recorded_ms) == (record.body, 1)


def test_record_times_are_read_from_the_ledger_format_and_others() -> None:
    """millis parses the ledger's own timestamps fast and any RFC 3339 time correctly."""
    assert millis("1970-01-01T00:00:01.234567Z") == 1234
    assert millis("2025-01-01T00:00:00.000999Z") == 1735689600000
    assert millis("2025-01-01T01:00:00+01:00") == 1735689600000
    assert millis("not a time") == -1
    assert millis("2025-01-01T00:00:00.²²²²²²Z") == -1
    assert millis("٢٠٢٥-01-01T00:00:00Z") == -1
