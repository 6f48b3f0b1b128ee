"""The recorder: runs, causation chains, trace context, the approval gate, failing closed."""

import asyncio
import logging
import re
from typing import Any

import pytest

from fleetledger import Event, Ledger, NotRecorded, PolicyViolation, ReadOnlyLedger, Recorder
from fleetledger.adapters import Approval, Run, ToolCall

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-01$")


def refund(run: Run) -> ToolCall:
    return run.tool_call("payments.refund", {"amount": "42.00"}, call_id="call-1")


def invoke(calls: list[str], result: Any = "done") -> Any:
    async def tool() -> Any:
        calls.append("ran")
        return result

    return tool


def story(ledger: Ledger, run: Run) -> list[Event]:
    return list(ledger.replay(run.task))


def a_run(ledger: Ledger) -> Run:
    run = Recorder(ledger, tenant="acme").start_run("refund order 991", agent="triage")
    run.started("triage")
    asyncio.run(run.tool_call("orders.lookup", {"order": 991}).run_async(invoke([])))
    run.handed_off("payments", reason="a refund")
    run.completed("refunded")
    return run


def test_every_event_of_a_run_shares_its_correlation_id_tenant_and_trace(ledger: Ledger) -> None:
    """One run, one correlation id, one tenant, one W3C trace."""
    run = a_run(ledger)
    events = story(ledger, run)
    assert {e.correlationid for e in events} == {run.correlation_id}
    assert {e.tenant for e in events} == {"acme"}
    assert {TRACEPARENT.match(e.traceparent or "")[1] for e in events} == {run.trace_id}  # type: ignore[index]


def test_each_event_has_a_span_of_its_own(ledger: Ledger) -> None:
    """A new span id per event, in the run's trace."""
    events = story(ledger, a_run(ledger))
    spans = [TRACEPARENT.match(e.traceparent or "")[2] for e in events]  # type: ignore[index]
    assert len(set(spans)) == len(events)


def test_each_event_is_caused_by_the_one_before(ledger: Ledger) -> None:
    """The causation chain runs through the whole run, tool call included."""
    events = story(ledger, a_run(ledger))
    assert events[0].causationid is None
    assert [e.causationid for e in events[1:]] == [e.id for e in events[:-1]]


def test_the_agent_acting_is_stamped_and_follows_a_handoff(ledger: Ledger) -> None:
    """agentid is the agent acting: triage until the handoff, payments after."""
    events = story(ledger, a_run(ledger))
    agents = [(e.type, e.agentid) for e in events]
    assert agents[-2:] == [("task.handed_off", "triage"), ("task.completed", "payments")]
    assert next(e.data for e in events if e.type == "task.handed_off")["to_agent"] == "payments"


def test_a_tool_call_is_requested_started_and_completed_with_its_result(ledger: Ledger) -> None:
    """The three events of a call carry its call id, tool, arguments and result."""
    events = story(ledger, a_run(ledger))
    calls = [e for e in events if e.family == "tool"]
    assert [e.type for e in calls] == [
        "tool.call.requested",
        "tool.call.started",
        "tool.call.completed",
    ]
    assert len({e.data["call_id"] for e in calls}) == 1
    assert calls[0].data["arguments"] == {"order": 991}
    assert calls[2].data["result"] == "done"


def test_a_tool_that_raises_is_recorded_as_failed_and_the_error_raised_again(
    ledger: Ledger,
) -> None:
    """tool.call.failed carries the error and its type; the caller still sees the error."""
    run = Recorder(ledger).start_run("look up")

    async def broken() -> None:
        raise TimeoutError("no answer in 5 s")

    with pytest.raises(TimeoutError):
        asyncio.run(run.tool_call("orders.lookup").run_async(broken))
    failed = story(ledger, run)[-1]
    assert (failed.type, failed.data["error"], failed.data["error_type"]) == (
        "tool.call.failed",
        "no answer in 5 s",
        "TimeoutError",
    )


def test_a_call_an_ordering_rule_refuses_does_not_run(ledger: Ledger) -> None:
    """No approval: the ledger refuses tool.call.started, the tool is never invoked."""
    calls: list[str] = []
    run = Recorder(ledger).start_run("refund")
    with pytest.raises(PolicyViolation, match="payments need an approval"):
        asyncio.run(refund(run).run_async(invoke(calls)))
    assert calls == []


