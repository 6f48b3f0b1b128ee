"""The built-in catalogue: every VISION §3 type, its kind, classification and data model."""

from typing import Any

import msgspec
import pytest

from fleetledger.errors import ContractError
from fleetledger.events.catalogue import BUILTIN_TYPES, TaskRequested
from fleetledger.events.registry import Classification, EventType, Kind, TypeRegistry

VISION_TYPES = [
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
    "task.anomaly.detected",
    "context.retrieved",
    "context.memory.updated",
    "context.prompt.rendered",
    "tool.call.requested",
    "tool.call.started",
    "tool.call.completed",
    "tool.call.failed",
    "governance.guardrail.checked",
    "governance.policy.denied",
    "governance.policy.flagged",
    "governance.approval.requested",
    "governance.approval.granted",
    "governance.approval.rejected",
    "governance.escalated",
    "governance.erasure.performed",
    "governance.token.created",
    "governance.token.revoked",
    "governance.policy.changed",
    "governance.admin.performed",
    "governance.type.registered",
    "evaluation.scored",
    "evaluation.feedback",
    "state.summary",
]

# The smallest valid data of each type: every key here is a required field.
EXAMPLES: dict[str, dict[str, Any]] = {
    "task.requested": {"goal": "refund order 42"},
    "task.decomposed": {"subtasks": ["task-2", "task-3"]},
    "task.assigned": {"assignee": "agent-billing"},
    "task.started": {},
    "task.handed_off": {"from_agent": "agent-triage", "to_agent": "agent-billing"},
    "task.checkpointed": {},
    "task.retried": {"attempt": 1},
    "task.completed": {},
    "task.failed": {"error": "card processor unavailable"},
    "task.cancelled": {},
    "task.compensated": {"action": "reversed refund r-9"},
    "task.anomaly.detected": {
        "event_id": "evt-1",
        "event_type": "task.started",
        "reason": "task.started before any task.requested",
    },
    "context.retrieved": {"query": "refund policy for damaged goods"},
    "context.memory.updated": {"key": "customer.42.preferred_channel"},
    "context.prompt.rendered": {"template_id": "refund-triage", "template_version": "3"},
    "tool.call.requested": {"call_id": "call-1", "tool": "payments.refund"},
    "tool.call.started": {"call_id": "call-1", "tool": "payments.refund"},
    "tool.call.completed": {"call_id": "call-1", "tool": "payments.refund"},
    "tool.call.failed": {"call_id": "call-1", "tool": "payments.refund", "error": "timeout"},
    "governance.guardrail.checked": {"guardrail": "pii-filter", "passed": True},
    "governance.policy.denied": {
        "policy": "payments",
        "action": "tool.call.started payments.refund",
        "reason": "no approval granted for call-1",
    },
    "governance.policy.flagged": {
        "policy": "ordering",
        "rule": "payments need an approval",
        "reason": "no approval granted for call-1",
        "event_id": "evt-1",
        "event_type": "tool.call.started",
    },
    "governance.approval.requested": {"approval_id": "appr-1"},
    "governance.approval.granted": {"approval_id": "appr-1"},
    "governance.approval.rejected": {"approval_id": "appr-1"},
    "governance.escalated": {"escalated_to": "oncall-finance", "reason": "amount above limit"},
    "governance.erasure.performed": {"erased_subject": "customer-42"},
    "governance.token.created": {"token_id": "0a1b", "principal": "planner", "hash": "sha256:00"},
    "governance.token.revoked": {"token_id": "0a1b"},
    "governance.policy.changed": {"access": "[]", "ordering": "", "digest": "e3b0"},
    "governance.admin.performed": {"operation": "group.deleted"},
    "governance.type.registered": {
        "event_type": "billing.paid",
        "version": 1,
        "spec": {
            "type": "billing.paid",
            "fields": {},
            "version": 1,
            "kind": "fact",
            "classification": "internal",
            "description": "",
            "confidential": [],
        },
    },
    "evaluation.scored": {"metric": "faithfulness", "score": 0.92, "evaluator": "judge-v1"},
    "evaluation.feedback": {"rating": 4},
    "state.summary": {"status": "running", "last_event_type": "task.started"},
}

TYPES = {event_type.type: event_type for event_type in BUILTIN_TYPES}
REQUIRED_FIELDS = [(name, key) for name, example in EXAMPLES.items() for key in example]


def validate(type_: str, data: Any) -> dict[str, Any]:
    return TYPES[type_].validate(data)


def contract_error(type_: str, data: Any) -> ContractError:
    with pytest.raises(ContractError) as info:
        validate(type_, data)
    return info.value


def test_every_vision_type_is_in_the_catalogue_exactly_once() -> None:
    """Each type named in VISION §3 appears once in BUILTIN_TYPES."""
    names = [event_type.type for event_type in BUILTIN_TYPES]
    assert sorted(names) == sorted(VISION_TYPES)


