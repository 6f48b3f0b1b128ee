"""The recorder: what an agent framework does, as ledger events that tell one run's story.

A :class:`Recorder` wraps a ledger for one framework integration. Each run it opens is a
:class:`Run`: one task (the events' ``subject``), one correlation id, one W3C trace. Every
event of the run is stamped with the run's tenant, conversation, correlation id and agent, a
``traceparent`` in the run's trace with a span id of its own, and a ``causationid`` naming
the event that caused it (by default the run's previous event; a tool call's events chain
from its request). Adapters (:mod:`fleetledger.adapters.openai_agents`,
:mod:`fleetledger.adapters.mcp`, and those of other frameworks) map their framework's
concepts onto the methods below, so every adapter writes the same types for the same facts:

==============================  ===============================  ==============================
framework concept               ledger event (method)            OpenTelemetry GenAI view
                                                                 (:mod:`fleetledger.observe.genai`)
==============================  ===============================  ==============================
a run starts (``Runner.run``,   ``task.requested``               the trace; root span
a graph invoked)                (:meth:`Recorder.start_run`)     ``fleetledger.task {task}``
an agent takes the run          ``task.started`` ``{agent}``     span ``invoke_agent {agent}``:
                                (:meth:`Run.started`)            ``gen_ai.operation.name=
                                                                 invoke_agent``,
                                                                 ``gen_ai.agent.name``
a handoff                       ``task.handed_off``              ends the first agent's span
                                (:meth:`Run.handed_off`)         (span event
                                                                 ``fleetledger.handoff``),
                                                                 opens the second's
the model asks for a tool       ``tool.call.requested``          (an intent: no span)
                                (:meth:`ToolCall.request`)
approval asked / given /        ``governance.approval.           span events ``fleetledger.
refused                         requested|granted|rejected``     approval.*``
                                (:meth:`ToolCall.approve`)
the tool runs                   ``tool.call.started``            span ``execute_tool {tool}``:
                                (:meth:`ToolCall.start`)         ``gen_ai.operation.name=
                                                                 execute_tool``,
                                                                 ``gen_ai.tool.name``,
                                                                 ``gen_ai.tool.call.id``,
                                                                 ``gen_ai.tool.type=function``
the tool returns                ``tool.call.completed``          ends that span
                                (:meth:`ToolCall.complete`)
the tool raises (an MCP         ``tool.call.failed``             ends it with status error,
``isError`` result, a JSON-RPC  (:meth:`ToolCall.fail`,          ``error.type``
error)                          ``error_type`` says which)
an ordering rule refuses the    ``governance.policy.denied``     span event
call (approval missing)         (by the ledger) and              ``fleetledger.policy.denied``
                                ``tool.call.failed`` with
                                ``error_type=PolicyViolation``
a guardrail ran                 ``governance.guardrail.checked`` span event ``fleetledger.
                                (:meth:`Run.guardrail`)          guardrail.checked``
documents retrieved; a prompt   ``context.retrieved``,           (kept in the ledger; a model
rendered from a template        ``context.prompt.rendered``      call is ``chat``, not exported)
                                (:meth:`Run.context_retrieved`,
                                :meth:`Run.prompt_rendered`)
the run ends                    ``task.completed`` /             ends every span;
                                ``task.failed``                  ``fleetledger.task.status``
==============================  ===============================  ==============================

**Failing closed.** With ``fail_closed=True`` (the default) a tool call the ledger cannot
record (its append raises: the ledger is closed, read-only, out of reach) does not run:
:meth:`ToolCall.request` and :meth:`ToolCall.start` raise
:class:`~fleetledger.errors.NotRecorded`, and any other event that cannot be recorded raises
the ledger's own error. With ``fail_closed=False`` the recorder logs what it could not record
(logger ``fleetledger.adapters``) and lets the call run. A refusal by an ordering rule
(:class:`~fleetledger.errors.PolicyViolation`) is not a failure to record: it is always raised.

Appends are synchronous (a few milliseconds on SQLite); adapters of async frameworks call
them from the event loop, as a tool call's own I/O would be.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from fleetledger.errors import LedgerError, NotRecorded, PolicyViolation
from fleetledger.events import uuid7

if TYPE_CHECKING:
    from fleetledger.ledger import Ledger

__all__ = ["Approval", "Approver", "Recorder", "Run", "ToolCall"]

log = logging.getLogger("fleetledger.adapters")
T = TypeVar("T")


@dataclass(frozen=True)
class Approval:
    """A decision on a tool call: granted or not, by whom, and why."""

    granted: bool
    approver: str
    reason: str | None = None


Approver = Callable[["ToolCall"], Approval | Awaitable[Approval]]
"""Asked before a gated tool call runs (a person at a prompt, a policy service...)."""


class Recorder:
    """Opens runs on ``ledger`` and records what happens in them (see the module).

    ``tenant`` and ``conversation`` are stamped on every event; ``source`` is the events'
    CloudEvents ``source`` (a URI-reference naming the integration).
    """

    def __init__(
        self,
        ledger: Ledger,
        *,
        tenant: str | None = None,
        fail_closed: bool = True,
        source: str = "fleetledger/adapter",
        conversation: str | None = None,
    ) -> None:
        self.ledger = ledger
        self.tenant = tenant
        self.fail_closed = fail_closed
        self.source = source
        self.conversation = conversation
        self._runs: dict[str, Run] = {}
        self._lock = threading.Lock()

    def start_run(
        self,
        goal: str,
        *,
        task: str | None = None,
        agent: str | None = None,
        key: str | None = None,
        trace_id: str | None = None,
        requested_by: str | None = None,
        inputs: Mapping[str, Any] | None = None,
        conversation: str | None = None,
    ) -> Run:
        """Open a run and record its ``task.requested``; return it.

        ``task`` is the subject (a new ``task-<uuid7>`` by default); ``key`` (a framework's
        own run or trace id) finds the run again with :meth:`run_for`; ``trace_id`` (32 hex
        digits) puts the run in an existing trace, else it gets a new one; ``conversation``
        overrides the recorder's for this run.
        """
        run = Run(self, task or f"task-{uuid7()}", trace_id=trace_id, agent=agent)
        run.conversation = conversation or self.conversation
        if key is not None:
            with self._lock:
                self._runs[key] = run
        data: dict[str, Any] = {"goal": goal, "requested_by": requested_by}
        if inputs:
            data["inputs"] = plain(dict(inputs))
        run.record("task.requested", data, agent=agent)
        return run

    def run_for(self, key: str) -> Run | None:
        """The open run started with ``key``, if any."""
        with self._lock:
            return self._runs.get(key)

    def end_run(self, key: str) -> Run | None:
        """Forget the run started with ``key`` (its events stay); return it, if any."""
        with self._lock:
            return self._runs.pop(key, None)


class Run:
    """One run: a task, a correlation id, a trace, and the causation chain of its events."""

    def __init__(
        self, recorder: Recorder, task: str, *, trace_id: str | None, agent: str | None
    ) -> None:
        self.recorder = recorder
        self.task = task
        self.correlation_id = f"run-{uuid7()}"
        self.trace_id = trace_id or f"{secrets.randbits(128) | 1:032x}"
        self.conversation = recorder.conversation
        self.agent = agent
        """The agent acting now: stamped as ``agentid`` unless an event names another."""
        self.last_id: str | None = None
        """The run's last recorded event: the cause of the next one by default."""
        self.last_traceparent: str | None = None
        self._lock = threading.Lock()

    def traceparent(self) -> str:
        """W3C trace context for a new event: the run's trace, a new span id, sampled."""
        return f"00-{self.trace_id}-{secrets.randbits(64) | 1:016x}-01"

    def record(
        self,
        type: str,
        data: Mapping[str, Any],
        *,
        agent: str | None = None,
        cause: str | None = None,
    ) -> str | None:
        """Append one event of the run; return its id, or ``None`` when failing open and the
        ledger could not record it. ``cause`` (default: the run's last event) becomes its
        ``causationid``; ``None`` values of ``data`` are left out."""
        event_id, traceparent = uuid7(), self.traceparent()
        who = agent or self.agent
        with self._lock:
            attributes = {
                "id": event_id,
                "subject": self.task,
                "source": self.recorder.source,
                "data": {k: v for k, v in data.items() if v is not None},
                "tenant": self.recorder.tenant,
                "conversationid": self.conversation,
                "agentid": who,
                "correlationid": self.correlation_id,
                "causationid": cause or self.last_id,
                "traceparent": traceparent,
            }
            try:
                self.recorder.ledger.append(type, **attributes)
            except PolicyViolation:
                raise
            except LedgerError as exc:
                if self.recorder.fail_closed:
                    raise
                log.warning("fleetledger could not record %s of %s: %s", type, self.task, exc)
                return None
            self.last_id, self.last_traceparent = event_id, traceparent
        return event_id

    # -- the run's lifecycle ---------------------------------------------------------------

    def started(self, agent: str) -> str | None:
        """``agent`` took the run (``task.started``); it acts from now on."""
        self.agent = agent
        return self.record("task.started", {"agent": agent}, agent=agent)

    def handed_off(
        self, to_agent: str, *, from_agent: str | None = None, reason: str | None = None
    ) -> str | None:
        """The acting agent (or ``from_agent``) handed the run to ``to_agent``."""
        source = from_agent or self.agent or "unknown"
        data = {"from_agent": source, "to_agent": to_agent, "reason": reason}
        recorded = self.record("task.handed_off", data, agent=source)
        self.agent = to_agent
        return recorded

    def completed(self, result: Any = None, *, summary: str | None = None) -> str | None:
        """The run reached its goal (``task.completed``)."""
        return self.record("task.completed", {"result": plain(result), "summary": summary})

    def failed(
        self, error: BaseException | str, *, error_type: str | None = None, retryable: bool = False
    ) -> str | None:
        """The run failed (``task.failed``): ``error`` as text, its class as ``error_type``."""
        text, kind = _error(error, error_type)
        data = {"error": text, "error_type": kind, "retryable": retryable}
        return self.record("task.failed", data)

    # -- governance and context ------------------------------------------------------------

    def guardrail(
        self,
        name: str,
        passed: bool,
        *,
        details: str | None = None,
        call_id: str | None = None,
        agent: str | None = None,
    ) -> str | None:
        """A guardrail checked an input, an output or a call (``governance.guardrail.checked``)."""
        data = {"guardrail": name, "passed": passed, "details": details, "call_id": call_id}
        return self.record("governance.guardrail.checked", data, agent=agent)

    def context_retrieved(
        self,
        query: str,
        *,
        retriever: str | None = None,
        sources: Sequence[str] = (),
        document_ids: Sequence[str] = (),
    ) -> str | None:
        """Documents were retrieved into the agent's context (``context.retrieved``)."""
        data = {
            "query": query,
            "retriever": retriever,
            "sources": list(sources),
            "document_ids": list(document_ids),
        }
        return self.record("context.retrieved", data)

    def prompt_rendered(
        self,
        template_id: str,
        template_version: str,
        *,
        variables: Mapping[str, Any] | None = None,
        model: str | None = None,
    ) -> str | None:
        """A prompt was rendered from a versioned template (``context.prompt.rendered``)."""
        data = {
            "template_id": template_id,
            "template_version": template_version,
            "variables": plain(dict(variables or {})),
            "model": model,
        }
        return self.record("context.prompt.rendered", data)

    def tool_call(
        self,
        tool: str,
        arguments: Mapping[str, Any] | None = None,
        *,
        call_id: str | None = None,
        agent: str | None = None,
    ) -> ToolCall:
        """A tool call of this run, to record step by step (nothing is recorded yet)."""
        return ToolCall(self, tool, dict(arguments or {}), call_id or f"call-{uuid7()}", agent)


