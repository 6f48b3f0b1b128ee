"""Fuzzing canonical_json: ContractError or RFC 8785 bytes that read back as the value, quickly."""

import contextlib
import json
from typing import Any

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetledger.errors import ContractError
from fleetledger.events.codec import MAX_DEPTH, MAX_SAFE_INTEGER, canonical_fields, canonical_json
from tests.fuzzing import FUZZ


class _Free(msgspec.Struct):
    f: Any


_SORTED = msgspec.json.Encoder(order="sorted").encode

pytestmark = pytest.mark.fuzz

CHARS = st.one_of(
    st.characters(),
    st.characters(categories=["Cs"]),  # lone surrogates, which st.characters() rarely gives
    st.characters(min_codepoint=0x10000),  # beyond the BMP, where UTF-16 order differs
)
TEXT = st.text(CHARS, max_size=8)
NOT_JSON = st.sampled_from([b"bytes", {1, 2}, 1j, object(), NotImplemented, ...])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**60), 2**60),
    st.floats(),
    TEXT,
)
VALUES = st.recursive(
    st.one_of(SCALARS, NOT_JSON),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.one_of(TEXT, TEXT, st.integers(), st.none()), inner, max_size=4),
    ),
    max_leaves=30,
)
UNICODE = st.characters(exclude_categories=["Cs"]) | st.characters(min_codepoint=0x10000)
VALID = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-MAX_SAFE_INTEGER, MAX_SAFE_INTEGER),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(UNICODE, max_size=8),
    ),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(UNICODE, max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@st.composite
def nested(draw: st.DrawFn, values: st.SearchStrategy[Any] = VALUES) -> Any:
    """A value wrapped in arrays or single-key objects: often none, up to 300, or far more."""
    value = draw(values)
    levels = draw(st.just(0) | st.integers(0, 300) | st.sampled_from([2000, 5000]))
    in_arrays = draw(st.booleans())
    for _ in range(levels):
        value = [value] if in_arrays else {"k": value}
    return value


def depth(value: Any) -> int:
    """How many objects and arrays nest in ``value`` at its deepest (without recursing)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level + 1)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def as_parsed(value: Any) -> Any:
    """``value`` as JSON reads it back: tuples become lists."""
    if isinstance(value, dict):
        return {key: as_parsed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_parsed(item) for item in value]
    return value


def keys_in_utf16_order(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object_pairs_hook asserting RFC 8785 member order (UTF-16 code units)."""
    keys = [key.encode("utf-16-be") for key, _ in pairs]
    assert keys == sorted(keys)
    return dict(pairs)


@FUZZ
@given(nested())
def test_encoding_any_value_raises_only_contract_error(value: Any) -> None:
    """Anything (lone surrogates, NaN, huge integers, odd keys and types, deep nesting)."""
    with contextlib.suppress(ContractError):
        canonical_json(value)


@FUZZ
@given(nested(VALID))
def test_what_is_accepted_reads_back_as_the_value_in_canonical_order(value: Any) -> None:
    """Accepted output is UTF-8 JSON of the same value, keys in UTF-16 order, a fixed point."""
    try:
        encoded = canonical_json(value)
    except ContractError:
        assert depth(value) > MAX_DEPTH
        return
    # Numbers read back as doubles, as JSON means them: an integral double past 2**53 is
    # written as plain digits, which as a Python int canonical_json refuses (too large).
    parsed = json.loads(encoded.decode(), object_pairs_hook=keys_in_utf16_order, parse_int=float)
    assert parsed == as_parsed(value)
    assert canonical_json(parsed) == encoded


@FUZZ
@given(nested(VALID))
def test_values_are_refused_exactly_when_nested_past_the_limit(value: Any) -> None:
    """Valid JSON is accepted up to MAX_DEPTH levels and refused, naming a path, past them."""
    if depth(value) <= MAX_DEPTH:
        canonical_json(value)
        return
    with pytest.raises(ContractError, match="levels deep") as info:
        canonical_json(value)
    assert info.value.field is not None
    assert info.value.field.startswith("$")


@FUZZ
@given(st.dictionaries(st.text(max_size=4), nested(), max_size=4), st.booleans())
def test_canonical_fields_returns_data_or_none_without_raising(
    data: dict[str, Any], walk: bool
) -> None:
    """The append fast path never raises: whatever it cannot do is left to canonical_json,
    and what it does encodes to canonical_json's bytes."""
    fixed = canonical_fields(_Free(data), ("f",) if walk else ())
    if fixed is not None and walk:
        assert _SORTED(fixed) == canonical_json({"f": data})
