"""The task lifecycle state machine: one task's events folded into where the task stands.

Pure (no I/O), so the facade (``Ledger.state_at``, L3) and the task projection (L4) fold
events the same way and can never disagree about a task's state. :func:`advance` takes a
:class:`TaskState` and one event and returns a :class:`Step`: the new state, and the
:class:`Anomaly` when the event is a transition the lifecycle does not allow.

Statuses are :data:`~fleetledger.events.catalogue.TaskStatus`; ``None`` (``-`` below) means no
lifecycle event was seen yet. Columns are the status before the event (``req`` requested,
``dec`` decomposed, ``asg`` assigned, ``run`` running, ``awa`` awaiting_approval, ``com``
completed, ``fai`` failed, ``can`` cancelled, ``cmp`` compensated); a cell is the status after
it, ``=`` when it stays, and ``!`` marks an anomaly (``!=``: the status stays)::

    event          -     req   dec   asg   run   awa   com   fai   can   cmp
    requested      req   !=    !=    !=    !=    !=    !=    !=    !=    !=
    decomposed     !dec  dec   dec   dec   =     =     !=    !=    !=    !=
    assigned       !asg  asg   asg   asg   =     =     !=    !=    !=    !=
    started        !run  run   run   run   run   run   !=    !=    !=    !=
    handed_off     !asg  !asg  !asg  =     =     =     !=    !=    !=    !=
    checkpointed   !run  !run  !run  !run  =     =     !=    !=    !=    !=
    retried        !run  !run  !run  !run  run   run   !=    run   !=    !=
    completed      !com  com   com   com   com   com   !=    !=    !=    !=
    failed         !fai  fai   fai   fai   fai   fai   !=    !=    !=    !=
    cancelled      !can  can   can   can   can   can   !=    !=    !=    !=
    compensated    !cmp  !cmp  !cmp  !cmp  !cmp  !cmp  cmp   cmp   !=    cmp

Why these, where the catalogue leaves room: a task may be started without a recorded
assignment (an agent picking it up), and re-announced while running (after a hand-off or a
retry). A task may complete, fail or be cancelled from any open status (a decomposed parent
completes when its subtasks do, without being started itself). A retry may follow a
``task.failed``: the failure's ``retryable`` is the writer's advice, and the catalogue's
``task.retried`` is "tried again after a failure"; it brings the task back to ``running``.
Several compensations may follow one another (each undoes one effect); a cancelled task
cannot be compensated: the issue's lifecycle wants ``completed`` or ``failed`` first.

How an anomaly is still applied, so a fold never stops:

- on a task not seen yet or still open, the event is applied as if allowed, and the status
  goes where the event says the task is (a ``task.started`` before any ``task.requested``
  creates a running task); a second ``task.requested`` only fills fields not known yet;
- on an ended task (completed, failed, cancelled, compensated) nothing but the last event
  and the anomaly count moves: the recorded outcome stands (a late ``task.completed`` does
  not overwrite a failure).

A **correction** (an event with ``supersedes``) is never an anomaly: its data replaces what
the original said; its status moves as the table allows, to its own outcome when it restates
how an ended task ended (a ``task.failed`` correcting a ``task.completed``), and stays
otherwise.

Other events only keep the books, in any status and never as anomalies (events of other
families can be delivered before the task's own on other partitions):
``tool.call.requested``/``started`` open a call, ``tool.call.completed``/``failed`` close it;
``governance.approval.requested`` opens an approval (and moves ``running`` to
``awaiting_approval``); ``governance.approval.granted``/``rejected`` decide it (a rejection
also closes its call: it will not run), and with none left pending ``awaiting_approval``
returns to ``running``; ``governance.policy.denied`` naming a call closes it. Anything else
(other types, ``task.anomaly.detected`` itself, events of other families) changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, get_args

import msgspec

from fleetledger.events.catalogue import Priority, TaskStatus
from fleetledger.events.envelope import Event
from fleetledger.events.taskstate import (
    ENDED,
    OPEN,
    STATUSES,
    Anomaly,
    Status,
    Step,
    TaskState,
    data_of,
    text,
    texts,
)

__all__ = [
    "ANOMALY_TYPE",
    "ENDED",
    "LIFECYCLE_TYPES",
    "OPEN",
    "Anomaly",
    "Status",
    "Step",
    "TaskState",
    "advance",
    "concerns",
    "fold",
    "transition",
]

ANOMALY_TYPE: Final = "task.anomaly.detected"
"""The type recording an impossible transition (written by the task projection)."""

LIFECYCLE_TYPES: Final = (
    "task.requested",
    "task.decomposed",
    "task.assigned",
    "task.started",
    "task.handed_off",
    "task.checkpointed",
    "task.retried",
    "task.completed",
    "task.failed",
    "task.cancelled",
    "task.compensated",
)
"""The task events that move the status, in the catalogue's order."""

