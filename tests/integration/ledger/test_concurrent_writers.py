"""Several writer processes appending to one SQLite file at once lose and repeat nothing."""

import multiprocessing
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fleetledger

WRITERS = 4
EVENTS_PER_WRITER = 500
BATCH = 10
OPENERS = 6
NEW_FILES = 20


def write(url: str, writer: int, count: int) -> None:
    """Append ``count`` events: alternately one by one and in batches of ``BATCH``."""
    with fleetledger.open(url, default_source=f"writer-{writer}") as ledger:
        n = 0
        while n < count:
            subject = f"task-{writer}-{n % 7}"
            if (n // BATCH) % 2:
                ledger.append_many(
                    {"type": "task.started", "subject": subject, "id": f"w{writer}-{n + i}"}
                    for i in range(BATCH)
                )
                n += BATCH
            else:
                ledger.append("task.started", subject=subject, id=f"w{writer}-{n}")
                n += 1


def open_new_files(directory: str, opener: int, barrier: Any) -> None:
    """Open ``NEW_FILES`` new ledgers in step with the other openers; append one event each."""
    for n in range(NEW_FILES):
        barrier.wait(timeout=30)
        url = f"sqlite:///{directory}/ledger-{n}.db"
        try:
            with fleetledger.open(url, default_source=f"opener-{opener}") as ledger:
                ledger.append("task.started", subject="t-1", id=f"o{opener}-{n}")
        except BaseException:
            barrier.abort()  # the others stop waiting for this opener
            raise


def run_processes(target: Callable[..., None], args: list[tuple[Any, ...]]) -> list[int | None]:
    """Run ``target`` in one spawned process per argument tuple; return their exit codes."""
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=target, args=a) for a in args]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=90)
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(timeout=10)
    return [p.exitcode for p in processes]


@pytest.fixture(autouse=True)
def _importable_by_children(monkeypatch: pytest.MonkeyPatch) -> None:
    """Spawned children import this module by name: make the test tree importable for them."""
    monkeypatch.syspath_prepend(str(Path(__file__).parents[3]))


@pytest.mark.slow
def test_concurrent_writer_processes_lose_nothing_and_leave_no_gaps(sqlite_url: str) -> None:
    """4 processes x 500 events: all stored once, each partition numbered 0..n-1."""
    exit_codes = run_processes(write, [(sqlite_url, w, EVENTS_PER_WRITER) for w in range(WRITERS)])
    assert exit_codes == [0] * WRITERS

    with fleetledger.open(sqlite_url) as ledger:
        ids: list[str] = []
        for partition in range(4):
            events = ledger.read("task", partition, limit=100_000)
            assert [e.position.offset for e in events if e.position] == list(range(len(events)))
            ids.extend(e.id for e in events)
    expected = {f"w{w}-{n}" for w in range(WRITERS) for n in range(EVENTS_PER_WRITER)}
    assert Counter(ids) == Counter(expected)


@pytest.mark.slow
def test_processes_creating_one_new_ledger_at_once_all_succeed(tmp_path: Path) -> None:
    """6 processes opening the same new file at the same moment, 20 times: none is refused."""
    barrier = multiprocessing.get_context("spawn").Barrier(OPENERS)
    exit_codes = run_processes(
        open_new_files, [(str(tmp_path), o, barrier) for o in range(OPENERS)]
    )
    assert exit_codes == [0] * OPENERS
    with fleetledger.open(f"sqlite:///{tmp_path}/ledger-{NEW_FILES - 1}.db") as ledger:
        assert sum(info.events for info in ledger.topics()) == OPENERS
