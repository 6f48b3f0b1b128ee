"""kill -9 at random moments: every acknowledged event survives and the file stays sound."""

import random
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import fleetledger

TRIALS = 5
TASK_PARTITIONS = 4

# The child appends from four threads (so group commit merges their batches), mixing single
# appends and batches of five, and prints each id only after the ledger acknowledged it.
WRITER = """
import sys, threading
import fleetledger

url, trial = sys.argv[1], sys.argv[2]
ledger = fleetledger.open(url, default_source="crash-writer")
printing = threading.Lock()

def acknowledge(ids):
    with printing:
        sys.stdout.write("".join(f"ack {event_id}\\n" for event_id in ids))
        sys.stdout.flush()

def work(thread):
    n = 0
    while True:
        subject = f"task-{thread}-{n % 5}"
        if n % 3:
            event_id = f"{trial}-{thread}-{n}"
            ledger.append("task.started", subject=subject, id=event_id)
            acknowledge([event_id])
            n += 1
        else:
            ids = [f"{trial}-{thread}-{n + i}" for i in range(5)]
            ledger.append_many(
                [{"type": "task.started", "subject": subject, "id": i} for i in ids]
            )
            acknowledge(ids)
            n += 5

print("ready", flush=True)
threads = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
"""


def run_and_kill(url: str, trial: int, after: float) -> list[str]:
    """Start a writer, SIGKILL it ``after`` seconds later; return the ids it acknowledged."""
    lines: list[str] = []
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(trial)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        reader = threading.Thread(target=lambda: lines.extend(child.stdout or ()), daemon=True)
        reader.start()
        time.sleep(after)
        child.kill()
        child.wait(timeout=10)
        reader.join(timeout=10)
        stderr = child.stderr.read() if child.stderr else ""
    assert "Traceback" not in stderr, stderr
    # Only whole lines count: a line cut by the kill was never fully acknowledged to us.
    return [line.split()[1] for line in lines if line.startswith("ack ") and line.endswith("\n")]


def check_ledger(path: Path, acknowledged: list[str]) -> None:
    """Every acknowledged id is stored; partitions are gap-free; SQLite finds no corruption."""
    with fleetledger.open(f"sqlite:///{path}", default_source="checker") as ledger:
        for event_id in acknowledged:
            ledger.get(event_id)
        for partition in range(TASK_PARTITIONS):
            events = ledger.read("task", partition, limit=1_000_000)
            assert [e.position.offset for e in events if e.position] == list(range(len(events)))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9_at_random_moments(tmp_path: Path) -> None:
    """5 writers killed 0.2 to 1 s after start: no acknowledged event is lost, no gap appears."""
    path = tmp_path / "ledger.db"
    chance = random.Random(20250101)
    acknowledged: list[str] = []
    for trial in range(TRIALS):
        acknowledged += run_and_kill(f"sqlite:///{path}", trial, chance.uniform(0.2, 1.0))
        check_ledger(path, acknowledged)
    assert len(acknowledged) > 0


@pytest.mark.slow
def test_a_ledger_accepts_appends_after_a_writer_was_killed(tmp_path: Path) -> None:
    """After kill -9 the next writer appends at the partition's next offset."""
    path = tmp_path / "ledger.db"
    run_and_kill(f"sqlite:///{path}", 0, 0.6)
    with fleetledger.open(f"sqlite:///{path}", default_source="after") as ledger:
        task = next(info for info in ledger.topics() if info.family == "task")
        position = ledger.append("task.started", subject="task-0-0", id="after-the-crash")
        assert position.offset == task.partitions[position.partition].end
        assert ledger.get("after-the-crash").position == position
