"""Times on the command line: RFC 3339 with a zone, or a duration ago."""

from datetime import UTC, datetime, timedelta

import pytest

from fleetledger.cli.exits import InputError
from fleetledger.cli.times import moment

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("250ms", timedelta(milliseconds=250)),
    ],
)
def test_a_duration_means_that_long_ago(text: str, ago: timedelta) -> None:
    """30m is thirty minutes before now."""
    assert moment(text, "--since", now=NOW) == NOW - ago


def test_an_rfc_3339_time_with_a_zone_is_taken_as_it_is() -> None:
    """2025-01-31T10:00:00+02:00 is 08:00 UTC."""
    parsed = moment("2025-01-31T10:00:00+02:00", "--since")

    assert parsed == datetime(2025, 1, 31, 8, 0, tzinfo=UTC)


def test_z_means_utc() -> None:
    """A trailing Z is UTC."""
    assert moment("2025-01-31T12:00:00Z", "--until") == NOW


@pytest.mark.parametrize("text", ["2025-01-31T12:00:00", "2025-01-31"])
def test_a_time_without_a_zone_is_refused(text: str) -> None:
    """A naive time is an input error naming the option and the fix."""
    with pytest.raises(InputError, match=r"--since .* has no timezone: add Z"):
        moment(text, "--since")


@pytest.mark.parametrize("text", ["yesterday", "5 minutes", "-1h", "1y"])
def test_text_that_is_neither_is_refused_with_both_forms(text: str) -> None:
    """Anything else is refused, saying what the option accepts."""
    with pytest.raises(InputError, match=r"RFC 3339 time .* or a duration ago"):
        moment(text, "--until")
