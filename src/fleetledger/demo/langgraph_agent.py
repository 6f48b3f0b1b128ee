"""The LangGraph agent of ``fleetledger demo --framework langgraph`` (extra ``[langgraph]``).

A model node and a tool node in LangGraph's usual agent loop. The model is LangChain's
``GenericFakeChatModel`` reading a fixed script (ask for ``refund``, then answer), so the demo
runs offline, with no API key, and the same way every time. The graph checkpoints into the
ledger (:class:`~fleetledger.adapters.langgraph.LedgerSaver`) and records its run and tool
call through :class:`~fleetledger.adapters.langgraph.LedgerCallbackHandler`, both under one
task: the thread id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition

from fleetledger import Ledger
from fleetledger.adapters import Recorder
from fleetledger.adapters.langgraph import LedgerCallbackHandler, LedgerSaver

ORDER = "991"


@dataclass
class Outcome:
    """What the agent did: the orders refunded and the checkpoints, newest first."""

    refunds: list[str] = field(default_factory=list)
    checkpoints: list[dict[str, Any]] = field(default_factory=list)


def run_agent(ledger: Ledger, task: str) -> Outcome:
    """Run the agent on thread ``task``; return its refunds and its checkpoint history."""
    outcome = Outcome()

    @tool
    def refund(order: str) -> str:
        """Refund a customer's order."""
        outcome.refunds.append(order)
        return f"refunded order {order}"

    call = {"name": "refund", "args": {"order": ORDER}, "id": f"call-{ORDER}"}
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(content="", tool_calls=[call]),
                AIMessage(content=f"Order {ORDER} refunded."),
            ]
        )
    )

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([refund]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    saver = LedgerSaver(ledger, source="demo/langgraph")
    handler = LedgerCallbackHandler(Recorder(ledger, source="demo/langgraph"), agent="refunds")
    config: RunnableConfig = {"configurable": {"thread_id": task}, "callbacks": [handler]}
    graph = builder.compile(checkpointer=saver)
    asked: MessagesState = {"messages": [HumanMessage(f"Please refund order {ORDER}.")]}
    graph.invoke(asked, config)
    for saved in saver.list({"configurable": {"thread_id": task}}):
        outcome.checkpoints.append(
            {
                "step": saved.metadata.get("step"),
                "source": saved.metadata.get("source"),
                "checkpoint_id": saved.config["configurable"]["checkpoint_id"],
                "event_id": saver.checkpoint_event(saved.config).id,
            }
        )
    return outcome
