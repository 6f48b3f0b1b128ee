"""LedgerSaver: a LangGraph checkpointer whose state history lives in the ledger."""

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate

import fleetledger
from fleetledger import Ledger, ReadOnlyLedger
from fleetledger.adapters.langgraph import CHECKPOINT_SAVED, LedgerSaver
from fleetledger.integrity import NoteSigner, open_ledger_head, verify_inclusion
from tests.integration.adapters.langgraph.agents import REFUNDS, compile_agent, script

THREAD = {"configurable": {"thread_id": "task-991"}}
ASK = {"messages": [("user", "refund order 991")]}


@pytest.mark.parametrize("scheme", ["memory", "sqlite"])
def test_langgraphs_own_conformance_suite_passes(scheme: str, url: str) -> None:
    """Every base capability of LangGraph's checkpointer suite, and copy_thread, pass."""

    @checkpointer_test(name=f"LedgerSaver on {scheme}")
    async def saver() -> AsyncIterator[BaseCheckpointSaver[str]]:
        opened = fleetledger.open(
            "memory://" if scheme == "memory" else url, default_source="tests"
        )
        yield LedgerSaver(opened)
        opened.close()

    report = asyncio.run(validate(saver))

    assert report.passed_all_base(), report.results
    assert report.results["copy_thread"].passed


def test_an_interrupted_graph_resumes_from_the_ledger_after_a_restart(url: str) -> None:
    """A graph stopped before its tool node resumes in a new process's saver, from the file."""
    with fleetledger.open(url, default_source="tests") as first:
        compile_agent(LedgerSaver(first), interrupt_before=["tools"]).invoke(ASK, THREAD)
    assert REFUNDS == []

    with fleetledger.open(url, default_source="tests") as reopened:
        graph = compile_agent(LedgerSaver(reopened), script()[1:])
        assert graph.get_state(THREAD).next == ("tools",)
        final = graph.invoke(None, THREAD)

    assert REFUNDS == ["991"]
    assert final["messages"][-1].content == "Order 991 refunded."


def test_the_history_lists_every_step_newest_first(ledger: Ledger) -> None:
    """get_state_history walks the ledger's checkpoints from the last step back to the input."""
    graph = compile_agent(LedgerSaver(ledger))
    graph.invoke(ASK, THREAD)

    steps = [(s.metadata["step"], s.next) for s in graph.get_state_history(THREAD)]

    assert steps == [
        (3, ()),
        (2, ("agent",)),
        (1, ("tools",)),
        (0, ("agent",)),
        (-1, ("__start__",)),
    ]


def test_list_narrows_by_metadata_before_and_limit(ledger: Ledger) -> None:
    """list() filters on metadata, stops before a checkpoint and keeps to the limit."""
    saver = LedgerSaver(ledger)
    compile_agent(saver).invoke(ASK, THREAD)
    newest = next(saver.list(THREAD))

    inputs = list(saver.list(THREAD, filter={"source": "input"}))
    older = list(saver.list(THREAD, before=newest.config, limit=2))

    assert [t.metadata["step"] for t in inputs] == [-1]
    assert [t.metadata["step"] for t in older] == [2, 1]


def test_time_travel_forks_the_thread_from_an_older_checkpoint(ledger: Ledger) -> None:
    """Resuming from the checkpoint before the tool ran takes a new branch; both stay listed."""
    saver = LedgerSaver(ledger)
    compile_agent(saver).invoke(ASK, THREAD)
    before_tool = next(
        s for s in compile_agent(saver).get_state_history(THREAD) if s.next == ("tools",)
    )

    fork = compile_agent(saver, script()[1:]).invoke(None, before_tool.config)

    assert REFUNDS == ["991", "991"]
    assert fork["messages"][-1].content == "Order 991 refunded."
    latest = saver.get_tuple(THREAD)
    assert latest is not None
    assert latest.parent_config is not None
    assert len(list(saver.list(THREAD))) == 5 + 3


def test_a_checkpoint_is_a_ledger_event_of_the_thread(ledger: Ledger) -> None:
    """Checkpoints are replayed with the thread's task history, the thread id as subject."""
    saver = LedgerSaver(ledger)
    compile_agent(saver).invoke(ASK, THREAD)

    event = saver.checkpoint_event(THREAD)
    saved = [e for e in ledger.replay("task-991") if e.type == CHECKPOINT_SAVED]

    assert event.subject == "task-991"
    assert event.id == saved[-1].id
    assert (event.data["step"], event.data["source"], event.source) == (
        3,
        "loop",
        "langgraph/checkpointer",
    )


def test_a_checkpoint_is_proved_against_the_signed_ledger_head(
    ledger: Ledger, signer: NoteSigner
) -> None:
    """The checkpoint's leaf, its audit path and the signed head make a verifying proof."""
    saver = LedgerSaver(ledger)
    compile_agent(saver).invoke(ASK, THREAD)
    ledger.sign()

    proof = saver.prove(THREAD, signer.verifier)

    assert proof.event_id == saver.checkpoint_event(THREAD).id
    head = open_ledger_head(proof.head.encode(), signer.verifier, namespace=ledger.namespace)
    line = head.partition(proof.topic, proof.partition)
    verify_inclusion(
        proof.leaf_hash, proof.path, index=proof.index, size=proof.size, root=line.root
    )


def test_a_deleted_thread_is_gone_for_langgraph_but_kept_by_the_ledger(ledger: Ledger) -> None:
    """delete_thread hides the checkpoints from LangGraph; their events stay and still prove."""
    saver = LedgerSaver(ledger)
    compile_agent(saver).invoke(ASK, THREAD)
    kept = saver.checkpoint_event(THREAD).id

    saver.delete_thread("task-991")
    ledger.sign()

    assert saver.get_tuple(THREAD) is None
    assert ledger.prove(kept).event_id == kept
    assert [e.type for e in ledger.replay("task-991")][-1] == "graph.thread.deleted"


def test_a_ledger_that_cannot_write_stops_the_graph(url: str) -> None:
    """A checkpoint the ledger refuses raises out of invoke: the graph does not run on."""
    with fleetledger.open(url, default_source="tests") as writable:
        LedgerSaver(writable)  # stores the graph types, as a first run would
    with fleetledger.open(url, readonly=True) as readonly:
        graph = compile_agent(LedgerSaver(readonly))
        with pytest.raises(ReadOnlyLedger):
            graph.invoke(ASK, THREAD, durability="sync")
    assert REFUNDS == []


def test_the_adapter_without_its_extra_names_the_install_line() -> None:
    """Importing it with LangGraph missing raises MissingExtra with pip install '…[langgraph]'."""
    code = (
        "import sys; sys.modules['langgraph'] = None\n"
        "try:\n    import fleetledger.adapters.langgraph\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert shown.stdout.startswith("MissingExtra")
    assert "pip install 'fleetledger[langgraph]'" in shown.stdout
