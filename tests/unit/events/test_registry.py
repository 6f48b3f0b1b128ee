"""The type registry: naming, lookup, and the compatibility check between versions."""

from typing import Annotated, Literal

import pytest
from msgspec import Meta, field

from fleetledger.errors import ContractError, IncompatibleSchema, UnknownEventType
from fleetledger.events.catalogue import BUILTIN_TYPES
from fleetledger.events.registry import (
    EventData,
    EventType,
    Kind,
    TypeRegistry,
    incompatibilities,
)


class OrderV1(EventData):
    """Version 1 of a user type: an order with a total."""

    order_id: str
    total: float
    quantity: int = 1
    note: str = ""


class OrderWithOptionalCurrency(EventData):
    """Adds an optional field: old events decode with the default."""

    order_id: str
    total: float
    quantity: int = 1
    note: str = ""
    currency: str = "EUR"


class OrderWithRequiredCurrency(EventData):
    """Adds a required field: old events lack it."""

    order_id: str
    total: float
    currency: str
    quantity: int = 1
    note: str = ""


class OrderWithoutNote(EventData):
    """Removes a field: old events carry it and unknown fields are forbidden."""

    order_id: str
    total: float
    quantity: int = 1


class OrderWithIntegerTotal(EventData):
    """Narrows total from float to int: old 12.5 totals no longer decode."""

    order_id: str
    total: int
    quantity: int = 1
    note: str = ""


class OrderWithFloatQuantity(EventData):
    """Widens quantity from int to float: every old int is a valid float."""

    order_id: str
    total: float
    quantity: float = 1
    note: str = ""


class OrderWithNullableNote(EventData):
    """Widens note to allow null: every old string is still valid."""

    order_id: str
    total: float
    quantity: int = 1
    note: str | None = ""


class OrderWithRequiredQuantity(EventData):
    """Makes an optional field required: old events may lack it."""

    order_id: str
    total: float
    quantity: int
    note: str = ""


class OrderWithFractionQuantity(EventData):
    """Widens quantity from int to float but bounds it to [0, 1]: old quantities may exceed 1."""

    order_id: str
    total: float
    quantity: Annotated[float, Meta(ge=0, le=1)] = 1
    note: str = ""


class Tagged(EventData):
    """A model with a list field."""

    tags: list[str] = field(default_factory=list)


class TaggedNonEmpty(EventData):
    """Requires at least one tag: old events with no tags no longer decode."""

    tags: Annotated[list[str], Meta(min_length=1)] = field(default_factory=lambda: ["x"])


class Shipping(EventData):
    """A model with a closed set of choices."""

    speed: Literal["standard", "express"] = "standard"


class ShippingWithOvernight(EventData):
    """Adds a choice: every old value is still one of the choices."""

    speed: Literal["standard", "express", "overnight"] = "standard"


def order(version: int, model: type[EventData]) -> EventType:
    return EventType("shop.order.placed", model, version=version, description="an order")


def registry_with_v1() -> TypeRegistry:
    return TypeRegistry([order(1, OrderV1)])


def refusal(model: type[EventData]) -> str:
    with pytest.raises(IncompatibleSchema) as info:
        registry_with_v1().register(order(2, model))
    return str(info.value)


def test_an_unknown_type_raises_unknown_event_type() -> None:
    """Looking up a type nobody registered raises UnknownEventType on field 'type'."""
    with pytest.raises(UnknownEventType) as info:
        registry_with_v1().get("shop.order.shipped")
    assert info.value.field == "type"


def test_unknown_event_type_is_a_contract_error() -> None:
    """Callers catching ContractError also catch unknown types."""
    assert issubclass(UnknownEventType, ContractError)


def test_an_unknown_version_raises_unknown_event_type() -> None:
    """Asking for a version that was never registered names the version field."""
    with pytest.raises(UnknownEventType) as info:
        registry_with_v1().get("shop.order.placed", version=7)
    assert info.value.field == "version"


def test_a_new_optional_field_registers_as_v2() -> None:
    """Adding a field with a default keeps old events readable."""
    registry = registry_with_v1()
    registry.register(order(2, OrderWithOptionalCurrency))
    assert registry.get("shop.order.placed").version == 2


def test_get_returns_the_newest_version_by_default() -> None:
    """Without a version, get returns the last registered one."""
    registry = registry_with_v1()
    registry.register(order(2, OrderWithOptionalCurrency))
    assert registry.get("shop.order.placed").model is OrderWithOptionalCurrency


def test_get_returns_an_older_version_on_request() -> None:
    """Old versions stay available for decoding events written with them."""
    registry = registry_with_v1()
    registry.register(order(2, OrderWithOptionalCurrency))
    assert registry.get("shop.order.placed", version=1).model is OrderV1


def test_v2_reads_v1_data_with_the_new_default() -> None:
    """Data written for v1 validates against v2 with the added field defaulted."""
    v2 = order(2, OrderWithOptionalCurrency)
    assert v2.validate({"order_id": "o-1", "total": 9.5})["currency"] == "EUR"


def test_a_new_required_field_is_refused_naming_the_field() -> None:
    """Adding a field without a default is refused, and the reason names it."""
    assert "'currency'" in refusal(OrderWithRequiredCurrency)


def test_a_removed_field_is_refused_naming_the_field() -> None:
    """Dropping a field old events carry is refused, and the reason names it."""
    assert "'note'" in refusal(OrderWithoutNote)


def test_narrowing_float_to_int_is_refused_naming_the_field() -> None:
    """A float field turned int cannot read old fractional values."""
    assert "'total'" in refusal(OrderWithIntegerTotal)


