"""``fleetledger demo --framework langgraph``: a fake-model LangGraph agent on the ledger."""

import base64
import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner, Result

from fleetledger.cli.app import app
from fleetledger.integrity import open_ledger_head, verify_inclusion
from fleetledger.ledger import load_verifier

Run = Callable[..., Result]


def test_the_langgraph_demo_prints_the_replay_the_history_and_a_proof(run: Run) -> None:
    """The thread's task replays with its tool call and checkpoints, and one is proved."""
    result = run("demo", "--framework", "langgraph")

    assert result.exit_code == 0, result.output
    for words in ("call.started", "checkpoint.saved", "checkpoint history", "step -1", "proof"):
        assert words in result.stdout


def test_the_langgraph_demos_json_carries_a_proof_that_verifies(run: Run, tmp_path: Path) -> None:
    """--json: the story's types in order, five checkpoints, and a proof checked by hand."""
    result = run("demo", "--framework", "langgraph", "--json")

    shown = json.loads(result.stdout)
    types = [e["type"] for e in shown["events"] if not e["type"].startswith("graph.")]
    assert types == [
        "task.requested",
        "task.started",
        "tool.call.requested",
        "tool.call.started",
        "tool.call.completed",
        "task.completed",
    ]
    assert [c["step"] for c in shown["checkpoints"]] == [3, 2, 1, 0, -1]
    assert shown["refunds"] == ["991"]
    proof = shown["proof"]
    assert proof["event_id"] == shown["checkpoints"][0]["event_id"]
    verifier = load_verifier(tmp_path / "fleet-demo.pub")
    head = open_ledger_head(proof["head"].encode(), verifier, namespace="fleet")
    line = head.partition(proof["topic"], proof["partition"])
    path = [base64.b64decode(h) for h in proof["audit_path"]]
    leaf = base64.b64decode(proof["leaf_hash"])
    verify_inclusion(leaf, path, index=proof["leaf_index"], size=proof["tree_size"], root=line.root)


def test_an_unknown_framework_is_refused_with_the_ones_known(url: str) -> None:
    """--framework names a framework the demo knows, or the command says which it knows."""
    result = CliRunner().invoke(app, ["demo", "--framework", "crewai", "--ledger", url])

    assert result.exit_code != 0
    assert "langgraph" in result.output
