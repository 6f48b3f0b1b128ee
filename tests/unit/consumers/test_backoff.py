"""Backoff: exponential delays, capped, with bounded jitter."""

import pytest

from fleetledger import ConfigurationError
from fleetledger.consumers import Backoff


def test_without_jitter_each_retry_waits_multiplier_times_longer() -> None:
    """initial, initial x multiplier, ... for retries 1, 2, 3."""
    backoff = Backoff(initial=0.1, maximum=30.0, multiplier=2.0, jitter=0.0)

    assert [backoff.delay(n) for n in (1, 2, 3)] == pytest.approx([0.1, 0.2, 0.4])


def test_delays_never_exceed_the_maximum() -> None:
    """A late retry waits the maximum, jitter included."""
    backoff = Backoff(initial=1.0, maximum=5.0, multiplier=3.0, jitter=0.5)

    assert backoff.delay(10, draw=lambda: 0.999) == 5.0


def test_jitter_scales_the_delay_within_its_fraction() -> None:
    """jitter=0.5 scales a delay between 0.5x (draw 0) and 1.5x (draw near 1)."""
    backoff = Backoff(initial=1.0, maximum=30.0, multiplier=2.0, jitter=0.5)

    assert backoff.delay(2, draw=lambda: 0.0) == pytest.approx(1.0)
    assert backoff.delay(2, draw=lambda: 0.5) == pytest.approx(2.0)
    assert backoff.delay(2, draw=lambda: 0.999) == pytest.approx(2.998)


def test_retries_are_numbered_from_one() -> None:
    """Retry 0 is a caller's mistake."""
    with pytest.raises(ValueError, match="from 1"):
        Backoff().delay(0)


@pytest.mark.parametrize(
    "options",
    [{"initial": 2.0, "maximum": 1.0}, {"multiplier": 0.5}, {"jitter": 1.5}, {"initial": -1.0}],
)
def test_a_nonsensical_backoff_is_refused(options: dict[str, float]) -> None:
    """Bad settings are a ConfigurationError naming the setting."""
    with pytest.raises(ConfigurationError, match="backoff"):
        Backoff(**options)
