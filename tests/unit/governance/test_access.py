"""Access decisions, one semantic point at a time, and the [[rules]] parser's errors."""

from typing import Any

import pytest

from fleetledger import AccessDenied, ConfigurationError
from fleetledger.errors import PolicyError
from fleetledger.governance import (
    Action,
    Effect,
    Policy,
    Principal,
    Resource,
    Rule,
    decide,
    parse_rules,
)
from fleetledger.types import Classification

PLANNER = Principal("planner", kind="agent", tenant="acme")
TASK = Resource("task", Classification.INTERNAL)


def allow(*principals: str, **fields: Any) -> Rule:
    """An allow rule for ``principals`` (default: append and read on every family)."""
    fields.setdefault("actions", (Action.APPEND, Action.READ))
    return Rule(effect=Effect.ALLOW, principals=principals, **fields)


def deny(*principals: str, **fields: Any) -> Rule:
    """A deny rule for ``principals`` (default: append and read on every family)."""
    fields.setdefault("actions", (Action.APPEND, Action.READ))
    return Rule(effect=Effect.DENY, principals=principals, **fields)


@pytest.mark.parametrize("order", ["deny first", "deny last"])
def test_an_explicit_deny_wins_over_an_allow_in_either_order(order: str) -> None:
    """Rule order never lets an allow override a matching deny."""
    rules = (deny("planner"), allow("*"))
    if order == "deny last":
        rules = rules[::-1]
    decision = decide(Policy(rules), PLANNER, Action.APPEND, TASK)

    assert not decision.allowed
    assert decision.rule is next(r for r in rules if r.effect is Effect.DENY)


def test_no_matching_rule_means_no_access() -> None:
    """A configured policy that says nothing about the request refuses it, naming no rule."""
    decision = decide(Policy((allow("executor"),)), PLANNER, Action.READ, TASK)

    assert (decision.allowed, decision.rule) == (False, None)
    assert "no rule allows it" in decision.reason


def test_a_configured_policy_without_rules_refuses_everything() -> None:
    """An empty [[rules]] list is a policy: nothing is allowed."""
    assert not decide(Policy(()), PLANNER, Action.READ, TASK).allowed


def test_an_open_policy_allows_everything_and_says_why() -> None:
    """With no policy configured the ledger stays open, as before policies existed."""
    decision = decide(Policy.open(), Principal("anyone"), Action.ADMIN, TASK)

    assert decision.allowed
    assert "no policy is configured" in decision.reason


def test_the_first_matching_allow_is_the_deciding_rule() -> None:
    """Of several allows, the earliest in the file is the one reported."""
    first, second = allow("kind:agent"), allow("planner")

    assert decide(Policy((first, second)), PLANNER, Action.READ, TASK).rule is first


def test_a_kind_entry_names_principals_of_that_kind() -> None:
    """kind:agent matches an agent and not a service."""
    policy = Policy((allow("kind:agent"),))

    assert decide(policy, PLANNER, Action.READ, TASK).allowed
    assert not decide(policy, Principal("ops", kind="service"), Action.READ, TASK).allowed


def test_a_principal_without_a_kind_matches_no_kind_entry() -> None:
    """An unknown principal is named only by its id or by *."""
    stranger = Principal("stranger")

    assert not decide(Policy((allow("kind:agent"),)), stranger, Action.READ, TASK).allowed
    assert decide(Policy((allow("*"),)), stranger, Action.READ, TASK).allowed


def test_a_rule_covers_only_its_actions() -> None:
    """A read grant does not let anyone append."""
    policy = Policy((allow("*", actions=(Action.READ,)),))

    assert not decide(policy, PLANNER, Action.APPEND, TASK).allowed


def test_family_globs_match_with_fnmatch() -> None:
    """tool* covers tool (and tools), not task."""
    policy = Policy((allow("*", families=("tool*",)),))

    assert decide(policy, PLANNER, Action.READ, Resource("tool", Classification.PUBLIC)).allowed
    assert not decide(policy, PLANNER, Action.READ, TASK).allowed


@pytest.mark.parametrize("classification", list(Classification))
def test_a_rule_listing_classifications_matches_exactly_those(
    classification: Classification,
) -> None:
    """Listing internal and restricted does not cover confidential: no ordering is implied."""
    listed = (Classification.INTERNAL, Classification.RESTRICTED)
    policy = Policy((allow("*", classifications=listed),))
    resource = Resource("task", classification)

    assert decide(policy, PLANNER, Action.READ, resource).allowed is (classification in listed)


