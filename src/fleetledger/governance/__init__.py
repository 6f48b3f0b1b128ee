"""Who appends and who may do what, and in which order: principals, the access rules that
govern them, ordering rules, and field encryption given keys (pure, no I/O)."""

from fleetledger.governance.access import (
    Action,
    Decision,
    Effect,
    Policy,
    Resource,
    Rule,
    decide,
    parse_rules,
    policy_text,
)
from fleetledger.governance.encryption import DataKey, KeyStore, MemoryKeyStore
from fleetledger.governance.ordering import (
    Matcher,
    OrderingRule,
    Verdict,
    check,
    check_all,
    ordering_text,
    parse_ordering,
)
from fleetledger.governance.principal import KINDS, Principal, parse_principals

__all__ = [
    "KINDS",
    "Action",
    "DataKey",
    "Decision",
    "Effect",
    "KeyStore",
    "Matcher",
    "MemoryKeyStore",
    "OrderingRule",
    "Policy",
    "Principal",
    "Resource",
    "Rule",
    "Verdict",
    "check",
    "check_all",
    "decide",
    "ordering_text",
    "parse_ordering",
    "parse_principals",
    "parse_rules",
    "policy_text",
]
