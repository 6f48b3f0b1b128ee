"""Who appends, and under which rules: principals and ordering rules (pure, no I/O)."""

from fleetledger.governance.ordering import (
    Matcher,
    OrderingRule,
    Verdict,
    check,
    check_all,
    parse_ordering,
)
from fleetledger.governance.principal import Principal

__all__ = [
    "Matcher",
    "OrderingRule",
    "Principal",
    "Verdict",
    "check",
    "check_all",
    "parse_ordering",
]
