"""Traces: consumer spans continue an event's trace; tasks export as GenAI spans over OTLP."""

from __future__ import annotations

import importlib
import re
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from typer.testing import CliRunner

import fleetledger
from fleetledger import Ledger, MissingExtra
from fleetledger.cli.app import app
from fleetledger.observe.genai import export_events
from fleetledger.observe.tracing import handling, task_trace_id

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with fleetledger.open(f"sqlite:///{tmp_path}/l.db", default_source="tests") as opened:
        yield opened


def work(ledger: Ledger, task: str = "t-1", traceparent: str | None = None) -> None:
    """A task: assigned to a planner, handed to an executor that calls a tool under a
    guardrail, completed, then scored."""
    seen = {"traceparent": traceparent} if traceparent else {}
    events: list[dict[str, Any]] = [
        {"type": "task.requested", "data": {"goal": "refund"}, "conversationid": "conv-1"},
        {"type": "task.assigned", "data": {"assignee": "planner"}},
        {"type": "task.started", "agentid": "planner"},
        {"type": "task.handed_off", "data": {"from_agent": "planner", "to_agent": "executor"}},
        {
            "type": "governance.guardrail.checked",
            "agentid": "executor",
            "data": {"guardrail": "pii", "passed": True, "call_id": "c-1"},
        },
        {
            "type": "tool.call.started",
            "agentid": "executor",
            "data": {"call_id": "c-1", "tool": "payments.refund"},
        },
        {
            "type": "tool.call.failed",
            "agentid": "executor",
            "data": {
                "call_id": "c-1",
                "tool": "payments.refund",
                "error": "timeout",
                "error_type": "TimeoutError",
            },
        },
        {"type": "task.completed", "agentid": "executor", "data": {}},
        {
            "type": "evaluation.scored",
            "data": {
                "metric": "helpfulness",
                "score": 0.75,
                "evaluator": "judge",
                "rationale": "mostly right",
            },
        },
    ]
    ledger.append_many([{**e, "subject": task, **seen} for e in events])


def spans_of(ledger: Ledger, task: str = "t-1") -> dict[str, Any]:
    exporter = InMemorySpanExporter()
    export_events(list(ledger.replay(task)), exporter)
    return {span.name: span for span in exporter.get_finished_spans()}


def test_a_consumer_span_is_a_child_of_the_events_traceparent(ledger: Ledger) -> None:
    """handling() opens a CONSUMER span in the writer's trace, under its span, with the
    messaging attributes of the group and the event."""
    ledger.append("task.started", subject="t-1", traceparent=f"00-{TRACE}-{PARENT}-01")
    (event,) = ledger.replay("t-1")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with handling(event, group="audit", handler="mod:fn", tracer_provider=provider):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.kind is SpanKind.CONSUMER
    assert span.context.trace_id == int(TRACE, 16)
    assert span.parent is not None
    assert span.parent.span_id == int(PARENT, 16)
    assert span.name == f"process {ledger.topic('task')}"
    assert span.attributes["messaging.consumer.group.name"] == "audit"
    assert span.attributes["messaging.message.id"] == event.id


def test_agents_turns_become_invoke_agent_spans_split_at_the_handoff(ledger: Ledger) -> None:
    """The planner's span ends at the handoff (with a fleetledger.handoff event), the
    executor's starts there; both are children of the task span and carry the conversation."""
    work(ledger)
    spans = spans_of(ledger)
    planner, executor = spans["invoke_agent planner"], spans["invoke_agent executor"]
    root = spans["fleetledger.task t-1"]
    assert planner.end_time == executor.start_time
    assert [e.name for e in planner.events] == ["fleetledger.handoff"]
    assert planner.parent.span_id == executor.parent.span_id == root.context.span_id
    assert planner.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert planner.attributes["gen_ai.agent.id"] == "planner"
    assert executor.attributes["gen_ai.conversation.id"] == "conv-1"
    assert root.context.trace_id == task_trace_id("t-1")


