"""Fuzzing the Kafka binding: any record anyone produces reads without an exception, and no
change to a ledger writer's record is taken for the writer's."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from fleetledger.backends.kafka.binding import from_message, to_message
from fleetledger.events import foreign
from fleetledger.testing import make_record
from tests.fuzzing import FUZZ

pytestmark = pytest.mark.fuzz

header_names = st.one_of(
    st.sampled_from(
        [
            "ce_id",
            "ce_subject",
            "ce_type",
            "ce_recordedtime",
            "ce_dataversion",
            "content-type",
            "fl_id",
            "fl_subject",
            "fl_type",
            "fl_recorded_ms",
            "fl_appended",
            "fl_mac",
        ]
    ),
    st.text(max_size=10),
)
headers = st.lists(
    st.tuples(header_names, st.one_of(st.none(), st.binary(max_size=30))), max_size=8
)
values = st.one_of(st.none(), st.binary(max_size=200), st.just(b"[" * 3000))


@FUZZ
@given(st.one_of(st.none(), st.binary(max_size=20)), values, headers)
def test_any_message_reads_as_a_record(
    key: bytes | None, value: bytes | None, fields: list
) -> None:
    """Whatever a producer wrote, from_message returns a record (foreign unless sealed)."""
    record = from_message("fleet.task", 0, 9, key=key, value=value, headers=fields, timestamp_ms=1)
    assert record.offset == 9
    if not any(name == "fl_mac" for name, _ in fields):
        assert foreign.decode(record.body) == (key, fields, value)


@FUZZ
@given(st.binary(max_size=100), st.data())
def test_a_changed_byte_of_a_sealed_record_makes_it_foreign(
    body: bytes, data: st.DataObject
) -> None:
    """Flip any byte of a writer's record (key, value or a header): it is no longer the
    writer's, so it reads as foreign, never as an event with other bytes."""
    record = make_record(body=body, subject="s", type="task.started", recorded_ms=7)
    message = to_message(record, 3)
    parts = [message.key, message.value, *(item for _, item in message.headers)]
    which = data.draw(st.integers(0, len(parts) - 1))
    assume(len(parts[which]) > 0)
    at = data.draw(st.integers(0, len(parts[which]) - 1))
    changed = bytearray(parts[which])
    changed[at] ^= 0x01
    parts[which] = bytes(changed)
    key, value, *items = parts
    fields = [(name, item) for (name, _), item in zip(message.headers, items, strict=True)]
    read = from_message(
        record.topic, record.partition, 0, key=key, value=value, headers=fields, timestamp_ms=0
    )
    assert foreign.is_foreign(read.body)


@FUZZ
@given(st.binary(max_size=200))
def test_any_raw_body_goes_to_kafka_and_back_unchanged(body: bytes) -> None:
    """The binding's promise: any bytes round-trip (binary or raw mode), sealed."""
    record = make_record(body=body)
    message = to_message(record, 1)
    read = from_message(
        record.topic,
        record.partition,
        0,
        key=message.key,
        value=message.value,
        headers=message.headers,
        timestamp_ms=0,
    )
    assert read.body == body
