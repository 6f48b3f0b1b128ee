"""Stored bytes over the horizon: retention caps them, forever keeps growing, growth compounds."""

import pytest

from fleetledger.planning.cost import horizon
from fleetledger.planning.cost.inputs import Demand, FamilyDemand

MONTH = 30 * 86_400.0  # a 30-day test month
RATE = 1000 / MONTH  # events/s of 1 byte: 1000 bytes a month


def demand(family: FamilyDemand, growth: float = 0.0, compression: float = 1.0) -> Demand:
    return Demand((family,), compression=compression, monthly_growth=growth, months=6)


def test_a_finite_retention_holds_rate_times_retention_from_month_one() -> None:
    """1000 B a month, retention 15 days of a 30-day month: 500 B every month (steady state)."""
    family = FamilyDemand("f", RATE, 1, retention_days=15)
    held = [horizon.held(demand(family), family, m, MONTH) for m in (1, 2, 6)]

    assert held == pytest.approx([500, 500, 500])


def test_forever_grows_by_one_month_of_ingest_a_month_from_what_it_holds() -> None:
    """Holding 250 B now, 1000 B a month: 1250, 2250, 6250 at the end of months 1, 2, 6."""
    family = FamilyDemand("f", RATE, 1, stored_bytes=250)
    held = [horizon.held(demand(family), family, m, MONTH) for m in (1, 2, 6)]

    assert held == pytest.approx([1250, 2250, 6250])


def test_growth_compounds_and_a_two_month_window_sums_the_last_two_months() -> None:
    """10% growth: months ingest 1000, 1100, 1210; a 60-day window at month 3 holds
    1100 + 1210 = 2310; at month 1 it holds month 1 plus one month at month 1's rate: 2000."""
    family = FamilyDemand("f", RATE, 1, retention_days=60)
    d = demand(family, growth=0.1)

    assert horizon.held(d, family, 3, MONTH) == pytest.approx(2310)
    assert horizon.held(d, family, 1, MONTH) == pytest.approx(2000)


def test_compression_divides_the_stored_bytes() -> None:
    """A 4x compression ratio stores a quarter: 1000 B of one month -> 250 B."""
    family = FamilyDemand("f", RATE, 1, retention_days=30)

    assert horizon.held(demand(family, compression=4), family, 1, MONTH) == pytest.approx(250)


def test_a_compacted_family_holds_what_it_holds_now() -> None:
    """Latest per key: 300 B now stays 300 B whatever it ingests (no growth)."""
    family = FamilyDemand("f", RATE, 1, stored_bytes=300, compacted=True)

    assert horizon.held(demand(family), family, 6, MONTH) == 300


def test_the_hot_window_is_the_last_days_of_ingest() -> None:
    """3 days of 1000 B per 30 days: 100 B."""
    family = FamilyDemand("f", RATE, 1)

    assert horizon.hot(demand(family), 1, MONTH, 3.0) == pytest.approx(100)
