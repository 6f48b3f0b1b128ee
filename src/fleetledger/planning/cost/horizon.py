"""Bytes over time: what each family ingests in a month and what it holds at a month's end.

Month ``k`` (1-based) runs from ``k - 1`` to ``k`` in month units; its rates are month 1's
times ``(1 + growth) ** (k - 1)``. A family with a finite retention is assumed to have run at
month 1's rate long enough to fill its window before the horizon starts (steady state), so it
holds ``rate x retention`` from month 1 and grows only with the rate; a family kept forever
starts from the bytes it holds now (measured, else 0) and keeps every month's ingest; a
compacted family holds what it holds now (the latest event per key), grown with the rates.
Compression divides every byte: on the wire and on disk alike.
"""

from __future__ import annotations

import math

from fleetledger.planning.cost.inputs import Demand, FamilyDemand


def growth_factor(demand: Demand, month: int) -> float:
    """How many times month 1's rates month ``month`` runs at."""
    return float((1 + demand.monthly_growth) ** (month - 1))


def write_rate(demand: Demand, month: int, family: FamilyDemand | None = None) -> float:
    """Mean compressed bytes per second written in ``month`` (one family, or all)."""
    families = demand.families if family is None else (family,)
    mean = sum(f.events_per_second * f.mean_size for f in families)
    return mean / demand.compression * growth_factor(demand, month)


def peak_write_rate(demand: Demand, month: int) -> float:
    """Compressed bytes per second at the busiest moment: each family at ``burst`` times its
    mean, all at once (the conservative assumption: bursts coincide)."""
    peak = sum(f.events_per_second * f.burst * f.mean_size for f in demand.families)
    return peak / demand.compression * growth_factor(demand, month)


def ingest(demand: Demand, family: FamilyDemand, month: int, seconds_per_month: float) -> float:
    """Compressed bytes ``family`` receives during ``month``."""
    return write_rate(demand, month, family) * seconds_per_month


def held(
    demand: Demand,
    family: FamilyDemand,
    month: int,
    seconds_per_month: float,
    window_months: float | None = None,
) -> float:
    """Compressed bytes ``family`` holds at the end of ``month`` that are younger than
    ``window_months`` (default: its retention; ``inf``: everything it keeps)."""
    if family.compacted:
        return family.stored_bytes / demand.compression * growth_factor(demand, month)
    retention = months_of(family.retention_days, seconds_per_month)
    window = min(retention if window_months is None else window_months, retention)
    if math.isinf(window):
        kept = family.stored_bytes / demand.compression
        return kept + sum(ingest(demand, family, k, seconds_per_month) for k in range(1, month + 1))
    start = month - window
    inside = sum(
        ingest(demand, family, k, seconds_per_month) * _overlap(k - 1, k, start, month)
        for k in range(max(1, math.floor(start) + 1), month + 1)
    )
    before = max(0.0, -start) * ingest(demand, family, 1, seconds_per_month)
    return inside + before


def held_all(demand: Demand, month: int, seconds_per_month: float) -> float:
    """Compressed bytes all families hold at the end of ``month``."""
    return sum(held(demand, f, month, seconds_per_month) for f in demand.families)


def hot(demand: Demand, month: int, seconds_per_month: float, hot_days: float) -> float:
    """Compressed bytes younger than ``hot_days`` at the end of ``month``, all families (what a
    tiered broker keeps on its local disk)."""
    window = months_of(hot_days, seconds_per_month)
    return sum(held(demand, f, month, seconds_per_month, window) for f in demand.families)


def months_of(days: float, seconds_per_month: float) -> float:
    """``days`` in months of the price sheet's length (``inf`` stays ``inf``)."""
    return days * 86_400 / seconds_per_month


def _overlap(a: float, b: float, c: float, d: float) -> float:
    """The fraction of [a, b] (one month) inside [c, d]."""
    return max(0.0, min(b, d) - max(a, c)) / (b - a)