def test_the_catalogue_follows_the_vision_order() -> None:
    """BUILTIN_TYPES lists the types in the order of the VISION §3 table."""
    assert [event_type.type for event_type in BUILTIN_TYPES] == VISION_TYPES


def test_the_catalogue_spans_exactly_the_six_vision_families() -> None:
    """The built-in families are task, context, tool, governance, evaluation and state."""
    families = {event_type.family for event_type in BUILTIN_TYPES}
    assert families == {"task", "context", "tool", "governance", "evaluation", "state"}


@pytest.mark.parametrize("type_", VISION_TYPES)
def test_a_type_is_an_intent_exactly_when_it_ends_with_requested(type_: str) -> None:
    """Intents are the *.requested types; everything else is a fact."""
    expected = Kind.INTENT if type_.endswith(".requested") else Kind.FACT
    assert TYPES[type_].kind is expected


@pytest.mark.parametrize("type_", VISION_TYPES)
def test_governance_and_context_are_confidential_and_the_rest_internal(type_: str) -> None:
    """Governance and context data default to confidential, other families to internal."""
    sensitive = TYPES[type_].family in {"governance", "context"}
    expected = Classification.CONFIDENTIAL if sensitive else Classification.INTERNAL
    assert TYPES[type_].classification is expected


def test_every_built_in_type_is_version_one() -> None:
    """The catalogue ships the first version of every type."""
    assert {event_type.version for event_type in BUILTIN_TYPES} == {1}


def test_every_model_has_a_one_line_docstring() -> None:
    """Each data model says in one line what its event means."""
    for event_type in BUILTIN_TYPES:
        doc = event_type.model.__doc__ or ""
        assert doc.strip(), event_type.type
        assert "\n" not in doc.strip(), event_type.type


def test_every_type_describes_itself_with_its_model_docstring() -> None:
    """A type's description is the one-line docstring of its data model."""
    for event_type in BUILTIN_TYPES:
        assert event_type.description == (event_type.model.__doc__ or "").strip()


def test_every_type_has_its_own_model() -> None:
    """No two built-in types share a data model class."""
    models = [event_type.model for event_type in BUILTIN_TYPES]
    assert len(set(models)) == len(models)


def test_every_catalogue_type_has_an_example() -> None:
    """The EXAMPLES table of this module covers exactly the catalogue."""
    assert set(EXAMPLES) == set(TYPES)


def test_the_catalogue_registers_cleanly_into_a_registry() -> None:
    """A TypeRegistry built from BUILTIN_TYPES knows every type under its name."""
    registry = TypeRegistry(BUILTIN_TYPES)
    assert dict(registry.types()) == dict(sorted(TYPES.items()))


@pytest.mark.parametrize("type_", VISION_TYPES)
def test_every_catalogue_type_accepts_its_minimal_example(type_: str) -> None:
    """The minimal example validates and comes back with every model field present."""
    result = validate(type_, EXAMPLES[type_])
    fields = set(TYPES[type_].model.__struct_fields__)
    assert set(result) == fields
    assert {key: result[key] for key in EXAMPLES[type_]} == EXAMPLES[type_]


@pytest.mark.parametrize("type_", VISION_TYPES)
def test_validated_data_survives_a_json_round_trip(type_: str) -> None:
    """Validated data encodes to JSON and validates back to the same value."""
    result = validate(type_, EXAMPLES[type_])
    assert validate(type_, msgspec.json.decode(msgspec.json.encode(result))) == result


@pytest.mark.parametrize(("type_", "key"), REQUIRED_FIELDS)
def test_a_missing_required_field_is_named_in_the_contract_error(type_: str, key: str) -> None:
    """Dropping any required field raises ContractError whose field is data.<name>."""
    data = {k: v for k, v in EXAMPLES[type_].items() if k != key}
    assert contract_error(type_, data).field == f"data.{key}"


@pytest.mark.parametrize(("type_", "key"), REQUIRED_FIELDS)
def test_a_wrong_field_type_is_named_in_the_contract_error(type_: str, key: str) -> None:
    """An object where a scalar or list belongs raises ContractError naming the field (or,
    where the field is itself an object of known keys, the key inside it)."""
    data = {**EXAMPLES[type_], key: {"not": "this"}}
    assert contract_error(type_, data).field in (f"data.{key}", f"data.{key}.not")


@pytest.mark.parametrize("type_", VISION_TYPES)
def test_an_unknown_field_is_named_in_the_contract_error(type_: str) -> None:
    """A field the model does not declare is refused, so typos surface at append."""
    data = {**EXAMPLES[type_], "colour": "blue"}
    assert contract_error(type_, data).field == "data.colour"


