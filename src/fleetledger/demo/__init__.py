"""A deterministic simulated agent fleet writing realistic coordination traffic to a ledger.

``simulate(ledger, tasks=200, seed=7)`` runs planners, researchers, tool executors,
validators, a supervisor and human approvers over ``tasks`` requests: decomposition into
subtasks, handoffs, context retrieval and prompts, tool calls that fail and are retried,
approval gates, policy denials, compensations and evaluations, while three consumer groups
read at their own pace: the runtime's task projection (it writes the ``state`` family, exactly
once), an audit runner that dead-letters what it cannot file, and an evaluation batch. The
same seed writes the same sequence of events.
``governed_payment`` then runs one payment under an access policy and an ordering rule, and
erases its customer.
"""

from fleetledger.demo.fleet import simulate
from fleetledger.demo.governed import GovernanceReport, governed_payment
from fleetledger.demo.readers import GROUPS, ROLES
from fleetledger.demo.report import FleetReport

__all__ = ["GROUPS", "ROLES", "FleetReport", "GovernanceReport", "governed_payment", "simulate"]
