"""Signed checkpoints: every N events and on close, per changed partition plus one head."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import ConfigurationError, Ledger
from fleetledger.integrity import NoteVerifier, open_checkpoint, open_ledger_head
from fleetledger.ledger.signing import KEY_ENV

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]
PARTITION_CHECKPOINTS = "SELECT size FROM checkpoints WHERE kind = 'partition' ORDER BY seq"


def test_a_checkpoint_is_signed_every_n_events_and_on_close(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """With N = 5, twelve appends give checkpoints at sizes 5 and 10, and 12 on close."""
    ledger = open_ledger(every=5)
    append_tasks(ledger, 12)
    assert sql(PARTITION_CHECKPOINTS) == [(5,), (10,)]

    ledger.close()

    assert sql(PARTITION_CHECKPOINTS) == [(5,), (10,), (12,)]
    assert sql("SELECT size FROM checkpoints WHERE kind = 'head' ORDER BY seq") == [
        (5,),
        (10,),
        (12,),
    ]


def test_checkpoints_and_heads_verify_with_the_pub_file(
    open_ledger: Open, append_tasks: Append, sql: SQL, verifier: NoteVerifier
) -> None:
    """Each stored note opens with the public key written beside the signer key."""
    with open_ledger(every=4) as ledger:
        append_tasks(ledger, 9)

    rows = sql("SELECT kind, topic, partition, size, root, note FROM checkpoints ORDER BY seq")
    for kind, topic, partition, size, root, note in rows:
        if kind == "head":
            head = open_ledger_head(note, verifier, namespace="fleet")
            assert sum(line.size for line in head.partitions) == size
        else:
            checkpoint = open_checkpoint(note, verifier, origin=f"fleet/{topic}/{partition}")
            assert (checkpoint.size, checkpoint.root) == (size, root)


def test_closing_without_new_events_signs_nothing_new(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """A partition already checkpointed at its size is not signed again."""
    with open_ledger(every=3) as ledger:
        append_tasks(ledger, 3)
    open_ledger(every=3).close()

    assert sql("SELECT kind, size FROM checkpoints ORDER BY seq") == [
        ("partition", 3),
        ("head", 3),
    ]


def test_without_a_signer_no_checkpoints_are_stored(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """A ledger opened without a key keeps trees but signs nothing."""
    with open_ledger(every=2, sign=False) as ledger:
        append_tasks(ledger, 5)

    assert sql("SELECT count(*) FROM checkpoints") == [(0,)]


def test_the_key_can_come_from_the_environment(
    db: Path, key_files: tuple[Path, Path], sql: SQL, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$FLEETLEDGER_KEY names the signer key when the URL does not."""
    monkeypatch.setenv(KEY_ENV, str(key_files[0]))
    with fleetledger.open(f"sqlite:///{db}") as ledger:
        ledger.append("task.requested", subject="t", source="tests", data={"goal": "g"})

    assert sql("SELECT kind FROM checkpoints ORDER BY seq") == [("partition",), ("head",)]


def test_an_unreadable_key_file_is_a_configuration_error(db: Path, tmp_path: Path) -> None:
    """Naming a key file that does not exist fails at open, saying which file."""
    with pytest.raises(ConfigurationError, match=r"missing\.key"):
        fleetledger.open(f"sqlite:///{db}", signer=tmp_path / "missing.key")
