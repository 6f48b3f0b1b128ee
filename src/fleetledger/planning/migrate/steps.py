"""One rehearsed step: its name, how long it took, whether it passed, and what it measured."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from fleetledger.errors import AccessDenied, ConfigurationError, ContractError, IntegrityError

Figure = int | float | str
"""A step's measurement: a count, a duration or rate, or a word."""


class Outcome(StrEnum):
    """How a step ended."""

    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    """Not run: an earlier step failed, and a rehearsal does not go on from a failed step."""


@dataclass
class Step:
    """One step of the rehearsal, as the report shows it."""

    name: str
    """``preflight``, ``mirror``, ``compare``, ``groups``, ``cutover`` or ``rollback``."""
    title: str
    outcome: Outcome = Outcome.SKIPPED
    seconds: float = 0.0
    """Wall-clock time the step took."""
    figures: dict[str, Figure] = field(default_factory=dict)
    detail: str = ""
    """One line: what the step found, or why it failed."""
    notes: list[str] = field(default_factory=list)
    """What a reader should know that did not fail the step (a policy that differs, ...)."""

    @property
    def ok(self) -> bool:
        """The step ran and passed."""
        return self.outcome is Outcome.PASSED

    def fail(self, detail: str) -> None:
        """Mark the step failed, saying why (the first reason given is kept)."""
        if self.outcome is not Outcome.FAILED:
            self.outcome, self.detail = Outcome.FAILED, detail


CAUGHT = (AccessDenied, ConfigurationError, ContractError, IntegrityError)
"""Errors a step reports as its failure; any other (an unreachable broker, a bug) stops the
rehearsal, since it says nothing about whether the migration would work."""


def run(step: Step, body: Callable[[Step], None]) -> Step:
    """Run ``body(step)`` timed; it passes unless ``body`` failed it or raised one of
    :data:`CAUGHT`."""
    step.outcome = Outcome.PASSED
    started = time.perf_counter()
    try:
        body(step)
    except CAUGHT as exc:
        step.fail(" ".join(str(exc).split()) or type(exc).__name__)
    finally:
        step.seconds = time.perf_counter() - started
    return step
