"""The built-in event types of VISION §3: one typed data model per coordination fact.

Each model is a :class:`~fleetledger.events.registry.EventData` (a ``msgspec.Struct`` that
refuses unknown fields); its one-line docstring says what the event means and is also the
type's ``description`` in :data:`BUILTIN_TYPES`. Required fields are kept to what the event
cannot be understood without; everything else has a default. Who wrote an event, for which
task, and when, are CloudEvents attributes (``agentid``, ``subject``, ``time``), so the data
models do not repeat them unless the event is *about* another party (an assignee, an approver).

Identifiers and timestamps are strings: ids are never empty, timestamps are RFC 3339.
Every model repeats ``kw_only=True``: msgspec applies that option only to the fields a class
defines itself, so inheriting it from ``EventData`` is not enough.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from msgspec import Meta, field

from fleetledger.events.registry import EventData, EventType, Kind
from fleetledger.events.spec import TypeSpec
from fleetledger.types import Classification

__all__ = [
    "BUILTIN_TYPES",
    "ContextMemoryUpdated",
    "ContextPromptRendered",
    "ContextRetrieved",
    "EvaluationFeedback",
    "EvaluationScored",
    "GovernanceAdminPerformed",
    "GovernanceApprovalGranted",
    "GovernanceApprovalRejected",
    "GovernanceApprovalRequested",
    "GovernanceErasurePerformed",
    "GovernanceEscalated",
    "GovernanceGuardrailChecked",
    "GovernancePolicyChanged",
    "GovernancePolicyDenied",
    "GovernanceTokenCreated",
    "GovernanceTokenRevoked",
    "Priority",
    "StateSummary",
    "TaskAnomalyDetected",
    "TaskAssigned",
    "TaskCancelled",
    "TaskCheckpointed",
    "TaskCompensated",
    "TaskCompleted",
    "TaskDecomposed",
    "TaskFailed",
    "TaskHandedOff",
    "TaskRequested",
    "TaskRetried",
    "TaskStarted",
    "TaskStatus",
    "ToolCallCompleted",
    "ToolCallFailed",
    "ToolCallRequested",
    "ToolCallStarted",
]

Id = Annotated[str, Meta(min_length=1)]
"""An identifier (task, agent, call, approval, template, event...): never empty."""

Text = Annotated[str, Meta(min_length=1)]
"""Human-readable text that must say something when it is given."""

Millis = Annotated[float, Meta(ge=0)]
Count = Annotated[int, Meta(ge=0)]

Priority = Literal["low", "normal", "high", "urgent"]
TaskStatus = Literal[
    "requested",
    "decomposed",
    "assigned",
    "running",
    "awaiting_approval",
    "completed",
    "failed",
    "cancelled",
    "compensated",
]
"""Where a task stands in its lifecycle, as carried by ``state.summary``."""


# -- task ----------------------------------------------------------------------------------


class TaskRequested(EventData, kw_only=True):
    """Someone asks for a piece of work to be done: the intent that opens a task."""

    goal: Text
    priority: Priority = "normal"
    requested_by: Id | None = None
    deadline: str | None = None
    parent_task: Id | None = None
    inputs: dict[str, Any] = field(default_factory=dict)


class TaskDecomposed(EventData, kw_only=True):
    """A planner split the task into subtasks (each the id of its own task)."""

    subtasks: Annotated[list[Id], Meta(min_length=1)]
    plan: str | None = None


class TaskAssigned(EventData, kw_only=True):
    """The task was given to an agent, which now owns it."""

    assignee: Id
    role: str | None = None
    assigned_by: Id | None = None


class TaskStarted(EventData, kw_only=True):
    """The owning agent began working on the task."""

    agent: Id | None = None


class TaskHandedOff(EventData, kw_only=True):
    """Ownership moved from one agent to another mid-task, optionally from a checkpoint."""

    from_agent: Id
    to_agent: Id
    reason: str | None = None
    checkpoint: Id | None = None  # id of the task.checkpointed event to resume from


class TaskCheckpointed(EventData, kw_only=True):
    """The agent saved resumable progress; the event id is the checkpoint id."""

    step: str | None = None
    progress: Annotated[float, Meta(ge=0, le=1)] | None = None
    state: dict[str, Any] = field(default_factory=dict)


class TaskRetried(EventData, kw_only=True):
    """The task is being tried again after a failure; ``attempt`` is 1 for the first retry."""

    attempt: Annotated[int, Meta(ge=1)]
    reason: str | None = None
    delay_ms: Millis | None = None


class TaskCompleted(EventData, kw_only=True):
    """The task reached its goal; terminal unless later compensated."""

    result: Any = None
    summary: str | None = None
    artifacts: list[Id] = field(default_factory=list)  # URIs or ids of the outputs produced


class TaskFailed(EventData, kw_only=True):
    """The task could not reach its goal; ``retryable`` says whether a retry may help."""

    error: Text
    error_type: str | None = None
    retryable: bool = False


class TaskCancelled(EventData, kw_only=True):
    """The task was called off before it finished."""

    reason: str | None = None
    cancelled_by: Id | None = None


class TaskCompensated(EventData, kw_only=True):
    """The effects of a completed or partly done task were undone (a saga compensation)."""

    action: Text  # what was done to undo, e.g. "refunded order 42"
    call_id: Id | None = None  # the tool call whose effect was undone
    reason: str | None = None


class TaskAnomalyDetected(EventData, kw_only=True):
    """The task projection met a lifecycle transition that cannot happen; it applied it anyway."""

    event_id: Id  # the offending event (also this event's causationid)
    event_type: Id
    reason: Text
    from_status: TaskStatus | None = None  # none: no lifecycle event had been seen
    to_status: TaskStatus | None = None  # where the projection left the task


# -- context -------------------------------------------------------------------------------


class ContextRetrieved(EventData, kw_only=True):
    """Documents were retrieved into the agent's context, so its inputs can be audited."""

    query: Text
    retriever: str | None = None
    sources: list[str] = field(default_factory=list)
    document_ids: list[Id] = field(default_factory=list)


