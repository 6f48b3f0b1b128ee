"""``fleetledger mcp serve``: a real subprocess an MCP client talks to over stdio."""

import json
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

import fleetledger
from fleetledger import Recorder


def test_mcp_serve_answers_replay_over_stdio(tmp_path: Path) -> None:
    """An MCP client starts the command and replays a recorded task through it."""
    url = f"sqlite:///{tmp_path}/served.db"
    with fleetledger.open(url, signer=False) as ledger:
        run = Recorder(ledger).start_run("refund order 991")
        run.completed("refunded")
    command = str(Path(sys.executable).parent / "fleetledger")
    server = StdioServerParameters(command=command, args=["mcp", "serve", "--ledger", url])

    async def replay() -> Any:
        with anyio.fail_after(30):
            async with Client(server, mode="legacy") as client:
                tools = {tool.name for tool in (await client.list_tools()).tools}
                return tools, await client.call_tool("replay", {"task": run.task})

    tools, result = anyio.run(replay)
    assert tools == {"replay", "state", "evidence", "prove"}
    events = json.loads(result.content[0].text)["events"]
    assert [e["type"] for e in events] == ["task.requested", "task.completed"]
