"""LedgerCallbackHandler: a LangChain run's chains and tool calls, recorded and failing closed."""

import uuid
from typing import Any

import pytest
from langchain_core.agents import AgentAction
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

import fleetledger
from fleetledger import Ledger, LedgerClosed, NotRecorded, ReadOnlyLedger
from fleetledger.adapters import Recorder
from fleetledger.adapters.langgraph import LedgerCallbackHandler, LedgerSaver
from tests.integration.adapters.langgraph.agents import REFUNDS, compile_agent, refund

THREAD = "task-991"
ASK = {"messages": [("user", "refund order 991")]}


def run_agent(
    ledger: Ledger,
    saver: BaseCheckpointSaver[Any] | None = None,
    *before: BaseCallbackHandler,
    **recorder: bool,
) -> LedgerCallbackHandler:
    """Run the agent with a handler on ``ledger`` (after the ``before`` handlers), its
    checkpoints in ``saver`` (default: the ledger too); return the handler."""
    handler = LedgerCallbackHandler(Recorder(ledger, source="agents/refunds", **recorder))
    config: RunnableConfig = {
        "configurable": {"thread_id": THREAD},
        "callbacks": [*before, handler],
    }
    compile_agent(saver or LedgerSaver(ledger)).invoke(ASK, config)
    return handler


def story(ledger: Ledger) -> list[str]:
    return [e.type for e in ledger.replay(THREAD, families=["task", "tool"])]


def test_a_graph_run_tells_its_story_in_the_threads_task(ledger: Ledger) -> None:
    """The run, its tool call and its end are events of the thread's task, in order."""
    run_agent(ledger)

    assert story(ledger) == [
        "task.requested",
        "task.started",
        "tool.call.requested",
        "tool.call.started",
        "tool.call.completed",
        "task.completed",
    ]


def test_the_tool_call_carries_the_models_call_id_and_its_result(ledger: Ledger) -> None:
    """The call id is the one the model gave; the result is the tool's output."""
    run_agent(ledger)

    events = {e.type: e for e in ledger.replay(THREAD, families=["tool"])}

    started, completed = events["tool.call.started"], events["tool.call.completed"]
    assert started.data["call_id"] == completed.data["call_id"] == "call-991"
    assert started.data["arguments"] == {"order": "991"}
    assert completed.data["result"] == "refunded 991"
    assert completed.causationid == started.id


def test_the_task_folds_to_completed_with_no_call_left_open(ledger: Ledger) -> None:
    """Checkpoints and calls share one task that the lifecycle reads as cleanly completed."""
    run_agent(ledger)

    state = ledger.state_at(THREAD)

    assert (state.status, state.open_calls, state.anomalies) == ("completed", (), 0)
    assert state.goal == "refund order 991"


def test_every_event_of_a_run_shares_its_correlation_and_trace(ledger: Ledger) -> None:
    """One correlation id and one W3C trace id stamp the run's events."""
    run_agent(ledger)

    events = list(ledger.replay(THREAD, families=["task", "tool"]))

    assert len({e.correlationid for e in events}) == 1
    assert len({e.traceparent.split("-")[1] for e in events if e.traceparent}) == 1


def test_an_agent_action_is_recorded_as_the_calls_request(ledger: Ledger) -> None:
    """on_agent_action requests the call with the agent's reasoning; the tool then starts it."""
    handler = LedgerCallbackHandler(Recorder(ledger), task=THREAD)
    action = AgentAction(tool="refund", tool_input={"order": "7"}, log="the customer asked")
    handler.on_agent_action(action, run_id=uuid.uuid4())
    refund.invoke({"order": "7"}, {"callbacks": [handler]})

    requested = [e for e in ledger.replay(THREAD) if e.type == "tool.call.requested"]
    assert [e.data["reason"] for e in requested] == ["the customer asked"]
    assert REFUNDS == ["7"]


class ClosesTheLedger(BaseCallbackHandler):
    """Closes the ledger as a tool is about to start: the ledger fails under the handler."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, **kwargs: Any) -> None:
        self.ledger.close()


def test_a_tool_call_the_ledger_cannot_record_does_not_run(url: str) -> None:
    """Failing closed: NotRecorded out of on_tool_start, raised by LangChain, and no refund."""
    ledger = fleetledger.open(url, default_source="tests")
    with pytest.raises(NotRecorded) as refused:
        run_agent(ledger, InMemorySaver(), ClosesTheLedger(ledger))

    assert REFUNDS == []
    assert (refused.value.tool, refused.value.event_type) == ("refund", "tool.call.requested")
    assert isinstance(refused.value.__cause__, LedgerClosed)


def test_failing_open_the_tool_runs_when_its_call_cannot_be_recorded(url: str) -> None:
    """With fail_closed=False what cannot be recorded is logged, and the tool runs."""
    ledger = fleetledger.open(url, default_source="tests")
    run_agent(ledger, InMemorySaver(), ClosesTheLedger(ledger), fail_closed=False)

    assert REFUNDS == ["991"]


def test_a_read_only_ledger_keeps_the_graph_from_starting(url: str) -> None:
    """When not even the run can be recorded, no node runs (on_chain_start raises)."""
    with fleetledger.open(url, default_source="tests") as writable:
        LedgerSaver(writable)
    with fleetledger.open(url, readonly=True) as readonly, pytest.raises(ReadOnlyLedger):
        run_agent(readonly)

    assert REFUNDS == []