def test_making_an_optional_field_required_is_refused_naming_the_field() -> None:
    """A field that gains a requirement may be missing from old events."""
    assert "'quantity'" in refusal(OrderWithRequiredQuantity)


def test_widening_int_to_float_is_accepted() -> None:
    """Every old int is a valid float, so the change is compatible."""
    assert registry_with_v1().register(order(2, OrderWithFloatQuantity)).version == 2


def test_allowing_none_is_accepted() -> None:
    """Adding | None to a field keeps every old value valid."""
    assert registry_with_v1().register(order(2, OrderWithNullableNote)).version == 2


def test_an_unchanged_model_has_no_incompatibilities() -> None:
    """A model is compatible with itself."""
    assert incompatibilities(OrderV1, OrderV1) == []


def test_every_incompatibility_is_reported_at_once() -> None:
    """One check lists all the reasons, so a user fixes them in one go."""
    reasons = incompatibilities(OrderV1, OrderWithRequiredCurrency)
    reasons += incompatibilities(OrderV1, OrderWithoutNote)
    assert len(reasons) == 2


def test_registering_the_same_version_again_is_refused() -> None:
    """A version number is registered once; re-registering it is an error."""
    with pytest.raises(IncompatibleSchema) as info:
        registry_with_v1().register(order(1, OrderWithOptionalCurrency))
    assert info.value.field == "version"


def test_registering_an_older_version_is_refused() -> None:
    """Versions only go up: v1 after v2 is refused."""
    registry = registry_with_v1()
    registry.register(order(2, OrderWithOptionalCurrency))
    with pytest.raises(IncompatibleSchema):
        registry.register(order(1, OrderV1))


def test_a_refused_version_leaves_the_registry_unchanged() -> None:
    """After a refusal, the newest version is still the previous one."""
    registry = registry_with_v1()
    with pytest.raises(IncompatibleSchema):
        registry.register(order(2, OrderWithRequiredCurrency))
    assert registry.get("shop.order.placed").model is OrderV1


def test_a_type_name_needs_a_family_and_a_name() -> None:
    """A single segment is not a valid type; the error names the type field."""
    with pytest.raises(ContractError) as info:
        EventType("order", OrderV1)
    assert info.value.field == "type"


def test_a_type_name_must_be_lowercase() -> None:
    """Uppercase segments are refused."""
    with pytest.raises(ContractError):
        EventType("Shop.Order", OrderV1)


def test_a_model_must_derive_from_event_data() -> None:
    """A plain class is not accepted as a data model."""
    with pytest.raises(ContractError):
        EventType("shop.order.placed", dict)  # type: ignore[arg-type]


def test_version_zero_is_refused() -> None:
    """Versions start at 1."""
    with pytest.raises(ContractError):
        EventType("shop.order.placed", OrderV1, version=0)


def test_the_family_is_the_first_segment() -> None:
    """shop.order.placed belongs to family shop."""
    assert order(1, OrderV1).family == "shop"


def test_a_type_is_a_fact_unless_declared_an_intent() -> None:
    """Kind defaults to FACT."""
    assert order(1, OrderV1).kind is Kind.FACT


def test_the_registry_knows_which_types_it_holds() -> None:
    """`in` answers by type name."""
    assert "shop.order.placed" in registry_with_v1()


def test_the_registry_lists_its_families() -> None:
    """families() gives the family of every registered type."""
    assert registry_with_v1().families() == {"shop"}


def test_validate_fills_in_defaults() -> None:
    """EventType.validate returns a plain dict with defaults present."""
    result = order(1, OrderV1).validate({"order_id": "o-1", "total": 3})
    assert result == {"order_id": "o-1", "total": 3, "quantity": 1, "note": ""}


def test_a_data_error_names_the_field() -> None:
    """A wrong type in data raises ContractError with field data.<name>."""
    with pytest.raises(ContractError) as info:
        order(1, OrderV1).validate({"order_id": "o-1", "total": "lots"})
    assert info.value.field == "data.total"


# Constraints, literals and dictionary keys.


def test_widening_int_to_a_bounded_float_is_refused() -> None:
    """int -> float in [0, 1] cannot read an old quantity of 3."""
    assert incompatibilities(OrderV1, OrderWithFractionQuantity)


def test_adding_a_minimum_length_to_a_list_is_refused() -> None:
    """An old event with no tags cannot satisfy min_length=1."""
    assert incompatibilities(Tagged, TaggedNonEmpty)


def test_adding_a_literal_choice_is_accepted() -> None:
    """Every old choice is still allowed, so adding one is a widening."""
    assert incompatibilities(Shipping, ShippingWithOvernight) == []


def test_a_bad_dictionary_key_names_its_field() -> None:
    """A non-string key inside a dict[str, ...] field is reported at that field."""

    class Labelled(EventData):
        labels: dict[str, str] = field(default_factory=dict)

    with pytest.raises(ContractError) as info:
        EventType("shop.order.labelled", Labelled).validate({"labels": {1: "x"}})
    assert info.value.field == "data.labels"


def test_a_model_instance_as_data_is_checked_against_its_constraints() -> None:
    """Passing a model instance does not bypass its Meta constraints."""
    retried = next(t for t in BUILTIN_TYPES if t.type == "task.retried")
    with pytest.raises(ContractError) as info:
        retried.validate(retried.model(attempt=0, reason="flaky"))  # type: ignore[call-arg]
    assert info.value.field == "data.attempt"


def test_a_type_name_with_a_trailing_newline_is_refused() -> None:
    """The name pattern is anchored at the very end: 'a.b\\n' is not a type name."""
    with pytest.raises(ContractError, match=r"family\.name"):
        EventType("billing.invoice.issued\n", OrderV1)