class ToolCall:
    """One tool call: requested, maybe approved, started, then completed or failed.

    Its events chain from one another (the request is caused by the run's last event).
    :meth:`request` and :meth:`start` fail closed with :class:`NotRecorded`.
    """

    def __init__(
        self, run: Run, tool: str, arguments: dict[str, Any], call_id: str, agent: str | None
    ) -> None:
        self.run = run
        self.tool = tool
        self.arguments = arguments
        self.call_id = call_id
        self.agent = agent or run.agent
        self.last_id: str | None = None
        self.traceparent: str | None = None
        """The trace context of ``tool.call.started``: where the tool's own spans belong."""
        self._started = 0.0

    def _record(self, type: str, data: Mapping[str, Any], *, guarded: bool = False) -> str | None:
        """Record one event of the call; ``guarded`` ones raise :class:`NotRecorded` when the
        ledger fails and the recorder fails closed."""
        payload = {"call_id": self.call_id, **data}
        if type.startswith("tool."):
            payload["tool"] = self.tool
        try:
            recorded = self.run.record(type, payload, agent=self.agent, cause=self.last_id)
        except PolicyViolation:
            raise
        except LedgerError as exc:
            if guarded:
                raise NotRecorded(
                    tool=self.tool, call_id=self.call_id, event_type=type, cause=exc
                ) from exc
            raise
        if recorded is not None:
            self.last_id = recorded
        return recorded

    def request(self, *, reason: str | None = None) -> str | None:
        """The agent asks for the call (``tool.call.requested``, with the arguments)."""
        data = {"arguments": plain(self.arguments), "reason": reason}
        return self._record("tool.call.requested", data, guarded=True)

    def approve(self, decision: Approval) -> Approval:
        """Record ``decision`` on the call: ``governance.approval.granted`` or ``rejected``,
        naming the approver (after the ``governance.approval.requested`` :meth:`ask` wrote)."""
        kind = "granted" if decision.granted else "rejected"
        data = {
            "approval_id": self._approval_id,
            "call_id": self.call_id,
            "approver": decision.approver,
            "reason": decision.reason,
        }
        self._record(f"governance.approval.{kind}", data, guarded=True)
        return decision

    @property
    def _approval_id(self) -> str:
        return f"{self.call_id}-approval"

    async def ask(self, approver: Approver) -> Approval:
        """Record ``governance.approval.requested``, ask ``approver``, record its decision."""
        data = {"approval_id": self._approval_id, "call_id": self.call_id, "action": self.tool}
        self._record("governance.approval.requested", data, guarded=True)
        decision = approver(self)
        if inspect.isawaitable(decision):
            decision = await decision
        return self.approve(decision)

    def start(self) -> str | None:
        """The call runs now (``tool.call.started``). An ordering rule of the ledger that
        refuses it raises :class:`PolicyViolation` after ``tool.call.failed`` records the
        refusal in the run (the ledger records ``governance.policy.denied`` itself)."""
        data = {"arguments": plain(self.arguments)}
        try:
            recorded = self._record("tool.call.started", data, guarded=True)
        except PolicyViolation as exc:
            self.fail(exc, error_type="PolicyViolation", retryable=True)
            raise
        self.traceparent = self.run.last_traceparent if recorded else None
        self._started = time.perf_counter()
        return recorded

    def complete(self, result: Any = None) -> str | None:
        """The call returned ``result`` (``tool.call.completed``, with its duration)."""
        data = {"result": plain(result), "duration_ms": self._duration()}
        return self._record("tool.call.completed", data)

    def fail(
        self, error: BaseException | str, *, error_type: str | None = None, retryable: bool = False
    ) -> str | None:
        """The call failed (``tool.call.failed``): raised, refused, or answered an error."""
        text, kind = _error(error, error_type)
        data = {
            "error": text,
            "error_type": kind,
            "retryable": retryable,
            "duration_ms": self._duration(),
        }
        return self._record("tool.call.failed", data)

    def _duration(self) -> float | None:
        if not self._started:
            return None
        return round((time.perf_counter() - self._started) * 1000, 3)

    async def run_async(
        self, invoke: Callable[[], Awaitable[T]], *, approver: Approver | None = None
    ) -> T:
        """The whole call: request, ``approver``'s decision if given, start, ``invoke()``,
        then completed or failed (its exception is raised again).

        The call does not run when :meth:`request` or :meth:`start` raise (failing closed,
        or refused by an ordering rule).
        """
        self.request()
        if approver is not None:
            await self.ask(approver)
        self.start()
        try:
            result = await invoke()
        except Exception as exc:
            self.fail(exc)
            raise
        self.complete(result)
        return result


def _error(error: BaseException | str, error_type: str | None) -> tuple[str, str | None]:
    """An error as text that is never empty, and its type's name."""
    if isinstance(error, BaseException):
        return str(error) or type(error).__name__, error_type or type(error).__name__
    return error or "unknown error", error_type


def plain(value: Any) -> Any:
    """``value`` as JSON-able builtins for an event's data: pydantic models dumped, other
    objects msgspec knows converted, anything else as its text."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        try:
            return dump(mode="json", by_alias=True, exclude_none=True)
        except TypeError:  # a model_dump of another kind
            pass
    try:
        return msgspec.to_builtins(value, str_keys=True, enc_hook=_text)
    except (TypeError, ValueError):
        return str(value)


def _text(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", by_alias=True, exclude_none=True)
    return str(value)