class ContextMemoryUpdated(EventData, kw_only=True):
    """An entry of the agent's long-term memory was written or deleted."""

    key: Id
    operation: Literal["upsert", "append", "delete"] = "upsert"
    value: Any = None
    namespace: str | None = None
    reason: str | None = None


class ContextPromptRendered(EventData, kw_only=True):
    """A prompt was rendered from a versioned template, so the exact prompt can be traced."""

    template_id: Id
    template_version: Id
    variables: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    prompt_sha256: str | None = None  # hash of the rendered text, when the text is not kept


# -- tool ----------------------------------------------------------------------------------


class ToolCallRequested(EventData, kw_only=True):
    """An agent intends to call a tool; governance may approve or deny it before it runs."""

    call_id: Id
    tool: Id  # e.g. "payments.refund"
    arguments: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


class ToolCallStarted(EventData, kw_only=True):
    """The tool call is actually executing (after any approval)."""

    call_id: Id
    tool: Id
    arguments: dict[str, Any] = field(default_factory=dict)


class ToolCallCompleted(EventData, kw_only=True):
    """The tool call returned a result."""

    call_id: Id
    tool: Id
    result: Any = None
    duration_ms: Millis | None = None


class ToolCallFailed(EventData, kw_only=True):
    """The tool call raised or timed out; ``retryable`` says whether a retry may help."""

    call_id: Id
    tool: Id
    error: Text
    error_type: str | None = None
    retryable: bool = False
    duration_ms: Millis | None = None


# -- governance ----------------------------------------------------------------------------


class GovernanceGuardrailChecked(EventData, kw_only=True):
    """A guardrail inspected an input, output or call, and passed or flagged it."""

    guardrail: Id
    passed: bool
    details: str | None = None
    call_id: Id | None = None


class GovernancePolicyDenied(EventData, kw_only=True):
    """A policy refused an action; the refusal itself is part of the evidence."""

    # A refused append names the refused event by id, type and digest (SHA-256, in hex, of
    # the canonical bytes it would have been stored as), never by content; suppressed counts
    # the refusals of the same principal the rate limit left unrecorded before this one.
    policy: Id
    action: Text
    reason: Text
    rule: str | None = None
    call_id: Id | None = None
    event_id: Id | None = None
    event_type: Id | None = None
    digest: str | None = None
    suppressed: Count | None = None


class GovernancePolicyFlagged(EventData, kw_only=True):
    """A policy's ``flag`` rule did not hold for an event it accepted all the same."""

    policy: Id
    rule: Text
    reason: Text
    event_id: Id
    event_type: Id


class GovernanceApprovalRequested(EventData, kw_only=True):
    """An action needs a human or agent sign-off before it may proceed."""

    approval_id: Id
    call_id: Id | None = None
    approver: Id | None = None  # who is asked, when known
    action: str | None = None
    reason: str | None = None


