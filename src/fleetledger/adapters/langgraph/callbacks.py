"""A LangChain callback handler that records runs, tool calls and agent actions in the ledger.

::

    from fleetledger.adapters import Recorder
    from fleetledger.adapters.langgraph import LedgerCallbackHandler

    handler = LedgerCallbackHandler(Recorder(ledger, source="agents/refunds"))
    graph.invoke(inputs, {"configurable": {"thread_id": "task-42"}, "callbacks": [handler]})

Everything is written through the public :class:`~fleetledger.adapters.Recorder`, so a
LangChain run tells its story with the same types as every other adapter:

==========================================  ==============================================
LangChain callback                          ledger event
==========================================  ==============================================
``on_chain_start`` of the outermost chain   ``task.requested`` (the last input message is
(a graph's ``invoke``)                      the goal) then ``task.started``; a resumed
                                            thread (``invoke(None, ...)``) only
                                            ``task.started``
``on_chain_end`` of it                      ``task.completed`` (the last message as summary),
                                            unless the graph stopped at an ``interrupt()``
``on_chain_error`` of it                    ``task.failed``
``on_agent_action``                         ``tool.call.requested`` (the agent's reasoning
                                            as reason)
``on_tool_start``                           ``tool.call.requested`` (unless an agent action
                                            asked already) then ``tool.call.started``
``on_tool_end`` / ``on_tool_error``         ``tool.call.completed`` / ``tool.call.failed``
``on_retriever_end``                        ``context.retrieved``
==========================================  ==============================================

Nested chains (a graph's nodes) and model calls are not events of their own: a graph's steps
are its checkpoints (:class:`~fleetledger.adapters.langgraph.LedgerSaver`). The task is the
``thread_id`` of the run's configuration when it has one, so tool calls and checkpoints of a
thread share one history; else the handler's ``task``, else a new task per run.

**Failing closed.** ``raise_error`` follows the recorder's ``fail_closed`` (default on): when
the ledger cannot record ``tool.call.requested`` or ``tool.call.started``, LangChain raises the
handler's :class:`~fleetledger.errors.NotRecorded` out of ``on_tool_start``, before the tool
runs, so the tool does not run. A static ``interrupt_before`` is not seen by callbacks: the
run then reads as completed; use ``interrupt()`` in a node for approvals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from langchain_core.agents import AgentAction, AgentFinish
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document

from fleetledger.adapters.recorder import Recorder, Run, ToolCall, plain
from fleetledger.errors import LedgerError

log = logging.getLogger("fleetledger.adapters")

_SUMMARY_CHARS = 500


class LedgerCallbackHandler(BaseCallbackHandler):
    """Records a LangChain or LangGraph run through ``recorder`` (see the module).

    ``agent`` is the ``agentid`` of the run's events; ``task`` the subject when the run's
    configuration has no ``thread_id``.
    """

    def __init__(
        self, recorder: Recorder, *, agent: str = "langgraph", task: str | None = None
    ) -> None:
        self.recorder = recorder
        self.agent = agent
        self.task = task
        self.raise_error = recorder.fail_closed
        self._runs: dict[UUID, Run] = {}
        self._parents: dict[UUID, UUID] = {}
        self._calls: dict[UUID, ToolCall] = {}
        self._asked: dict[str, ToolCall] = {}
        self._queries: dict[UUID, str] = {}
        self._lock = threading.Lock()

    # -- the run: the outermost chain --------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Open the run at the outermost chain; remember where nested chains belong."""
        if parent_run_id is not None:
            self._child(run_id, parent_run_id)
            return
        name = kwargs.get("name") or (serialized or {}).get("name") or "chain"
        self._open(run_id, metadata, goal=_goal(inputs) or f"run {name}", resumed=inputs is None)

    def on_chain_end(
        self, outputs: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """Close the run at the outermost chain: ``task.completed`` unless interrupted."""
        run = self._close(run_id, parent_run_id)
        if run is not None and not (isinstance(outputs, Mapping) and "__interrupt__" in outputs):
            run.completed(summary=_goal(outputs))

    def on_chain_error(
        self,
        error: BaseException,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """The outermost chain raised: ``task.failed``. When that cannot be recorded either,
        it is logged: raising here would hide the error the run is failing with."""
        run = self._close(run_id, parent_run_id)
        if run is None:
            return
        try:
            run.failed(error)
        except LedgerError as exc:
            log.warning("fleetledger could not record the failure of %s: %s", run.task, exc)

    # -- tools and agent actions -------------------------------------------------------------

    def on_agent_action(
        self, action: AgentAction, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """An agent decided to call a tool: ``tool.call.requested`` with its reasoning."""
        run = self._run_of(parent_run_id or run_id, None)
        arguments = (
            action.tool_input
            if isinstance(action.tool_input, dict)
            else {"input": action.tool_input}
        )
        call = run.tool_call(action.tool, arguments, agent=self.agent)
        call.request(reason=action.log[:_SUMMARY_CHARS] or None)
        with self._lock:
            self._asked[action.tool] = call

    def on_agent_finish(
        self, finish: AgentFinish, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """Nothing to record: the run's end is recorded when its outermost chain ends."""

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Record the call as requested and started before the tool runs; raising here (the
        ledger cannot record it, or an ordering rule refuses it) keeps the tool from running."""
        name = kwargs.get("name") or (serialized or {}).get("name") or "tool"
        run = self._run_of(parent_run_id, metadata)
        with self._lock:
            call = self._asked.pop(name, None)
        if call is None:
            arguments = inputs if inputs is not None else {"input": input_str}
            call = run.tool_call(name, arguments, call_id=kwargs.get("tool_call_id"))
            call.request()
        with self._lock:
            self._calls[run_id] = call
        call.start()

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """The tool returned: ``tool.call.completed`` with its output."""
        with self._lock:
            call = self._calls.pop(run_id, None)
        if call is not None:
            call.complete(plain(getattr(output, "content", output)))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """The tool raised: ``tool.call.failed``."""
        with self._lock:
            call = self._calls.pop(run_id, None)
        if call is not None:
            call.fail(error)

    # -- retrieval ---------------------------------------------------------------------------

    def on_retriever_start(
        self,
        serialized: dict[str, Any] | None,
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        """Remember the query until the documents come back."""
        with self._lock:
            self._queries[run_id] = query
            if parent_run_id is not None:
                self._parents[run_id] = parent_run_id

    def on_retriever_end(
        self, documents: Any, *, run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any
    ) -> None:
        """Documents were retrieved: ``context.retrieved`` with their ids and sources."""
        with self._lock:
            query = self._queries.pop(run_id, "")
        found = [d for d in documents if isinstance(d, Document)]
        self._run_of(parent_run_id, None).context_retrieved(
            query or "(no query)",
            document_ids=[d.id for d in found if d.id],
            sources=[str(d.metadata["source"]) for d in found if "source" in d.metadata],
        )

    # -- where events go ---------------------------------------------------------------------

    def _open(
        self, run_id: UUID, metadata: Mapping[str, Any] | None, *, goal: str, resumed: bool
    ) -> Run:
        """Open the run of an outermost chain: a new task, or the thread's task resumed."""
        thread = (metadata or {}).get("thread_id")
        task = str(thread) if thread is not None else self.task
        known = task is not None and _has_events(self.recorder, task)
        if resumed or known:
            run = Run(self.recorder, task or f"task-{run_id}", trace_id=None, agent=self.agent)
        else:
            run = self.recorder.start_run(goal, task=task, agent=self.agent)
        run.started(self.agent)
        with self._lock:
            self._runs[run_id] = run
        return run

    def _close(self, run_id: UUID, parent_run_id: UUID | None) -> Run | None:
        with self._lock:
            if parent_run_id is not None:
                self._parents.pop(run_id, None)
                return None
            return self._runs.pop(run_id, None)

    def _child(self, run_id: UUID, parent_run_id: UUID) -> None:
        with self._lock:
            self._parents[run_id] = parent_run_id

    def _run_of(self, parent_run_id: UUID | None, metadata: Mapping[str, Any] | None) -> Run:
        """The run a callback belongs to: its outermost chain's, or a new one for a tool or an
        agent used on its own."""
        with self._lock:
            cursor = parent_run_id
            for _ in range(10_000):  # bounded: chains nest far less deep
                if cursor is None:
                    break
                if cursor in self._runs:
                    return self._runs[cursor]
                cursor = self._parents.get(cursor)
        orphan = parent_run_id or UUID(int=0)
        return self._open(orphan, metadata, goal="a tool called on its own", resumed=False)


def _has_events(recorder: Recorder, task: str) -> bool:
    """Whether the task was opened already (a thread resumed, or its next turn)."""
    return next(recorder.ledger.replay(task, families=["task"]), None) is not None


def _goal(value: Any) -> str | None:
    """The text of the last message of a chain's input or output, shortened, if any."""
    messages = value.get("messages") if isinstance(value, Mapping) else None
    if not messages:
        return value[:_SUMMARY_CHARS] if isinstance(value, str) and value.strip() else None
    last = messages[-1]
    content = getattr(last, "content", None)
    if content is None and isinstance(last, tuple | list) and len(last) == 2:
        content = last[1]
    text = content if isinstance(content, str) else str(content or "")
    return text[:_SUMMARY_CHARS] if text.strip() else None
