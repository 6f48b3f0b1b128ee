"""User event types: registering, new families, versions and the compatibility check."""

import pytest

from fleetledger import (
    ConfigurationError,
    ContractError,
    EventData,
    EventType,
    FamilyPolicy,
    IncompatibleSchema,
    Ledger,
    UnknownEventType,
)
from fleetledger.testing import FakeClock, memory_ledger


class OrderPlaced(EventData, kw_only=True):
    """Version 1: an order with a total."""

    order_id: str
    total: float


class OrderPlacedV2(EventData, kw_only=True):
    """Version 2, compatible: adds an optional currency."""

    order_id: str
    total: float
    currency: str = "EUR"


class OrderPlacedV2Breaking(EventData, kw_only=True):
    """Version 2, incompatible: a new required field old events lack."""

    order_id: str
    total: float
    warehouse: str


def test_an_unregistered_type_is_refused(ledger: Ledger) -> None:
    """Appending a type that is neither built in nor registered raises UnknownEventType."""
    with pytest.raises(UnknownEventType, match=r"orders\.placed"):
        ledger.append("orders.placed", subject="t-1", data={"order_id": "o", "total": 1.0})


def test_a_registered_type_can_be_appended_and_read_back(ledger: Ledger) -> None:
    """After register, events of the type are validated, stored and decoded."""
    ledger.register("orders.placed", OrderPlaced)
    ledger.append("orders.placed", subject="t-1", id="o-1", data={"order_id": "o", "total": 9.5})
    event = ledger.get("o-1")
    assert event.data == {"order_id": "o", "total": 9.5}
    assert event.dataversion == 1


def test_a_registered_type_validates_its_data(ledger: Ledger) -> None:
    """Data breaking a user model is refused, naming the field."""
    ledger.register("orders.placed", OrderPlaced)
    with pytest.raises(ContractError) as caught:
        ledger.append("orders.placed", subject="t-1", data={"order_id": "o"})
    assert caught.value.field == "data.total"


def test_a_type_in_a_new_family_gets_its_own_topic(ledger: Ledger) -> None:
    """Registering orders.placed creates the fleet.orders topic with the default policy."""
    ledger.register("orders.placed", OrderPlaced)
    topics = {info.family: info for info in ledger.topics()}
    assert topics["orders"].topic == "fleet.orders"
    assert topics["orders"].policy == FamilyPolicy(family="orders")


def test_events_of_a_new_family_go_to_its_topic(ledger: Ledger) -> None:
    """A user family's events are appended to {namespace}.{family}."""
    ledger.register("orders.placed", OrderPlaced)
    position = ledger.append("orders.placed", subject="t-1", data={"order_id": "o", "total": 1})
    assert position.topic == "fleet.orders"


def test_a_new_family_takes_the_policy_given_at_registration(ledger: Ledger) -> None:
    """register(policy=) sets the new family's partitions and retention."""
    policy = FamilyPolicy(family="orders", partitions=2, retention_ms=60_000)
    ledger.register("orders.placed", OrderPlaced, policy=policy)
    (info,) = [info for info in ledger.topics() if info.family == "orders"]
    assert info.policy == policy
    assert len(info.partitions) == 2


def test_a_policy_for_another_family_is_refused(ledger: Ledger) -> None:
    """The policy must be for the family the type belongs to."""
    with pytest.raises(ConfigurationError, match="billing"):
        ledger.register("orders.placed", OrderPlaced, policy=FamilyPolicy(family="billing"))


def test_a_type_in_a_built_in_family_uses_that_familys_topic(ledger: Ledger) -> None:
    """task.reviewed lands on fleet.task with the built-in task types."""
    ledger.register("task.reviewed", OrderPlaced)
    position = ledger.append("task.reviewed", subject="t-1", data={"order_id": "o", "total": 1})
    assert position.topic == "fleet.task"


def test_a_compatible_new_version_is_used_for_new_events(ledger: Ledger) -> None:
    """A backward-compatible v2 is accepted; new events carry dataversion 2 and its defaults."""
    ledger.register("orders.placed", OrderPlaced)
    ledger.register("orders.placed", OrderPlacedV2, version=2)
    ledger.append("orders.placed", subject="t-1", id="o-1", data={"order_id": "o", "total": 1})
    event = ledger.get("o-1")
    assert event.dataversion == 2
    assert event.data["currency"] == "EUR"


def test_an_incompatible_new_version_is_refused_with_the_reason(ledger: Ledger) -> None:
    """A v2 with a new required field raises IncompatibleSchema naming the field."""
    ledger.register("orders.placed", OrderPlaced)
    with pytest.raises(IncompatibleSchema, match="warehouse"):
        ledger.register("orders.placed", OrderPlacedV2Breaking, version=2)


def test_a_refused_version_leaves_the_previous_one_in_use(ledger: Ledger) -> None:
    """After a refused v2, events are still validated and written as v1."""
    ledger.register("orders.placed", OrderPlaced)
    with pytest.raises(IncompatibleSchema):
        ledger.register("orders.placed", OrderPlacedV2Breaking, version=2)
    ledger.append("orders.placed", subject="t-1", id="o-1", data={"order_id": "o", "total": 1})
    assert ledger.get("o-1").dataversion == 1


def test_a_version_not_newer_than_the_registered_one_is_refused(ledger: Ledger) -> None:
    """Registering version 1 twice is refused."""
    ledger.register("orders.placed", OrderPlaced)
    with pytest.raises(IncompatibleSchema, match="not newer"):
        ledger.register("orders.placed", OrderPlacedV2)


def test_an_incompatible_change_to_a_built_in_type_is_refused(ledger: Ledger) -> None:
    """Built-in types are versioned too: a breaking task.requested v2 is refused."""
    with pytest.raises(IncompatibleSchema):
        ledger.register("task.requested", OrderPlaced, version=2)


def test_types_given_at_open_are_registered_with_a_topic(clock: FakeClock) -> None:
    """open(types=[...]) registers user types and creates their families' topics."""
    spec = EventType("orders.placed", OrderPlaced)
    with memory_ledger(types=[spec], clock=clock, default_source="tests") as ledger:
        position = ledger.append("orders.placed", subject="t", data={"order_id": "o", "total": 1})
    assert position.topic == "fleet.orders"
