"""The ledger's own type registry, on any backend: a type registered by one process is
accepted by every other that opens the ledger (subclass with the URL of a fresh ledger)."""

from __future__ import annotations

import pytest

import fleetledger
from fleetledger.errors import IncompatibleSchema, UnknownEventType
from fleetledger.events.spec import TypeSpec, spec_from

INVOICE = {
    "type": "billing.invoice.issued",
    "fields": {"invoice_id": {"type": "string"}, "amount": {"type": "number"}},
}


def spec(**changes: object) -> TypeSpec:
    return spec_from({**INVOICE, **changes})


class TypeRegistryInTheLedger:
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def location(self) -> str:
        return self.url()

    def test_a_type_registered_by_one_opener_is_accepted_by_the_next(self, location: str) -> None:
        """The registry is in the ledger, not in the process that registered the type."""
        with fleetledger.open(location, default_source="t") as first:
            first.register_type(spec())
        with fleetledger.open(location, default_source="t") as second:
            second.append(
                "billing.invoice.issued", subject="i-1", data={"invoice_id": "i-1", "amount": 3.0}
            )
            assert second.types()["billing.invoice.issued"].version == 1

    def test_a_ledger_that_never_registered_it_does_not_accept_it(self, location: str) -> None:
        """Without a registration, a user type is unknown, as before."""
        with (
            fleetledger.open(location, default_source="t") as ledger,
            pytest.raises(UnknownEventType),
        ):
            ledger.append("billing.invoice.issued", subject="i-1", data={})

    def test_an_incompatible_version_is_refused_and_not_stored(self, location: str) -> None:
        """A v2 that cannot read v1 events is refused once, for all: no process ever loads it."""
        with fleetledger.open(location, default_source="t") as ledger:
            ledger.register_type(spec())
            incompatible = spec(
                version=2,
                fields={**INVOICE["fields"], "currency": {"type": "string"}},  # type: ignore[dict-item]
            )
            with pytest.raises(IncompatibleSchema):
                ledger.register_type(incompatible)
        with fleetledger.open(location, default_source="t") as again:
            assert again.types()["billing.invoice.issued"].version == 1

    def test_registering_the_same_spec_again_stores_it_once(self, location: str) -> None:
        """Registering is idempotent: the same spec is one stored event."""
        with fleetledger.open(location, default_source="t") as ledger:
            ledger.register_type(spec())
            ledger.register_type(spec())
            stored = [e for e in ledger.replay("types") if e.type == "governance.type.registered"]
            assert len(stored) == 1
