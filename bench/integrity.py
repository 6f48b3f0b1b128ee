"""What integrity costs on SQLite: verifying a signed ledger, and signing while appending.

* verify: ``Ledger.verify(verifier)`` over a file of ``events`` events appended through the
  ledger with a signer (a checkpoint of every changed partition and a signed ledger head every
  1000 events) vs the raw floor of any verifier: one ``SELECT body FROM events`` on a plain
  ``sqlite3`` connection, each body hashed as an RFC 6962 leaf, ``sha256(b"\\x00" + body)``.
  Both passes read the same stored bodies; the ledger also reads the stored leaves, rebuilds
  each partition's tree, compares and checks every signed note.
* checkpoints on vs off: the same appends through a ledger that signs checkpoints (the default
  ``checkpoint_events=1000``) and through one opened with ``signer=False``; both store leaves
  and trees, so the difference is what signing costs. Cost = extra time per event. The two
  ledgers are open side by side and take turns, batch by batch (single appends: a quarter of
  each thread's share at a time), so that load from elsewhere on the machine hits both alike.

Figures are medians of the rounds' rates; verify rounds alternate which side goes first.
"""

from __future__ import annotations

import gc
import hashlib
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path

import fleetledger
from common import Result, alternate, at_least, median, rate, seconds, spread
from fleetledger.integrity import NoteSigner, NoteVerifier
from fleetledger.ledger import Ledger
from replay import read_only
from sqlite_append import Batch, ledger_append_batches, ledger_concurrent
from workload import Workload

KEY_NAME = "bench.fleetledger.example/ledger"
FILL_BATCH = 1000
RAW_LEAVES = "SELECT body FROM events"
COST_TARGET = 0.10  # checkpointing may cost at most 10% more time per event
CHUNKS = 4  # slices of each thread's appends, sides taking turns (single appends)


def open_signed(path: Path, signer: NoteSigner | bool, *, synchronous: str = "FULL") -> Ledger:
    """A SQLite ledger at ``path`` that signs with ``signer``, or never (``False``)."""
    option = signer if isinstance(signer, NoteSigner) else False
    return fleetledger.open(f"sqlite:///{path}?synchronous={synchronous}", signer=option)


# -- verify -------------------------------------------------------------------------------------


def fill_signed(path: Path, events: int, signer: NoteSigner, *, seed: int = 4) -> None:
    """Append ``events`` events through the ledger in batches of 1000, signing checkpoints.

    ``synchronous=OFF`` only saves fsyncs: what is stored is what a durable append stores.
    """
    workload = Workload(seed)
    with open_signed(path, signer, synchronous="OFF") as ledger:
        for done in range(0, events, FILL_BATCH):
            ledger.append_many(workload.events(min(FILL_BATCH, events - done)))


def raw_leaf_hashes(conn: sqlite3.Connection) -> list[bytes]:
    """The baseline: every stored body read with one SELECT and hashed as a leaf."""
    sha = hashlib.sha256
    return [sha(b"\x00" + body).digest() for (body,) in conn.execute(RAW_LEAVES)]


def ledger_verify(ledger: Ledger, verifier: NoteVerifier | None) -> int:
    """Events verified by one ``Ledger.verify`` pass; anything it finds is a broken benchmark."""
    verification = ledger.verify(verifier)
    if not verification.ok:
        raise AssertionError(f"verify found {verification.findings[:3]}")
    return verification.events


def raw_verify(conn: sqlite3.Connection) -> int:
    """Events hashed by one baseline pass."""
    return len(raw_leaf_hashes(conn))


def _rate_of(count_pass: Callable[[], int], expected: int) -> float:
    counted: list[int] = []
    elapsed = seconds(lambda: counted.append(count_pass()))
    if counted[0] != expected:
        raise AssertionError(f"a pass covered {counted[0]} events, not {expected}")
    return rate(expected, elapsed)


def verify(directory: Path, *, events: int = 100_000, rounds: int = 5) -> list[Result]:
    """Verify rate (events/s, MB/s), signatures checked and not, vs the raw leaf hashing."""
    path = directory / "verify.db"
    signer = NoteSigner.generate(KEY_NAME)
    fill_signed(path, events, signer)
    conn = read_only(path)
    try:
        count, size = conn.execute("SELECT count(*), sum(length(body)) FROM events").fetchone()
        with open_signed(path, False) as ledger:  # the auditor's side: no key, the public key
            checkpoints = ledger.verify(signer.verifier).checkpoints  # also warms the OS cache
            raw_leaf_hashes(conn)
            checked, unchecked, raw = _verify_rounds(ledger, conn, signer.verifier, count, rounds)
    finally:
        conn.close()
    mb = size / count / 1e6
    name = f"verify, {count:,} signed events"
    note = f"{checkpoints} signed notes; {spread(checked, raw, ('verify', 'raw'))}"
    return [
        replace(at_least(name, checked, raw, "events/s", 0.5), note=note),
        Result(
            "  in MB/s of stored bodies",
            median(checked) * mb,
            median(raw) * mb,
            "MB/s",
            "-",
            None,
            f"bodies average {size / count:.0f} B",
        ),
        Result(
            "  without signature checks (info)",
            median(unchecked),
            median(raw),
            "events/s",
            "-",
            None,
            "notes read, trees checked against them, signatures not checked",
        ),
    ]