_WORKING: Final[frozenset[Status]] = frozenset({"running", "awaiting_approval"})
_KEEP: Final = "keep"
"""In :data:`_ALLOWED`: the status stays as it is."""

_PLANNING: Final[tuple[Status, ...]] = ("requested", "decomposed", "assigned")
_ALLOWED: Final[dict[str, dict[Status, str]]] = {
    "task.requested": {None: "requested"},
    "task.decomposed": {**dict.fromkeys(_PLANNING, "decomposed"), **dict.fromkeys(_WORKING, _KEEP)},
    "task.assigned": {**dict.fromkeys(_PLANNING, "assigned"), **dict.fromkeys(_WORKING, _KEEP)},
    "task.started": dict.fromkeys(OPEN, "running"),
    "task.handed_off": dict.fromkeys(("assigned", *_WORKING), _KEEP),
    "task.checkpointed": dict.fromkeys(_WORKING, _KEEP),
    "task.retried": dict.fromkeys((*_WORKING, "failed"), "running"),
    "task.completed": dict.fromkeys(OPEN, "completed"),
    "task.failed": dict.fromkeys(OPEN, "failed"),
    "task.cancelled": dict.fromkeys(OPEN, "cancelled"),
    "task.compensated": dict.fromkeys(("completed", "failed", "compensated"), "compensated"),
}
"""Allowed transitions: event type -> {from status: to status (or keep)}."""

_NATURAL: Final[dict[str, str]] = {
    "task.requested": _KEEP,
    "task.decomposed": "decomposed",
    "task.assigned": "assigned",
    "task.started": "running",
    "task.handed_off": "assigned",
    "task.checkpointed": "running",
    "task.retried": "running",
    "task.completed": "completed",
    "task.failed": "failed",
    "task.cancelled": "cancelled",
    "task.compensated": "compensated",
}
"""Where an anomalous event leaves a task not seen yet or still open: where it says it is."""

_WHY_OPEN: Final[dict[str, str]] = {
    "task.requested": "the task was requested already",
    "task.handed_off": "a hand-off before anyone owned the task",
    "task.checkpointed": "a checkpoint before the task started",
    "task.retried": "a retry before the task started",
    "task.compensated": "a compensation before the task completed or failed",
}


def transition(event_type: str, status: Status) -> tuple[Status, bool]:
    """Where a lifecycle event of ``event_type`` leads from ``status``, and whether that is
    allowed (False: an anomaly, applied as the module docstring says)."""
    allowed = _ALLOWED[event_type].get(status)
    if allowed is not None:
        return _resolve(allowed, status), True
    if status in ENDED:
        return status, False
    return _resolve(_NATURAL[event_type], status), False


def _resolve(target: str, status: Status) -> Status:
    return status if target == _KEEP else _status(target)


def _status(text: str) -> TaskStatus:
    for status in STATUSES:
        if status == text:
            return status
    raise AssertionError(f"not a task status: {text}")  # the tables only name statuses


