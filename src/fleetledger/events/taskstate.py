"""One task's state as the lifecycle state machine keeps it, and as ``state.summary`` carries it.

:class:`TaskState` is what :mod:`fleetledger.events.lifecycle` folds events into; it converts to
and from the :class:`~fleetledger.events.catalogue.StateSummary` data the task projection writes,
so a restarted projection continues from the summaries it committed. Fields are read from event
data only when they are what the model says (text, lists of text, counts): a sealed or erased
confidential field (a dict) reads as absent, never as a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple, get_args

import msgspec

from fleetledger.events.catalogue import Priority, StateSummary, TaskStatus
from fleetledger.events.envelope import Event

__all__ = [
    "ENDED",
    "OPEN",
    "STATUSES",
    "Anomaly",
    "Status",
    "Step",
    "TaskState",
    "count",
    "data_of",
    "from_summary",
    "text",
    "texts",
    "to_summary",
]

Status = TaskStatus | None
"""A task's status; ``None`` before any lifecycle event."""

STATUSES: Final[tuple[TaskStatus, ...]] = get_args(TaskStatus)
OPEN: Final[frozenset[Status]] = frozenset(
    {"requested", "decomposed", "assigned", "running", "awaiting_approval"}
)
"""Statuses of a task that has not ended."""
ENDED: Final[frozenset[Status]] = frozenset({"completed", "failed", "cancelled", "compensated"})
"""Statuses of a task that reached an outcome."""


class Anomaly(NamedTuple):
    """A transition the lifecycle does not allow: which event, from where, to where, why."""

    event_id: str
    event_type: str
    from_status: Status
    to_status: Status
    reason: str


class TaskState(msgspec.Struct, frozen=True, kw_only=True):
    """Where one task stands after the events folded so far (:mod:`~fleetledger.events.lifecycle`).

    ``goal`` and ``error`` are kept only when readable (text, not a sealed or erased field);
    ``classification`` and ``datasubject`` are those of the event the goal was read from, so
    whatever repeats the goal seals it as the original was sealed (``datasubject`` None: the
    task itself, the default data subject). ``withheld`` counts events
    an access policy kept out of the fold (:meth:`Ledger.state_at`); ``anomalies`` counts the
    impossible transitions met.
    """

    task: str
    status: Status = None
    assignee: str | None = None
    goal: str | None = None
    priority: Priority | None = None
    attempts: int = 0
    parent_task: str | None = None
    subtasks: tuple[str, ...] = ()
    open_calls: tuple[str, ...] = ()
    pending_approvals: tuple[str, ...] = ()
    error: str | None = None
    first_event_id: str | None = None
    first_event_type: str | None = None
    created_at: str | None = None
    last_event_id: str | None = None
    last_event_type: str | None = None
    updated_at: str | None = None
    anomalies: int = 0
    tenant: str | None = None
    correlation: str | None = None  # the correlation id (run) of the task's first event
    classification: str | None = None
    datasubject: str | None = None
    withheld: int = 0

    @property
    def owner(self) -> str | None:
        """The agent that owns the task now (the assignee)."""
        return self.assignee

    @property
    def ended(self) -> bool:
        """Whether the task reached an outcome (completed, failed, cancelled, compensated)."""
        return self.status in ENDED


class Step(NamedTuple):
    """What one event did: the new state, and the anomaly it was (None when allowed)."""

    state: TaskState
    anomaly: Anomaly | None


# -- reading event data ----------------------------------------------------------------------------


def data_of(event: Event) -> Mapping[str, Any]:
    return event.data if isinstance(event.data, dict) else {}


def text(data: Mapping[str, Any], key: str) -> str | None:
    """A text field, or None when absent, empty, sealed or erased (then a dict)."""
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def count(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    return value if type(value) is int and value >= 0 else 0


def texts(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key)
    return [v for v in value if isinstance(v, str) and v] if isinstance(value, list) else []


# -- to and from state.summary ---------------------------------------------------------------


def to_summary(state: TaskState) -> StateSummary:
    """The ``state.summary`` data of a task with a status (:class:`ValueError` without)."""
    if state.status is None or state.last_event_type is None:
        raise ValueError(f"task {state.task!r} has no lifecycle status to summarize yet")
    return StateSummary(
        status=state.status,
        last_event_type=state.last_event_type,
        last_event_id=state.last_event_id,
        updated_at=state.updated_at,
        goal=state.goal,
        priority=state.priority,
        assignee=state.assignee,
        attempts=state.attempts,
        parent_task=state.parent_task,
        subtasks=list(state.subtasks),
        open_calls=list(state.open_calls),
        pending_approvals=list(state.pending_approvals),
        error=state.error,
        first_event_id=state.first_event_id,
        first_event_type=state.first_event_type,
        created_at=state.created_at,
        anomalies=state.anomalies,
    )


def from_summary(summary: Event) -> TaskState:
    """The state a ``state.summary`` event records (the task is its subject), to continue
    folding from; a goal that is not readable is left out, as are fields a summary of an
    older writer did not carry."""
    data = data_of(summary)
    goal = text(data, "goal")
    status = data.get("status")
    priority = data.get("priority")
    return TaskState(
        task=summary.subject,
        status=status if status in STATUSES else None,
        assignee=text(data, "assignee"),
        goal=goal,
        priority=priority if priority in get_args(Priority) else None,
        attempts=count(data, "attempts"),
        parent_task=text(data, "parent_task"),
        subtasks=tuple(texts(data, "subtasks")),
        open_calls=tuple(texts(data, "open_calls")),
        pending_approvals=tuple(texts(data, "pending_approvals")),
        error=text(data, "error"),
        first_event_id=text(data, "first_event_id"),
        first_event_type=text(data, "first_event_type"),
        created_at=text(data, "created_at"),
        last_event_id=text(data, "last_event_id"),
        last_event_type=text(data, "last_event_type"),
        updated_at=text(data, "updated_at"),
        anomalies=count(data, "anomalies"),
        tenant=summary.tenant,
        correlation=summary.correlationid,
        classification=summary.dataclassification if goal is not None else None,
        datasubject=summary.datasubject if goal is not None else None,
    )
