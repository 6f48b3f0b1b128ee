"""What doubles the bill: month 1's cost of each architecture with one input doubled (or a
switch flipped), and its factor against the baseline.

Retention doubles only for families with a finite retention (forever stays forever); the
compression ratio doubles too (the bill shrinks); prices double one at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from fleetledger.planning.cost.inputs import Demand, Deployment
from fleetledger.planning.cost.model import first_month
from fleetledger.planning.cost.prices import PRICE_KEYS, PriceSheet

Case = tuple[Demand, Deployment, PriceSheet]
Change = Callable[[Demand, Deployment, PriceSheet], Case]


@dataclass(frozen=True)
class Row:
    """One input changed: its label, the new monthly bills and their factors vs baseline."""

    change: str
    totals: Mapping[str, float]
    factors: Mapping[str, float]


def _demand(label: str, **changes: float) -> tuple[str, Change]:
    return label, lambda d, dep, p: (d.scaled(**changes), dep, p)


def _doubled(name: str) -> Change:
    return lambda d, dep, p: (replace(d, **{name: getattr(d, name) * 2}), dep, p)


def _deployment(name: str, value: Callable[[Deployment], Any]) -> Change:
    def change(d: Demand, dep: Deployment, p: PriceSheet) -> Case:
        changed: dict[str, Any] = {name: value(dep)}
        return d, replace(dep, **changed), p

    return change


def _price(key: str) -> Change:
    return lambda d, dep, p: (d, dep, p.times(key, 2))


def changes(prices: PriceSheet) -> list[tuple[str, Change]]:
    """Every change the table tries, labelled as the report prints it."""
    labels = {
        "broker_hour": f"{prices.instance} price x2",
        "block_gb_month": "block storage price x2",
        "object_gb_month": "object storage price x2",
        "put_per_1000": "PUT price x2",
        "get_per_1000": "GET price x2",
        "inter_zone_gb_each_way": "cross-zone price x2",
    }
    return [
        _demand("events/s x2", events_per_second=2),
        _demand("event size x2", mean_size=2),
        ("fan-out x2", _doubled("fan_out")),
        _demand("retention x2", retention_days=2),
        ("compression ratio x2", _doubled("compression")),
        (
            "replication factor x2",
            _deployment("replication_factor", lambda d: d.replication_factor * 2),
        ),
        ("zones x2", _deployment("zones", lambda d: d.zones * 2)),
        (
            "rack-aware fetching flipped",
            _deployment("rack_aware_fetch", lambda d: not d.rack_aware_fetch),
        ),
        ("tiered storage flipped", _deployment("tiered_storage", lambda d: not d.tiered_storage)),
        *((labels[key], _price(key)) for key in PRICE_KEYS),
    ]


def table(demand: Demand, deployment: Deployment, prices: PriceSheet) -> list[Row]:
    """The baseline row, then one row per change."""
    baseline = first_month(demand, deployment, prices)
    rows = [Row("baseline", baseline, dict.fromkeys(baseline, 1.0))]
    for label, change in changes(prices):
        totals = first_month(*change(demand, deployment, prices))
        factors = {k: _factor(totals[k], baseline[k]) for k in baseline}
        rows.append(Row(label, totals, factors))
    return rows


def _factor(value: float, baseline: float) -> float:
    return value / baseline if baseline else 1.0