def advance(state: TaskState, event: Event) -> Step:
    """Fold one event of ``state``'s task into it (see the module docstring)."""
    if event.type in _ALLOWED:
        return _lifecycle(state, event)
    keep = _BOOKS.get(event.type)
    if keep is None:
        return Step(state, None)
    changed = keep(state, data_of(event))
    return Step(_touch(changed, event) if changed is not None else state, None)


def concerns(event: Event) -> bool:
    """Whether :func:`advance` would change a task's state for ``event``: a lifecycle event,
    or one keeping the books of its calls and approvals (a policy denial only naming a call)."""
    if event.type in _ALLOWED:
        return True
    if event.type == "governance.policy.denied":
        return text(data_of(event), "call_id") is not None
    return event.type in _BOOKS


def fold(task: str, events: Iterable[Event]) -> tuple[TaskState, list[Anomaly]]:
    """``events`` (the task's, in the ledger's order) folded from nothing; and the anomalies."""
    state, anomalies = TaskState(task=task), []
    for event in events:
        state, anomaly = advance(state, event)
        if anomaly is not None:
            anomalies.append(anomaly)
    return state, anomalies


def _lifecycle(state: TaskState, event: Event) -> Step:
    before = state.status
    if event.supersedes:
        return Step(_apply(state, event, _corrected(event.type, before), fill=False), None)
    after, allowed = transition(event.type, before)
    if allowed:
        return Step(_apply(state, event, after, fill=False), None)
    anomaly = Anomaly(event.id, event.type, before, after, _reason(event.type, before))
    if before in ENDED:
        changed = _touch(state, event)
    else:
        duplicate = event.type == "task.requested"
        changed = _apply(state, event, after, fill=duplicate)
    return Step(msgspec.structs.replace(changed, anomalies=changed.anomalies + 1), anomaly)


def _corrected(event_type: str, status: Status) -> Status:
    """The status a correction leaves (see the module docstring)."""
    if status is None:
        return _resolve(_NATURAL[event_type], status)
    if status in ENDED and event_type in _OUTCOMES:
        return _OUTCOMES[event_type]
    after, allowed = transition(event_type, status)
    return after if allowed else status


_OUTCOMES: Final[dict[str, Status]] = {
    "task.completed": "completed",
    "task.failed": "failed",
    "task.cancelled": "cancelled",
    "task.compensated": "compensated",
}


def _reason(event_type: str, status: Status) -> str:
    if status is None:
        return f"{event_type} before any task.requested"
    if status in ENDED:
        return f"{event_type} after the task ended ({status})"
    return f"{event_type}: {_WHY_OPEN.get(event_type, f'not allowed from {status}')}"


# -- applying an event's data ----------------------------------------------------------------


def _apply(state: TaskState, event: Event, status: Status, *, fill: bool) -> TaskState:
    """``state`` with ``event``'s data applied and ``status`` set (``fill``: a repeated
    request, which only fills what is not known yet)."""
    data = data_of(event)
    changes: dict[str, Any] = {"status": status}
    apply = _DATA.get(event.type)
    if apply is not None:
        changes.update(apply(state, event, data))
    if fill:
        changes = {k: v for k, v in changes.items() if getattr(state, k) in (None, ())}
        changes.pop("status", None)
    return _touch(msgspec.structs.replace(state, **changes), event)


