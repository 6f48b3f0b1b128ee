"""The CloudEvents Kafka binding: binary mode out, the exact canonical body back."""

from typing import Any

import pytest

from fleetledger import Ledger
from fleetledger.backends.kafka.binding import (
    APPENDED,
    CONTENT_TYPE,
    from_message,
    millis,
    to_message,
)
from fleetledger.backends.protocols import Record
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


def back(record: Record, message: Any, offset: int = 7) -> Any:
    """The stored record a consumer gets from ``message``."""
    return from_message(
        record.topic,
        record.partition,
        offset,
        key=message.key,
        value=message.value,
        headers=message.headers,
        timestamp_ms=0,
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
    assert stored[3:] == (record.key, record.id, record.subject, record.type, *record[6:])


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


def test_a_value_from_another_producer_is_canonicalized(ledger: Ledger) -> None:
    """Data JSON written with spaces and unsorted keys still yields the canonical body."""
    record = prepared(ledger, EVENTS[5])
    message = to_message(record, 1)
    loose = b'{ "state": {"\xc3\xa9": "x", "z": [1, 2.50, {"deep": null}]}, "progress": 0.333,'
    loose += b' "step": null }'
    foreign = [(name, item) for name, item in message.headers if name != APPENDED]
    stored = from_message(
        record.topic, 0, 0, key=message.key, value=loose, headers=foreign, timestamp_ms=0
    )
    assert stored.body == record.body


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
