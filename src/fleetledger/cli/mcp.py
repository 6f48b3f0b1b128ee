"""``fleetledger mcp serve``: the ledger as an MCP server on stdio (the ``[mcp]`` extra).

An agent's MCP client starts it as a subprocess and calls its tools: ``replay`` (a task's
events), ``state`` (where the task stands), ``evidence`` (its evidence bundle, verifiable
offline) and ``prove`` (an event's inclusion proof). It opens the ledger read-only: nothing
an agent does through it can write. The server itself is
:func:`fleetledger.adapters.mcp.ledger_server`.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from fleetledger import MissingExtra
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import guarded

SERVE_JSON = (
    "one JSON object on stderr when serving (stdout carries the MCP protocol): {namespace, tools}"
)
TOOLS = {
    "replay": "a task's events in the ledger's order, as CloudEvents",
    "state": "where a task stands: status, assignee, open calls, pending approvals",
    "evidence": "a task's evidence bundle, verifiable offline with the signer's public key",
    "prove": "an event's inclusion proof against the newest signed head",
}
"""The tools ``mcp serve`` offers, and what each answers."""
TOOLS_JSON = "one JSON object per tool, one per line: {tool, description}"

app = typer.Typer(
    name="mcp",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
@guarded
def mcp(ctx: typer.Context, as_json: Annotated[bool, json_option(TOOLS_JSON)] = False) -> None:
    """List the tools mcp serve offers agents over the Model Context Protocol."""
    if ctx.invoked_subcommand is not None:
        return
    for tool, description in TOOLS.items():
        if as_json:
            write_json({"tool": tool, "description": description})
        else:
            output().print(f"{tool:<9} {description}")


@app.command("serve")
@guarded
def serve(
    ledger: LedgerURL = None, as_json: Annotated[bool, json_option(SERVE_JSON)] = False
) -> None:
    """Serve replay, state, evidence and prove as MCP tools on stdio (read-only)."""
    try:
        from fleetledger.adapters.mcp import ledger_server  # noqa: PLC0415 -- the [mcp] extra
    except ImportError as exc:
        raise MissingExtra("mcp", exc.name or "mcp") from exc
    with open_ledger(ledger) as opened:
        server = ledger_server(opened)
        if as_json:
            typer.echo(json.dumps({"namespace": opened.namespace, "tools": list(TOOLS)}), err=True)
        else:
            typer.echo(f"serving {opened.namespace} to MCP clients on stdio", err=True)
        server.run("stdio")
