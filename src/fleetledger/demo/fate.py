"""The dice of one task: which request it is, which calls fail, what humans and checks decide.

Every random outcome of a task's path goes through a :class:`Fate` built on the task's own
generator, so the path depends only on the seed, never on how tasks interleave. Task 0 gets a
:class:`ScriptedFate` instead, so every run contains one task worth showing: a tool failure and
its retry, a human approval, and a compensation.
"""

from __future__ import annotations

import random

from fleetledger.demo.scenarios import REFUND, SCENARIOS, Brief, Scenario, refund_brief
from fleetledger.demo.tools import Failure, Tool
from fleetledger.events.catalogue import Priority

PRIORITIES: tuple[Priority, ...] = ("low", "normal", "high", "urgent")
_PRIORITY_WEIGHTS = (15, 60, 20, 5)
_SCENARIO_WEIGHTS = tuple(s.weight for s in SCENARIOS)

APPROVAL_RATE = 0.88
VALIDATION_PASS_RATE = 0.9
HANDOFF_RATE = 0.3


class Fate:
    """Random outcomes for one task, drawn from its own generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def scenario(self) -> Scenario:
        """What kind of request this task is."""
        return self.rng.choices(SCENARIOS, _SCENARIO_WEIGHTS)[0]

    def brief(self, scenario: Scenario) -> Brief:
        """The concrete request."""
        return scenario.brief(self.rng)

    def priority(self) -> Priority:
        """How urgent the requester says it is."""
        return self.rng.choices(PRIORITIES, _PRIORITY_WEIGHTS)[0]

    def failure(self, tool: Tool, attempt: int) -> Failure | None:
        """How the call fails, or None when it succeeds."""
        if tool.failures and self.rng.random() < tool.fail_rate:
            return self.rng.choice(tool.failures)
        return None

    def approves(self) -> bool:
        """Whether the human approver grants the request."""
        return self.rng.random() < APPROVAL_RATE

    def passes_validation(self) -> bool:
        """Whether the validator accepts the action's outcome."""
        return self.rng.random() < VALIDATION_PASS_RATE

    def hands_off(self) -> bool:
        """Whether the executor hands its subtask over mid-way (rebalancing, restarts)."""
        return self.rng.random() < HANDOFF_RATE


class ScriptedFate(Fate):
    """Task 0: a refund that needs approval, fails once, is retried, then is compensated."""

    def scenario(self) -> Scenario:
        return REFUND

    def brief(self, scenario: Scenario) -> Brief:
        return refund_brief(self.rng, amount=1249.0)

    def priority(self) -> Priority:
        return "high"

    def failure(self, tool: Tool, attempt: int) -> Failure | None:
        if tool.name == REFUND.action and attempt == 0:
            return next(f for f in tool.failures if f.retryable)
        return None

    def approves(self) -> bool:
        return True

    def passes_validation(self) -> bool:
        return False

    def hands_off(self) -> bool:
        return True
