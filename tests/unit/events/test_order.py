"""The order key and the hybrid logical clock behind recorded times."""

from datetime import UTC, datetime

from fleetledger.events.envelope import Event
from fleetledger.events.order import HybridClock, format_us, order_key
from fleetledger.testing import FakeClock


def event(recorded: str, event_id: str = "e") -> Event:
    """An event recorded at ``recorded``."""
    return Event(
        id=event_id,
        type="task.started",
        source="s",
        subject="t",
        time=recorded,
        recordedtime=recorded,
    )


def test_ticks_never_repeat_while_the_wall_clock_stands_still() -> None:
    """Two ticks in the same microsecond of wall time are still one microsecond apart."""
    clock = HybridClock(FakeClock())
    assert clock.tick() + 1 == clock.tick()


def test_a_batch_takes_consecutive_microseconds() -> None:
    """tick(3) reserves three microseconds; the next tick comes after all three."""
    clock = HybridClock(FakeClock())
    first = clock.tick(3)
    assert clock.tick() == first + 3


def test_a_clock_set_back_does_not_go_back() -> None:
    """A wall clock moved backwards does not make ticks go back."""
    wall = FakeClock(datetime(2025, 6, 1, tzinfo=UTC))
    clock = HybridClock(wall)
    before = clock.tick()
    wall.set(datetime(2025, 1, 1, tzinfo=UTC))
    assert clock.tick() > before


def test_an_observed_event_from_a_clock_ahead_comes_first() -> None:
    """After observing a time ahead of the wall clock, ticks come after it."""
    clock = HybridClock(FakeClock(datetime(2025, 1, 1, tzinfo=UTC)))
    ahead = clock.tick() + 3_600_000_000
    clock.observe(ahead)
    assert clock.tick() > ahead


def test_recorded_times_have_four_year_digits_and_microseconds() -> None:
    """The fixed-width form, even before year 1000 (so keys compare as text)."""
    assert format_us(-62_135_596_800_000_000) == "0001-01-01T00:00:00.000000Z"
    assert format_us(1_735_689_600_000_001) == "2025-01-01T00:00:00.000001Z"


def test_the_order_key_is_recorded_time_then_id() -> None:
    """Events sort by recorded time; the id breaks a tie."""
    events = [
        event("2025-01-01T00:00:00.000002Z", "a"),
        event("2025-01-01T00:00:00.000001Z", "z"),
        event("2025-01-01T00:00:00.000001Z", "b"),
    ]
    assert [e.id for e in sorted(events, key=order_key)] == ["b", "z", "a"]


def test_a_recorded_time_in_another_form_sorts_where_its_moment_is() -> None:
    """An offset or fewer digits are read as the moment they name."""
    late = event("2025-01-01T01:00:00+01:00", "late")  # 00:00:00 UTC
    early = event("2024-12-31T23:59:59.999999Z", "early")
    assert sorted([late, early], key=order_key) == [early, late]
