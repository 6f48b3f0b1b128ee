"""Ledger events as OpenTelemetry GenAI spans: a task's history in any tracing backend.

``fleetledger otel export`` replays tasks and sends what their events describe as spans
following the OpenTelemetry GenAI semantic conventions, over OTLP/HTTP. The ledger is the
record; the spans are a view of it for the tools an SRE already uses (Jaeger, Tempo, ...).

=====================================  =========================================================
ledger events                          OpenTelemetry
=====================================  =========================================================
a task's events                        one trace; a root span ``fleetledger.task {task}`` from
                                       its first event to its last (``fleetledger.task.id``)
``task.assigned`` / ``task.started``   opens span ``invoke_agent {agent}``
(the assignee, else ``agentid``)       (``gen_ai.operation.name=invoke_agent``,
                                       ``gen_ai.agent.name``, ``gen_ai.agent.id``), a child of
                                       the task span
``task.handed_off``                    ends the ``from_agent``'s span with span event
                                       ``fleetledger.handoff`` and opens the ``to_agent``'s
``task.completed`` / ``failed`` /      end every open agent span (``failed``: status error,
``cancelled``                          ``error.type``); the task span gets the outcome as
                                       ``fleetledger.task.status``
``tool.call.started`` →                span ``execute_tool {tool}`` (``gen_ai.operation.name=
``tool.call.completed`` / ``failed``   execute_tool``, ``gen_ai.tool.name``,
(by ``call_id``)                       ``gen_ai.tool.call.id``, ``gen_ai.tool.type=function``;
                                       failed: status error, ``error.type``), a child of the
                                       calling agent's span (by ``agentid``)
``evaluation.scored``                  span event ``gen_ai.evaluation.result`` on the task span
                                       (``gen_ai.evaluation.name`` = metric,
                                       ``gen_ai.evaluation.score.value``,
                                       ``gen_ai.evaluation.explanation`` = rationale)
``governance.guardrail.checked``,      span events ``fleetledger.guardrail.checked``,
``approval.*``, ``policy.denied``,     ``fleetledger.approval.{requested,granted,rejected}``,
``escalated``                          ``fleetledger.policy.denied``, ``fleetledger.escalated``
                                       on the agent's open span (else the task span): the GenAI
                                       conventions have no names for them yet
``task.checkpointed`` / ``retried``    span events ``fleetledger.task.{checkpointed,retried}``
``conversationid``                     ``gen_ai.conversation.id`` on every span of the task
``traceparent``                        the trace: the task span is a child of the first
                                       traceparent the task's events carry; without one, the
                                       trace id is derived from the task id (SHA-256), so
                                       exporting a task twice lands in the same trace
event ``time``                         span start and end times, span event times
=====================================  =========================================================

Every span also carries ``fleetledger.event.id``, the event that opened it, so a span leads
back to the ledger (``fleetledger get ID``, ``fleetledger prove ID``). Spans still open at the
task's last event end there. Needs the ``[otel]`` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from fleetledger.errors import BackendError, MissingExtra
from fleetledger.events.envelope import Event, parse_time
from fleetledger.observe.tracing import task_trace_id

try:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
    from opentelemetry.trace import SpanKind, Status, StatusCode
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
except ImportError as exc:  # the [otel] extra is not installed
    raise MissingExtra("otel", "opentelemetry-sdk") from exc

__all__ = ["Exported", "export_events", "task_trace_id", "tasks_of"]

TRACER = "fleetledger.otel.export"
_BATCH = 512
_ENDS = {"task.completed": "completed", "task.failed": "failed", "task.cancelled": "cancelled"}
_MARKS = {
    "task.checkpointed": "fleetledger.task.checkpointed",
    "task.retried": "fleetledger.task.retried",
    "governance.guardrail.checked": "fleetledger.guardrail.checked",
    "governance.approval.requested": "fleetledger.approval.requested",
    "governance.approval.granted": "fleetledger.approval.granted",
    "governance.approval.rejected": "fleetledger.approval.rejected",
    "governance.policy.denied": "fleetledger.policy.denied",
    "governance.escalated": "fleetledger.escalated",
}
"""Events shown as span events on the agent's span, by the name they get."""
_MARKED_FIELDS = (
    "guardrail",
    "passed",
    "call_id",
    "approval_id",
    "approver",
    "action",
    "reason",
    "policy",
    "rule",
    "escalated_to",
    "severity",
    "step",
)


@dataclass
class Exported:
    """What an export sent: tasks, spans and span events."""

    tasks: int = 0
    spans: int = 0
    events: int = 0


