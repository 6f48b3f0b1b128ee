"""``fleetledger mcp serve``: the ledger as an MCP server on stdio (the ``[mcp]`` extra).

An agent's MCP client starts it as a subprocess and calls its tools: ``replay`` (a task's
events), ``state`` (where the task stands), ``evidence`` (its evidence bundle, verifiable
offline) and ``prove`` (an event's inclusion proof). It opens the ledger read-only: nothing
an agent does through it can write. The server itself is
:func:`fleetledger.adapters.mcp.ledger_server`.
"""

from __future__ import annotations

import typer

from fleetledger import MissingExtra
from fleetledger.cli.common import LedgerURL, open_ledger
from fleetledger.cli.exits import guarded

app = typer.Typer(
    name="mcp",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="The ledger for agents over the Model Context Protocol.",
)


@app.command("serve")
@guarded
def serve(ledger: LedgerURL = None) -> None:
    """Serve replay, state, evidence and prove as MCP tools on stdio (read-only)."""
    try:
        from fleetledger.adapters.mcp import ledger_server  # noqa: PLC0415 -- the [mcp] extra
    except ImportError as exc:
        raise MissingExtra("mcp", exc.name or "mcp") from exc
    with open_ledger(ledger) as opened:
        ledger_server(opened).run("stdio")
