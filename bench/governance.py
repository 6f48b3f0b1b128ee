"""What governance costs on SQLite: appends with an ordering rule checked at every tool call,
and appends under an access policy, vs none.

Access: a policy of four rules (agents append and read tasks and tools, people read, a deny
on restricted context, a service administers), the appends made as an agent, so every event
is decided at the authorize stage (decisions are cached per principal, family,
classification and tenant); batched only, as the ordering lines.

The rule: a ``tool.call.completed`` needs an earlier ``tool.call.requested`` of the same task
(the workload's call ids do not pair, so the join is on the task alone; every completion has
one: 3 events in 10 are checked, each against its task's history, and stamped with the hash
link). The same appends go
to a ledger opened with the rule and one opened without; both side by side, taking turns batch
by batch (single appends: a quarter at a time), as the checkpoint lines do. Cost = extra time
per event, ``off / on - 1``; the lines carry no target (the issue asks for the figure).

* batched: ``append_many`` of ``batch`` events, the guard run once per transaction on the
  batch (its tasks' stored histories read inside the write transaction).
* single appends, 1 thread: ``append`` one event at a time: every completion's append reads
  its task's history under the write lock before it is stored.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import fleetledger
from common import Result, median, rate, spread
from fleetledger.governance import Policy, Principal, parse_ordering, parse_rules
from fleetledger.ledger import Ledger
from sqlite_append import Batch
from workload import Workload

RULES = parse_ordering(
    [
        {
            "name": "a completion follows its request",
            "when": {"type": "tool.call.completed"},
            "requires": {"type": "tool.call.requested"},
            "join": ["subject"],
        }
    ]
)
CHUNKS = 4


ACCESS = Policy(
    parse_rules(
        [
            {
                "effect": "allow",
                "actions": ["append", "read"],
                "principals": ["kind:agent"],
                "families": ["task", "tool"],
            },
            {"effect": "allow", "actions": ["read"], "principals": ["kind:human"]},
            {
                "effect": "deny",
                "actions": ["read"],
                "principals": ["kind:human"],
                "families": ["context"],
                "classifications": ["restricted"],
            },
            {
                "effect": "allow",
                "actions": ["append", "read", "admin"],
                "principals": ["kind:service"],
            },
        ]
    )
)
AGENT = Principal("planner", kind="agent")


class _Sides:
    """A ledger with the rules and one without, side by side, and the time each spent."""

    def __init__(self, directory: Path, name: str, **on: Any) -> None:
        url = f"sqlite:///{directory}/{name}-%s.db"
        self.on = fleetledger.open(url % "on", signer=False, **(on or {"ordering": RULES}))
        self.off = fleetledger.open(url % "off", signer=False, principal=on.get("principal"))
        self.seconds = {"on": 0.0, "off": 0.0}

    def both(self, index: int, work: Callable[[Ledger], None]) -> None:
        sides = [("on", self.on), ("off", self.off)]
        for side, ledger in sides if index % 2 == 0 else sides[::-1]:
            start = time.perf_counter()
            work(ledger)
            self.seconds[side] += time.perf_counter() - start

    def close(self) -> None:
        self.on.close()
        self.off.close()


def _batched(sides: _Sides, batches: Sequence[Batch]) -> None:
    for ledger in (sides.on, sides.off):
        ledger.append_many(batches[0])  # warm-up
    gc.collect()
    for index, events in enumerate(batches[1:]):
        sides.both(index, lambda ledger, events=events: ledger.append_many(events))


def _single(sides: _Sides, events: Batch, warm_up: Batch) -> None:
    for ledger in (sides.on, sides.off):
        for event in warm_up:
            ledger.append(**event)
    size = -(-len(events) // CHUNKS)
    for index in range(CHUNKS):
        part = events[index * size : (index + 1) * size]  # in order: requests before completions

        def appends(ledger: Ledger, part: Batch = part) -> None:
            for event in part:
                ledger.append(**event)

        sides.both(index, appends)


def _rates(sides: _Sides, fill: Callable[[_Sides], None], count: int) -> tuple[float, float]:
    try:
        fill(sides)
    finally:
        sides.close()
    return rate(count, sides.seconds["on"]), rate(count, sides.seconds["off"])


def _cost(name: str, rounds: list[tuple[float, float]]) -> Result:
    checked, unchecked = [on for on, _ in rounds], [off for _, off in rounds]
    on, off = median(checked), median(unchecked)
    note = f"cost {off / on - 1:+.1%} time per event; {spread(checked, unchecked, ('on', 'off'))}"
    return Result(name, on, off, "events/s", "-", None, note)


def ordering_cost(
    directory: Path, *, batch: int = 1000, batches: int = 30, single: int = 1600, rounds: int = 5
) -> list[Result]:
    """Batched and single appends with the ordering rule vs without, same run."""
    batched: list[tuple[float, float]] = []
    singles: list[tuple[float, float]] = []
    for index in range(rounds):
        workload = Workload(seed=10 + index)  # from a task's start: requests precede completions
        work = [workload.events(batch) for _ in range(batches + 1)]
        fill = partial(_batched, batches=work)
        batched.append(
            _rates(_Sides(directory, f"ordering-batched-{index}"), fill, batch * batches)
        )
        workload = Workload(seed=20 + index)
        warm_up = workload.events(10)
        events = workload.events(single)
        fill = partial(_single, events=events, warm_up=warm_up)
        singles.append(_rates(_Sides(directory, f"ordering-single-{index}"), fill, single))
    return [
        _cost(f"ordering rule on vs off: batched ({batch}/txn) (info)", batched),
        _cost("ordering rule on vs off: single appends, 1 thread (info)", singles),
    ]


def access_cost(
    directory: Path, *, batch: int = 1000, batches: int = 30, rounds: int = 5
) -> list[Result]:
    """Batched appends under the access policy vs none, same run."""
    measured: list[tuple[float, float]] = []
    for index in range(rounds):
        work = [Workload(seed=30 + index).events(batch) for _ in range(batches + 1)]
        sides = _Sides(directory, f"access-{index}", access=ACCESS, principal=AGENT)
        measured.append(_rates(sides, partial(_batched, batches=work), batch * batches))
    return [_cost(f"access policy on vs off: batched ({batch}/txn) (info)", measured)]
