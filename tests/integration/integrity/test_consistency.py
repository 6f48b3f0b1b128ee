"""Ledger.prove_consistency on a real signed SQLite file: a later head extends an earlier one."""

import base64
from collections.abc import Callable
from typing import Any

import pytest

from fleetledger import Ledger, NotFound
from fleetledger.errors import ProofError, UnknownKey
from fleetledger.integrity import (
    LedgerHead,
    NoteSigner,
    NoteVerifier,
    PartitionHead,
    leaf_hash,
    open_ledger_head,
    parse_note,
    sign_ledger_head,
    verify_consistency,
)

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]


@pytest.fixture
def heads(open_ledger: Open, append_tasks: Append) -> list[int]:
    """Heads signed every 3 task events of one subject, then tool events in a new family."""
    with open_ledger(every=3) as ledger:
        append_tasks(ledger, 7)
        for n in range(3):
            ledger.append(
                "tool.call.requested", subject="task-1", data={"call_id": f"c{n}", "tool": "t"}
            )
    with open_ledger(sign=False) as ledger:
        return [head.number for head in ledger.heads()]


def lines(note: str) -> tuple[PartitionHead, ...]:
    """The partition lines of a head note."""
    return LedgerHead.parse(parse_note(note.encode())[0]).partitions


def test_a_later_head_extends_an_earlier_one_in_every_partition(
    heads: list[int], open_ledger: Open, verifier: NoteVerifier
) -> None:
    """One entry per line of the old head, each proof verifying from old to new."""
    proof = open_ledger(sign=False).prove_consistency(heads[0], heads[-1], verifier)

    assert [(e.topic, e.partition) for e in proof.partitions] == [
        (line.topic, line.partition) for line in lines(proof.old_head)
    ]
    for entry in proof.partitions:
        assert entry.old_size < entry.new_size
        verify_consistency(
            entry.proof,
            old_size=entry.old_size,
            new_size=entry.new_size,
            old_root=entry.old_root,
            new_root=entry.new_root,
        )


def test_latest_is_the_newest_stored_head(
    heads: list[int], open_ledger: Open, verifier: NoteVerifier
) -> None:
    """'latest' names the newest head: the highest number."""
    ledger = open_ledger(sign=False)

    assert ledger.prove_consistency(heads[0], "latest").new_number == heads[-1]
    assert ledger.prove_consistency(heads[0]).new_number == heads[-1]


def test_partitions_new_in_the_new_head_have_nothing_to_prove(
    heads: list[int], open_ledger: Open
) -> None:
    """The tool family first appears after the first head: it gets no entry."""
    proof = open_ledger(sign=False).prove_consistency(heads[0], "latest")

    assert any(line.topic == "fleet.tool" for line in lines(proof.new_head))
    assert all(entry.topic == "fleet.task" for entry in proof.partitions)


def test_a_head_note_from_elsewhere_can_be_the_old_head(
    heads: list[int], open_ledger: Open, verifier: NoteVerifier, sql: SQL
) -> None:
    """A signed head an auditor saved (bytes) works like a stored one; it has no number."""
    saved = [note for (note,) in sql("SELECT note FROM checkpoints WHERE kind = 'head'")][1]

    proof = open_ledger(sign=False).prove_consistency(saved, "latest", verifier)

    assert proof.old_number is None
    assert proof.old_head == saved.decode()


def test_a_head_is_consistent_with_itself(heads: list[int], open_ledger: Open) -> None:
    """Equal sizes need no proof hashes."""
    proof = open_ledger(sign=False).prove_consistency(heads[2], heads[2])

    assert all(entry.proof == () for entry in proof.partitions)


def test_an_older_head_does_not_extend_a_newer_one(heads: list[int], open_ledger: Open) -> None:
    """Going backwards, trees shrink: ProofError names the partition and both heads."""
    with pytest.raises(ProofError, match=rf"#{heads[0]} does not extend ledger head #{heads[-1]}"):
        open_ledger(sign=False).prove_consistency(heads[-1], heads[0])


def test_a_head_on_a_fork_is_not_extended(
    heads: list[int], open_ledger: Open, signer: NoteSigner, verifier: NoteVerifier
) -> None:
    """A validly signed head whose root the stored leaves never had is found out."""
    line = lines(open_ledger(sign=False).prove_consistency(heads[0]).old_head)[0]
    forked = PartitionHead(line.topic, line.partition, line.size, leaf_hash(b"another history"))
    note = sign_ledger_head("fleet", [forked], signer)

    with pytest.raises(ProofError, match=f"{line.topic}/{line.partition}"):
        open_ledger(sign=False).prove_consistency(note, "latest", verifier)


def test_a_head_signed_by_another_key_is_refused(
    heads: list[int], open_ledger: Open, signer: NoteSigner, verifier: NoteVerifier
) -> None:
    """With the ledger's key, a head note from a stranger is not trusted."""
    stranger = NoteSigner.generate("ledger.example/stranger")
    root = leaf_hash(b"x")
    note = sign_ledger_head("fleet", [PartitionHead("fleet.task", 0, 1, root)], stranger)

    with pytest.raises(UnknownKey):
        open_ledger(sign=False).prove_consistency(note, "latest", verifier)


def test_an_unknown_head_number_is_not_found(heads: list[int], open_ledger: Open) -> None:
    """The error says where the numbers are listed."""
    with pytest.raises(NotFound, match="prove --heads"):
        open_ledger(sign=False).prove_consistency(10_000, "latest")


def test_the_json_form_is_the_documented_one(
    heads: list[int], open_ledger: Open, verifier: NoteVerifier
) -> None:
    """Format, version, both heads and per-partition sizes, roots and base64 proof hashes."""
    proof = open_ledger(sign=False).prove_consistency(heads[0], "latest", verifier)

    document = proof.to_json()

    assert (document["format"], document["version"]) == ("fleetledger-consistency", 1)
    assert open_ledger_head(document["old_head"].encode(), verifier, namespace="fleet")
    entry = document["partitions"][0]
    assert set(entry) == {
        "topic",
        "partition",
        "old_size",
        "old_root",
        "new_size",
        "new_root",
        "proof",
    }
    decoded = [base64.b64decode(h, validate=True) for h in entry["proof"]]
    assert decoded == list(proof.partitions[0].proof)
