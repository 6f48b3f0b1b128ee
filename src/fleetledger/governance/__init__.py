"""Who appends and who may do what, and in which order: principals, the access rules that
govern them, and ordering rules (pure, no I/O)."""

from fleetledger.governance.access import (
    Action,
    Decision,
    Effect,
    Policy,
    Resource,
    Rule,
    decide,
    parse_rules,
)
from fleetledger.governance.ordering import (
    Matcher,
    OrderingRule,
    Verdict,
    check,
    check_all,
    parse_ordering,
)
from fleetledger.governance.principal import KINDS, Principal, parse_principals

__all__ = [
    "KINDS",
    "Action",
    "Decision",
    "Effect",
    "Matcher",
    "OrderingRule",
    "Policy",
    "Principal",
    "Resource",
    "Rule",
    "Verdict",
    "check",
    "check_all",
    "decide",
    "parse_ordering",
    "parse_principals",
    "parse_rules",
]
