"""The access matrix: every action, built-in family, classification and principal kind, decided
by a representative policy and compared with the expectation written out independently."""

import tomllib

import pytest

from fleetledger.governance import Action, Policy, Principal, Resource, decide, parse_rules
from fleetledger.topics import BUILTIN_POLICIES
from fleetledger.types import Classification

POLICY = """
[[rules]]
name = "humans audit everything"
effect = "allow"
actions = ["read"]
principals = ["kind:human"]

[[rules]]
name = "no human reads restricted context"
effect = "deny"
actions = ["read"]
principals = ["kind:human"]
families = ["context"]
classifications = ["restricted"]

[[rules]]
name = "agents work on tasks and tools"
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task", "tool*"]

[[rules]]
name = "the admin service runs the ledger"
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]

[[rules]]
name = "nobody administers governance"
effect = "deny"
actions = ["admin"]
principals = ["*"]
families = ["governance"]
"""

PRINCIPALS = {
    "human": Principal("auditor", type="user", kind="human"),
    "agent": Principal("planner", kind="agent"),
    "service": Principal("ops", kind="service"),
    "none": Principal("stranger"),
}


def expected(kind: str, action: Action, family: str, classification: Classification) -> bool:
    """The policy above, written as plain conditions rather than rules."""
    if kind == "human":
        return action is Action.READ and not (
            family == "context" and classification is Classification.RESTRICTED
        )
    if kind == "agent":
        return action in (Action.APPEND, Action.READ) and family in ("task", "tool")
    if kind == "service":
        return not (action is Action.ADMIN and family == "governance")
    return False


@pytest.fixture(scope="module")
def policy() -> Policy:
    """The representative policy, parsed as fleetledger.toml's [[rules]] would be."""
    return Policy(parse_rules(tomllib.loads(POLICY)["rules"]))


@pytest.mark.parametrize("kind", sorted(PRINCIPALS))
@pytest.mark.parametrize("classification", list(Classification))
@pytest.mark.parametrize("family", sorted(BUILTIN_POLICIES))
@pytest.mark.parametrize("action", list(Action))
def test_each_cell_of_the_matrix_is_decided_as_expected(
    policy: Policy, kind: str, classification: Classification, family: str, action: Action
) -> None:
    """decide() agrees with the written-out expectation for this principal kind and resource."""
    decision = decide(policy, PRINCIPALS[kind], action, Resource(family, classification))

    assert decision.allowed is expected(kind, action, family, classification), decision.message


def test_the_matrix_covers_the_six_built_in_families() -> None:
    """The table runs over every built-in family, so a new one cannot go unchecked."""
    assert sorted(BUILTIN_POLICIES) == [
        "context",
        "evaluation",
        "governance",
        "state",
        "task",
        "tool",
    ]


def test_the_matrix_has_both_outcomes_for_every_principal_kind_but_the_unknown(
    policy: Policy,
) -> None:
    """The policy is representative: each known kind is allowed somewhere and denied somewhere."""
    for kind in ("human", "agent", "service"):
        outcomes = {
            decide(policy, PRINCIPALS[kind], a, Resource(f, c)).allowed
            for a in Action
            for f in BUILTIN_POLICIES
            for c in Classification
        }
        assert outcomes == {True, False}, kind
