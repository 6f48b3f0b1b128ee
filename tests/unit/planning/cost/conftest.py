"""Shared builders for the cost model's tests: a price sheet with round figures."""

from __future__ import annotations

import pytest

from fleetledger.planning.cost.prices import PriceSheet, parse_prices

ROUND_PRICES = """
name = "round test prices"
hours_per_month = 730
bytes_per_gb = 1073741824
[broker]
instance = "test.large"
per_hour = 0.10
source = "test"
[block_storage]
per_gb_month = 0.08
source = "test"
[object_storage]
per_gb_month = 0.02
source = "test"
[object_put]
per_1000 = 0.005
source = "test"
[object_get]
per_1000 = 0.0004
source = "test"
[inter_zone]
per_gb_each_direction = 0.01
source = "test"
"""


@pytest.fixture
def prices() -> PriceSheet:
    """Round prices: $0.10/broker-hour, $0.08 block and $0.02 object per GiB-month, $0.005 per
    1,000 PUTs, $0.0004 per 1,000 GETs, $0.01 per GiB each direction across zones."""
    return parse_prices(ROUND_PRICES, origin="test")