class GovernanceApprovalGranted(EventData, kw_only=True):
    """The approver allowed the action named by the approval request."""

    approval_id: Id
    call_id: Id | None = None
    approver: Id | None = None
    reason: str | None = None


class GovernanceApprovalRejected(EventData, kw_only=True):
    """The approver refused the action named by the approval request."""

    approval_id: Id
    call_id: Id | None = None
    approver: Id | None = None
    reason: str | None = None


class GovernanceEscalated(EventData, kw_only=True):
    """A decision was passed up to a human or a higher authority."""

    escalated_to: Id
    reason: Text
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    approval_id: Id | None = None
    call_id: Id | None = None


class GovernanceTypeRegistered(EventData, kw_only=True):
    """A user event type (or a new version) was stored in the ledger, for every process."""

    event_type: str
    version: Count
    spec: TypeSpec


class GovernanceErasurePerformed(EventData, kw_only=True):
    """A data subject's key was destroyed on request; their confidential data is unreadable."""

    erased_subject: Id  # the data subject's pseudonym, never a name
    reason: str | None = None
    requested_by: Id | None = None
    events_affected: Count | None = None
    keys_destroyed: Count | None = None


class GovernanceTokenCreated(EventData, kw_only=True):
    """An API token was issued to a principal; only the hash of its secret is recorded."""

    token_id: Id
    principal: Id
    hash: Text  # "sha256:<hex>" of the token's secret: the secret itself is never stored
    kind: str | None = None
    tenant: str | None = None
    expires: str | None = None  # RFC 3339; none: the token does not expire


class GovernanceTokenRevoked(EventData, kw_only=True):
    """An API token was revoked: from then on it authenticates nobody."""

    token_id: Id
    reason: str | None = None


class GovernancePolicyChanged(EventData, kw_only=True):
    """A ledger was opened with policies other than the last recorded: their full text."""

    # Canonical texts (JSON arrays of the [[rules]] and [[ordering]] tables; "" for none), so
    # the policy in force at any past moment can be shown, and proved like any event.
    access: str
    ordering: str
    digest: Text  # SHA-256, in hex, of access + "\n" + ordering


class GovernanceAdminPerformed(EventData, kw_only=True):
    """An administrative act changed the ledger's state outside its events: what, on what."""

    operation: Text  # group.moved, group.deleted, retention.enforced, key.rotated, deadletter.*
    target: str | None = None  # the consumer group, for a group's moves
    parameters: dict[str, Any] = field(default_factory=dict)
    outcome: dict[str, Any] = field(default_factory=dict)


# -- evaluation ----------------------------------------------------------------------------


class EvaluationScored(EventData, kw_only=True):
    """An evaluator (model, heuristic or human) scored the task's output on a metric."""

    metric: Id
    score: float
    evaluator: Id
    rationale: str | None = None
    target: Id | None = None  # id of the event evaluated, when not the task's outcome


class EvaluationFeedback(EventData, kw_only=True):
    """A user or reviewer rated the outcome (1 worst, 5 best), optionally with a comment."""

    rating: Annotated[int, Meta(ge=1, le=5)]
    comment: str | None = None
    by: Id | None = None
    target: Id | None = None


# -- state ---------------------------------------------------------------------------------


class StateSummary(EventData, kw_only=True):
    """The task's current state, compacted to the latest per task by the task projection."""

    status: TaskStatus
    last_event_type: Id
    last_event_id: Id | None = None
    updated_at: str | None = None  # the time of the last event applied
    goal: str | None = None
    priority: Priority | None = None
    assignee: Id | None = None
    attempts: Count = 0  # runs started so far: 0 before starting, 1 + the retries after
    parent_task: Id | None = None
    subtasks: list[Id] = field(default_factory=list)
    # tool calls requested or started but not yet finished, and approvals not yet decided
    open_calls: list[Id] = field(default_factory=list)
    pending_approvals: list[Id] = field(default_factory=list)
    error: str | None = None
    first_event_id: Id | None = None
    first_event_type: Id | None = None
    created_at: str | None = None  # the time of the first event applied: the task's age
    anomalies: Count = 0  # impossible transitions met (each a task.anomaly.detected)


# -- the catalogue -------------------------------------------------------------------------

_INTERNAL = Classification.INTERNAL
_CONFIDENTIAL = Classification.CONFIDENTIAL