def test_task_requested_fills_in_its_defaults() -> None:
    """A bare goal comes back with normal priority, no requester and empty inputs."""
    assert validate("task.requested", {"goal": "refund order 42"}) == {
        "goal": "refund order 42",
        "priority": "normal",
        "requested_by": None,
        "deadline": None,
        "parent_task": None,
        "inputs": {},
    }


def test_tool_call_failed_is_not_retryable_by_default() -> None:
    """A tool failure is assumed permanent unless the writer says otherwise."""
    assert validate("tool.call.failed", EXAMPLES["tool.call.failed"])["retryable"] is False


def test_none_data_is_read_as_an_empty_object() -> None:
    """A type with no required field accepts data=None."""
    assert validate("task.started", None) == {"agent": None}


def test_none_data_still_needs_the_required_fields() -> None:
    """data=None for task.requested is refused for lacking a goal."""
    assert contract_error("task.requested", None).field == "data.goal"


def test_data_that_is_not_an_object_is_refused() -> None:
    """A string as data raises ContractError rather than passing through."""
    assert isinstance(contract_error("task.started", "go"), ContractError)


def test_an_empty_goal_is_refused() -> None:
    """An empty string does not count as a goal."""
    assert contract_error("task.requested", {"goal": ""}).field == "data.goal"


def test_an_unknown_priority_is_refused() -> None:
    """Priority is one of low, normal, high, urgent."""
    data = {"goal": "refund", "priority": "asap"}
    assert contract_error("task.requested", data).field == "data.priority"


def test_a_decomposition_needs_at_least_one_subtask() -> None:
    """task.decomposed with an empty subtask list is refused."""
    assert contract_error("task.decomposed", {"subtasks": []}).field == "data.subtasks"


def test_an_empty_subtask_id_is_named_by_its_index() -> None:
    """A blank id inside subtasks is reported at data.subtasks[<index>]."""
    data = {"subtasks": ["task-2", ""]}
    assert contract_error("task.decomposed", data).field == "data.subtasks[1]"


def test_a_retry_attempt_below_one_is_refused() -> None:
    """task.retried counts retries from 1."""
    assert contract_error("task.retried", {"attempt": 0}).field == "data.attempt"


@pytest.mark.parametrize("rating", [0, 6])
def test_a_feedback_rating_outside_one_to_five_is_refused(rating: int) -> None:
    """evaluation.feedback ratings run from 1 to 5."""
    assert contract_error("evaluation.feedback", {"rating": rating}).field == "data.rating"


def test_checkpoint_progress_above_one_is_refused() -> None:
    """Progress is a fraction between 0 and 1."""
    assert contract_error("task.checkpointed", {"progress": 1.5}).field == "data.progress"


def test_a_negative_tool_duration_is_refused() -> None:
    """A tool call cannot take less than no time."""
    data = {**EXAMPLES["tool.call.completed"], "duration_ms": -1.0}
    assert contract_error("tool.call.completed", data).field == "data.duration_ms"


def test_an_empty_optional_id_is_refused_when_given() -> None:
    """An optional id may be null but not the empty string."""
    data = {"approval_id": "appr-1", "call_id": ""}
    assert contract_error("governance.approval.granted", data).field == "data.call_id"


def test_an_unknown_task_status_is_refused_in_a_summary() -> None:
    """state.summary only carries statuses of the task lifecycle."""
    data = {"status": "pondering", "last_event_type": "task.started"}
    assert contract_error("state.summary", data).field == "data.status"


def test_every_tool_call_type_carries_the_call_id_and_tool() -> None:
    """call_id and tool are required on all four tool.call types, to join them up."""
    for type_ in VISION_TYPES:
        if type_.startswith("tool.call."):
            assert {"call_id", "tool"} <= set(EXAMPLES[type_]), type_


def test_every_approval_type_carries_the_approval_id() -> None:
    """approval_id is required on requested, granted and rejected, to join them up."""
    for type_ in VISION_TYPES:
        if type_.startswith("governance.approval."):
            assert "approval_id" in EXAMPLES[type_], type_


def test_default_containers_are_not_shared_between_instances() -> None:
    """Two events built without inputs get distinct dictionaries."""
    first, second = TaskRequested(goal="a"), TaskRequested(goal="b")
    first.inputs["k"] = 1
    assert second.inputs == {}


def test_models_are_keyword_only() -> None:
    """Data models cannot be built positionally, so field order never matters."""
    with pytest.raises(TypeError):
        TaskRequested("refund")  # type: ignore[call-arg]


def test_every_entry_is_an_event_type() -> None:
    """BUILTIN_TYPES holds EventType values, ready to register."""
    assert all(isinstance(event_type, EventType) for event_type in BUILTIN_TYPES)
