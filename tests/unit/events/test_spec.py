"""Event types as data: a spec builds the model the registry checks events against."""

import pytest

from fleetledger.errors import ContractError
from fleetledger.events.spec import read_spec

TOML = b"""
type = "billing.invoice.issued"
version = 1
classification = "confidential"
confidential = ["customer_email"]

[fields]
invoice_id = { type = "string" }
amount = { type = "number" }
customer_email = { type = "string", required = false }
"""


def test_a_toml_spec_builds_a_type_whose_model_checks_data() -> None:
    """Required fields are required, optional ones may be left out, unknown ones refused."""
    event_type = read_spec(TOML).event_type()

    assert (event_type.family, event_type.classification.value) == ("billing", "confidential")
    assert event_type.model(invoice_id="i-1", amount=9.5).customer_email is None
    with pytest.raises(TypeError):
        event_type.model(amount=9.5)  # type: ignore[call-arg]


def test_a_json_spec_reads_as_the_toml_one_does() -> None:
    """A file starting with '{' is JSON."""
    text = b'{"type": "billing.paid", "fields": {"amount": {"type": "number"}}}'

    assert read_spec(text).event_type().type == "billing.paid"


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        (b'type = "billing.paid"\n[fields]\namount = { type = "money" }\n', "not an event type"),
        (b'type = "Billing"\n[fields]\n', "family.name"),
        (b'type = "billing.paid"\nconfidential = ["x"]\n[fields]\n', "confidential"),
        (b'type = "billing.paid"\n[fields]\n_secret = { type = "string" }\n', "identifier"),
        (b"type = \n", "neither JSON nor TOML"),
    ],
)
def test_a_malformed_spec_is_refused_naming_the_fault(text: bytes, fault: str) -> None:
    """Every check a registered type gets is made when the file is read."""
    with pytest.raises(ContractError, match=fault):
        read_spec(text, "spec.toml")
