"""Model Context Protocol: MCP tool calls recorded in the ledger, and the ledger as MCP tools.

:class:`RecordedSession` wraps a client (an ``mcp.ClientSession`` or ``mcp.Client``: anything
with ``call_tool(name, arguments, *, meta=...)``) and records every ``tools/call`` in a
:class:`~fleetledger.adapters.Run`:

====================================  ==========================================================
MCP                                   ledger
====================================  ==========================================================
``tools/call`` request                ``tool.call.requested`` then ``tool.call.started``
                                      (an approver's decision between them when one is given);
                                      the request's ``_meta.traceparent`` is the started
                                      event's, so the server's spans join the run's trace
result                                ``tool.call.completed`` (the ``CallToolResult``)
result with ``isError: true``         ``tool.call.failed``, ``error_type=mcp.isError``, the
                                      text content as the error: the tool ran and failed
JSON-RPC error (``MCPError``)         ``tool.call.failed``, ``error_type=jsonrpc.<code>``: the
                                      request failed; the error is raised again
====================================  ==========================================================

Failing closed, a call the ledger cannot record is never sent (:class:`NotRecorded`); a call
the ledger's ordering rules refuse is never sent either (:class:`PolicyViolation`).

:func:`ledger_server` is an MCP server whose tools read the ledger for agents: ``replay``
(a task's events), ``state`` (where it stands), ``evidence`` (its evidence bundle, verifiable
offline) and ``prove`` (an event's inclusion proof). ``fleetledger mcp serve`` runs it on
stdio. Needs the ``[mcp]`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import msgspec

from fleetledger.adapters.recorder import Approver, Run, plain
from fleetledger.errors import LedgerError, MissingExtra

try:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.shared.exceptions import MCPError
    from mcp.types import CallToolResult
except ImportError as exc:  # the [mcp] extra is not installed
    raise MissingExtra("mcp", "mcp") from exc

if TYPE_CHECKING:
    from fleetledger import Ledger

T = TypeVar("T")

__all__ = ["RecordedSession", "ToolCaller", "ledger_server"]


class ToolCaller(Protocol):
    """What :class:`RecordedSession` wraps: ``ClientSession.call_tool`` or ``Client.call_tool``."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any] | None = None, *, meta: Any = None
    ) -> CallToolResult: ...


class RecordedSession:
    """``session``, with every ``tools/call`` recorded in ``run`` (see the module)."""

    def __init__(self, session: ToolCaller, run: Run, *, approver: Approver | None = None) -> None:
        self.session = session
        self.run = run
        self.approver = approver

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        meta: Mapping[str, Any] | None = None,
    ) -> CallToolResult:
        """Record the call, send it with the run's trace context, record its result."""
        call = self.run.tool_call(name, arguments)
        call.request()
        if self.approver is not None:
            await call.ask(self.approver)
        call.start()
        carried = dict(meta or {})
        if call.traceparent:
            carried["traceparent"] = call.traceparent
        try:
            result = await self.session.call_tool(name, arguments, meta=carried)
        except MCPError as exc:
            call.fail(exc.message or str(exc), error_type=f"jsonrpc.{exc.code}")
            raise
        if result.is_error:
            call.fail(_text(result) or "the tool reported an error", error_type="mcp.isError")
        else:
            call.complete(_result(result))
        return result

    def __getattr__(self, name: str) -> Any:
        """Everything else is the wrapped session's (``list_tools``, ``read_resource``...)."""
        return getattr(self.session, name)


def _text(result: CallToolResult) -> str:
    """The text content of a result, joined."""
    return "\n".join(str(getattr(item, "text", "")) for item in result.content).strip()


def _result(result: CallToolResult) -> Any:
    """What ``tool.call.completed`` keeps of a result: structured content, else the text."""
    if result.structured_content is not None:
        return plain(result.structured_content)
    return _text(result)


# -- the ledger as an MCP server -----------------------------------------------------------


def ledger_server(ledger: Ledger, *, name: str = "fleetledger") -> MCPServer:
    """An MCP server with tools that read ``ledger``: replay, state, evidence, prove."""
    server = MCPServer(
        name,
        instructions="Read the fleet's coordination ledger: what happened in a task, where it"
        " stands, and proofs of it.",
    )

    @server.tool()
    def replay(task: str, types: list[str] | None = None) -> dict[str, Any]:
        """The events of ``task`` in the ledger's order, as CloudEvents (``types``: globs),
        and how many were withheld from this reader."""

        def read() -> dict[str, Any]:
            shown = ledger.replay(task, types=types)
            events = [event.to_dict() for event in shown]
            return {"task": task, "events": events, "withheld": shown.withheld}

        return _answer(read)

    @server.tool()
    def state(task: str) -> dict[str, Any]:
        """Where ``task`` stands: status, assignee, open tool calls, pending approvals."""
        return _answer(lambda: msgspec.to_builtins(ledger.state_at(task)))

    @server.tool()
    def evidence(task: str) -> dict[str, Any]:
        """The evidence bundle of ``task``: its events with inclusion proofs against the
        newest signed head, to verify offline with the signer's public key."""
        return _answer(lambda: ledger.evidence(task).to_json())

    @server.tool()
    def prove(event_id: str) -> dict[str, Any]:
        """An inclusion proof of one event against the newest signed head covering it."""
        return _answer(lambda: ledger.prove(event_id).to_json())

    return server


def _answer(read: Callable[[], T]) -> T:
    """``read()``; a ledger error becomes the tool's error result, its message kept (the
    server would otherwise answer only "Error executing tool")."""
    try:
        return read()
    except LedgerError as exc:
        raise ToolError(f"{type(exc).__name__}: {exc}") from exc
