"""The OpenAI Agents SDK adapter: runs of SDK agents on a scripted model, recorded offline."""

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from agents import (
    Agent,
    FunctionTool,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    RunConfig,
    Runner,
    function_tool,
    input_guardrail,
    set_trace_processors,
)

from fleetledger import Event, Ledger, Recorder
from fleetledger.adapters import Approval
from fleetledger.adapters.openai_agents import (
    LedgerTracingProcessor,
    ToolNotRecorded,
    governed,
)
from fleetledger.demo.agents_sdk import ScriptedModel, say, use_tool


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No API key, tracing on but sent nowhere but the processors a test installs."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_AGENTS_DISABLE_TRACING", raising=False)
    set_trace_processors([])
    yield
    set_trace_processors([])


@pytest.fixture
def recorder(ledger: Ledger) -> Recorder:
    recorder = Recorder(ledger, tenant="acme")
    set_trace_processors([LedgerTracingProcessor(recorder)])
    return recorder


ran: list[str] = []


@function_tool
def lookup_order(order: int) -> str:
    """Look an order up."""
    ran.append("lookup_order")
    return f"order {order}: 42.00"


@function_tool
def broken_lookup(order: int) -> str:
    """A lookup whose database is down."""
    raise ConnectionError(f"database down while reading order {order}")


@function_tool(name_override="payments.refund")
def refund(order: int) -> str:
    """Refund an order."""
    ran.append("payments.refund")
    return f"refunded order {order}"


@pytest.fixture(autouse=True)
def nothing_ran() -> None:
    ran.clear()


def go(agent: Agent[Any], task: str = "task-1") -> str:
    """Run ``agent`` on a request, as task ``task``; its final output."""
    config = RunConfig(workflow_name="refund", trace_metadata={"task": task, "goal": "refund 991"})
    result = asyncio.run(Runner.run(agent, "refund order 991", run_config=config, max_turns=6))
    return str(result.final_output)


def triage(tools: list[FunctionTool], *turns: list[Any], **options: Any) -> Agent[Any]:
    """A triage agent, handing off to payments, on one script for both."""
    model = ScriptedModel(turns)
    payments = Agent(name="payments", model=model, tools=tools)
    return Agent(name="triage", model=model, tools=[lookup_order], handoffs=[payments], **options)


def types(ledger: Ledger, task: str = "task-1") -> list[str]:
    return [e.type for e in ledger.replay(task)]


def of_type(ledger: Ledger, kind: str, task: str = "task-1") -> list[Event]:
    return [e for e in ledger.replay(task) if e.type == kind]


REFUND = (
    [use_tool("transfer_to_payments", {}, "c-hand")],
    [use_tool("payments.refund", {"order": 991}, "c-refund")],
)


def test_a_run_its_tool_call_and_its_handoff_are_recorded_in_order(
    ledger: Ledger, recorder: Recorder
) -> None:
    """requested, started, the tool call, the handoff, the payments agent's turn, completed."""
    agent = triage(
        [],
        [use_tool("lookup_order", {"order": 991}, "c-look")],
        [use_tool("transfer_to_payments", {}, "c-hand")],
        [say("done")],
    )
    assert go(agent) == "done"
    assert types(ledger) == [
        "task.requested",
        "task.started",
        "tool.call.started",
        "tool.call.completed",
        "task.handed_off",
        "task.completed",
    ]
    handoff = of_type(ledger, "task.handed_off")[0]
    assert (handoff.data["from_agent"], handoff.data["to_agent"]) == ("triage", "payments")


def test_the_run_is_one_trace_the_sdk_trace_with_one_correlation_id(
    ledger: Ledger, recorder: Recorder
) -> None:
    """Every event carries the SDK trace's id as its W3C trace id, and one correlation id."""
    go(triage([], [use_tool("lookup_order", {"order": 1}, "c")], [say("ok")]))
    events = list(ledger.replay("task-1"))
    assert len({e.traceparent.split("-")[1] for e in events if e.traceparent}) == 1
    assert len({e.correlationid for e in events}) == 1
    assert [e.causationid for e in events[1:]] == [e.id for e in events[:-1]]


