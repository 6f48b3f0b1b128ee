"""OpenAI Agents SDK runs in the ledger: a tracing processor and a governed tool wrapper.

:class:`LedgerTracingProcessor` receives the SDK's traces and spans (register it with
``agents.add_trace_processor``, or ``set_trace_processors([...])`` to send nothing to
OpenAI) and records them through a :class:`~fleetledger.adapters.Recorder`:

=========================================  ====================================================
SDK trace or span                          ledger event
=========================================  ====================================================
trace starts                               ``task.requested`` (goal: the trace metadata's
                                           ``goal``, else the workflow name; task: its
                                           ``task``, else a new id; the trace's own id as the
                                           W3C trace id; ``group_id`` as the conversation)
agent span starts                          ``task.started`` (unless a handoff just named it)
handoff span ends                          ``task.handed_off`` (from and to agent)
function span starts / ends                ``tool.call.started`` / ``tool.call.completed``, or
                                           ``tool.call.failed`` when the span has an error
                                           (the span id is the ``call_id``); tools wrapped
                                           with :func:`governed` record their own calls
guardrail span ends                        ``governance.guardrail.checked`` (passed: not
                                           triggered)
trace ends                                 ``task.completed``, or ``task.failed`` with the
                                           first error an agent or task span carried, or the
                                           guardrail whose tripwire ended the run
=========================================  ====================================================

The SDK calls processors from inside its run and ignores what they raise, so a processor
cannot stop a run: a failure to record is logged there. What must not run unrecorded goes
through :func:`governed`: the wrapped tool records ``tool.call.requested`` (with the model's
call id), asks the approver if one is given, records ``tool.call.started`` (where the
ledger's ordering rules may refuse it), then runs. Failing closed, a call the ledger cannot
record raises :class:`ToolNotRecorded` out of ``Runner.run`` and never runs. A refused call
does not run either: the model is told why (its output is the refusal), and the ledger
holds ``governance.policy.denied``. Needs the ``[openai-agents]`` extra.
"""

from __future__ import annotations

import dataclasses
import json
import weakref
from collections.abc import Mapping
from typing import Any

from fleetledger.adapters.recorder import Approver, Recorder, Run, ToolCall, log
from fleetledger.errors import LedgerError, MissingExtra, NotRecorded, PolicyViolation

try:
    from agents import (
        AgentsException,
        FunctionTool,
        Span,
        Trace,
        TracingProcessor,
        get_current_span,
        get_current_trace,
    )
    from agents.tool_context import ToolContext
    from agents.tracing.span_data import (
        AgentSpanData,
        FunctionSpanData,
        GuardrailSpanData,
        HandoffSpanData,
        TaskSpanData,
    )
except ImportError as exc:  # the [openai-agents] extra is not installed
    raise MissingExtra("openai-agents", "openai-agents") from exc

__all__ = ["LedgerTracingProcessor", "ToolNotRecorded", "governed"]

SOURCE = "fleetledger/openai-agents"
_GOVERNED: weakref.WeakKeyDictionary[Recorder, set[str]] = weakref.WeakKeyDictionary()
"""The tools each recorder's :func:`governed` wrappers record themselves, by name."""


class ToolNotRecorded(NotRecorded, AgentsException):
    """:class:`~fleetledger.errors.NotRecorded`, as an exception the SDK lets out of a run
    unchanged (it wraps any other a tool raises in its ``UserError``)."""


