"""Fuzzing the append contract and stored bodies: only LedgerErrors escape, quickly.

``append`` and ``append_many`` take what any caller gives; stored bodies are whatever a file or
a topic holds. Arbitrary input must end in a :class:`LedgerError` (or be accepted as valid),
and reading back arbitrary bytes must give an event or a foreign record, never an exception.
"""

import contextlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetledger import Event, ForeignRecord, LedgerError
from fleetledger.backends.protocols import StoredRecord
from fleetledger.events.new import WRITER_FIELDS
from fleetledger.testing import memory_ledger
from tests.fuzzing import FUZZ

pytestmark = pytest.mark.fuzz

LEDGER = memory_ledger(default_source="fuzz")
TYPES = sorted(LEDGER.types())

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=8),
)
json_like = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), children, max_size=4),
    ),
    max_leaves=20,
)
attribute_names = st.one_of(st.sampled_from([*WRITER_FIELDS, "authid", "recordedtime"]), st.text())
events = st.dictionaries(attribute_names, json_like, max_size=8).map(
    lambda attributes: attributes | {"type": attributes.get("type", "task.started")}
)


@FUZZ
@given(st.lists(events, max_size=3))
def test_append_many_raises_only_ledger_errors(batch: list[dict[str, Any]]) -> None:
    """Any batch of mappings is appended or refused with a LedgerError."""
    with contextlib.suppress(LedgerError):
        LEDGER.append_many(batch)


@FUZZ
@given(st.sampled_from(TYPES), st.dictionaries(st.text(max_size=10), json_like, max_size=5))
def test_any_data_for_any_type_is_appended_or_refused_as_a_contract_error(
    type_: str, data: dict[str, Any]
) -> None:
    """The data of every catalogue type: accepted, or a LedgerError naming the field."""
    with contextlib.suppress(LedgerError):
        LEDGER.append(type_, subject="t", data=data)


@FUZZ
@given(st.binary(max_size=300))
def test_decoding_any_stored_bytes_gives_an_event_or_a_foreign_record(body: bytes) -> None:
    """A stored body is read back as an event, or as a foreign record: never an exception."""
    record = StoredRecord("fleet.task", 0, 3, "k", "i", "s", "task.started", 0, body)
    decoded = LEDGER._core.decode(record)
    assert isinstance(decoded, Event | ForeignRecord)
    assert decoded.position is not None


@FUZZ
@given(st.text(max_size=40))
def test_getting_any_id_answers_or_raises_a_ledger_error(event_id: str) -> None:
    """get() of any text: the event, or NotFound."""
    with contextlib.suppress(LedgerError):
        LEDGER.get(event_id)
