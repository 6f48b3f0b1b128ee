"""A small LangGraph agent for the adapter's tests: a fake chat model and one tool.

The model is LangChain's own ``GenericFakeChatModel`` fed a fixed script: it first asks for the
``refund`` tool, then answers. No network, no API key. ``compile_agent`` wires the usual
agent loop (model → tools → model) with a ``ToolNode`` and the prebuilt ``tools_condition``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode, tools_condition

REFUNDS: list[str] = []
"""The orders the ``refund`` tool has refunded (the tests check it ran, or did not)."""


@tool
def refund(order: str) -> str:
    """Refund an order."""
    REFUNDS.append(order)
    return f"refunded {order}"


def script(order: str = "991") -> list[BaseMessage]:
    """What the fake model says: a tool call, then the final answer."""
    call = {"name": "refund", "args": {"order": order}, "id": f"call-{order}"}
    return [AIMessage(content="", tool_calls=[call]), AIMessage(content=f"Order {order} refunded.")]


def compile_agent(
    checkpointer: BaseCheckpointSaver[Any],
    messages: Sequence[BaseMessage] | None = None,
    *,
    interrupt_before: Sequence[str] = (),
    callbacks: Sequence[BaseCallbackHandler] = (),
) -> CompiledStateGraph[Any, Any, Any, Any]:
    """The agent graph over ``checkpointer``, its model speaking ``messages``."""
    model = GenericFakeChatModel(messages=iter(messages or script()), callbacks=list(callbacks))

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node("tools", ToolNode([refund]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    return builder.compile(checkpointer=checkpointer, interrupt_before=list(interrupt_before))
