"""The sensitivity table: what one doubled input does to month 1's bill."""

import pytest

from fleetledger.planning.cost import sensitivity
from fleetledger.planning.cost.inputs import Demand, Deployment, FamilyDemand
from fleetledger.planning.cost.prices import PriceSheet
from fleetledger.planning.cost.result import SHARED_NOTHING, SHARED_STORAGE

DEMAND = Demand((FamilyDemand("task", 1024, 1024, retention_days=730 / 24),), fan_out=2)


def rows(prices: PriceSheet) -> dict[str, sensitivity.Row]:
    return {row.change: row for row in sensitivity.table(DEMAND, Deployment(), prices)}


def test_the_baseline_row_is_month_one_at_factor_one(prices: PriceSheet) -> None:
    """Shared nothing $1,245.5625 and shared storage $276.144525 (test_architectures)."""
    baseline = rows(prices)["baseline"]

    assert baseline.totals[SHARED_NOTHING] == pytest.approx(1_245.5625)
    assert baseline.totals[SHARED_STORAGE] == pytest.approx(276.144525)
    assert set(baseline.factors.values()) == {1.0}


def test_doubling_the_cross_zone_price_adds_the_transfer_term_once(prices: PriceSheet) -> None:
    """Shared nothing pays $205.3125 more: (1,245.5625 + 205.3125) / 1,245.5625 = x1.1648;
    shared storage crosses no zone: x1."""
    row = rows(prices)["cross-zone price x2"]

    assert row.factors[SHARED_NOTHING] == pytest.approx(1_450.875 / 1_245.5625)
    assert row.factors[SHARED_STORAGE] == 1.0


def test_flipping_rack_aware_fetching_removes_the_consume_crossings(prices: PriceSheet) -> None:
    """Consume was 3,421.875 GiB x $0.02 = $68.4375 of the bill: (1,245.5625 - 68.4375)."""
    row = rows(prices)["rack-aware fetching flipped"]

    assert row.totals[SHARED_NOTHING] == pytest.approx(1_245.5625 - 68.4375)


def test_every_input_of_the_issue_has_a_row(prices: PriceSheet) -> None:
    """Rate, size, fan-out, retention, RF, zones, compression, rack-aware, each price."""
    labels = set(rows(prices))

    for change in (
        "events/s x2",
        "event size x2",
        "fan-out x2",
        "retention x2",
        "replication factor x2",
        "zones x2",
        "compression ratio x2",
        "rack-aware fetching flipped",
        "tiered storage flipped",
        "test.large price x2",
        "cross-zone price x2",
        "PUT price x2",
    ):
        assert change in labels
