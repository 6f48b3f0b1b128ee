"""The cost model's one entry point: both architectures, month by month, over the horizon.

Pure: it takes values and returns values; reading inputs and drawing reports live elsewhere.
"""

from __future__ import annotations

from fleetledger.planning.cost import horizon, shared_nothing, shared_storage
from fleetledger.planning.cost.inputs import Demand, Deployment
from fleetledger.planning.cost.prices import PriceSheet
from fleetledger.planning.cost.result import SHARED_NOTHING, SHARED_STORAGE, Plan


def plan(demand: Demand, deployment: Deployment, prices: PriceSheet) -> Plan:
    """Stored bytes per family and both architectures' clusters and bills for months
    1..``demand.months``."""
    months = tuple(range(1, demand.months + 1))
    seconds = prices.seconds_per_month
    stored = {
        f.name: tuple(horizon.held(demand, f, m, seconds) for m in months) for f in demand.families
    }
    return Plan(
        months=months,
        stored=stored,
        architectures={
            SHARED_NOTHING: tuple(
                shared_nothing.month(demand, deployment, prices, m) for m in months
            ),
            SHARED_STORAGE: tuple(
                shared_storage.month(demand, deployment, prices, m) for m in months
            ),
        },
    )


def first_month(demand: Demand, deployment: Deployment, prices: PriceSheet) -> dict[str, float]:
    """Month 1's bill of each architecture (what a sensitivity run compares)."""
    return {
        SHARED_NOTHING: shared_nothing.month(demand, deployment, prices, 1).total,
        SHARED_STORAGE: shared_storage.month(demand, deployment, prices, 1).total,
    }