def _builtin(
    type_: str,
    model: type[EventData],
    classification: Classification,
    kind: Kind = Kind.FACT,
) -> EventType:
    description = (model.__doc__ or "").strip()
    return EventType(
        type=type_,
        model=model,
        kind=kind,
        classification=classification,
        version=1,
        description=description,
        confidential=CONFIDENTIAL_FIELDS.get(type_, ()),
    )


CONFIDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "task.requested": ("goal", "inputs"),
    "task.checkpointed": ("state",),
    "task.completed": ("result", "summary"),
    "task.failed": ("error",),
    "context.retrieved": ("query",),
    "context.memory.updated": ("value",),
    "context.prompt.rendered": ("variables",),
    "tool.call.requested": ("arguments",),
    "tool.call.started": ("arguments",),
    "tool.call.completed": ("result",),
    "tool.call.failed": ("error",),
    "evaluation.feedback": ("comment",),
    "state.summary": ("goal",),  # derived from task.requested's goal: sealed as it is
}
"""The data fields of built-in types that may hold personal content (prompts, queries,
arguments, results, free text): encrypted when an event's classification calls for it.
Identifiers rules join on (``call_id``, ``tool``, ``approval_id``) are never among them."""


BUILTIN_TYPES: tuple[EventType, ...] = (
    _builtin("task.requested", TaskRequested, _INTERNAL, Kind.INTENT),
    _builtin("task.decomposed", TaskDecomposed, _INTERNAL),
    _builtin("task.assigned", TaskAssigned, _INTERNAL),
    _builtin("task.started", TaskStarted, _INTERNAL),
    _builtin("task.handed_off", TaskHandedOff, _INTERNAL),
    _builtin("task.checkpointed", TaskCheckpointed, _INTERNAL),
    _builtin("task.retried", TaskRetried, _INTERNAL),
    _builtin("task.completed", TaskCompleted, _INTERNAL),
    _builtin("task.failed", TaskFailed, _INTERNAL),
    _builtin("task.cancelled", TaskCancelled, _INTERNAL),
    _builtin("task.compensated", TaskCompensated, _INTERNAL),
    _builtin("task.anomaly.detected", TaskAnomalyDetected, _INTERNAL),
    _builtin("context.retrieved", ContextRetrieved, _CONFIDENTIAL),
    _builtin("context.memory.updated", ContextMemoryUpdated, _CONFIDENTIAL),
    _builtin("context.prompt.rendered", ContextPromptRendered, _CONFIDENTIAL),
    _builtin("tool.call.requested", ToolCallRequested, _INTERNAL, Kind.INTENT),
    _builtin("tool.call.started", ToolCallStarted, _INTERNAL),
    _builtin("tool.call.completed", ToolCallCompleted, _INTERNAL),
    _builtin("tool.call.failed", ToolCallFailed, _INTERNAL),
    _builtin("governance.guardrail.checked", GovernanceGuardrailChecked, _CONFIDENTIAL),
    _builtin("governance.policy.denied", GovernancePolicyDenied, _CONFIDENTIAL),
    _builtin("governance.policy.flagged", GovernancePolicyFlagged, _CONFIDENTIAL),
    _builtin(
        "governance.approval.requested",
        GovernanceApprovalRequested,
        _CONFIDENTIAL,
        Kind.INTENT,
    ),
    _builtin("governance.approval.granted", GovernanceApprovalGranted, _CONFIDENTIAL),
    _builtin("governance.approval.rejected", GovernanceApprovalRejected, _CONFIDENTIAL),
    _builtin("governance.escalated", GovernanceEscalated, _CONFIDENTIAL),
    _builtin("governance.erasure.performed", GovernanceErasurePerformed, _CONFIDENTIAL),
    _builtin("governance.token.created", GovernanceTokenCreated, _CONFIDENTIAL),
    _builtin("governance.token.revoked", GovernanceTokenRevoked, _CONFIDENTIAL),
    _builtin("governance.policy.changed", GovernancePolicyChanged, _CONFIDENTIAL),
    _builtin("governance.admin.performed", GovernanceAdminPerformed, _CONFIDENTIAL),
    _builtin("governance.type.registered", GovernanceTypeRegistered, _CONFIDENTIAL),
    _builtin("evaluation.scored", EvaluationScored, _INTERNAL),
    _builtin("evaluation.feedback", EvaluationFeedback, _INTERNAL),
    _builtin("state.summary", StateSummary, _INTERNAL),
)
"""Every built-in type, version 1, in the order of the VISION §3 catalogue."""
