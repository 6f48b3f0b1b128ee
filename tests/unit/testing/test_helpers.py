"""fleetledger.testing: the fake clock, the in-memory ledger and the record factory."""

from datetime import UTC, datetime, timedelta

import pytest

from fleetledger import Ledger
from fleetledger.testing import FakeClock, make_record, memory_ledger


def test_a_fake_clock_starts_at_a_fixed_moment() -> None:
    """Without a start it reads 2025-01-01T00:00:00Z, in nanoseconds since the epoch."""
    clock = FakeClock()
    assert clock() == int(datetime(2025, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000_000
    assert clock.now() == datetime(2025, 1, 1, tzinfo=UTC)


def test_a_fake_clock_stands_still_until_moved() -> None:
    """Reading the clock does not advance it."""
    clock = FakeClock()
    assert clock() == clock()


def test_advance_moves_the_clock_by_seconds_and_fractions() -> None:
    """advance(1.5) adds exactly 1.5 s."""
    clock = FakeClock()
    before = clock()
    clock.advance(1.5)
    assert clock() - before == 1_500_000_000


def test_advance_refuses_to_go_backwards() -> None:
    """A negative advance is a mistake; set() moves a clock back on purpose."""
    with pytest.raises(ValueError, match="set"):
        FakeClock().advance(-1)


def test_set_moves_the_clock_to_a_moment() -> None:
    """set(moment) makes now() that moment, whatever its zone."""
    clock = FakeClock()
    moment = datetime(2030, 6, 1, 12, 30, 15, 250, tzinfo=UTC)
    clock.set(moment.astimezone())
    assert clock.now() == moment


def test_set_refuses_a_naive_datetime() -> None:
    """A moment without a zone is ambiguous."""
    with pytest.raises(ValueError, match="naive"):
        FakeClock().set(datetime(2030, 1, 1))


def test_a_ledger_stamps_the_fake_clocks_time(ledger: Ledger, clock: FakeClock) -> None:
    """A ledger opened with clock=FakeClock() records events at the fake time."""
    clock.advance(timedelta(hours=2).total_seconds())
    ledger.append("task.started", subject="t-1", id="evt-1")
    assert ledger.get("evt-1").recorded_at == clock.now()


def test_memory_ledger_opens_an_empty_ledger_in_memory() -> None:
    """memory_ledger() is fleetledger.open('memory://') with the same options."""
    with memory_ledger(namespace="unit", default_source="tests") as ledger:
        assert ledger.url == "memory://"
        assert ledger.append("task.started", subject="t-1").topic == "unit.task"


def test_each_memory_ledger_is_independent() -> None:
    """Two memory ledgers share nothing."""
    with memory_ledger(default_source="a") as first, memory_ledger() as second:
        first.append("task.started", subject="t-1", id="evt-1")
        assert sum(info.events for info in second.topics()) == 0


def test_make_record_gives_every_record_a_fresh_id() -> None:
    """Records made without an id never share one."""
    assert make_record().id != make_record().id


def test_make_record_defaults_the_subject_to_the_key() -> None:
    """subject follows key unless given."""
    record = make_record(key="task-9")
    assert (record.key, record.subject) == ("task-9", "task-9")


def test_make_record_keeps_the_columns_it_is_given() -> None:
    """Every column passed is used as is."""
    record = make_record("t.x", 3, key="k", id="i", subject="s", recorded_ms=7, body=b"\x00")
    assert tuple(record)[:8] == ("t.x", 3, "k", "i", "s", "task.requested", 7, b"\x00")
