"""Task lifecycle steps shared by every task: assign, start, and the three ways to end.

Each step records the lifecycle event (the runtime's task projection derives where the task
stands from it, in the compacted ``state`` family). Steps only record; the caller
decides when the agent's step ends (``Run.flush``), which keeps related events in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from fleetledger.demo.agents import Agent, Role, pick
from fleetledger.demo.calls import CallOutcome
from fleetledger.demo.trail import Flow, Trail
from fleetledger.events.catalogue import (
    TaskAssigned,
    TaskCancelled,
    TaskCompleted,
    TaskFailed,
    TaskStarted,
)


@dataclass(frozen=True)
class Outcome:
    """How a task ended; ``event_id`` is its terminal event, the cause of what follows."""

    status: Literal["completed", "failed", "cancelled"]
    event_id: str
    error: str | None = None
    call: CallOutcome | None = None  # the call that did the task's work, when it made one
    undo: bool = False  # a validator judged the work wrong: its effect must be undone
    by: str | None = None  # who cancelled it


def take_up(trail: Trail, assigner: Agent, role: Role) -> Flow[Agent]:
    """An agent of ``role`` is assigned the task, then (after queueing) starts it.

    The start stays pending: it is the first thing of the agent's first step of work.
    """
    run = trail.run
    agent = pick(role, run.rng)
    run.wait(100, 1000)
    trail.emit(assigner, TaskAssigned(assignee=agent.id, role=role, assigned_by=assigner.id))
    yield run.flush()
    run.wait(200, 3000)
    start(trail, agent)
    return agent


def start(trail: Trail, agent: Agent) -> None:
    """The owning agent begins: its first run."""
    trail.emit(agent, TaskStarted(agent=agent.id))


def complete(
    trail: Trail, agent: Agent, summary: str, result: Any = None, call: CallOutcome | None = None
) -> Outcome:
    """The task reached its goal."""
    done = trail.emit(agent, TaskCompleted(summary=summary, result=result))
    return Outcome("completed", done, call=call)


def fail(trail: Trail, agent: Agent, error: str, *, undo: bool = False) -> Outcome:
    """The task cannot reach its goal; ``undo`` asks for the work done so far to be undone."""
    failed = trail.emit(agent, TaskFailed(error=error, error_type=_kind(error), retryable=False))
    return Outcome("failed", failed, error, undo=undo)


def cancel(trail: Trail, agent: Agent, reason: str, by: str, cause: str | None = None) -> Outcome:
    """The task is called off: refused by a human, or no longer needed."""
    cancelled = trail.emit(agent, TaskCancelled(reason=reason, cancelled_by=by), cause=cause)
    return Outcome("cancelled", cancelled, reason, by=by)


def stop(trail: Trail, agent: Agent, call: CallOutcome) -> Outcome:
    """End the task after a call that did not complete: refused means cancelled, else failed."""
    error = call.error or "tool call did not complete"
    if call.status == "rejected":
        return cancel(trail, agent, error, call.by or agent.id)
    return fail(trail, agent, error)


def settle(trail: Trail, outcome: Outcome) -> Flow[Outcome]:
    """End the agent's step that recorded ``outcome``, and return it."""
    yield trail.run.flush()
    return outcome


def _kind(error: str) -> str:
    if error.startswith("denied"):
        return "policy_denied"
    if error.startswith("validation"):
        return "validation_failed"
    return "tool_error"
