"""The events every benchmark writes, and the raw SQLite rows equivalent to them.

A task's events are contiguous (``EVENTS_PER_TASK`` of them, cycling through four realistic
types of the ``task`` and ``tool`` families); task ids are random, as uuid4-based ids from an
orchestrator would be, so the subject index is written at random places, not only at its end.
Bodies come out of the ledger at 450-555 bytes (about 490 on average).

The raw baseline gets rows built by the ledger's own core, outside any timed region: for the
same events it writes the same rows the ledger would (keys, partitions, offsets, bodies), only
with the ids (UUIDv7) and timestamps minted when the rows were built.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

import fleetledger
from fleetledger.backends.protocols import Record
from fleetledger.ledger.core import LedgerCore

EVENTS_PER_TASK = 10
Event = Mapping[str, Any]
Row = tuple[str, int, int, str, str, str, str, int, bytes]
"""The nine columns of ``schema.INSERT``: topic, partition, offset, key, id, ... body."""

_TOOLS = ("payments.refund", "crm.lookup", "search.web", "email.send", "orders.get")
_TYPES = ("task.requested", "tool.call.requested", "tool.call.completed", "task.completed")


class Workload:
    """A deterministic stream of event mappings (seeded), ``append``'s keyword arguments."""

    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)
        self._task = ""
        self._index = 0

    def events(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` events of the stream."""
        return [self._next() for _ in range(count)]

    def _next(self) -> dict[str, Any]:
        step = self._index % EVENTS_PER_TASK
        if step == 0:
            self._task = f"task-{self._random.getrandbits(64):016x}"
        self._index += 1
        kind = _TYPES[0] if step == 0 else _TYPES[1 + (step - 1) % 3]
        return _event(kind, self._task, self._index, self._random)


def _event(kind: str, task: str, index: int, rng: random.Random) -> dict[str, Any]:
    tool = _TOOLS[index % len(_TOOLS)]
    call = f"call-{index:08d}"
    amount = rng.randrange(100, 100_000)
    data: dict[str, Any]
    if kind == "task.requested":
        source = "agents/planner"
        data = {
            "goal": f"refund order {amount}: the parcel arrived damaged",
            "priority": "high" if amount % 3 == 0 else "normal",
            "inputs": {"order": str(amount), "currency": "EUR"},
        }
    elif kind == "tool.call.requested":
        source = "agents/executor"
        data = {"call_id": call, "tool": tool, "arguments": {"order": str(amount), "n": 3}}
    elif kind == "tool.call.completed":
        source = "agents/executor"
        result = {"status": "ok", "ref": f"rf_{amount:09d}", "amount": amount}
        data = {"call_id": call, "tool": tool, "result": result, "duration_ms": amount % 900}
    else:
        source = "agents/planner"
        data = {"summary": f"refunded {amount} cents", "artifacts": [f"refund:{amount}"]}
    return {
        "type": kind,
        "subject": task,
        "source": source,
        "data": data,
        "tenant": "acme",
    }


def offline_core() -> LedgerCore:
    """A ledger core with the default namespace and policies, for building rows off-line."""
    ledger = fleetledger.open("memory://")
    core = ledger._core  # the write path alone: what a benchmark of it measures
    ledger.close()
    return core


class RowBuilder:
    """Turns events into the exact rows the SQLite backend would store, offsets included."""

    def __init__(self, core: LedgerCore | None = None) -> None:
        self._core = core or offline_core()
        self._next: dict[tuple[str, int], int] = {}

    def start_after(self, conn: sqlite3.Connection) -> RowBuilder:
        """Continue the offsets already stored in ``conn``'s events table."""
        query = "SELECT topic, partition, max(offset) + 1 FROM events GROUP BY topic, partition"
        self._next = {(t, p): end for t, p, end in conn.execute(query)}
        return self

    def rows(self, events: Sequence[Event]) -> list[Row]:
        """Validate, stamp and encode ``events`` with the ledger's core; place them."""
        rows = []
        for record in prepare(self._core, events):
            tp = (record.topic, record.partition)
            offset = self._next.get(tp, 0)
            self._next[tp] = offset + 1
            rows.append(
                (
                    record.topic,
                    record.partition,
                    offset,
                    record.key,
                    record.id,
                    record.subject,
                    record.type,
                    record.recorded_ms,
                    record.body,
                )
            )
        return rows


def prepare(core: LedgerCore, events: Sequence[Event]) -> list[Record]:
    """The ledger core's records for ``events``, as ``append_many`` makes them."""
    return core.prepare_many(events)
