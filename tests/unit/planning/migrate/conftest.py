"""Fixtures for rehearsing a migration in memory: two ledgers on one fake clock, and a filler."""

from collections.abc import Callable, Iterator

import pytest

from fleetledger import Ledger, Principal
from fleetledger.testing import FakeClock, memory_ledger

Fill = Callable[..., None]


@pytest.fixture
def src(clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """The ledger to migrate from."""
    with memory_ledger(clock=clock, principal=principal, default_source="agents/planner") as led:
        yield led


@pytest.fixture
def dst(clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """The ledger to migrate to."""
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as ledger:
        yield ledger


@pytest.fixture
def fill(clock: FakeClock) -> Fill:
    """``fill(ledger, tasks=10, prefix="t")``: each task requested and started; the clock moves
    one second per task."""

    def add(ledger: Ledger, tasks: int = 10, prefix: str = "t") -> None:
        for n in range(tasks):
            task = f"{prefix}-{n}"
            ledger.append_many(
                [
                    {"type": "task.requested", "subject": task, "data": {"goal": f"goal {n}"}},
                    {"type": "task.started", "subject": task, "data": {"agent": "planner"}},
                ]
            )
            clock.advance(1)

    return add


@pytest.fixture
def filled(src: Ledger, fill: Fill) -> Ledger:
    """The source holding 10 tasks (20 events) and a group ``audit`` that read 5 of them."""
    fill(src)
    with src.consumer("audit", ["task"]) as consumer:
        consumer.poll(max=5)
        consumer.commit()
    return src
