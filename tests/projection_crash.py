"""The kill -9 harness of the projection crash tests: a projecting child process, killed at a
random moment of its work, many times, while a writer keeps appending.

Each trial starts a child that runs a projection (a table projection, or one whose output is
events) in small batches without end, waits until it has said it is ready, lets it work for a
random time and kills it with SIGKILL. The trial count is ``FLEETLEDGER_CRASH_TRIALS``.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import fleetledger
from tests.projections import Echo, echoed, every_event

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TRIALS = 10


def trials() -> int:
    """How many kills a crash test makes (``FLEETLEDGER_CRASH_TRIALS``, default 10)."""
    return int(os.environ.get("FLEETLEDGER_CRASH_TRIALS", DEFAULT_TRIALS))


# argv: url, kind ("tables" or "events"), database path (tables), batch size, name.
CHILD = """
import sys
import fleetledger
from tests.projections import Echo, echoed, every_event
from fleetledger.consumers.projection import run_projection
from fleetledger.consumers.tables import project
from tests.projections import Counts, Echo, register_echo

url, kind, path, batch, name = sys.argv[1:4] + [int(sys.argv[4]), sys.argv[5]]
ledger = fleetledger.open(url, default_source="projector")
register_echo(ledger)
if kind == "events":  # on Kafka this ends the transaction the last child left open
    ledger.fence(name)
print("ready", flush=True)
if kind == "tables":
    project(ledger, Counts(name), path, batch=batch, until_idle=False)
else:
    run_projection(ledger, Echo(name), batch=batch, until_idle=False)
"""


def kill_at_random(
    url: str,
    kind: str,
    path: Path | None,
    chance: random.Random,
    *,
    name: str = "",
    window: tuple[float, float] = (0.0, 0.5),
) -> None:
    """One trial: start a child projecting with ``name`` (the default of its kind if empty),
    let it work a random time within ``window`` seconds once ready, SIGKILL it; it must not
    have failed on its own before."""
    batch = chance.randint(1, 25)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    name = name or ("counts" if kind == "tables" else "echo")
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, url, kind, str(path or ""), str(batch), name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    ) as child:
        assert child.stdout is not None
        ready = child.stdout.readline()
        assert ready == "ready\n", child.stderr.read() if child.stderr else ""
        time.sleep(chance.uniform(*window))
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        child.kill()
        child.wait(timeout=30)
        stderr = child.stderr.read() if child.stderr else ""
    assert "Traceback" not in stderr, stderr


def append_tasks(ledger: fleetledger.Ledger, count: int, prefix: str) -> None:
    """``count`` task events over 40 tasks (so over every partition), in batches of 500."""
    for start in range(0, count, 500):
        ledger.append_many(
            [
                {"type": "task.started", "subject": f"{prefix}-{n % 40}"}
                for n in range(start, min(start + 500, count))
            ]
        )


@contextmanager
def writing(url: str) -> Iterator[None]:
    """A writer appending batches of 5 task events every 20 ms to ``url`` while the block
    runs (at most 250 per trial: more than a trial's time lets it write), so that every
    child finds new events to project."""
    limit = 250 * trials()
    done = threading.Event()

    def write() -> None:
        with fleetledger.open(url, default_source="writer") as ledger:
            written = 0
            while not done.is_set() and written < limit:
                append_tasks(ledger, 5, f"w{written}")
                written += 5
                done.wait(0.02)

    thread = threading.Thread(target=write, name="crash-writer")
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=60)


def assert_killed_mid_work(progress: list[int], total: int) -> None:
    """Most kills interrupted a child that was projecting (else the test proves little): the
    projection moved on during at least half the trials. ``progress`` is how many events were
    projected after each kill, of ``total`` in the end."""
    moved = sum(after > before for before, after in zip([0, *progress], progress, strict=False))
    assert moved >= len(progress) / 2, f"progress after each kill: {progress} of {total}"


def check_one_output_per_input(ledger: fleetledger.Ledger, name: str = "echo") -> None:
    """Each input has exactly one committed output, the outputs are what projecting every
    input from offset 0 gives, and the group has consumed everything."""
    outputs = Counter(echoed(ledger))
    inputs = every_event(ledger, "task")
    assert max(outputs.values()) == 1, "an input was projected twice"
    assert set(outputs) == {event.id for event in inputs}, "an input was skipped"
    stored = Counter((e.subject, e.data["source_id"]) for e in every_event(ledger, "echo"))
    rebuilt = Counter((o.subject, o.data["source_id"]) for o in Echo().project(inputs))
    assert stored == rebuilt
    assert all(lag.lag == 0 for lag in ledger.lag(name))
