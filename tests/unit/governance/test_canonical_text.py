"""The canonical texts of policies: what governance.policy.changed records, so equal policies
must give equal texts whatever the file's layout, and any change a different one."""

import json

from fleetledger.governance import Policy, ordering_text, parse_ordering, parse_rules, policy_text

RULE = {"effect": "allow", "actions": ["read"], "principals": ["kind:agent"], "families": ["task"]}
ORDERING = {
    "name": "payments need an approval",
    "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
    "requires": {"type": "governance.approval.granted"},
    "join": ["subject", "data.call_id"],
}


def test_a_policy_text_does_not_depend_on_the_order_of_a_tables_keys() -> None:
    """The same rule written with its keys in another order has the same text."""
    shuffled = dict(reversed(list(RULE.items())))
    assert policy_text(Policy(parse_rules([RULE]))) == policy_text(Policy(parse_rules([shuffled])))


def test_a_policy_text_spells_out_every_key_of_every_rule() -> None:
    """Defaults are written too (a missing tenants is null), so the text says all it means."""
    [table] = json.loads(policy_text(Policy(parse_rules([RULE]))))
    assert table == {**RULE, "classifications": None, "tenants": None, "name": ""}


def test_changing_a_rule_changes_the_policy_text() -> None:
    """Another action is another policy."""
    wider = {**RULE, "actions": ["read", "append"]}
    assert policy_text(Policy(parse_rules([RULE]))) != policy_text(Policy(parse_rules([wider])))


def test_no_policy_has_the_empty_text() -> None:
    """An open ledger (no [[rules]]) is told apart from a policy with no rules."""
    assert policy_text(Policy.open()) == ""
    assert policy_text(Policy(())) == "[]"


def test_an_ordering_text_writes_nested_matchers_as_dotted_paths() -> None:
    """data = {tool = ...} and "data.tool" = ... are one rule, so one text."""
    dotted = {**ORDERING, "when": {"type": "tool.call.started", "data.tool": "payments.*"}}
    text = ordering_text(parse_ordering([ORDERING]))
    assert text == ordering_text(parse_ordering([dotted]))
    assert json.loads(text)[0]["when"] == {"data.tool": "payments.*", "type": "tool.call.started"}


def test_no_ordering_rules_have_the_empty_text() -> None:
    """Nothing to record."""
    assert ordering_text(()) == ""
