"""Principals' kind and tenant, and the [[principals]] parser."""

from typing import Any

import pytest

from fleetledger import ConfigurationError, Principal
from fleetledger.errors import PolicyError
from fleetledger.governance import parse_principals


def test_a_principal_keeps_working_without_kind_or_tenant() -> None:
    """Existing callers build Principal(id, type) unchanged; kind and tenant default to None."""
    principal = Principal("planner", "service_account")

    assert (principal.kind, principal.tenant) == (None, None)


def test_a_principal_refuses_an_unknown_kind() -> None:
    """kind is agent, service or human."""
    with pytest.raises(ConfigurationError, match="robot"):
        Principal("r2", kind="robot")


def test_parse_principals_reads_kind_and_tenant_and_the_authtype_of_a_human() -> None:
    """A human authenticates as a CloudEvents user; agents and services as service accounts."""
    principals = parse_principals(
        [
            {"id": "planner", "kind": "agent", "tenant": "acme"},
            {"id": "alice", "kind": "human"},
        ]
    )

    assert principals == (
        Principal("planner", "service_account", kind="agent", tenant="acme"),
        Principal("alice", "user", kind="human"),
    )


GOOD = {"id": "planner", "kind": "agent"}

BAD_PRINCIPALS = {
    "an unknown key": ({**GOOD, "role": "x"}, ("principals", 1, "role")),
    "no id": ({"kind": "agent"}, ("principals", 1, "id")),
    "no kind": ({"id": "p2"}, ("principals", 1, "kind")),
    "a bad kind": ({"id": "p2", "kind": "robot"}, ("principals", 1, "kind")),
    "an empty tenant": ({"id": "p2", "kind": "agent", "tenant": ""}, ("principals", 1, "tenant")),
    "an id not a string": ({"id": 7, "kind": "agent"}, ("principals", 1, "id")),
    "a repeated id": (GOOD, ("principals", 1, "id")),
}


@pytest.mark.parametrize(("table", "path"), BAD_PRINCIPALS.values(), ids=BAD_PRINCIPALS.keys())
def test_parse_principals_names_the_exact_path_of_a_bad_value(
    table: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    """The PolicyError's path points at the offending key of the second principal."""
    with pytest.raises(PolicyError) as raised:
        parse_principals([GOOD, table])

    assert raised.value.path == path
