"""``fleetledger demo --framework langgraph``: a LangGraph agent whose story lives in the ledger.

A small agent graph (a model node and a tool node) runs on LangChain's own fake chat model,
offline: the model asks for the ``refund`` tool, the tool runs, the model answers. The graph's
checkpointer is :class:`~fleetledger.adapters.langgraph.LedgerSaver` and its callback handler
:class:`~fleetledger.adapters.langgraph.LedgerCallbackHandler`, so the thread's task, its tool
call and every checkpoint are events of one task. The demo prints that task's replay and the
graph's checkpoint history read back from the ledger, then signs and proves the last
checkpoint with the demo key (SQLite and Kafka; a memory ledger keeps no trees).
"""

from __future__ import annotations

from typing import Any

import fleetledger
from fleetledger import Event, InclusionProof, MissingExtra
from fleetledger.cli.common import cli_source, output, write_json
from fleetledger.cli.render import printable, show_timeline
from fleetledger.events import uuid7
from fleetledger.ledger import load_verifier, public_key_path

LANGGRAPH_JSON = (
    "one JSON object: {framework, task, events: [{id, type}], checkpoints: [{step, source,"
    " checkpoint_id, event_id}], refunds: [order], proof: {event_id, topic, partition,"
    " leaf_index, tree_size, leaf_hash, audit_path, head, checkpoint} (null on memory://)}"
)


def run_langgraph_demo(url: str, *, as_json: bool) -> None:
    """Run the agent graph on ``url``, show its replay and history, prove a checkpoint."""
    from fleetledger.cli.demo import demo_key, sign_everything  # noqa: PLC0415 -- no cycle

    try:
        from fleetledger.demo.langgraph_agent import run_agent  # noqa: PLC0415
    except ImportError as exc:
        raise MissingExtra("langgraph", exc.name or "langgraph") from exc
    key = demo_key(url)
    task = f"task-graph-{uuid7()}"
    opened = fleetledger.open(url, default_source=cli_source(), signer=key[0] if key else False)
    try:
        outcome = run_agent(opened, task)
        proof = None
        if key is not None:
            event_id = outcome.checkpoints[0]["event_id"]
            opened = sign_everything(opened, url, key[0])
            proof = opened.prove(event_id, load_verifier(public_key_path(key[0])))
        events = list(opened.replay(task))
        if as_json:
            write_json(_as_json(task, events, outcome.checkpoints, outcome.refunds, proof))
        else:
            _show(task, events, outcome.checkpoints, proof)
    finally:
        opened.close()


def _as_json(
    task: str,
    events: list[Event],
    checkpoints: list[dict[str, Any]],
    refunds: list[str],
    proof: InclusionProof | None,
) -> dict[str, Any]:
    return {
        "framework": "langgraph",
        "task": task,
        "events": [{"id": e.id, "type": e.type} for e in events],
        "checkpoints": checkpoints,
        "refunds": refunds,
        "proof": None if proof is None else proof.to_json(),
    }


def _show(
    task: str,
    events: list[Event],
    checkpoints: list[dict[str, Any]],
    proof: InclusionProof | None,
) -> None:
    console = output()
    console.print("[bold]LangGraph agent[/] (fake chat model, offline) on the ledger")
    show_timeline(console, task, events)
    console.print(f"\n[bold]checkpoint history[/] of thread {printable(task)}, newest first:")
    for saved in checkpoints:
        console.print(
            f"  step {saved['step']:>2}  {saved['source']:<6} {saved['checkpoint_id']}"
            f"  event {saved['event_id']}"
        )
    if proof is None:
        console.print("\nmemory:// ledgers keep no signed checkpoints: no proof to show")
        return
    console.print(
        f"\n[bold]proof[/] of the last checkpoint (event {proof.event_id}): leaf"
        f" {proof.index} of {proof.size} in {proof.topic}/{proof.partition}, audit path of"
        f" {len(proof.path)} hashes, verified against the signed ledger head"
    )
    console.print(f"  fleetledger prove {proof.event_id} --json  repeats it")


__all__ = ["LANGGRAPH_JSON", "run_langgraph_demo"]
