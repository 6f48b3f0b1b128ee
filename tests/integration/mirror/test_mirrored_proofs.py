"""A mirrored copy carries the source's signed notes, and verifies and proves against them."""

from pathlib import Path

import fleetledger
from fleetledger import Ledger
from fleetledger.backends.protocols import ProvableLog
from fleetledger.demo import simulate
from fleetledger.integrity import NoteSigner
from fleetledger.mirror import mirror


def signed_fleet(path: Path, signer: NoteSigner) -> str:
    """A signed SQLite ledger of a small simulated fleet; returns its URL."""
    url = f"sqlite:///{path}?checkpoint_events=50"
    with fleetledger.open(url, signer=signer) as ledger:
        simulate(ledger, tasks=8, seed=5)
    return url


def notes(ledger: Ledger) -> list[bytes]:
    """Every signed note the ledger stores, oldest first."""
    assert isinstance(ledger.log, ProvableLog)
    return [row.note for row in ledger.log.checkpoints(ledger.namespace)]


def test_a_copy_holds_every_signed_note_of_the_source_once(tmp_path: Path) -> None:
    signer = NoteSigner.generate("ledger.example.com")
    src_url = signed_fleet(tmp_path / "src.db", signer)
    dst_url = f"sqlite:///{tmp_path / 'dst.db'}"
    with fleetledger.open(src_url, signer=False) as src, fleetledger.open(dst_url) as dst:
        first = mirror(src, dst)
        again = mirror(src, dst)
        source_notes, copied_notes = notes(src), notes(dst)
    assert first.notes == len(source_notes) > 2
    assert again.notes == 0
    assert copied_notes == source_notes


def test_a_copy_verifies_with_the_source_key_alone(tmp_path: Path) -> None:
    signer = NoteSigner.generate("ledger.example.com")
    src_url = signed_fleet(tmp_path / "src.db", signer)
    dst_url = f"sqlite:///{tmp_path / 'dst.db'}"
    with fleetledger.open(src_url, signer=False) as src, fleetledger.open(dst_url) as dst:
        mirror(src, dst)
        result = dst.verify(signer.verifier)
    assert result.ok, result.findings
    assert result.signatures_checked
    assert result.checkpoints > 2


def test_an_event_of_the_copy_is_proved_against_the_head_the_source_signed(
    tmp_path: Path,
) -> None:
    signer = NoteSigner.generate("ledger.example.com")
    src_url = signed_fleet(tmp_path / "src.db", signer)
    dst_url = f"sqlite:///{tmp_path / 'dst.db'}"
    with fleetledger.open(src_url, signer=False) as src, fleetledger.open(dst_url) as dst:
        mirror(src, dst)
        event = next(iter(src.replay(next(iter(src.read("task", 0, 0))).subject)))
        original = src.prove(event.id, signer.verifier)
        copied = dst.prove(event.id, signer.verifier)
    assert copied.head == original.head
    assert (copied.index, copied.size, copied.path) == (
        original.index,
        original.size,
        original.path,
    )
