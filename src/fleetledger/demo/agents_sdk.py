"""A refund handled by OpenAI Agents SDK agents on a scripted model, recorded in the ledger.

``fleetledger demo --framework openai-agents`` runs it: a triage agent looks the order up and
hands off to a payments agent, whose ``payments.refund`` is a governed tool under the demo's
ordering rule ("payments need an approval"): alice rejects the first refund asked for, so
the ledger refuses to start it (the tool does not run), then approves the second, which
runs. The model is
:class:`ScriptedModel`, an SDK ``Model`` that answers from a script, so nothing leaves the
machine: no API key, no network, and the SDK's own trace export is replaced by the ledger's
processor. Needs the ``[openai-agents]`` extra.
"""

from __future__ import annotations

import asyncio
import json
import tomllib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import fleetledger
from fleetledger import Event, Recorder
from fleetledger.adapters import Approval, ToolCall
from fleetledger.errors import MissingExtra
from fleetledger.governance import parse_ordering

try:
    from agents import Agent, RunConfig, Runner, function_tool, set_trace_processors
    from agents.items import ModelResponse, TResponseOutputItem, TResponseStreamEvent
    from agents.models.interface import Model
    from agents.usage import Usage
    from openai.types.responses import (
        ResponseFunctionToolCall,
        ResponseOutputMessage,
        ResponseOutputText,
    )

    from fleetledger.adapters.openai_agents import LedgerTracingProcessor, governed
except ImportError as exc:  # the [openai-agents] extra is not installed
    raise MissingExtra("openai-agents", "openai-agents") from exc

from fleetledger.demo.governed import POLICY

__all__ = ["AgentsRun", "ScriptedModel", "agents_run", "say", "use_tool"]


class ScriptedModel(Model):
    """An SDK model that answers each turn from a script: tool calls, handoffs, text.

    Each turn is a list of output items (:func:`use_tool`, :func:`say`). It never streams and
    never reaches a network; running out of script raises, so a test cannot loop forever.
    """

    def __init__(self, turns: Iterable[Sequence[TResponseOutputItem]]) -> None:
        self.turns = [list(turn) for turn in turns]
        self.asked = 0

    async def get_response(self, *args: Any, **kwargs: Any) -> ModelResponse:
        if self.asked >= len(self.turns):
            raise RuntimeError(f"the script has {len(self.turns)} turns; a turn more was asked")
        self.asked += 1
        return ModelResponse(output=self.turns[self.asked - 1], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[TResponseStreamEvent]:
        raise NotImplementedError("the scripted model does not stream: use Runner.run")


def use_tool(name: str, arguments: dict[str, Any], call_id: str) -> TResponseOutputItem:
    """A turn's item: the model calls tool ``name`` (a handoff is ``transfer_to_<agent>``)."""
    return ResponseFunctionToolCall(
        id=f"fc-{call_id}",
        call_id=call_id,
        type="function_call",
        name=name,
        arguments=json.dumps(arguments),
    )


def say(text: str) -> TResponseOutputItem:
    """A turn's item: the model answers ``text`` (the run's final output, if it ends there)."""
    content = ResponseOutputText(text=text, type="output_text", annotations=[], logprobs=[])
    return ResponseOutputMessage(
        id="msg", type="message", role="assistant", status="completed", content=[content]
    )


@dataclass(frozen=True)
class AgentsRun:
    """What the demo run left: its task, final output and events in the ledger's order."""

    task: str
    output: str
    events: list[Event]


def agents_run(url: str, task: str) -> AgentsRun:
    """Run the scripted refund as ``task`` on the ledger at ``url``; return its story."""
    ordering = parse_ordering(tomllib.loads(POLICY)["ordering"])
    with fleetledger.open(url, signer=False, ordering=ordering) as ledger:
        recorder = Recorder(ledger, tenant="demo", source="fleetledger-demo/openai-agents")
        set_trace_processors([LedgerTracingProcessor(recorder)])
        try:
            output = asyncio.run(_refund(recorder, task))
        finally:
            set_trace_processors([])
        return AgentsRun(task, output, list(ledger.replay(task)))


async def _refund(recorder: Recorder, task: str) -> str:
    @function_tool
    def lookup_order(order: int) -> str:
        """Look an order up."""
        return f"order {order}: 42.00 EUR, paid by card"

    @function_tool(name_override="payments.refund")
    def refund(order: int, amount: str) -> str:
        """Refund an order."""
        return f"refunded {amount} on order {order}"

    decisions = iter([False, True])

    def alice(call: ToolCall) -> Approval:
        if next(decisions, True):
            return Approval(True, "alice", f"{call.arguments.get('amount')} EUR is within limits")
        return Approval(False, "alice", "confirm the amount with the customer first")

    model = ScriptedModel(
        [
            [use_tool("lookup_order", {"order": 991}, "call-lookup")],
            [use_tool("transfer_to_payments", {}, "call-handoff")],
            [use_tool("payments.refund", {"order": 991, "amount": "42.00"}, "call-refund-1")],
            [use_tool("payments.refund", {"order": 991, "amount": "42.00"}, "call-refund-2")],
            [say("Order 991 is refunded: 42.00 EUR.")],
        ]
    )
    payments = Agent(
        name="payments",
        instructions="Refund orders.",
        model=model,
        tools=[governed(refund, recorder, approver=alice)],
    )
    triage = Agent(
        name="triage",
        instructions="Route customers.",
        model=model,
        tools=[lookup_order],
        handoffs=[payments],
    )
    config = RunConfig(
        workflow_name="refund",
        trace_metadata={"task": task, "goal": "refund order 991"},
    )
    result = await Runner.run(triage, "Please refund order 991.", run_config=config, max_turns=8)
    return str(result.final_output)