def test_a_tool_that_raises_is_recorded_as_a_failed_call(
    ledger: Ledger, recorder: Recorder
) -> None:
    """The SDK tells the model the tool failed; the ledger says so too."""
    go(
        triage(
            [broken_lookup],
            REFUND[0],
            [use_tool("broken_lookup", {"order": 1}, "c")],
            [say("sorry")],
        )
    )
    failed = of_type(ledger, "tool.call.failed")[0]
    assert failed.data["tool"] == "broken_lookup"


def test_guardrail_results_are_recorded(ledger: Ledger, recorder: Recorder) -> None:
    """A guardrail that passes leaves governance.guardrail.checked with passed=true."""

    @input_guardrail
    async def polite(context: Any, agent: Any, text: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=False)

    go(triage([], [say("hello")], input_guardrails=[polite]))
    checked = of_type(ledger, "governance.guardrail.checked")[0]
    assert (checked.data["guardrail"], checked.data["passed"]) == ("polite", True)


def test_a_tripped_guardrail_fails_the_run(ledger: Ledger, recorder: Recorder) -> None:
    """A tripwire: passed=false, and the run ends as task.failed."""

    @input_guardrail
    async def no_refunds(context: Any, agent: Any, text: Any) -> GuardrailFunctionOutput:
        return GuardrailFunctionOutput(output_info=None, tripwire_triggered=True)

    with pytest.raises(InputGuardrailTripwireTriggered):
        go(triage([], [say("hello")], input_guardrails=[no_refunds]))
    assert of_type(ledger, "governance.guardrail.checked")[0].data["passed"] is False
    assert types(ledger)[-1] == "task.failed"


def test_a_governed_tool_nobody_approved_does_not_run(ledger: Ledger, recorder: Recorder) -> None:
    """The ledger's rule refuses the call: the model is told, the refusal is recorded."""
    agent = triage([governed(refund, recorder)], *REFUND, [say("it needs approval")])
    assert go(agent) == "it needs approval"
    assert ran == []
    assert "governance.policy.denied" in types(ledger)
    assert of_type(ledger, "tool.call.failed")[0].data["error_type"] == "PolicyViolation"


def test_a_governed_tool_runs_once_approved_with_the_approver_recorded(
    ledger: Ledger, recorder: Recorder
) -> None:
    """The approver's grant, under the model's own call id, lets the call start."""
    alice = lambda call: Approval(True, "alice")  # noqa: E731
    go(triage([governed(refund, recorder, approver=alice)], *REFUND, [say("refunded")]))
    assert ran == ["payments.refund"]
    granted = of_type(ledger, "governance.approval.granted")[0]
    assert (granted.data["approver"], granted.data["call_id"]) == ("alice", "c-refund")
    assert of_type(ledger, "tool.call.started")[-1].orderedafter == granted.id


def test_failing_closed_a_call_the_ledger_cannot_record_does_not_run(
    ledger: Ledger, recorder: Recorder
) -> None:
    """A closed ledger: ToolNotRecorded out of the run, and the tool never ran."""
    agent = triage([governed(refund, recorder)], *REFUND, [say("never")])
    ledger.close()
    with pytest.raises(ToolNotRecorded, match="did not run"):
        go(agent)
    assert ran == []


def test_failing_open_a_call_the_ledger_cannot_record_runs(ledger: Ledger) -> None:
    """fail_closed=False: the same call runs, and the run ends normally."""
    recorder = Recorder(ledger, fail_closed=False)
    set_trace_processors([LedgerTracingProcessor(recorder)])
    approve = lambda call: Approval(True, "alice")  # noqa: E731
    agent = triage([governed(refund, recorder, approver=approve)], *REFUND, [say("refunded")])
    ledger.close()
    assert go(agent) == "refunded"
    assert ran == ["payments.refund"]
