"""Ledger.prove: a verified inclusion proof against the newest signed ledger head."""

import base64
from collections.abc import Callable
from typing import Any

import pytest

from fleetledger import IntegrityError, Ledger, NotFound
from fleetledger.integrity import (
    NoteVerifier,
    open_checkpoint,
    open_ledger_head,
    verify_inclusion,
)

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def ids(open_ledger: Open, append_tasks: Append, sql: SQL) -> list[str]:
    """Ten signed task events in one partition (checkpoints at 4, 8 and 10); their ids."""
    with open_ledger(every=4) as ledger:
        append_tasks(ledger, 10)
    return [event_id for (event_id,) in sql("SELECT id FROM events ORDER BY offset")]


@pytest.mark.parametrize("offset", [0, 5, 9])
def test_a_proof_verifies_against_the_signed_head_alone(
    ids: list[str], open_ledger: Open, verifier: NoteVerifier, offset: int
) -> None:
    """Leaf hash, audit path and the head's root for the partition make a valid proof."""
    proof = open_ledger(sign=False).prove(ids[offset], verifier)

    head = open_ledger_head(proof.head.encode(), verifier, namespace="fleet")
    line = head.partition(proof.topic, proof.partition)
    assert (proof.index, proof.size) == (offset, line.size) == (offset, 10)
    verify_inclusion(
        proof.leaf_hash, proof.path, index=proof.index, size=proof.size, root=line.root
    )
    assert proof.checkpoint is not None
    origin = f"fleet/{proof.topic}/{proof.partition}"
    assert open_checkpoint(proof.checkpoint.encode(), verifier, origin=origin).root == line.root


def test_the_json_form_carries_base64_hashes(
    ids: list[str], open_ledger: Open, verifier: NoteVerifier
) -> None:
    """to_json() names every field of the issue, hashes in standard base64."""
    proof = open_ledger(sign=False).prove(ids[3], verifier)

    document = proof.to_json()

    assert document["leaf_index"] == 3
    assert document["tree_size"] == 10
    assert base64.b64decode(document["leaf_hash"]) == proof.leaf_hash
    assert [base64.b64decode(h) for h in document["audit_path"]] == list(proof.path)
    assert document["head"].startswith("fleet ledger head\n")


def test_an_event_no_head_covers_yet_cannot_be_proved(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Before any checkpoint is signed there is nothing to prove against: NotFound."""
    ledger = open_ledger(every=100)
    append_tasks(ledger, 2)
    ((event_id,),) = sql("SELECT id FROM events WHERE offset = 1")

    with pytest.raises(NotFound, match="no signed ledger head"):
        ledger.prove(event_id)


def test_a_modified_event_cannot_be_proved(
    ids: list[str], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """prove refuses an event whose body no longer hashes to its leaf."""
    ((body,),) = sql("SELECT body FROM events WHERE offset = 2")
    sql("UPDATE events SET body = ? WHERE offset = 2", body.replace(b"goal 2", b"goal 3"))

    with pytest.raises(IntegrityError, match="does not match its stored leaf"):
        open_ledger(sign=False).prove(ids[2], verifier)
