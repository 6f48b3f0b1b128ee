"""The MCP adapter: recorded tools/call over the SDK's in-memory transport, and the ledger's
own MCP server."""

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError

import fleetledger
from fleetledger import Event, Ledger, NotRecorded, PolicyViolation, Recorder
from fleetledger.adapters import Run
from fleetledger.adapters.mcp import RecordedSession, ledger_server
from fleetledger.ledger import write_key_pair

ARRIVED: list[dict[str, Any]] = []
"""What the test server's tools received: their arguments and the request's _meta."""


def orders_server() -> MCPServer:
    """An MCP server with a tool that answers, one that fails, one that errs in JSON-RPC."""
    server = MCPServer("orders")

    @server.tool()
    def lookup(order: int, ctx: Context) -> dict[str, Any]:
        """Look an order up."""
        ARRIVED.append({"order": order, "meta": dict(ctx.request_context.meta or {})})
        return {"order": order, "amount": "42.00"}

    @server.tool(name="payments.refund")
    def refund(order: int) -> str:
        """Refund an order."""
        ARRIVED.append({"order": order})
        return "refunded"

    @server.tool()
    def closed_order(order: int) -> str:
        """Fails as a tool: the result has isError."""
        raise ToolError(f"order {order} is closed")

    @server.tool()
    def gone(order: int) -> str:
        """Fails as a request: a JSON-RPC error."""
        raise MCPError(-32001, f"order {order} does not exist")

    return server


@pytest.fixture(autouse=True)
def nothing_arrived() -> None:
    ARRIVED.clear()


def call(run: Run, tool: str, arguments: dict[str, Any]) -> Any:
    """Call ``tool`` through a recorded session on the in-memory transport (JSON-RPC framed);
    what the call raised is raised here, outside the client's task group."""

    async def go() -> Any:
        with anyio.fail_after(20):
            async with Client(orders_server(), mode="legacy") as client:
                try:
                    return await RecordedSession(client, run).call_tool(tool, arguments)
                except Exception as exc:
                    return exc

    outcome = anyio.run(go)
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def tool_events(ledger: Ledger, run: Run) -> list[Event]:
    return [e for e in ledger.replay(run.task) if e.family == "tool"]


def test_a_tools_call_is_recorded_with_its_result(ledger: Ledger) -> None:
    """requested, started, completed; the structured result is kept."""
    run = Recorder(ledger).start_run("look up 991")
    result = call(run, "lookup", {"order": 991})
    events = tool_events(ledger, run)
    assert result.is_error is False
    assert [e.type for e in events] == [
        "tool.call.requested",
        "tool.call.started",
        "tool.call.completed",
    ]
    assert events[-1].data["result"] == {"order": 991, "amount": "42.00"}


def test_the_request_carries_the_started_events_traceparent_in_meta(ledger: Ledger) -> None:
    """The server receives _meta.traceparent: the run's trace, the started event's span."""
    run = Recorder(ledger).start_run("look up 991")
    call(run, "lookup", {"order": 991})
    started = tool_events(ledger, run)[1]
    assert ARRIVED[0]["meta"]["traceparent"] == started.traceparent


def test_a_result_with_is_error_is_a_failed_call_of_its_own_kind(ledger: Ledger) -> None:
    """isError: tool.call.failed with error_type mcp.isError and the tool's text."""
    run = Recorder(ledger).start_run("refund")
    assert call(run, "closed_order", {"order": 7}).is_error is True
    failed = tool_events(ledger, run)[-1]
    assert (failed.type, failed.data["error_type"]) == ("tool.call.failed", "mcp.isError")
    assert "order 7 is closed" in failed.data["error"]


