"""What field encryption costs on SQLite: the same appends, encrypted and not.

* encryption on vs off: the workload's events classified ``restricted`` (so each one's
  confidential fields, the ``goal``, ``inputs``, ``arguments`` and ``result``, are sealed with
  AES-256-GCM under its data subject's key at the encrypt stage) vs the same events as they are
  (``internal``: stored in the clear). Both ledgers are SQLite files with the default local key
  store beside them, checkpoints off, open side by side and taking turns batch by batch, so
  that load from elsewhere hits both alike. Cost = extra time per event.
* Two shapes of data subject: one per task (the default ``datasubject``, the event's
  ``subject``: a new data key, stored durably in the key store, every 10 events), and 100
  customers shared by every task (``datasubject`` set: keys come from the in-process cache).

Figures are medians of the rounds' rates; no target (the issue asks for the figure).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import fleetledger
from common import Result, median, rate, spread
from fleetledger.ledger import Ledger
from workload import Workload

Batch = list[dict[str, Any]]
CUSTOMERS = 100


def restricted(events: Batch, customers: int | None) -> Batch:
    """The events classified restricted, their data subject a customer when ``customers``."""
    raised = [{**event, "dataclassification": "restricted"} for event in events]
    if customers:
        for event in raised:
            event["datasubject"] = f"cust-{int(event['subject'][5:], 16) % customers}"
    return raised


def open_plain(path: Path) -> Ledger:
    """A SQLite ledger that never signs, with the default key store beside it."""
    return fleetledger.open(f"sqlite:///{path}", signer=False)


def _timed(ledger: Ledger, events: Batch) -> float:
    start = time.perf_counter()
    ledger.append_many(events)
    return time.perf_counter() - start


def _round(
    directory: Path, name: str, batches: Sequence[Batch], customers: int | None
) -> tuple[float, float]:
    """One round: the batches appended in the clear and encrypted, in turns; the two rates."""
    spent = {"on": 0.0, "off": 0.0}
    on, off = open_plain(directory / f"{name}-on.db"), open_plain(directory / f"{name}-off.db")
    try:
        on.append_many(restricted(batches[0], customers))  # warm-up: caches, the key store
        off.append_many(batches[0])
        gc.collect()
        for index, events in enumerate(batches[1:]):
            sides = [("on", on, restricted(events, customers)), ("off", off, events)]
            for side, ledger, batch in sides if index % 2 == 0 else sides[::-1]:
                spent[side] += _timed(ledger, batch)
    finally:
        on.close()
        off.close()
    count = sum(len(events) for events in batches[1:])
    return rate(count, spent["on"]), rate(count, spent["off"])


def _line(name: str, rounds: list[tuple[float, float]]) -> Result:
    sealed, clear = [on for on, _ in rounds], [off for _, off in rounds]
    on, off = median(sealed), median(clear)
    cost = off / on - 1
    note = f"cost {cost:+.1%} time per event; {spread(sealed, clear, ('on', 'off'))}"
    return Result(name, on, off, "events/s", "-", None, note)


def encryption_cost(
    directory: Path, *, batch: int = 1000, batches: int = 30, rounds: int = 5
) -> list[Result]:
    """Batched appends with confidential fields encrypted vs in the clear, same run."""
    workload = Workload(seed=14)
    lines = []
    for label, customers in (("a key per task", None), (f"{CUSTOMERS} customers", CUSTOMERS)):
        measured = []
        for index in range(rounds):
            work = [workload.events(batch) for _ in range(batches + 1)]
            name = f"encrypt-{customers or 0}-{index}"
            measured.append(_round(directory, name, work, customers))
        lines.append(_line(f"encryption on vs off: batched, {label} (info)", measured))
    return lines
