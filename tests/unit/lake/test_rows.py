"""Rows from stored bodies: every column is read from the bytes the leaf hashes, never from
a decoded or decrypted event."""

import json
from datetime import UTC, date, datetime
from typing import Any

from fleetledger.integrity import leaf_hash
from fleetledger.lake.columns import EVENT, FOREIGN, REMOVED, WITHHELD
from fleetledger.lake.rows import Slot, build, kind_of_body

TYPED = {"data_tool": "str", "data_tries": "int"}
BODY = (
    b'{"specversion":"1.0","id":"e1","type":"tool.call.requested","source":"tests",'
    b'"subject":"t-1","agentid":"a-7","dataversion":2,'
    b'"recordedtime":"2026-11-03T10:00:00.5+00:00",'
    b'"data":{"tries": 3,  "tool":"search"}}'
)


def slot(body: bytes | None, kind: str = EVENT, offset: int = 0) -> Slot:
    leaf = leaf_hash(body or b"gone")
    return Slot("fleet.tool", 0, offset, offset, leaf, 1, kind, body)


def row(body: bytes | None, kind: str = EVENT) -> dict[str, Any]:
    return dict(build("tool", [slot(body, kind)], TYPED).to_pylist()[0])


def test_attributes_are_columns_of_the_row() -> None:
    """id, type, subject, an extension, the data version as a number."""
    got = row(BODY)
    assert (got["id"], got["type"], got["subject"], got["agentid"]) == (
        "e1",
        "tool.call.requested",
        "t-1",
        "a-7",
    )
    assert got["dataversion"] == 2


def test_the_data_column_is_the_bodys_own_bytes_for_the_member() -> None:
    """Spacing and key order as stored: not re-encoded."""
    assert row(BODY)["data"] == '{"tries": 3,  "tool":"search"}'


def test_typed_columns_are_read_from_the_data() -> None:
    """data_tool and data_tries hold the fields' values."""
    got = row(BODY)
    assert (got["data_tool"], got["data_tries"]) == ("search", 3)


def test_an_encrypted_field_leaves_its_typed_column_null_and_its_ciphertext_in_data() -> None:
    """The $enc object is kept as stored; the typed column has no text to hold."""
    sealed = {"$enc": "aes256gcm", "kid": "k", "iv": "aXY=", "ct": "Y3Q="}
    body = BODY.replace(b'"tool":"search"', b'"tool":' + json.dumps(sealed).encode())
    got = row(body)
    assert got["data_tool"] is None
    assert json.loads(got["data"])["tool"] == sealed


def test_the_recorded_time_is_a_timestamp_and_its_day_the_partition() -> None:
    """recorded_at in UTC with its microseconds; day is its date."""
    got = row(BODY)
    assert got["recorded_at"] == datetime(2026, 11, 3, 10, 0, 0, 500000, tzinfo=UTC)
    assert got["day"] == date(2026, 11, 3)


def test_a_recorded_time_that_does_not_parse_is_null() -> None:
    """A forged body's time does not stop the table: that row's timestamp is null."""
    got = build(
        "tool",
        [slot(BODY), slot(BODY.replace(b"2026-11-03T10", b"yesterday"), offset=1)],
        TYPED,
    ).to_pylist()
    assert got[0]["recorded_at"] is not None
    assert got[1]["recorded_at"] is None


def test_a_hash_only_row_has_its_place_and_leaf_and_nothing_else() -> None:
    """A withheld slot: leaf and place kept, body and every attribute null."""
    got = row(None, WITHHELD)
    assert (got["row_kind"], got["leaf_hash"], got["offset"]) == (
        WITHHELD,
        leaf_hash(b"gone"),
        0,
    )
    assert (got["body"], got["id"], got["data"], got["day"]) == (None, None, None, None)


def test_a_foreign_record_keeps_its_body_and_shows_no_attributes() -> None:
    """Bytes no ledger writer produced: the body is the row, no column is read from it."""
    got = row(b"\x00not an event", FOREIGN)
    assert got["body"] == b"\x00not an event"
    assert got["type"] is None


def test_a_body_is_an_event_when_a_ledger_writer_could_have_written_it() -> None:
    """A JSON object of attributes is an event; other bytes are foreign."""
    assert [kind_of_body(BODY), kind_of_body(b"[1, 2]"), kind_of_body(b"\xff")] == [
        EVENT,
        FOREIGN,
        FOREIGN,
    ]


def test_a_removed_slot_is_kept_as_removed() -> None:
    """Retention's hash-only rows say so."""
    assert row(None, REMOVED)["row_kind"] == REMOVED