def _verify_rounds(
    ledger: Ledger, conn: sqlite3.Connection, verifier: NoteVerifier, count: int, rounds: int
) -> tuple[list[float], list[float], list[float]]:
    checked: list[float] = []
    unchecked: list[float] = []
    raw: list[float] = []
    for index in range(rounds):
        alternate(
            index,
            (checked, partial(_rate_of, partial(ledger_verify, ledger, verifier), count)),
            (unchecked, partial(_rate_of, partial(ledger_verify, ledger, None), count)),
            (raw, partial(_rate_of, partial(raw_verify, conn), count)),
        )
    return checked, unchecked, raw


# -- checkpoints on vs off ----------------------------------------------------------------------


class _Sides:
    """A fresh signing ledger and a fresh unsigned one, side by side, and the time each spent."""

    def __init__(self, directory: Path, name: str, signer: NoteSigner) -> None:
        self.on = open_signed(directory / f"{name}-on.db", signer)
        self.off = open_signed(directory / f"{name}-off.db", False)
        self.seconds = {"on": 0.0, "off": 0.0}

    def both(self, index: int, work: Callable[[Ledger], float]) -> None:
        """Run ``work`` (which returns its seconds) on each side; odd ``index``: off first."""
        sides = [("on", self.on), ("off", self.off)]
        for side, ledger in sides if index % 2 == 0 else sides[::-1]:
            self.seconds[side] += work(ledger)

    def close(self) -> None:
        self.on.close()
        self.off.close()


def _timed_batch(events: Batch, ledger: Ledger) -> float:
    start = time.perf_counter()
    ledger.append_many(events)
    return time.perf_counter() - start


def _batched_round(sides: _Sides, batches: Sequence[Batch]) -> None:
    """The same batches on both sides, alternating which side takes each batch first."""
    for ledger in (sides.on, sides.off):
        ledger_append_batches(ledger, batches[:1])  # warm-up: caches, reader connection
    gc.collect()
    for index, events in enumerate(batches[1:]):
        sides.both(index, partial(_timed_batch, events))


def _concurrent_round(sides: _Sides, per_thread: Sequence[Batch], warm_up: Batch) -> None:
    """The same single appends on both sides: each thread's share in slices, sides in turn."""
    for ledger in (sides.on, sides.off):
        ledger.append(**warm_up[0])
    for index in range(CHUNKS):
        part = [events[index::CHUNKS] for events in per_thread]
        sides.both(index, partial(ledger_concurrent, per_thread=part))


def _round_rates(sides: _Sides, fill: Callable[[_Sides], None], count: int) -> tuple[float, float]:
    try:
        fill(sides)
    finally:
        sides.close()
    return rate(count, sides.seconds["on"]), rate(count, sides.seconds["off"])


def costs(name: str, rounds: list[tuple[float, float]], *, target: float = COST_TARGET) -> Result:
    """Median signed vs unsigned rates; cost = extra time per event, ``unsigned / signed - 1``."""
    signed, unsigned = [on for on, _ in rounds], [off for _, off in rounds]
    on, off = median(signed), median(unsigned)
    cost = off / on - 1
    note = f"cost {cost:+.1%} time per event; {spread(signed, unsigned, ('on', 'off'))}"
    return Result(name, on, off, "events/s", f"cost <= {target:.0%}", cost <= target, note)


def checkpoint_cost(
    directory: Path,
    *,
    batch: int = 1000,
    batches: int = 30,
    threads: int = 8,
    each: int = 400,
    rounds: int = 5,
) -> list[Result]:
    """Batched and concurrent single appends with checkpoints on (signer) vs off, same run."""
    signer = NoteSigner.generate(KEY_NAME)
    workload = Workload(seed=8)
    batched: list[tuple[float, float]] = []
    single: list[tuple[float, float]] = []
    for index in range(rounds):
        work = [workload.events(batch) for _ in range(batches + 1)]
        sides = _Sides(directory, f"batched-{index}", signer)
        batched.append(_round_rates(sides, partial(_batched_round, batches=work), batch * batches))
        per_thread = [workload.events(each) for _ in range(threads)]
        fill = partial(_concurrent_round, per_thread=per_thread, warm_up=workload.events(1))
        sides = _Sides(directory, f"single-{index}", signer)
        single.append(_round_rates(sides, fill, threads * each))
    return [
        costs(f"checkpoints on vs off: batched ({batch}/txn)", batched),
        costs(f"checkpoints on vs off: {threads} threads", single),
    ]
