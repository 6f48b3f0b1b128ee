"""Who appends and who may do what: principals, and the access rules that govern them."""

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
from fleetledger.governance.principal import KINDS, Principal, parse_principals

__all__ = [
    "KINDS",
    "Action",
    "Decision",
    "Effect",
    "Policy",
    "Principal",
    "Resource",
    "Rule",
    "decide",
    "parse_principals",
    "parse_rules",
]