def export_events(
    events: Iterable[Event], exporter: SpanExporter, *, service_name: str = "fleetledger"
) -> Exported:
    """Send the spans of every task among ``events`` (in the ledger's order) to ``exporter``.

    A task is a subject with at least one event of the task, tool or evaluation family.
    :class:`BackendError` when the exporter reports a failure (an unreachable endpoint).
    """
    wanted = tasks_of(events)
    ids = _TraceIds()
    collected = _Collected()
    provider = TracerProvider(
        resource=Resource.create({"service.name": service_name}), id_generator=ids
    )
    provider.add_span_processor(collected)
    tracer = provider.get_tracer(TRACER)
    done = Exported(tasks=len(wanted))
    for task, history in wanted.items():
        done.events += _Task(tracer, ids, task, history).build()
    provider.shutdown()
    done.spans = len(collected.spans)
    for at in range(0, len(collected.spans), _BATCH):
        result = exporter.export(collected.spans[at : at + _BATCH])
        if result is not SpanExportResult.SUCCESS:
            raise BackendError(
                f"the OTLP endpoint did not accept the spans ({at} of {done.spans} were sent):"
                " check that a collector listens at the endpoint"
            )
    return done


def tasks_of(events: Iterable[Event]) -> dict[str, list[Event]]:
    """The tasks among ``events``: each subject with an event of the task, tool or evaluation
    family, with its events in the order given."""
    tasks: dict[str, list[Event]] = {}
    for event in events:
        tasks.setdefault(event.subject, []).append(event)
    return {
        task: history
        for task, history in tasks.items()
        if any(e.family in ("task", "tool", "evaluation") for e in history)
    }


class _TraceIds(IdGenerator):
    """Random span ids; the trace id of a new trace is the one asked for (the task's)."""

    def __init__(self) -> None:
        self._random = RandomIdGenerator()
        self.next_trace: int | None = None

    def generate_span_id(self) -> int:
        return self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        return self.next_trace or self._random.generate_trace_id()


class _Collected(SpanProcessor):
    """Keeps every ended span, to export in batches whose results are checked."""

    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        self.spans.append(span)


def _ns(event: Event) -> int:
    """The event's time in nanoseconds since the epoch."""
    moment = parse_time(event.time)
    return int(moment.timestamp()) * 1_000_000_000 + moment.microsecond * 1000


def _data(event: Event) -> Mapping[str, Any]:
    return event.data if isinstance(event.data, Mapping) else {}


