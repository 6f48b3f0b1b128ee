"""The price sheet: six unit prices, each with the page it was read on and when.

The default sheet (``prices/aws-us-east-1.toml``, shipped in the package) holds public AWS
us-east-1 list prices; ``fleetledger plan --prices FILE`` takes another with the same keys.
A price without a source is refused: a bill is only as good as the figures it multiplies.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from fleetledger.errors import ConfigurationError

DEFAULT_SHEET = "aws-us-east-1.toml"


@dataclass(frozen=True)
class Price:
    """One unit price, where it was read and when (``note``: what the page says, or that the
    provider's own page was not readable)."""

    value: float
    unit: str
    kind: str
    source: str
    read: str
    note: str = ""


@dataclass(frozen=True)
class PriceSheet:
    """The prices one plan multiplies by. ``bytes_per_gb`` is the byte count a "GB" of the sheet
    means (2^30 by default: AutoMQ's calculator applies per-GB prices to GiB)."""

    name: str
    currency: str
    hours_per_month: float
    bytes_per_gb: float
    instance: str
    broker_hour: Price
    block_gb_month: Price
    object_gb_month: Price
    put_per_1000: Price
    get_per_1000: Price
    inter_zone_gb_each_way: Price

    @property
    def seconds_per_month(self) -> float:
        """The month the sheet bills, in seconds (730 h: 2,628,000 s)."""
        return self.hours_per_month * 3600

    @property
    def cross_zone_per_gb(self) -> float:
        """What one GB crossing a zone costs: the sender and the receiver each pay."""
        return 2 * self.inter_zone_gb_each_way.value

    def times(self, key: str, factor: float) -> PriceSheet:
        """This sheet with one price multiplied (a sensitivity run)."""
        price: Price = getattr(self, key)
        changed: dict[str, Any] = {key: replace(price, value=price.value * factor)}
        return replace(self, **changed)

    def prices(self) -> dict[str, Price]:
        """The six prices by their key, in the order a report lists them."""
        return {key: getattr(self, key) for key in PRICE_KEYS}


PRICE_KEYS = (
    "broker_hour",
    "block_gb_month",
    "object_gb_month",
    "put_per_1000",
    "get_per_1000",
    "inter_zone_gb_each_way",
)

_TABLES = {  # key -> (TOML table, value key, unit)
    "broker_hour": ("broker", "per_hour", "per broker-hour"),
    "block_gb_month": ("block_storage", "per_gb_month", "per GB-month"),
    "object_gb_month": ("object_storage", "per_gb_month", "per GB-month"),
    "put_per_1000": ("object_put", "per_1000", "per 1,000 requests"),
    "get_per_1000": ("object_get", "per_1000", "per 1,000 requests"),
    "inter_zone_gb_each_way": ("inter_zone", "per_gb_each_direction", "per GB each direction"),
}


def default_prices() -> PriceSheet:
    """The sheet shipped with fleetledger: AWS us-east-1 list prices."""
    text = resources.files(__package__).joinpath("prices", DEFAULT_SHEET).read_text("utf-8")
    return parse_prices(text, origin=f"fleetledger's {DEFAULT_SHEET}")


def load_prices(path: Path) -> PriceSheet:
    """The sheet in the TOML file at ``path`` (the default sheet's layout)."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise ConfigurationError(f"cannot read the price sheet {path}: {exc.strerror}") from exc
    return parse_prices(text, origin=str(path))


def parse_prices(text: str, *, origin: str) -> PriceSheet:
    """A price sheet from TOML text; ``origin`` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"price sheet {origin} is not valid TOML: {exc}") from exc
    prices = {key: _price(data, key, origin) for key in PRICE_KEYS}
    return PriceSheet(
        name=str(data.get("name", origin)),
        currency=str(data.get("currency", "USD")),
        hours_per_month=_number(data, "hours_per_month", origin, 730),
        bytes_per_gb=_number(data, "bytes_per_gb", origin, 1 << 30),
        instance=str(data.get("broker", {}).get("instance", "broker")),
        **prices,
    )


def _price(data: dict[str, Any], key: str, origin: str) -> Price:
    table_name, value_key, unit = _TABLES[key]
    table = data.get(table_name)
    if not isinstance(table, dict):
        raise ConfigurationError(f"price sheet {origin}: the [{table_name}] table is missing")
    value = _number(table, value_key, f"{origin} [{table_name}]")
    source = table.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(
            f"price sheet {origin} [{table_name}]: say where {value_key} comes from (source = URL)"
        )
    return Price(
        value=value,
        unit=unit,
        kind=str(table.get("kind", table.get("instance", table_name))),
        source=source,
        read=str(table.get("read", "")),
        note=str(table.get("note", "")),
    )


def _number(table: dict[str, Any], key: str, where: str, default: float | None = None) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigurationError(f"price sheet {where}: {key} must be a number >= 0, not {value!r}")
    return float(value)
