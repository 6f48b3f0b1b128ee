"""The columns of a family's table: which data fields get a typed column, of which kind, and
what a typed column holds for a value."""

from typing import Literal

import pyarrow as pa

from fleetledger.events.registry import EventData, EventType
from fleetledger.lake.columns import (
    PLACE,
    base_schema,
    kind_of,
    schema_for,
    typed_fields,
    typed_value,
)


class Asked(EventData):
    tool: str
    tries: int
    score: float
    ok: bool
    note: str | None = None
    level: Literal["low", "high"] = "low"
    arguments: dict[str, str] | None = None


class Answered(EventData):
    tool: str
    tries: str


def test_each_scalar_field_of_a_type_is_a_typed_column_of_its_kind() -> None:
    """Text, whole number, number, true/false, an optional text and a text literal."""
    typed = typed_fields([EventType("probe.asked", Asked)])
    assert typed == {
        "probe": {
            "data_tool": "str",
            "data_tries": "int",
            "data_score": "float",
            "data_ok": "bool",
            "data_note": "str",
            "data_level": "str",
        }
    }


def test_an_object_field_has_no_typed_column() -> None:
    """``arguments`` is read from the data JSON only."""
    assert "data_arguments" not in typed_fields([EventType("probe.asked", Asked)])["probe"]


def test_a_field_two_types_of_a_family_disagree_on_has_no_typed_column() -> None:
    """``tries`` is a number in one type and text in the other: JSON only."""
    typed = typed_fields([EventType("probe.asked", Asked), EventType("probe.answered", Answered)])
    assert "data_tries" not in typed["probe"]
    assert typed["probe"]["data_tool"] == "str"


def test_a_typed_column_holds_a_value_of_its_kind() -> None:
    """Each kind keeps its own values; a whole number reads as a number too."""
    assert [typed_value("a", "str"), typed_value(3, "int"), typed_value(True, "bool")] == [
        "a",
        3,
        True,
    ]
    assert typed_value(3, "float") == 3.0


def test_a_typed_column_holds_null_for_a_value_of_another_kind() -> None:
    """An encrypted field's ciphertext object, a bool where a number goes, text for a number."""
    assert typed_value({"$enc": "aes256gcm"}, "str") is None
    assert typed_value(True, "int") is None
    assert typed_value("3", "float") is None


def test_a_whole_number_beyond_64_bits_is_null() -> None:
    """Arrow's int64 cannot hold it."""
    assert typed_value(2**63, "int") is None


def test_the_kind_of_a_column_is_read_back_from_its_arrow_type() -> None:
    """So a verifier with no type registry rebuilds the typed columns."""
    kinds = [kind_of(t) for t in (pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.binary())]
    assert kinds == ["str", "int", "float", "bool", None]


def test_typed_columns_follow_the_base_columns() -> None:
    """Place first, then attributes, data, recorded_at, then the typed columns."""
    schema = schema_for({"data_tool": "str"})
    assert schema.names[: len(PLACE)] == list(PLACE)
    assert schema.names == [*base_schema().names, "data_tool"]