def test_a_rule_listing_tenants_does_not_cover_events_without_a_tenant() -> None:
    """tenants = ["acme"] covers acme's events, not globex's nor tenantless ones."""
    policy = Policy((allow("*", tenants=("acme",)),))

    for tenant, allowed in (("acme", True), ("globex", False), (None, False)):
        resource = Resource("task", Classification.INTERNAL, tenant)
        assert decide(policy, PLANNER, Action.READ, resource).allowed is allowed


def test_a_refusal_names_the_principal_the_action_the_resource_and_the_rule() -> None:
    """AccessDenied says who may not do what to which events, and by which rule."""
    rules = (allow("*"), deny("kind:agent", name="agents stay out", families=("task",)))
    decision = decide(Policy(rules), PLANNER, Action.READ, TASK)

    with pytest.raises(AccessDenied) as raised:
        decision.check()
    assert str(raised.value) == (
        "planner (agent, tenant acme) may not read task (internal): denied by rule 2"
        ' "agents stay out" (deny append, read on task to kind:agent); an explicit deny wins'
        " over rule 1 (allow append, read on * to *)"
    )


def test_an_allowed_decision_checks_silently_and_names_its_rule() -> None:
    """check() returns for an allowed decision; the reason names the rule and the entry."""
    decision = decide(Policy((allow("kind:agent"),)), PLANNER, Action.READ, TASK)

    decision.check()
    assert decision.reason == (
        "allowed by rule 1 (allow append, read on * to kind:agent), which names kind:agent"
    )


def test_parse_rules_reads_a_rule_with_its_defaults() -> None:
    """families default to *, classifications and tenants to all (None)."""
    (rule,) = parse_rules([{"effect": "allow", "actions": ["read"], "principals": ["*"]}])

    assert rule == Rule(Effect.ALLOW, (Action.READ,), ("*",))
    assert (rule.families, rule.classifications, rule.tenants) == (("*",), None, None)


def test_parse_rules_reads_every_key() -> None:
    """Each key of the agreed [[rules]] table lands in the rule, typed."""
    table = {
        "name": "n",
        "effect": "deny",
        "actions": ["admin"],
        "principals": ["ops"],
        "families": ["tool*"],
        "classifications": ["restricted"],
        "tenants": ["acme"],
    }

    assert parse_rules([table]) == (
        Rule(
            Effect.DENY,
            (Action.ADMIN,),
            ("ops",),
            ("tool*",),
            (Classification.RESTRICTED,),
            ("acme",),
            "n",
        ),
    )


GOOD = {"effect": "allow", "actions": ["read"], "principals": ["*"]}

BAD_RULES = {
    "an unknown key": ({**GOOD, "effct": "allow"}, ("rules", 1, "effct")),
    "a missing effect": ({"actions": ["read"], "principals": ["*"]}, ("rules", 1, "effect")),
    "a bad effect": ({**GOOD, "effect": "permit"}, ("rules", 1, "effect")),
    "a bad action": ({**GOOD, "actions": ["read", "write"]}, ("rules", 1, "actions", 1)),
    "no actions": ({**GOOD, "actions": []}, ("rules", 1, "actions")),
    "actions not a list": ({**GOOD, "actions": "read"}, ("rules", 1, "actions")),
    "a bad kind": ({**GOOD, "principals": ["kind:robot"]}, ("rules", 1, "principals", 0)),
    "an empty principal": ({**GOOD, "principals": [""]}, ("rules", 1, "principals", 0)),
    "a bad family glob": ({**GOOD, "families": ["Task"]}, ("rules", 1, "families", 0)),
    "a bad classification": (
        {**GOOD, "classifications": ["secret"]},
        ("rules", 1, "classifications", 0),
    ),
    "a tenant not a string": ({**GOOD, "tenants": [3]}, ("rules", 1, "tenants", 0)),
    "a name not a string": ({**GOOD, "name": 3}, ("rules", 1, "name")),
}


@pytest.mark.parametrize(("table", "path"), BAD_RULES.values(), ids=BAD_RULES.keys())
def test_parse_rules_names_the_exact_path_of_a_bad_value(
    table: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    """The PolicyError's path points at the offending key or list item of the second rule."""
    with pytest.raises(PolicyError) as raised:
        parse_rules([GOOD, table])

    assert raised.value.path == path


@pytest.mark.parametrize(("value", "path"), [({}, ("rules",)), ([GOOD, "x"], ("rules", 1))])
def test_parse_rules_refuses_what_is_not_a_list_of_tables(
    value: object, path: tuple[str | int, ...]
) -> None:
    """rules must be [[rules]] tables."""
    with pytest.raises(PolicyError) as raised:
        parse_rules(value)

    assert raised.value.path == path


def test_a_policy_error_is_a_configuration_error() -> None:
    """A malformed policy is a usage error, exit 2, like any bad configuration."""
    assert issubclass(PolicyError, ConfigurationError)