class LedgerTracingProcessor(TracingProcessor):
    """Records the SDK's traces as runs of ``recorder`` (see the module for the mapping)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._calls: dict[str, ToolCall] = {}
        self._errors: dict[str, str] = {}

    # -- traces ----------------------------------------------------------------------------

    def on_trace_start(self, trace: Trace) -> None:
        exported = trace.export() or {}
        metadata: Mapping[str, Any] = exported.get("metadata") or {}
        self._safely(
            "the run's start",
            lambda: self.recorder.start_run(
                str(metadata.get("goal") or trace.name),
                task=_text(metadata.get("task")),
                key=trace.trace_id,
                trace_id=_hex_id(trace.trace_id, 32),
                conversation=_text(exported.get("group_id")),
            ),
        )

    def on_trace_end(self, trace: Trace) -> None:
        run = self.recorder.end_run(trace.trace_id)
        error = self._errors.pop(trace.trace_id, None)
        if run is None:
            return
        if error is None:
            self._safely("the run's end", run.completed)
        else:
            self._safely("the run's failure", lambda: run.failed(error, error_type="AgentsError"))

    # -- spans -----------------------------------------------------------------------------

    def on_span_start(self, span: Span[Any]) -> None:
        run = self.recorder.run_for(span.trace_id)
        data = span.span_data
        if run is None:
            return
        if isinstance(data, AgentSpanData) and run.agent != data.name:
            self._safely("an agent's start", lambda: run.started(data.name))
        elif isinstance(data, FunctionSpanData) and not self._governs(data.name):
            call = run.tool_call(data.name, call_id=span.span_id)
            self._calls[span.span_id] = call
            self._safely("a tool call's start", call.start)

    def on_span_end(self, span: Span[Any]) -> None:
        run = self.recorder.run_for(span.trace_id)
        data, error = span.span_data, span.error
        if run is None:
            return
        if isinstance(data, HandoffSpanData) and data.to_agent:
            hand = lambda: run.handed_off(data.to_agent or "", from_agent=data.from_agent)  # noqa: E731
            self._safely("a handoff", hand)
        elif isinstance(data, GuardrailSpanData):
            check = lambda: run.guardrail(data.name, not data.triggered)  # noqa: E731
            self._safely("a guardrail's result", check)
            if data.triggered:  # a tripwire ends the run with an exception
                self._errors.setdefault(span.trace_id, f"guardrail {data.name} tripped")
        elif isinstance(data, FunctionSpanData):
            self._end_call(span.span_id, data, error)
        elif isinstance(data, AgentSpanData | TaskSpanData) and error:
            self._errors.setdefault(span.trace_id, _error_text(error))

    def _end_call(self, span_id: str, data: FunctionSpanData, error: Any) -> None:
        call = self._calls.pop(span_id, None)
        if call is None:
            return
        if data.input:
            call.arguments = _arguments(data.input)
        if error:
            self._safely("a tool call's failure", lambda: call.fail(_error_text(error)))
        else:
            self._safely("a tool call's result", lambda: call.complete(data.output))

    def _governs(self, tool: str) -> bool:
        return tool in _GOVERNED.get(self.recorder, ())

    def _safely(self, what: str, record: Any) -> None:
        """Record, logging a failure: the SDK would swallow it (a processor cannot stop a run)."""
        try:
            record()
        except LedgerError as exc:
            log.error("fleetledger could not record %s: %s", what, exc)

    def shutdown(self) -> None:
        """Nothing is buffered: every event was appended when its span started or ended."""

    def force_flush(self) -> None:
        """Nothing is buffered (see :meth:`shutdown`)."""


def governed(
    tool: FunctionTool, recorder: Recorder, *, approver: Approver | None = None
) -> FunctionTool:
    """``tool``, recording each call before it runs and refusing what may not run.

    Each call records ``tool.call.requested`` (the model's call id and arguments); with an
    ``approver``, ``governance.approval.requested`` and the approver's decision; then
    ``tool.call.started``, which the ledger's ordering rules may refuse (the model then gets
    the refusal as the tool's output, and the tool does not run); then the tool runs, and
    ``tool.call.completed`` or ``tool.call.failed`` records how it ended. Failing closed,
    a call the ledger cannot record raises :class:`ToolNotRecorded` and does not run.
    """
    _GOVERNED.setdefault(recorder, set()).add(tool.name)
    inner = tool.on_invoke_tool

    async def invoke(context: ToolContext[Any], arguments: str) -> Any:
        try:
            call = _run_of(recorder, tool.name).tool_call(
                tool.name,
                _arguments(arguments),
                call_id=context.tool_call_id,
                agent=getattr(context.agent, "name", None),
            )
            call.request()
            if approver is not None:
                await call.ask(approver)
            call.start()
        except PolicyViolation as refused:
            return f"refused by the ledger's policy, the tool did not run: {refused}"
        except LedgerError as exc:  # NotRecorded, or the run itself could not be opened
            raise _not_recorded(tool.name, context.tool_call_id, exc) from exc
        return await _finish(call, inner(context, arguments))

    return dataclasses.replace(tool, on_invoke_tool=invoke)


def _not_recorded(tool: str, call_id: str, exc: LedgerError) -> ToolNotRecorded:
    """What a call the ledger could not record raises out of the run."""
    if isinstance(exc, NotRecorded):
        cause = exc.__cause__ if isinstance(exc.__cause__, BaseException) else exc
        return ToolNotRecorded(tool=tool, call_id=call_id, event_type=exc.event_type, cause=cause)
    return ToolNotRecorded(tool=tool, call_id=call_id, event_type="task.requested", cause=exc)


async def _finish(call: ToolCall, running: Any) -> Any:
    """Await the tool and record how it ended: the SDK turns a tool's exception into an
    error message for the model and marks the function span, which is what is checked."""
    try:
        result = await running
    except Exception as exc:
        call.fail(exc)
        raise
    span = get_current_span()
    error = None if span is None else span.error
    if error:
        call.fail(_error_text(error))
    else:
        call.complete(result)
    return result


def _run_of(recorder: Recorder, tool: str) -> Run:
    """The run of the current trace, or a run of its own for a call made outside one."""
    trace = get_current_trace()
    run = None if trace is None else recorder.run_for(trace.trace_id)
    return run or recorder.start_run(f"call {tool}")


def _arguments(text: str) -> dict[str, Any]:
    """The model's JSON arguments as an object (anything else under ``input``)."""
    try:
        value = json.loads(text)
    except ValueError:
        return {"input": text}
    return value if isinstance(value, dict) else {"input": value}


def _error_text(error: Mapping[str, Any]) -> str:
    """A span error as one line: its message, and the error its data names."""
    message = str(error.get("message") or "error")
    data = error.get("data")
    detail = data.get("error") if isinstance(data, Mapping) else None
    return f"{message}: {detail}" if detail else message


def _hex_id(value: str, digits: int) -> str | None:
    """The hex digits of an SDK id (``trace_<32 hex>``), when it has exactly ``digits``."""
    tail = value.rsplit("_", 1)[-1].lower()
    if len(tail) == digits and all(c in "0123456789abcdef" for c in tail) and tail.strip("0"):
        return tail
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
