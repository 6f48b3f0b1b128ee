"""Fixtures for the mirror: two in-memory ledgers on one fake clock, and a way to fill one."""

from collections.abc import Callable, Iterator

import pytest

from fleetledger import Ledger, Principal
from fleetledger.testing import FakeClock, memory_ledger

Fill = Callable[..., list[str]]


@pytest.fixture
def src(clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """The ledger to copy from."""
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as ledger:
        yield ledger


@pytest.fixture
def dst(clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """The ledger to copy to."""
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as ledger:
        yield ledger


@pytest.fixture
def fill(clock: FakeClock) -> Fill:
    """``fill(ledger, tasks=10, prefix="t")``: each task requested and started, plus a tool call
    and a state summary; the clock moves one second per task. Returns the event ids."""

    def add(ledger: Ledger, tasks: int = 10, prefix: str = "t") -> list[str]:
        events = []
        for n in range(tasks):
            task = f"{prefix}-{n}"
            events += [
                {"type": "task.requested", "subject": task, "data": {"goal": f"goal {n}"}},
                {"type": "task.started", "subject": task, "data": {"agent": "planner"}},
                {
                    "type": "tool.call.requested",
                    "subject": task,
                    "data": {"call_id": f"c-{task}", "tool": "search"},
                },
                {
                    "type": "state.summary",
                    "subject": task,
                    "data": {"status": "running", "last_event_type": "task.started"},
                },
            ]
            clock.advance(1)
        positions = ledger.append_many(events)
        return [ledger.log.read(p.topic, p.partition, p.offset, 1)[0].id for p in positions]

    return add
