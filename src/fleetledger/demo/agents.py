"""Who is in the simulated fleet: named agent instances, their role and version.

Every event carries its writer as ``source``, ``agentid`` and ``agentversion``; a fixed roster
makes attribution look like a real deployment (several instances per role, one version each)
and keeps it deterministic: instances are picked with the task's own random generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

Role = Literal[
    "planner",
    "researcher",
    "executor",
    "validator",
    "supervisor",
    "approver",
    "portal",
]
"""What an agent does in the fleet; ``approver`` is a human, ``portal`` the customer front end."""


@dataclass(frozen=True)
class Agent:
    """One writer of events: an agent instance, a human, or the app customers use."""

    id: str
    role: Role
    source: str
    version: str | None  # humans have no version


def _agents(role: Role, version: str, count: int) -> tuple[Agent, ...]:
    return tuple(
        Agent(f"{role}-{n}", role, f"agents/{role}-{n}", version) for n in range(1, count + 1)
    )


def _humans(*names: str) -> tuple[Agent, ...]:
    return tuple(Agent(name, "approver", f"humans/{name}", None) for name in names)


ROSTER: dict[Role, tuple[Agent, ...]] = {
    "planner": _agents("planner", "2.3.1", 2),
    "researcher": _agents("researcher", "1.8.0", 3),
    "executor": _agents("executor", "3.0.2", 3),
    "validator": _agents("validator", "1.2.4", 2),
    "supervisor": _agents("supervisor", "1.0.7", 1),
    "approver": _humans("alice", "bob"),
    "portal": (Agent("support-portal", "portal", "apps/support-portal", "2025.1"),),
}
"""The whole fleet: the instances of each role."""


def pick(role: Role, rng: random.Random) -> Agent:
    """An instance of ``role``, chosen by the task's generator (so runs repeat exactly)."""
    return rng.choice(ROSTER[role])


def other(agent: Agent, rng: random.Random) -> Agent:
    """Another instance of the same role, to hand work over to."""
    peers = [a for a in ROSTER[agent.role] if a != agent]
    return rng.choice(peers) if peers else agent


def supervisor() -> Agent:
    """The fleet's one supervisor: intake, guardrails, escalations and compensations."""
    return ROSTER["supervisor"][0]


def portal() -> Agent:
    """The support portal, through which customers rate finished work."""
    return ROSTER["portal"][0]
