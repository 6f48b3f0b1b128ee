"""RFC 8785 canonical JSON against json-canonicalization's and the RFC's published vectors."""

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from fleetledger.errors import ContractError
from fleetledger.events.codec import canonical_json, es_number

VECTORS = Path(__file__).parent / "vectors" / "jcs"
NAMES = sorted(path.name for path in (VECTORS / "input").glob("*.json"))
NUMBERS = json.loads((VECTORS / "numbers.json").read_text())["numbers"]
FINITE = [n for n in NUMBERS if n["json"] is not None]
REFUSED = [n for n in NUMBERS if n["json"] is None]


def input_text(name: str) -> str:
    """The upstream input file ``name``, as text."""
    return (VECTORS / "input" / name).read_text(encoding="utf-8")


def expected_bytes(name: str) -> bytes:
    """The upstream canonical output for input ``name``, byte for byte."""
    return (VECTORS / "output" / name).read_bytes()


def parsed_as_javascript(text: str) -> Any:
    """Parse JSON the way JavaScript does: every number an IEEE 754 double.

    Python's json.loads keeps integers as unbounded ``int``; RFC 8785's expected outputs come
    from ECMAScript, where ``56`` and ``56.0`` are the same Number, so integers become floats.
    """
    return json.loads(text, parse_int=float)


def double(ieee_hex: str) -> float:
    """The double whose 64 bits are ``ieee_hex`` (1 to 16 hex digits, as upstream writes them)."""
    value: float = struct.unpack(">d", bytes.fromhex(ieee_hex.zfill(16)))[0]
    return value


def number_id(vector: dict[str, Any]) -> str:
    """A test id naming a number vector's source and bits."""
    return f"{vector['source']}:{vector['ieee_hex']}"


def test_every_upstream_input_has_its_expected_output() -> None:
    """The vendored data is complete: six inputs, each with an output of the same name."""
    outputs = sorted(path.name for path in (VECTORS / "output").glob("*.json"))
    assert len(NAMES) == 6
    assert outputs == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_canonical_json_of_a_published_input_is_the_published_output(name: str) -> None:
    """Numbers parsed as JavaScript would, the canonical bytes equal upstream's exactly."""
    assert canonical_json(parsed_as_javascript(input_text(name))) == expected_bytes(name)


@pytest.mark.parametrize("name", NAMES)
def test_canonical_json_is_the_same_when_integers_stay_python_ints(name: str) -> None:
    """Integers within ±(2^53-1) parsed as ``int`` give the same bytes as their doubles."""
    assert canonical_json(json.loads(input_text(name))) == expected_bytes(name)


@pytest.mark.parametrize("vector", FINITE, ids=number_id)
def test_es_number_writes_a_published_number_as_published(vector: dict[str, Any]) -> None:
    """es_number gives ECMAScript's Number::toString text for each published double."""
    assert es_number(double(vector["ieee_hex"])) == vector["json"]


@pytest.mark.parametrize("vector", FINITE, ids=number_id)
def test_canonical_json_writes_a_published_number_as_published(vector: dict[str, Any]) -> None:
    """A double on its own canonicalizes to the published text (fast path included)."""
    assert canonical_json(double(vector["ieee_hex"])) == vector["json"].encode()


@pytest.mark.parametrize("vector", REFUSED, ids=number_id)
def test_es_number_refuses_a_value_json_cannot_carry(vector: dict[str, Any]) -> None:
    """NaN and the infinities raise ContractError, as RFC 8785 section 3.2.2.3 requires."""
    with pytest.raises(ContractError):
        es_number(double(vector["ieee_hex"]))


@pytest.mark.parametrize("vector", REFUSED, ids=number_id)
def test_canonical_json_refuses_a_value_json_cannot_carry(vector: dict[str, Any]) -> None:
    """canonical_json refuses NaN and the infinities inside a document too."""
    with pytest.raises(ContractError):
        canonical_json({"n": double(vector["ieee_hex"])})
