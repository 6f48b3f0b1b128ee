"""Ledger.evidence on a real signed SQLite file: a bundle that verifies without the ledger."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fleetledger import IntegrityError, Ledger, NotFound
from fleetledger.integrity import (
    EvidenceBundle,
    NoteSigner,
    NoteVerifier,
    UnknownKey,
    read_bundle,
    verify_bundle,
)

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]
TASK = "task-1"


def append_task_work(ledger: Ledger, task: str, calls: int) -> None:
    """A task's request, then ``calls`` tool calls, in two families."""
    ledger.append("task.requested", subject=task, data={"goal": f"goal of {task}"})
    for n in range(calls):
        ledger.append(
            "tool.call.requested", subject=task, data={"call_id": f"{task}-c{n}", "tool": "t"}
        )


@pytest.fixture
def signed(open_ledger: Open) -> None:
    """Two interleaved tasks across the task and tool families, signed and closed."""
    with open_ledger(every=4) as ledger:
        for round_ in range(3):
            append_task_work(ledger, TASK, round_ + 1)
            append_task_work(ledger, "task-2", 2)


@pytest.fixture
def collected(signed: None, open_ledger: Open, verifier: NoteVerifier) -> EvidenceBundle:
    """The bundle of TASK, collected with the public key."""
    return open_ledger(sign=False).evidence(TASK, verifier)


def test_a_collected_bundle_verifies_offline_with_the_public_key(
    collected: EvidenceBundle, verifier: NoteVerifier, tmp_path: Path
) -> None:
    """Written to a file and read back, the bundle verifies with nothing but the key."""
    path = tmp_path / "bundle.json"
    path.write_bytes(collected.dumps())

    result = verify_bundle(read_bundle(path.read_bytes()), verifier)

    assert result.findings == ()
    assert result.signer_proved


def test_the_bundle_holds_every_event_of_the_task_and_no_other(
    collected: EvidenceBundle, sql: SQL
) -> None:
    """All nine events of the task, from both families, and none of the other task."""
    ((stored,),) = sql("SELECT count(*) FROM events WHERE subject = ?", TASK)

    assert len(collected.events) == stored == 9
    assert {e.topic for e in collected.events} == {"fleet.task", "fleet.tool"}
    assert all(b'"subject":"task-1"' in e.body for e in collected.events)


def test_every_event_is_proved_against_the_one_newest_head(
    collected: EvidenceBundle, sql: SQL
) -> None:
    """The head is the newest stored, and each proof's tree size is that head's."""
    ((newest,),) = sql("SELECT note FROM checkpoints WHERE kind = 'head' ORDER BY seq DESC LIMIT 1")

    assert collected.head == newest.decode()
    for event in collected.events:
        line = f"{event.topic}/{event.partition} {event.tree_size} "
        assert line in collected.head


def test_the_manifest_lists_exactly_the_bundles_leaves(collected: EvidenceBundle) -> None:
    """One manifest entry per partition, listing each event's leaf once."""
    listed = {(m.topic, m.partition, leaf) for m in collected.manifest for leaf in m.leaves}

    assert listed == {(e.topic, e.partition, e.leaf_index) for e in collected.events}


def test_the_bundle_carries_the_checkpoints_at_the_heads_sizes(
    collected: EvidenceBundle,
) -> None:
    """One checkpoint per partition of the task, at the size its events are proved in."""
    sizes = {(e.topic, e.partition): e.tree_size for e in collected.events}

    assert len(collected.checkpoints) == len(sizes)
    for (topic, partition), size in sizes.items():
        assert any(f"fleet/{topic}/{partition}\n{size}\n" in c for c in collected.checkpoints)


def test_the_bundle_names_the_public_key_it_was_collected_with(
    collected: EvidenceBundle, verifier: NoteVerifier
) -> None:
    """The verifier key string travels in the bundle."""
    assert collected.key == verifier.vkey


def test_without_a_key_the_bundle_carries_none(signed: None, open_ledger: Open) -> None:
    """A ledger opened without a key does not know who signed, so the bundle names no key."""
    assert open_ledger(sign=False).evidence(TASK).key is None


def test_a_bundle_still_verifies_after_the_ledger_grows(
    collected: EvidenceBundle, open_ledger: Open, verifier: NoteVerifier
) -> None:
    """Later appends sign newer heads; the bundle's own head still proves its events."""
    with open_ledger() as ledger:
        append_task_work(ledger, TASK, 5)

    assert verify_bundle(collected, verifier).ok


def test_a_task_without_events_has_no_bundle(signed: None, open_ledger: Open) -> None:
    """An unknown task is NotFound, named in the message."""
    with pytest.raises(NotFound, match="no events of task 'task-9'"):
        open_ledger(sign=False).evidence("task-9")


def test_a_ledger_never_signed_has_no_bundle(open_ledger: Open, append_tasks: Append) -> None:
    """Without any signed head there is nothing to prove against."""
    with open_ledger(sign=False) as ledger:
        append_tasks(ledger, 2)

    with pytest.raises(NotFound, match="no signed ledger head yet"):
        open_ledger(sign=False).evidence("task-1")


def test_events_after_the_newest_head_make_no_bundle_yet(
    signed: None, open_ledger: Open, verifier: NoteVerifier
) -> None:
    """An event not covered yet is NotFound, saying how a new head gets signed."""
    ledger = open_ledger(every=1000)
    ledger.append("task.started", subject=TASK)

    with pytest.raises(NotFound, match=r"does not cover event .* yet: a head is signed"):
        ledger.evidence(TASK, verifier)


def test_a_modified_stored_event_makes_no_bundle(
    signed: None, open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """The collector refuses an event that no longer matches its leaf."""
    ((offset, body),) = sql(
        "SELECT offset, body FROM events WHERE subject = ? AND topic = 'fleet.task' LIMIT 1", TASK
    )
    sql(
        "UPDATE events SET body = ? WHERE topic = 'fleet.task' AND offset = ?",
        body.replace(b"goal of", b"gaol of"),
        offset,
    )

    with pytest.raises(IntegrityError, match="does not match its stored leaf"):
        open_ledger(sign=False).evidence(TASK, verifier)


def test_a_head_another_key_would_have_to_sign_makes_no_bundle(
    signed: None, open_ledger: Open
) -> None:
    """With a key, the collector checks the head's signature before proving anything."""
    stranger = NoteSigner.generate("ledger.example/stranger").verifier

    with pytest.raises(UnknownKey):
        open_ledger(sign=False).evidence(TASK, stranger)
