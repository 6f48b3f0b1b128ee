"""What :func:`fleetledger.planning.workload.measure` reads from a ledger, by hand-counted cases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from fleetledger import Ledger
from fleetledger.planning.workload import measure, rates
from fleetledger.testing import FakeClock, memory_ledger


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def ledger(clock: FakeClock) -> Iterator[Ledger]:
    with memory_ledger(clock=clock, default_source="tests") as opened:
        yield opened


def _request(ledger: Ledger, task: str) -> None:
    ledger.append("task.requested", subject=task, data={"goal": "g"})


def test_rates_count_each_window_including_the_quiet_ones() -> None:
    # times 0, 0.1 s | 1.5 s | 2.5, 2.6, 2.7 s over 1 s windows: counts [2, 1, 3]
    # mean 2/s, median 2/s, peak 3/s; pstdev([2,1,3]) = sqrt(2/3) = 0.8165, cv = 0.8165 / 2
    measured = rates([0, 100, 1500, 2500, 2600, 2700], 1.0)
    assert (measured.windows, measured.mean, measured.median, measured.peak) == (3, 2.0, 2.0, 3.0)
    assert measured.cv == pytest.approx((2 / 3) ** 0.5 / 2)
    assert measured.peak_to_median == 1.5
    assert measured.burst == 1.5


def test_rates_over_longer_windows_are_per_second() -> None:
    # 20 events in the first 10 s window, none in the next, 10 in the third: [20, 0, 10]
    times = [i * 400 for i in range(20)] + [20_000 + i * 100 for i in range(10)]
    measured = rates(times, 10.0)
    assert (measured.windows, measured.mean, measured.median, measured.peak) == (3, 1.0, 1.0, 2.0)


def test_peak_to_median_falls_back_to_the_mean_when_most_windows_are_empty() -> None:
    # [5, 0, 0, 0, 1] over 1 s: median 0, mean 6/5 = 1.2/s, peak 5/s: 5 / 1.2
    measured = rates([0, 1, 2, 3, 4, 4000], 1.0)
    assert measured.median == 0.0
    assert measured.peak_to_median == pytest.approx(5 / 1.2)


def test_an_empty_ledger_measures_no_events_and_flat_rates(ledger: Ledger) -> None:
    workload = measure(ledger)
    assert (workload.events, workload.bytes, workload.span_seconds) == (0, 0, 0.0)
    assert workload.rates.peak_to_median == 1.0
    assert {f.family for f in workload.families} >= {"task", "tool", "governance"}


def test_sizes_are_those_of_the_stored_bodies(ledger: Ledger) -> None:
    for task in ("t-1", "t-2", "t-3"):
        _request(ledger, task)
    task = measure(ledger).family("task")
    assert task is not None
    stored = [
        len(record.body)
        for info in ledger.topics()
        if info.family == "task"
        for partition, offsets in enumerate(info.partitions)
        for record in ledger.log.read(info.topic, partition, offsets.start, 10)
    ]
    assert (task.events, task.appended, task.bytes) == (3, 3, sum(stored))
    assert task.p99_size == max(stored)
    assert task.mean_size == pytest.approx(sum(stored) / 3)


def test_rates_and_span_follow_the_recorded_times(ledger: Ledger, clock: FakeClock) -> None:
    for second in range(4):
        _request(ledger, f"t-{second}")
        _request(ledger, f"u-{second}")
        clock.advance(1.0)
    workload = measure(ledger)
    task = workload.family("task")
    assert task is not None
    assert (task.rates.windows, task.rates.peak, task.rates.cv) == (4, 2.0, 0.0)
    assert workload.span_seconds == 3.0


def test_kinds_separate_intents_from_facts(ledger: Ledger) -> None:
    _request(ledger, "t-1")
    ledger.append("task.started", subject="t-1", data={"agent": "a"})
    ledger.append("task.completed", subject="t-1", data={"result": {}})
    workload = measure(ledger)
    assert workload.kinds == {"fact": 2, "intent": 1}
    assert workload.types["task.requested"] == 1


def test_classifications_are_those_the_events_carry(ledger: Ledger) -> None:
    _request(ledger, "t-1")
    ledger.append(
        "governance.approval.requested",
        subject="t-1",
        data={"approval_id": "ap-1", "action": "refund"},
    )
    workload = measure(ledger)
    assert workload.classifications == {"confidential": 1, "internal": 1}
    assert workload.approvals == 1


def test_a_lagging_group_says_how_old_its_oldest_unread_event_is(
    ledger: Ledger, clock: FakeClock
) -> None:
    _request(ledger, "t-1")
    start = clock()
    consumer = ledger.consumer("audit")
    consumer.poll()
    consumer.commit()
    _request(ledger, "t-2")
    clock.advance(30)
    workload = measure(ledger, now=_at(start) + timedelta(seconds=30))
    (group,) = workload.groups
    assert (group.group, group.lag, group.behind_seconds) == ("audit", 1, 30.0)


def test_a_group_moved_back_counts_as_a_rewind_with_its_depth(
    ledger: Ledger, clock: FakeClock
) -> None:
    for task in ("t-1", "t-2", "t-3"):
        _request(ledger, task)
    consumer = ledger.consumer("replayer")
    while consumer.poll():
        consumer.commit()
    clock.advance(120)
    ledger.move_group("replayer", "earliest", families=["task"])
    (group,) = measure(ledger).groups
    assert (group.rewinds, group.rewound_events) == (1, 3)
    assert group.deepest_rewind_seconds == 120.0


def test_a_group_moved_forward_is_not_a_rewind(ledger: Ledger) -> None:
    _request(ledger, "t-1")
    ledger.consumer("skipper").commit()
    ledger.move_group("skipper", "latest", families=["task"])
    (group,) = measure(ledger).groups
    assert (group.rewinds, group.rewound_events, group.deepest_rewind_seconds) == (0, 0, None)


def _at(ns: int) -> datetime:
    return datetime.fromtimestamp(ns / 1e9, UTC)
