"""The price sheet: the shipped one names a source for every price; a bad one is refused."""

import pytest

from fleetledger import ConfigurationError
from fleetledger.planning.cost.prices import default_prices, parse_prices
from tests.unit.planning.cost.conftest import ROUND_PRICES


def test_the_default_sheet_names_a_source_and_a_date_for_every_price() -> None:
    """Six AWS us-east-1 prices, each with an https source and the date it was read."""
    sheet = default_prices()

    for price in sheet.prices().values():
        assert price.source.startswith("https://")
        assert price.read == "2026-12-07"
    assert sheet.inter_zone_gb_each_way.value == 0.01
    assert sheet.cross_zone_per_gb == 0.02


def test_a_price_without_a_source_is_refused() -> None:
    """A figure nobody can check is not a price."""
    text = ROUND_PRICES.replace('per_gb_month = 0.08\nsource = "test"', "per_gb_month = 0.08")

    with pytest.raises(ConfigurationError, match=r"block_storage.*source"):
        parse_prices(text, origin="p.toml")


def test_a_negative_price_is_refused() -> None:
    """Prices are numbers >= 0."""
    with pytest.raises(ConfigurationError, match="per_hour"):
        parse_prices(ROUND_PRICES.replace("per_hour = 0.10", "per_hour = -1"), origin="p.toml")