@dataclass
class _Task:
    """The spans of one task, built event by event."""

    tracer: Any
    ids: _TraceIds
    task: str
    history: Sequence[Event]
    agents: dict[str, Span] = field(default_factory=dict)
    tools: dict[str, Span] = field(default_factory=dict)
    common: dict[str, str] = field(default_factory=dict)
    """Attributes every span of the task carries."""
    marks: int = 0
    root: Span = field(init=False)

    def build(self) -> int:
        """Make the task's spans; return how many span events they carry."""
        first, last = self.history[0], self.history[-1]
        self.common["fleetledger.task.id"] = self.task
        conversation = next((e.conversationid for e in self.history if e.conversationid), None)
        if conversation:
            self.common["gen_ai.conversation.id"] = conversation
        self.root = self._root(first)
        for event in self.history:
            self._apply(event)
        end = _ns(last)
        for span in [*self.tools.values(), *self.agents.values()]:
            span.end(end_time=end)
        self.root.end(end_time=end)
        return self.marks

    def _root(self, first: Event) -> Span:
        traced = next((e.traceparent for e in self.history if e.traceparent), None)
        parent = TraceContextTextMapPropagator().extract({"traceparent": traced or ""})
        if not trace.get_current_span(parent).get_span_context().is_valid:
            self.ids.next_trace = task_trace_id(self.task)
        try:
            return self._start(f"fleetledger.task {self.task}", first, {}, context=parent)
        finally:
            self.ids.next_trace = None

    def _start(
        self, name: str, event: Event, attributes: Mapping[str, Any], *, context: Any = None
    ) -> Span:
        span: Span = self.tracer.start_span(
            name,
            context=context,
            kind=SpanKind.INTERNAL,
            start_time=_ns(event),
            attributes={**self.common, "fleetledger.event.id": event.id, **attributes},
        )
        return span

    def _child(self, name: str, event: Event, attributes: Mapping[str, Any], parent: Span) -> Span:
        return self._start(name, event, attributes, context=trace.set_span_in_context(parent))

    def _apply(self, event: Event) -> None:
        data = _data(event)
        kind = event.type
        if kind in ("task.assigned", "task.started"):
            agent = data.get("assignee") or data.get("agent") or event.agentid
            if agent:
                self._open_agent(str(agent), event)
        elif kind == "task.handed_off":
            self._hand_off(event, data)
        elif kind in _ENDS:
            self._finish(event, data, _ENDS[kind])
        elif kind == "tool.call.started":
            self._start_tool(event, data)
        elif kind in ("tool.call.completed", "tool.call.failed"):
            self._end_tool(event, data)
        elif kind == "evaluation.scored":
            self._evaluated(event, data)
        elif kind in _MARKS:
            attributes = {f"fleetledger.{k}": data[k] for k in _MARKED_FIELDS if k in data}
            self._mark(self._home(event), _MARKS[kind], event, attributes)

    def _open_agent(self, agent: str, event: Event) -> None:
        if agent in self.agents:
            return
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": agent,
            "gen_ai.agent.id": agent,
        }
        if event.agentversion and event.agentid == agent:
            attributes["gen_ai.agent.version"] = event.agentversion
        self.agents[agent] = self._child(f"invoke_agent {agent}", event, attributes, self.root)

    def _hand_off(self, event: Event, data: Mapping[str, Any]) -> None:
        source, target = str(data.get("from_agent", "")), str(data.get("to_agent", ""))
        attributes = {"fleetledger.from_agent": source, "fleetledger.to_agent": target}
        if data.get("reason"):
            attributes["fleetledger.reason"] = str(data["reason"])
        span = self.agents.pop(source, None)
        self._mark(span or self.root, "fleetledger.handoff", event, attributes)
        if span is not None:
            span.end(end_time=_ns(event))
        if target:
            self._open_agent(target, event)

    def _finish(self, event: Event, data: Mapping[str, Any], status: str) -> None:
        self.root.set_attribute("fleetledger.task.status", status)
        failed = status == "failed"
        for span in self.agents.values():
            if failed:
                span.set_status(Status(StatusCode.ERROR, str(data.get("error", ""))))
                span.set_attribute("error.type", str(data.get("error_type") or "task.failed"))
            span.end(end_time=_ns(event))
        self.agents.clear()
        if failed:
            self.root.set_status(Status(StatusCode.ERROR, str(data.get("error", ""))))

    def _start_tool(self, event: Event, data: Mapping[str, Any]) -> None:
        call, tool = str(data.get("call_id", "")), str(data.get("tool", ""))
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": tool,
            "gen_ai.tool.call.id": call,
            "gen_ai.tool.type": "function",
        }
        if event.agentid:
            attributes["gen_ai.agent.id"] = event.agentid
        self.tools[call] = self._child(f"execute_tool {tool}", event, attributes, self._home(event))

    def _end_tool(self, event: Event, data: Mapping[str, Any]) -> None:
        span = self.tools.pop(str(data.get("call_id", "")), None)
        if span is None:
            return  # a call whose start is not among the events exported
        if event.type == "tool.call.failed":
            span.set_status(Status(StatusCode.ERROR, str(data.get("error", ""))))
            span.set_attribute("error.type", str(data.get("error_type") or "tool.call.failed"))
        span.end(end_time=_ns(event))

    def _evaluated(self, event: Event, data: Mapping[str, Any]) -> None:
        attributes: dict[str, Any] = {
            "gen_ai.evaluation.name": str(data.get("metric", "")),
            "gen_ai.evaluation.score.value": float(data.get("score", 0.0)),
            "fleetledger.evaluator": str(data.get("evaluator", "")),
        }
        if data.get("rationale"):
            attributes["gen_ai.evaluation.explanation"] = str(data["rationale"])
        self._mark(self.root, "gen_ai.evaluation.result", event, attributes)

    def _home(self, event: Event) -> Span:
        """The span an event of an agent belongs under: its agent's open span, else the most
        recently opened agent span, else the task's."""
        if event.agentid and event.agentid in self.agents:
            return self.agents[event.agentid]
        return next(reversed(self.agents.values()), self.root)

    def _mark(self, span: Span, name: str, event: Event, attributes: Mapping[str, Any]) -> None:
        values = {k: v for k, v in attributes.items() if isinstance(v, str | bool | int | float)}
        span.add_event(name, {"fleetledger.event.id": event.id, **values}, timestamp=_ns(event))
        self.marks += 1
