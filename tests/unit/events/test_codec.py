"""Canonical bytes: refusals name where the fault is; valid input keeps its exact RFC 8785 bytes."""

from typing import Any

import msgspec
import pytest

from fleetledger.errors import ContractError
from fleetledger.events.codec import MAX_DEPTH, canonical_fields, canonical_json


def nested(levels: int) -> Any:
    """``levels`` arrays, one inside the other, around the number 1."""
    value: Any = 1
    for _ in range(levels):
        value = [value]
    return value


def test_keys_sort_by_utf16_code_units_byte_for_byte() -> None:
    """A key beyond the BMP sorts before U+FF01, as RFC 8785 (not code-point order) wants."""
    value = {"\uff01": 1, "\U0001f600": 2.5, "b": [None, True, "x"], "a": 1e21}
    expected = '{"a":1e+21,"b":[null,true,"x"],"\U0001f600":2.5,"\uff01":1}'
    assert canonical_json(value) == expected.encode()


def test_a_lone_surrogate_in_a_string_is_a_contract_error_naming_it() -> None:
    """Text UTF-8 cannot encode raises ContractError at its path, not UnicodeEncodeError."""
    with pytest.raises(ContractError, match="Unicode") as info:
        canonical_json({"a": ["ok", "\ud800"]})
    assert info.value.field == "$.a[1]"


def test_a_lone_surrogate_in_a_key_names_the_object_holding_it() -> None:
    """A key UTF-8 cannot encode is refused at the path of its object."""
    with pytest.raises(ContractError, match="Unicode") as info:
        canonical_json({"outer": {"\udc80": 1}})
    assert info.value.field == "$.outer"


def test_an_array_nested_a_thousand_deep_is_a_contract_error() -> None:
    """Deep nesting raises ContractError, not RecursionError."""
    with pytest.raises(ContractError, match=f"more than {MAX_DEPTH} levels"):
        canonical_json(nested(1000))


def test_deep_nesting_is_refused_at_the_first_level_past_the_limit() -> None:
    """The error names the object that opens level MAX_DEPTH + 1."""
    value: Any = {}
    for _ in range(MAX_DEPTH + 1):
        value = {"a": value}
    with pytest.raises(ContractError) as info:
        canonical_json(value)
    assert info.value.field == "$" + ".a" * MAX_DEPTH


def test_nesting_up_to_the_limit_is_accepted() -> None:
    """MAX_DEPTH levels are fine, with the bytes JSON expects."""
    assert canonical_json(nested(MAX_DEPTH)) == b"[" * MAX_DEPTH + b"1" + b"]" * MAX_DEPTH


def test_a_list_containing_itself_is_a_contract_error() -> None:
    """A cycle is refused as too deep instead of recursing until Python gives up."""
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ContractError, match="levels"):
        canonical_json(cycle)


class _Free(msgspec.Struct):
    f: Any


def test_data_fields_count_the_event_and_data_levels() -> None:
    """Inside an event's data two levels are used, so a field may nest MAX_DEPTH - 2 more."""
    assert canonical_fields(_Free(nested(MAX_DEPTH - 2)), ("f",)) is not None
    assert canonical_fields(_Free(nested(MAX_DEPTH - 1)), ("f",)) is None


def test_data_that_needs_no_rewriting_is_not_copied() -> None:
    """Plain values leave the model as it is; a rewritten number makes a copy."""
    plain = _Free({"a": [1, "x", None, True], "b": {"c": 2}})
    assert canonical_fields(plain, ("f",)) is plain
    fixed = canonical_fields(_Free({"a": [1.0]}), ("f",))
    assert fixed is not None
    assert fixed.f == {"a": [1]}
