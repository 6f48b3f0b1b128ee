"""Ordering rules: which earlier event satisfies a rule, what cancels it, and how rules parse."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from fleetledger.errors import ConfigurationError, PolicyError
from fleetledger.governance.ordering import (
    Matcher,
    OrderingRule,
    check,
    check_all,
    parse_ordering,
)

PAYMENTS_TOML = """
[[ordering]]
name = "payments need an approval"
when = { type = "tool.call.started", "data.tool" = "payments.*" }
requires = { type = "governance.approval.granted" }
join = ["subject", "data.call_id"]
unless_after = { type = "governance.approval.rejected" }
action = "refuse"
"""


def payments_rule() -> OrderingRule:
    (rule,) = parse_ordering(tomllib.loads(PAYMENTS_TOML)["ordering"])
    return rule


def event(event_id: str, kind: str, subject: str = "task-1", **data: Any) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "subject": subject, "source": "agent/a", "data": data}


def call(tool: str = "payments.transfer", call_id: str = "c1", **kw: Any) -> dict[str, Any]:
    return event("call", "tool.call.started", tool=tool, call_id=call_id, **kw)


def grant(event_id: str = "g1", call_id: str = "c1", subject: str = "task-1") -> dict[str, Any]:
    return event(event_id, "governance.approval.granted", subject, call_id=call_id)


def reject(event_id: str = "r1", call_id: str = "c1") -> dict[str, Any]:
    return event(event_id, "governance.approval.rejected", call_id=call_id)


# -- the payments example ----------------------------------------------------------------------


def test_a_payment_with_an_earlier_approval_is_satisfied_by_it() -> None:
    """The issue's example: the joined grant satisfies the rule and is named by id."""
    verdict = check(payments_rule(), call(), [event("x", "task.created"), grant()])
    assert (verdict.applies, verdict.satisfied, verdict.satisfied_by) == (True, True, "g1")
    assert verdict.index == 1
    assert not verdict.refused


def test_a_payment_without_an_approval_is_refused() -> None:
    """No grant in the history: the rule applies, fails, and its action refuses."""
    verdict = check(payments_rule(), call(), [event("x", "task.created")])
    assert verdict.applies
    assert not verdict.satisfied
    assert verdict.refused
    assert verdict.satisfied_by is None
    assert "no earlier event matching" in verdict.reason()


def test_a_rejection_after_the_grant_cancels_it() -> None:
    """grant then reject: the grant no longer satisfies, and the reject is named."""
    verdict = check(payments_rule(), call(), [grant(), reject()])
    assert not verdict.satisfied
    assert verdict.refused
    assert verdict.cancelled_by == "r1"
    assert "cancelled by event r1" in verdict.reason()


def test_a_grant_after_a_rejection_satisfies_again() -> None:
    """grant, reject, grant: the newest grant decides."""
    verdict = check(payments_rule(), call(), [grant("g1"), reject(), grant("g2")])
    assert verdict.satisfied
    assert verdict.satisfied_by == "g2"
    assert verdict.index == 2


def test_the_latest_of_several_grants_is_the_one_named() -> None:
    """The satisfying event is the newest joined grant, the one the ledger will stamp."""
    verdict = check(payments_rule(), call(), [grant("g1"), grant("g2")])
    assert verdict.satisfied_by == "g2"


def test_a_rejection_of_another_call_does_not_cancel() -> None:
    """unless_after joins on the same fields: a rejection of call c2 leaves c1's grant alone."""
    verdict = check(payments_rule(), call(), [grant(), reject(call_id="c2")])
    assert verdict.satisfied
    assert verdict.satisfied_by == "g1"


def test_a_grant_for_another_call_does_not_satisfy() -> None:
    """The join on data.call_id: approving c2 does not approve c1."""
    assert not check(payments_rule(), call(), [grant(call_id="c2")]).satisfied