def test_a_refusal_is_recorded_by_the_ledger_and_in_the_run(ledger: Ledger) -> None:
    """governance.policy.denied (the ledger's) and tool.call.failed (the run's) record it."""
    run = Recorder(ledger).start_run("refund")
    with pytest.raises(PolicyViolation):
        asyncio.run(refund(run).run_async(invoke([])))
    types = [e.type for e in story(ledger, run)]
    assert "governance.policy.denied" in types
    failed = story(ledger, run)[-1]
    assert (failed.type, failed.data["error_type"]) == ("tool.call.failed", "PolicyViolation")


def test_an_approved_call_runs_with_the_approver_recorded(ledger: Ledger) -> None:
    """The approver's grant comes first, and the started call's bytes link to it."""
    calls: list[str] = []
    run = Recorder(ledger).start_run("refund")
    approve = lambda call: Approval(True, "alice", f"{call.tool} is fine")  # noqa: E731
    assert asyncio.run(refund(run).run_async(invoke(calls), approver=approve)) == "done"
    events = {e.type: e for e in story(ledger, run)}
    granted = events["governance.approval.granted"]
    assert (calls, granted.data["approver"]) == (["ran"], "alice")
    assert events["tool.call.started"].orderedafter == granted.id


def test_a_rejected_call_does_not_run(ledger: Ledger) -> None:
    """A rejection is recorded, and the ordering rule then refuses the call."""
    calls: list[str] = []
    run = Recorder(ledger).start_run("refund")
    reject = lambda call: Approval(False, "alice", "too much")  # noqa: E731
    with pytest.raises(PolicyViolation):
        asyncio.run(refund(run).run_async(invoke(calls), approver=reject))
    assert calls == []
    assert "governance.approval.rejected" in [e.type for e in story(ledger, run)]


def test_failing_closed_a_closed_ledger_keeps_the_tool_from_running(
    ledger: Ledger, url: str
) -> None:
    """The ledger cannot record the request: NotRecorded, and the tool never runs."""
    calls: list[str] = []
    run = Recorder(ledger).start_run("look up")
    ledger.close()
    with pytest.raises(NotRecorded, match=r"orders\.lookup") as caught:
        asyncio.run(run.tool_call("orders.lookup").run_async(invoke(calls)))
    assert (calls, caught.value.event_type) == ([], "tool.call.requested")


def test_failing_closed_a_read_only_ledger_keeps_the_tool_from_running(readonly: Ledger) -> None:
    """A ledger opened for reading cannot record: the run cannot even open."""
    calls: list[str] = []
    recorder = Recorder(readonly)
    with pytest.raises(ReadOnlyLedger):
        recorder.start_run("look up")
    run = Run(recorder, "task-ro", trace_id=None, agent=None)
    with pytest.raises(NotRecorded):
        asyncio.run(run.tool_call("orders.lookup").run_async(invoke(calls)))
    assert calls == []


def test_failing_open_the_tool_runs_and_what_was_lost_is_logged(
    closed: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    """fail_closed=False: nothing recorded, a warning per event, the call's result returned."""
    calls: list[str] = []
    with caplog.at_level(logging.WARNING, logger="fleetledger.adapters"):
        run = Recorder(closed, fail_closed=False).start_run("look up")
        result = asyncio.run(run.tool_call("orders.lookup").run_async(invoke(calls)))
    assert (calls, result) == (["ran"], "done")
    assert "could not record tool.call.started" in caplog.text


def test_a_recorded_run_exports_as_the_genai_spans_the_mapping_table_names(ledger: Ledger) -> None:
    """The recorder's events become invoke_agent and execute_tool spans in the run's trace."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import (  # noqa: PLC0415
        InMemorySpanExporter,
    )

    from fleetledger.observe.genai import export_events  # noqa: PLC0415

    run = a_run(ledger)
    exporter = InMemorySpanExporter()
    export_events(story(ledger, run), exporter)
    spans = {s.name: s for s in exporter.get_finished_spans()}
    tool = spans["execute_tool orders.lookup"]
    assert {"invoke_agent triage", "invoke_agent payments"} <= set(spans)
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.name"] == "orders.lookup"
    assert {f"{s.context.trace_id:032x}" for s in spans.values()} == {run.trace_id}
