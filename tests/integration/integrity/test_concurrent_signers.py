"""Two writer processes signing the same file keep one consistent tree per partition."""

import multiprocessing
from pathlib import Path

import pytest

import fleetledger
from fleetledger.integrity import NoteVerifier

EVENTS = 60


def write(url: str, writer: int) -> None:
    """Append ``EVENTS`` events one by one, over subjects shared with the other writer."""
    with fleetledger.open(url, default_source=f"writer-{writer}") as ledger:
        for n in range(EVENTS):
            ledger.append("task.started", subject=f"task-{n % 3}", id=f"w{writer}-{n}")


@pytest.fixture(autouse=True)
def _importable_by_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned children import this module by name: make the test tree importable for them."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[3]))


def test_interleaved_signing_writers_leave_a_ledger_that_verifies(
    db: Path, key_files: tuple[Path, Path], verifier: NoteVerifier
) -> None:
    """Each process's cached frontier follows the other's commits; every checkpoint holds."""
    url = f"sqlite:///{db}?key={key_files[0]}&checkpoint_events=7"
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=write, args=(url, w)) for w in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0, 0]

    with fleetledger.open(f"sqlite:///{db}", signer=False) as ledger:
        result = ledger.verify(verifier)

    assert result.ok, result.findings
    assert (result.events, result.leaves) == (2 * EVENTS, 2 * EVENTS)
    assert result.checkpoints > 2 * EVENTS // 7
