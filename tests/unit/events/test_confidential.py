"""Types declare their confidential data fields; join fields and unknown fields are refused."""

import pytest

from fleetledger.errors import ContractError
from fleetledger.events.catalogue import BUILTIN_TYPES, ToolCallCompleted
from fleetledger.events.registry import JOIN_FIELDS, EventData, EventType


class Note(EventData, kw_only=True):
    call_id: str
    text: str


def test_a_type_may_declare_its_own_fields_confidential() -> None:
    """A model field named in confidential is kept."""
    assert EventType("app.note", Note, confidential=("text",)).confidential == ("text",)


def test_a_field_rules_join_on_cannot_be_confidential() -> None:
    """call_id is what ordering rules join on: declaring it confidential is refused."""
    with pytest.raises(ContractError, match="join"):
        EventType("app.note", Note, confidential=("call_id",))


def test_a_confidential_field_must_be_a_field_of_the_model() -> None:
    """A typo in confidential is refused, naming the field."""
    with pytest.raises(ContractError, match="'txt'"):
        EventType("app.note", Note, confidential=("txt",))


def test_no_built_in_type_declares_a_join_field_confidential() -> None:
    """call_id, tool and approval_id stay readable in every built-in type."""
    for spec in BUILTIN_TYPES:
        assert not set(spec.confidential) & JOIN_FIELDS, spec.type


def test_a_tool_result_is_confidential_and_its_tool_is_not() -> None:
    """tool.call.completed encrypts the result, never the tool or the call id."""
    spec = next(t for t in BUILTIN_TYPES if t.model is ToolCallCompleted)
    assert spec.confidential == ("result",)