def test_a_tool_call_becomes_an_execute_tool_span_of_its_agent(ledger: Ledger) -> None:
    """tool.call.started→failed is one execute_tool span under the calling agent, in error."""
    work(ledger)
    spans = spans_of(ledger)
    tool, executor = spans["execute_tool payments.refund"], spans["invoke_agent executor"]
    assert tool.parent.span_id == executor.context.span_id
    assert tool.attributes["gen_ai.tool.call.id"] == "c-1"
    assert tool.attributes["gen_ai.tool.name"] == "payments.refund"
    assert tool.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool.attributes["error.type"] == "TimeoutError"
    assert not tool.status.is_ok
    assert "fleetledger.guardrail.checked" in [e.name for e in executor.events]


def test_a_score_becomes_a_gen_ai_evaluation_result_event(ledger: Ledger) -> None:
    """evaluation.scored is a gen_ai.evaluation.result span event with name, score, reason."""
    work(ledger)
    root = spans_of(ledger)["fleetledger.task t-1"]
    (result,) = [e for e in root.events if e.name == "gen_ai.evaluation.result"]
    assert result.attributes["gen_ai.evaluation.name"] == "helpfulness"
    assert result.attributes["gen_ai.evaluation.score.value"] == 0.75
    assert result.attributes["gen_ai.evaluation.explanation"] == "mostly right"


def test_a_tasks_traceparent_is_the_parent_of_its_spans(ledger: Ledger) -> None:
    """With a traceparent the task span joins that trace, under that span."""
    work(ledger, traceparent=f"00-{TRACE}-{PARENT}-01")
    root = spans_of(ledger)["fleetledger.task t-1"]
    assert root.context.trace_id == int(TRACE, 16)
    assert root.parent.span_id == int(PARENT, 16)


class Receiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP traces receiver: decodes each ExportTraceServiceRequest it is sent."""

    received: list[ExportTraceServiceRequest]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        type(self).received.append(request)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        """Quiet."""


def test_otel_export_sends_the_spans_to_an_otlp_http_receiver(
    ledger: Ledger, tmp_path: Path
) -> None:
    """fleetledger otel export --task posts the task's GenAI spans over OTLP/HTTP."""
    work(ledger)
    Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}/v1/traces"
        result = CliRunner(env={"FLEETLEDGER_URL": None}).invoke(
            app,
            [
                "otel",
                "export",
                "--endpoint",
                endpoint,
                "--task",
                "t-1",
                "--timeout",
                "5",
                "--ledger",
                f"sqlite:///{tmp_path}/l.db",
            ],
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert result.exit_code == 0, result.output
    spans = [
        span
        for request in Receiver.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    names = {span.name for span in spans}
    assert {
        "invoke_agent planner",
        "invoke_agent executor",
        "execute_tool payments.refund",
    } <= names
    tool = next(span for span in spans if span.name == "execute_tool payments.refund")
    attributes = {a.key: a.value.string_value for a in tool.attributes}
    assert attributes["gen_ai.tool.call.id"] == "c-1"


def test_without_the_otel_extra_export_names_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With opentelemetry not importable, the exporter module raises MissingExtra saying
    pip install 'fleetledger[otel]'."""
    for name in [m for m in sys.modules if m.startswith("opentelemetry")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    monkeypatch.delitem(sys.modules, "fleetledger.observe.genai")
    with pytest.raises(MissingExtra, match=re.escape("pip install 'fleetledger[otel]'")):
        importlib.import_module("fleetledger.observe.genai")


def test_a_runners_handler_runs_in_a_consumer_span_of_the_events_trace(ledger: Ledger) -> None:
    """The runner wraps each handler call in handling(): the span is the event's trace's
    child, and a handler's own spans nest inside it."""
    from fleetledger.consumers import Runner  # noqa: PLC0415 -- L4, imported where used

    ledger.append("task.started", subject="t-1", traceparent=f"00-{TRACE}-{PARENT}-01")
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    runner = Runner(ledger, "audit", tracer_provider=provider)
    inner: list[int] = []

    def handler(event: fleetledger.Event) -> None:
        with provider.get_tracer("test").start_as_current_span("archive") as span:
            inner.append(span.get_span_context().span_id)

    runner.subscribe(handler, families=["task"])
    runner.run(until_idle=True)
    spans = {span.name: span for span in exporter.get_finished_spans()}
    consumer = spans[f"process {ledger.topic('task')}"]
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.context.trace_id == int(TRACE, 16)
    assert consumer.parent is not None
    assert consumer.parent.span_id == int(PARENT, 16)
    assert spans["archive"].parent is not None
    assert spans["archive"].parent.span_id == consumer.context.span_id