def test_a_json_rpc_error_is_a_failed_call_told_apart_and_raised(ledger: Ledger) -> None:
    """A JSON-RPC error: tool.call.failed with error_type jsonrpc.<code>, and MCPError raised."""
    run = Recorder(ledger).start_run("refund")
    with pytest.raises(MCPError):
        call(run, "gone", {"order": 7})
    failed = tool_events(ledger, run)[-1]
    assert (failed.data["error_type"], failed.data["error"]) == (
        "jsonrpc.-32001",
        "order 7 does not exist",
    )


def test_a_call_the_ordering_rule_refuses_is_never_sent(ledger: Ledger) -> None:
    """No approval for payments.refund: PolicyViolation, and the server saw nothing."""
    run = Recorder(ledger).start_run("refund")
    with pytest.raises(PolicyViolation):
        call(run, "payments.refund", {"order": 7})
    assert ARRIVED == []


def test_failing_closed_a_call_the_ledger_cannot_record_is_never_sent(ledger: Ledger) -> None:
    """A closed ledger: NotRecorded, and the server saw nothing."""
    run = Recorder(ledger).start_run("look up")
    ledger.close()
    with pytest.raises(NotRecorded):
        call(run, "lookup", {"order": 7})
    assert ARRIVED == []


def test_failing_open_a_call_the_ledger_cannot_record_is_sent(ledger: Ledger) -> None:
    """fail_closed=False: the call goes through unrecorded."""
    run = Recorder(ledger, fail_closed=False).start_run("look up")
    ledger.close()
    assert call(run, "lookup", {"order": 7}).is_error is False
    assert len(ARRIVED) == 1


# -- the ledger's own server ---------------------------------------------------------------


@pytest.fixture
def signed(tmp_path: Path) -> tuple[str, str]:
    """A signed ledger holding one recorded run; its URL and the run's task."""
    key, _ = write_key_pair("agents", tmp_path)
    url = f"sqlite:///{tmp_path}/signed.db"
    with fleetledger.open(url, signer=key) as ledger:
        run = Recorder(ledger).start_run("refund order 991", agent="triage")
        run.started("triage")
        run.completed("refunded")
    return url, run.task


def ask(url: str, tool: str, arguments: dict[str, Any]) -> Any:
    """Call one tool of the ledger's MCP server over the in-memory transport."""

    async def go() -> Any:
        with anyio.fail_after(20):
            with fleetledger.open(url, readonly=True) as ledger:
                async with Client(ledger_server(ledger), mode="legacy") as client:
                    return await client.call_tool(tool, arguments)

    return anyio.run(go)


def answer(result: Any) -> Any:
    assert result.is_error is False, result.content
    return json.loads(result.content[0].text)


def test_the_ledger_server_replays_a_task(signed: tuple[str, str]) -> None:
    """replay: the task's events, in order, as CloudEvents."""
    url, task = signed
    events = answer(ask(url, "replay", {"task": task}))["events"]
    assert [e["type"] for e in events] == ["task.requested", "task.started", "task.completed"]


def test_the_ledger_server_says_where_a_task_stands(signed: tuple[str, str]) -> None:
    """state: the task's status from its events."""
    url, task = signed
    assert answer(ask(url, "state", {"task": task}))["status"] == "completed"


def test_the_ledger_server_hands_out_evidence_and_proofs(signed: tuple[str, str]) -> None:
    """evidence: a bundle of the task's events; prove: an event's inclusion proof."""
    url, task = signed
    bundle = answer(ask(url, "evidence", {"task": task}))
    first = answer(ask(url, "replay", {"task": task}))["events"][0]["id"]
    proof = answer(ask(url, "prove", {"event_id": first}))
    assert len(bundle["events"]) == 3
    assert proof["event_id"] == first


def test_the_ledger_server_answers_an_unknown_task_with_an_error_that_says_so(
    signed: tuple[str, str],
) -> None:
    """A ledger error is the tool's error result, its message kept."""
    result = ask(signed[0], "state", {"task": "task-nobody"})
    assert result.is_error is True
    assert "NotFound" in result.content[0].text