def test_a_grant_for_another_subject_does_not_satisfy() -> None:
    """The join on subject: the same call id in another task is another call."""
    assert not check(payments_rule(), call(), [grant(subject="task-2")]).satisfied


def test_a_rule_joins_on_every_field_it_names() -> None:
    """Three join fields: a grant equal in two of them does not satisfy, equal in all does."""
    rule = OrderingRule(
        "three",
        Matcher((("type", "tool.call.started"),)),
        Matcher((("type", "governance.approval.granted"),)),
        join=("subject", "data.call_id", "data.tenant"),
    )
    candidate = call(tenant="acme")
    other = event("g", "governance.approval.granted", call_id="c1", tenant="globex")
    same = event("g", "governance.approval.granted", call_id="c1", tenant="acme")
    assert not check(rule, candidate, [other]).satisfied
    assert check(rule, candidate, [same]).satisfied


def test_a_rule_without_join_fields_takes_any_matching_event() -> None:
    """No join: any earlier grant will do."""
    rule = OrderingRule("any", Matcher((("type", "tool.*"),)), Matcher((("type", "*.granted"),)))
    assert check(rule, call(), [grant(call_id="other", subject="elsewhere")]).satisfied


def test_a_tool_the_rule_does_not_name_passes() -> None:
    """data.tool = search.web does not match payments.*: the rule does not apply."""
    verdict = check(payments_rule(), call(tool="search.web"), [])
    assert not verdict.applies
    assert verdict.satisfied
    assert not verdict.refused
    assert check_all([payments_rule()], call(tool="search.web"), []) == ()


def test_another_event_type_passes() -> None:
    """A grant itself is no tool call: the rule does not apply to it."""
    assert not check(payments_rule(), grant(), []).applies


def test_a_missing_data_field_never_matches() -> None:
    """A tool call with no data.tool is not a payments call, and no glob matches a gap."""
    candidate = event("call", "tool.call.started", call_id="c1")
    assert not check(payments_rule(), candidate, []).applies
    assert not Matcher((("data.tool", "*"),)).matches(candidate)


def test_a_missing_join_field_never_joins() -> None:
    """A candidate without data.call_id joins nothing, not even a grant also lacking one."""
    candidate = event("call", "tool.call.started", tool="payments.x")
    other = event("g", "governance.approval.granted")
    assert not check(payments_rule(), candidate, [other]).satisfied


def test_an_event_without_data_is_matched_on_its_attributes_only() -> None:
    """data missing altogether is a missing field, not an error."""
    assert not Matcher((("data.tool", "*"),)).matches({"type": "x"})
    assert Matcher((("type", "x"),)).matches({"type": "x"})


def test_globs_match_case_sensitively_with_classes_and_wildcards() -> None:
    """fnmatchcase semantics on every platform: *, ?, [..], and no case folding."""
    assert Matcher((("data.tool", "pay?ents.[a-t]*"),)).matches(call(tool="payments.transfer"))
    assert not Matcher((("data.tool", "payments.*"),)).matches(call(tool="Payments.transfer"))
    assert not Matcher((("data.tool", "payments.[u-z]*"),)).matches(call(tool="payments.transfer"))


def test_numbers_and_booleans_match_as_their_json_text() -> None:
    """An amount of 42 matches '4*'; true matches 'true'; objects and null never match."""
    candidate = call(amount=42, urgent=True, meta={"a": 1}, note=None)
    assert Matcher((("data.amount", "4*"), ("data.urgent", "true"))).matches(candidate)
    assert not Matcher((("data.meta", "*"),)).matches(candidate)
    assert not Matcher((("data.note", "*"),)).matches(candidate)


def test_nested_data_paths_are_followed() -> None:
    """data.call.id reaches into nested objects."""
    candidate = event("e", "tool.call.started", call={"id": "c9"})
    assert Matcher((("data.call.id", "c9"),)).matches(candidate)


