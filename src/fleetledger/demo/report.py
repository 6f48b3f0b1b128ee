"""What a simulation reports back to its caller (the CLI prints it)."""

from __future__ import annotations

from dataclasses import dataclass

from fleetledger.demo.readers import Letters


@dataclass(frozen=True)
class FleetReport:
    """A finished simulation: how much it wrote, how long it took, and what to look at.

    ``tasks`` counts the requests simulated (each also has three subtasks); ``events`` every
    event appended; ``elapsed`` wall-clock seconds; ``sample_task`` a subtask whose replay shows
    a tool failure and its retry, a human approval, and a compensation; ``groups`` the consumer
    groups that read while the fleet ran; ``letters`` the audit group's dead letters, as
    recorded and after its fix was retried.
    """

    tasks: int
    events: int
    elapsed: float
    sample_task: str
    groups: tuple[str, ...]
    letters: Letters