def _requested(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    goal = text(data, "goal")
    priority = data.get("priority")
    return {
        "goal": goal,
        "priority": priority if priority in get_args(Priority) else None,
        "parent_task": text(data, "parent_task"),
        "classification": event.dataclassification if goal is not None else None,
        "datasubject": event.datasubject if goal is not None else None,
    }


def _decomposed(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"subtasks": _added(state.subtasks, texts(data, "subtasks"))}


def _assigned(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"assignee": text(data, "assignee") or state.assignee}


def _started(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    owner = text(data, "agent") or state.assignee or event.agentid
    return {"attempts": max(state.attempts, 1), "assignee": owner}


def _handed_off(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"assignee": text(data, "to_agent") or state.assignee}


def _retried(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    error = None if state.status == "failed" else state.error
    return {"attempts": max(state.attempts, 1) + 1, "error": error}


def _failed(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"error": text(data, "error")}


def _cancelled(state: TaskState, event: Event, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"error": text(data, "reason")}


_Apply = Callable[[TaskState, Event, Mapping[str, Any]], dict[str, Any]]
_DATA: Final[dict[str, _Apply]] = {
    "task.requested": _requested,
    "task.decomposed": _decomposed,
    "task.assigned": _assigned,
    "task.started": _started,
    "task.handed_off": _handed_off,
    "task.retried": _retried,
    "task.failed": _failed,
    "task.cancelled": _cancelled,
}


def _touch(state: TaskState, event: Event) -> TaskState:
    """``state`` with ``event`` as its last event (and first, when it is the first)."""
    changes: dict[str, Any] = {
        "last_event_id": event.id,
        "last_event_type": event.type,
        "updated_at": event.time,
    }
    if state.first_event_id is None:
        changes.update(first_event_id=event.id, first_event_type=event.type, created_at=event.time)
    if state.tenant is None and event.tenant is not None:
        changes["tenant"] = event.tenant
    if state.correlation is None and event.correlationid is not None:
        changes["correlation"] = event.correlationid
    return msgspec.structs.replace(state, **changes)


# -- the books: calls and approvals ----------------------------------------------------------


def _call_opened(state: TaskState, data: Mapping[str, Any]) -> TaskState | None:
    call = text(data, "call_id")
    if call is None:
        return state
    return msgspec.structs.replace(state, open_calls=_added(state.open_calls, [call]))


def _call_closed(state: TaskState, data: Mapping[str, Any]) -> TaskState | None:
    call = text(data, "call_id")
    return state if call is None else _without_call(state, call)


def _denied(state: TaskState, data: Mapping[str, Any]) -> TaskState | None:
    call = text(data, "call_id")
    return None if call is None else _without_call(state, call)


def _approval_asked(state: TaskState, data: Mapping[str, Any]) -> TaskState | None:
    approval = text(data, "approval_id")
    pending = (
        state.pending_approvals if approval is None else _added(state.pending_approvals, [approval])
    )
    status = "awaiting_approval" if state.status == "running" else state.status
    return msgspec.structs.replace(state, pending_approvals=pending, status=status)


def _approval_decided(state: TaskState, data: Mapping[str, Any], *, rejected: bool) -> TaskState:
    approval = text(data, "approval_id")
    pending = tuple(a for a in state.pending_approvals if a != approval)
    status = state.status
    if status == "awaiting_approval" and not pending:
        status = "running"
    changed = msgspec.structs.replace(state, pending_approvals=pending, status=status)
    call = text(data, "call_id")
    return _without_call(changed, call) if rejected and call is not None else changed


def _without_call(state: TaskState, call: str) -> TaskState:
    return msgspec.structs.replace(
        state, open_calls=tuple(c for c in state.open_calls if c != call)
    )


_Keep = Callable[[TaskState, Mapping[str, Any]], "TaskState | None"]
_BOOKS: Final[dict[str, _Keep]] = {
    "tool.call.requested": _call_opened,
    "tool.call.started": _call_opened,
    "tool.call.completed": _call_closed,
    "tool.call.failed": _call_closed,
    "governance.approval.requested": _approval_asked,
    "governance.approval.granted": lambda s, d: _approval_decided(s, d, rejected=False),
    "governance.approval.rejected": lambda s, d: _approval_decided(s, d, rejected=True),
    "governance.policy.denied": _denied,
}
"""Events that keep the books of calls and approvals: each returns the changed state (None:
the event is not about this task's calls, and changes nothing, not even the last event)."""


def _added(known: tuple[str, ...], new: Iterable[str]) -> tuple[str, ...]:
    """``known`` and then those of ``new`` not among them, in order."""
    seen = list(known)
    for item in new:
        if item not in seen:
            seen.append(item)
    return tuple(seen)