def test_a_flag_rule_flags_instead_of_refusing() -> None:
    """action = flag: the failing rule flags and does not refuse."""
    rule = OrderingRule("f", payments_rule().when, payments_rule().requires, action="flag")
    verdict = check(rule, call(), [])
    assert verdict.flagged
    assert not verdict.refused


# -- parsing -----------------------------------------------------------------------------------


def test_the_agreed_toml_parses_into_the_rule() -> None:
    """The fleetledger.toml example reads as the matchers, join and action it spells."""
    rule = payments_rule()
    assert rule.name == "payments need an approval"
    assert rule.when.fields == (("type", "tool.call.started"), ("data.tool", "payments.*"))
    assert rule.join == ("subject", "data.call_id")
    assert rule.unless_after == Matcher((("type", "governance.approval.rejected"),))
    assert rule.action == "refuse"


def test_nested_tables_spell_dotted_paths() -> None:
    """when.data.tool = ... (a nested TOML table) is the same matcher as "data.tool"."""
    text = '[[ordering]]\nname = "n"\nrequires = { type = "a" }\n[ordering.when]\ndata.tool = "p*"'
    (rule,) = parse_ordering(tomllib.loads(text)["ordering"])
    assert rule.when.fields == (("data.tool", "p*"),)


def test_join_unless_after_and_action_have_defaults() -> None:
    """Only name, when and requires are needed; the default action refuses."""
    (rule,) = parse_ordering([{"name": "n", "when": {"type": "a"}, "requires": {"type": "b"}}])
    assert (rule.join, rule.unless_after, rule.action) == ((), None, "refuse")


def base() -> dict[str, Any]:
    return {"name": "n", "when": {"type": "a"}, "requires": {"type": "b"}}


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"actoin": "flag"}, ("ordering", 0, "actoin")),
        ({"action": "block"}, ("ordering", 0, "action")),
        ({"name": ""}, ("ordering", 0, "name")),
        ({"when": "type=a"}, ("ordering", 0, "when")),
        ({"when": {}}, ("ordering", 0, "when")),
        ({"requires": {"type": 3}}, ("ordering", 0, "requires", "type")),
        ({"requires": {"data..x": "b"}}, ("ordering", 0, "requires", "data..x")),
        ({"join": "subject"}, ("ordering", 0, "join")),
        ({"join": ["subject", 2]}, ("ordering", 0, "join", 1)),
        ({"join": ["subject", "subject"]}, ("ordering", 0, "join")),
        ({"unless_after": ["x"]}, ("ordering", 0, "unless_after")),
    ],
)
def test_a_malformed_rule_is_refused_with_the_path_to_the_fault(
    change: dict[str, Any], path: tuple[str | int, ...]
) -> None:
    """Each bad key or value raises PolicyError whose path the loader turns into a line."""
    with pytest.raises(PolicyError) as raised:
        parse_ordering([{**base(), **change}])
    assert raised.value.path == path


def test_a_missing_required_key_is_refused() -> None:
    """A rule without requires points at the rule itself."""
    with pytest.raises(PolicyError, match="needs 'requires'") as raised:
        parse_ordering([{"name": "n", "when": {"type": "a"}}])
    assert raised.value.path == ("ordering", 0)


def test_two_rules_with_one_name_are_refused() -> None:
    """Names identify rules in refusals, so each is used once."""
    with pytest.raises(PolicyError, match="two ordering rules") as raised:
        parse_ordering([base(), base()], path=("policy", "ordering"))
    assert raised.value.path == ("policy", "ordering", 1, "name")


def test_a_section_that_is_not_a_list_of_tables_is_refused() -> None:
    """ordering = "x" or a list of strings is no [[ordering]]."""
    with pytest.raises(PolicyError):
        parse_ordering("x")
    with pytest.raises(PolicyError) as raised:
        parse_ordering(["x"])
    assert raised.value.path == ("ordering", 0)


def test_a_policy_error_is_a_configuration_error() -> None:
    """The CLI maps ConfigurationError to the usage exit (2)."""
    assert issubclass(PolicyError, ConfigurationError)
