"""Who appends: principals (and, later, the policies that govern them)."""

from fleetledger.governance.principal import Principal

__all__ = ["Principal"]
