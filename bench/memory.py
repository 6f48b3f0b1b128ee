"""Peak memory while verifying, replaying and mirroring a SQLite ledger, at two sizes.

Each operation runs over the whole file in a child process of its own
(``python bench/memory.py --child OPERATION LEDGER SCRATCH``), so that no operation's heap,
caches or memory freed but kept by the allocator counts in another's figure. The child opens
the ledger read-only, reads its resident set (``VmRSS`` in ``/proc/self/status``), runs the
operation while a thread samples ``VmRSS`` every 10 ms, and reads the kernel's peak resident
set (``VmHWM``). The figure is the highest of these; the target is on its growth from the
smaller file to the larger: an operation that streams needs the same memory whatever the size.

* verify: ``Ledger.verify()`` (no verifier key: signatures are not what grows with the file);
* replay: a consumer over every family, ``poll(max=1000)`` until empty: every partition read
  through, each event decoded (the public API has no "every task" call, and collecting every
  task id first would measure the benchmark's own list);
* mirror: ``fleetledger.mirror.mirror(src, dst)`` into a new SQLite file: copy (leaves and
  events), then the check of every partition on both sides.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import fleetledger
from common import Result
from fleetledger.ledger import Ledger
from fleetledger.mirror import mirror

OPERATIONS = ("verify", "replay", "mirror")
GROWTH_TARGET_MB = 100.0
TARGET_EVENTS = 10**7  # the issue states the bound for 10^5 -> 10^7 events
_KIB_PER_MB = 1024


@dataclass(frozen=True)
class Usage:
    """What one child process measured."""

    operation: str
    events: int
    opened_mb: float
    """Resident set once the ledger is open, before the operation."""
    peak_mb: float
    """Peak resident set of the whole process (``VmHWM``, or a higher ``VmRSS`` sample)."""
    seconds: float


def status_mb(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / _KIB_PER_MB
    raise RuntimeError(f"/proc/self/status has no {field}")


# -- the child --------------------------------------------------------------------------------


def _verify(ledger: Ledger, _scratch: Path) -> int:
    verification = ledger.verify(None)
    if not verification.ok:
        raise RuntimeError(f"verify found {verification.findings[:3]}")
    return verification.events


def _replay(ledger: Ledger, _scratch: Path) -> int:
    total = 0
    with ledger.consumer("bench-memory") as consumer:
        while events := consumer.poll(max=1000):
            total += len(events)
    return total


def _mirror(ledger: Ledger, scratch: Path) -> int:
    with fleetledger.open(f"sqlite:///{scratch}", signer=False) as copy:
        report = mirror(ledger, copy)
    if not report.ok:
        raise RuntimeError(f"mirror found differences: {report.differences[:3]}")
    return report.copied


_RUN: dict[str, Callable[[Ledger, Path], int]] = {
    "verify": _verify,
    "replay": _replay,
    "mirror": _mirror,
}


class _Sampler:
    """Samples ``VmRSS`` every ``interval`` seconds on a thread, keeping the highest: a check
    on ``VmHWM``, which the kernel keeps from counters that can lag by a few pages."""

    def __init__(self, interval: float = 0.01) -> None:
        self.highest = status_mb("VmRSS")
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.highest = max(self.highest, status_mb("VmRSS"))

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return max(self.highest, status_mb("VmRSS"), status_mb("VmHWM"))


def child(operation: str, path: Path, scratch: Path) -> Usage:
    """Run ``operation`` over the ledger at ``path`` in this process; measure it."""
    with fleetledger.open(f"sqlite:///{path}", signer=False, readonly=True) as ledger:
        sampler = _Sampler()
        opened = sampler.highest
        start = time.perf_counter()
        events = _RUN[operation](ledger, scratch)
        elapsed = time.perf_counter() - start
    return Usage(operation, events, opened, sampler.stop(), elapsed)


# -- the parent -------------------------------------------------------------------------------


def measure(operation: str, path: Path, scratch: Path) -> Usage:
    """``operation`` over the ledger at ``path``, in a fresh child process; ``scratch`` is a
    path the child may write (the mirror's destination), removed afterwards."""
    command = [sys.executable, __file__, "--child", operation, str(path), str(scratch)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        for stale in scratch.parent.glob(scratch.name + "*"):
            stale.unlink()
    if done.returncode != 0:
        raise RuntimeError(f"memory child {operation} failed:\n{done.stderr[-2000:]}")
    return Usage(**json.loads(done.stdout.splitlines()[-1]))


def compare(
    small: tuple[Path, int], large: tuple[Path, int], directory: Path, log: Callable[[str], None]
) -> tuple[list[Usage], list[Usage]]:
    """Every operation on both files (``(path, events)``), each in its own child process."""
    smaller: list[Usage] = []
    larger: list[Usage] = []
    for operation in OPERATIONS:
        for (path, events), kept in ((small, smaller), (large, larger)):
            log(f"  {operation} over {events:,} events ...")
            usage = measure(operation, path, directory / f"memory-{operation}.db")
            if usage.events != events:
                raise RuntimeError(f"{operation} covered {usage.events} events, not {events}")
            kept.append(usage)
    return smaller, larger


def results(smaller: list[Usage], larger: list[Usage], small: str, large: str) -> list[Result]:
    """One line per operation: peak RSS on the larger file vs the smaller. The bound is on the
    growth up to 10^7 events: measured when the larger file holds that many, else projected
    linearly from the two sizes (so a PASS below 10^7 means even linear growth stays inside)."""
    lines = []
    for low, high in zip(smaller, larger, strict=True):
        growth = high.peak_mb - low.peak_mb
        note = (
            f"peak RSS {low.peak_mb:.0f} MB over {low.events:,} events, {high.peak_mb:.0f} MB over"
            f" {high.events:,} (after opening: {low.opened_mb:.0f} and {high.opened_mb:.0f} MB);"
            f" {high.seconds:.1f} s at the larger size"
        )
        projected = None
        target = f"growth < {GROWTH_TARGET_MB:.0f} MB"
        if high.events < TARGET_EVENTS:
            per_event = max(growth, 0.0) / max(high.events - low.events, 1)
            projected = per_event * (TARGET_EVENTS - low.events)
            note += f"; growing linearly, it would grow {projected:+.0f} MB up to 1e7 events"
            target += " @1e7 (proj.)"
        lines.append(
            Result(
                f"memory: {low.operation}, peak RSS @{large} vs @{small}",
                high.peak_mb,
                low.peak_mb,
                "MB",
                target,
                (growth if projected is None else projected) < GROWTH_TARGET_MB,
                note,
                projected=projected,
            )
        )
    return lines


def child_main(argv: list[str]) -> int:
    operation, path, scratch = argv
    print(json.dumps(asdict(child(operation, Path(path), Path(scratch)))))
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["--child"]:
        sys.exit("usage: memory.py --child OPERATION LEDGER SCRATCH (run.py runs it)")
    sys.exit(child_main(sys.argv[2:]))
