"""The plan as a reader meets it: a headline, tables, the assumptions and the prices' sources,
rendered as Markdown (the terminal shows the same through rich) or as one JSON document.

:func:`build` turns the model's values into :class:`Report` once; the renderers only lay it out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from fleetledger.planning.cost.inputs import GIB, Demand, Deployment, FamilyDemand
from fleetledger.planning.cost.prices import PriceSheet
from fleetledger.planning.cost.result import (
    ARCHITECTURES,
    COST_LINES,
    SHARED_NOTHING,
    SHARED_STORAGE,
    ArchitectureMonth,
    Plan,
)
from fleetledger.planning.cost.sensitivity import Row

DOUBLES = 1.9
"""A change whose factor reaches this is flagged as one that (about) doubles the bill."""

ASSUMPTIONS = (
    "Bytes are billed at the mean rate; brokers are sized for the peak (mean x burst, every"
    " family's burst at once). The p99 event size does not enter the bill (bytes add up as"
    " means); it sizes max.message.bytes.",
    "Compression divides bytes on the wire and on disk alike.",
    "A family with a finite retention has run long enough to fill it (steady state); a family"
    " kept forever starts from what it holds now and keeps every month's ingest; a compacted"
    " family holds what it holds now (latest per key), grown with the rates. Rates grow"
    " by the monthly growth rate, compounding; costs are for the disk needed at each month's end.",
    "Cross-zone, Z zones, leaders and clients spread evenly: produce (Z-1)/Z of written bytes;"
    " replication RF - ceil(RF/Z) copies (RF-1 with rack-aware placement over >= RF zones);"
    " consume fan-out x (Z-1)/Z without rack-aware fetching, and only consumers in zones"
    " without a replica cross with it (KIP-392). Each crossing GB pays the inter-zone price"
    " twice: the sender and the receiver each pay it. Where clients sit (producer and"
    " consumer zones) does not change these fractions while leaders and replicas are spread"
    " evenly over every zone.",
    "Shared nothing: disk = stored x RF / (1 - headroom); with tiered storage only the hot"
    " window stays local (x RF) and the rest is stored once in object storage. Brokers = the"
    " largest of disk / disk per broker, peak network per direction / network per broker"
    " (in: RF x written; out: (RF-1 + fan-out [+1 tiered upload]) x written), zones, RF.",
    "Adding a broker moves about local replica bytes / (brokers + 1) to it: the even-spread"
    " estimate; at most (Z-1)/Z of that crosses zones.",
    "Shared storage (object storage + WAL, stateless brokers, as in AutoMQ): object bytes ="
    " stored bytes (x1, object storage is durable and regional: no transfer charge); PUTs ="
    " written / upload size; GETs = (compaction + catch-up reads) / GET size; WAL = minutes of"
    " peak ingress on block storage; brokers by throughput only (out: upload + fan-out +"
    " compaction; in: produce + compaction + catch-up), at least one in each zone hosting"
    " producers or consumers so produce and consume stay zone-local; cross-zone only for a"
    " WAL replicated across zones.",
)


@dataclass(frozen=True)
class Table:
    """One table of the report: a title, column headers, rows of text, a note under it."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Report:
    """Everything a renderer lays out."""

    title: str
    headline: tuple[str, ...]
    tables: tuple[Table, ...]
    assumptions: tuple[str, ...]
    data: dict[str, Any]


def build(
    plan: Plan, rows: list[Row], demand: Demand, deployment: Deployment, prices: PriceSheet
) -> Report:
    """The report of ``plan`` and its sensitivity ``rows``."""
    money = _money(prices.currency)
    return Report(
        title="fleetledger plan: shared nothing vs shared storage",
        headline=_headline(plan, money),
        tables=(
            _families(plan, demand, prices),
            _side_by_side(plan, money),
            _horizon(plan, money),
            _sensitivity(rows, money),
            _inputs(demand, deployment),
            _prices(prices),
        ),
        assumptions=ASSUMPTIONS,
        data=_data(plan, rows, demand, deployment, prices),
    )


def markdown(report: Report) -> str:
    """The report as Markdown (GitHub tables)."""
    lines = [f"# {report.title}", "", *(f"- {line}" for line in report.headline), ""]
    for table in report.tables:
        lines += [f"## {table.title}", "", _md_row(table.headers)]
        lines += [_md_row(tuple("---" for _ in table.headers))]
        lines += [_md_row(row) for row in table.rows]
        lines += ["", table.note, ""] if table.note else [""]
    lines += ["## Assumptions", "", *(f"- {a}" for a in report.assumptions), ""]
    return "\n".join(lines)


def _md_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def _headline(plan: Plan, money: Any) -> tuple[str, ...]:
    lines = []
    for name in ARCHITECTURES:
        first, last = plan.first(name), plan.last(name)
        share = first.costs[first.dominant] / first.total if first.total else 0.0
        lines.append(
            f"{name}: {money(first.total)}/month in month 1, {money(last.total)} in month"
            f" {last.month}; {first.brokers} brokers; dominant term: {first.dominant}"
            f" ({share:.0%} of the bill)"
        )
    nothing, storage = plan.first(SHARED_NOTHING).total, plan.first(SHARED_STORAGE).total
    if nothing and storage:
        cheaper = SHARED_STORAGE if storage < nothing else SHARED_NOTHING
        ratio = max(nothing, storage) / min(nothing, storage)
        lines.append(f"{cheaper} costs {ratio:.1f}x less in month 1")
    return tuple(lines)


def _families(plan: Plan, demand: Demand, prices: PriceSheet) -> Table:
    seconds = prices.seconds_per_month
    rows = tuple(
        (
            f.name,
            f"{f.events_per_second:,.2f}",
            f"{f.burst:.1f}",
            f"{f.mean_size:,.0f} B",
            f"{f.p99_size:,.0f} B" if f.p99_size else "-",
            _retention(f),
            gib(f.events_per_second * f.mean_size / demand.compression * seconds),
            gib(plan.stored[f.name][0]),
            gib(plan.stored[f.name][-1]),
        )
        for f in demand.families
    )
    headers = ("family", "events/s", "burst", "mean size", "p99 size", "retention")
    written = "written/month (month 1)"
    stored = ("stored, month 1", f"stored, month {plan.months[-1]}")
    return Table("Workload per family", (*headers, written, *stored), rows)


def _retention(family: FamilyDemand) -> str:
    kept = "forever" if family.forever else f"{family.retention_days:g} d"
    return f"{kept}, compacted" if family.compacted else kept


def _side_by_side(plan: Plan, money: Any) -> Table:
    last = plan.months[-1]
    columns = [(a, plan.first(a)) for a in ARCHITECTURES] + [
        (a, plan.last(a)) for a in ARCHITECTURES
    ]
    headers = ("", *(f"{a}, month {m.month}" for a, m in columns))
    specs: list[tuple[str, Any]] = [
        ("brokers", lambda m: f"{m.brokers} ({_by(m)})"),
        ("local disk / WAL", lambda m: gib(m.block_bytes)),
        ("object storage", lambda m: gib(m.object_bytes)),
        ("PUT / GET per month", lambda m: f"{m.puts:,.0f} / {m.gets:,.0f}"),
        ("cross-zone: produce", lambda m: gib(m.cross_zone.produce)),
        ("cross-zone: replication", lambda m: gib(m.cross_zone.replication)),
        ("cross-zone: consume", lambda m: gib(m.cross_zone.consume)),
        (
            "moved when a broker is added",
            lambda m: gib(m.rebalance_bytes) if m.rebalance_bytes else "0 (stateless)",
        ),
        *((f"cost: {line}", _line(line, money)) for line in COST_LINES),
        ("total per month", lambda m: money(m.total)),
        ("dominant term", lambda m: m.dominant),
    ]
    rows = tuple((label, *(render(m) for _, m in columns)) for label, render in specs)
    note = f"Months 1 and {last} of the horizon; bytes are compressed, per month unless stored."
    return Table("Side by side", headers, rows, note)


def _line(line: str, money: Any) -> Any:
    return lambda m: money(m.costs[line])


def _by(month: ArchitectureMonth) -> str:
    return ", ".join(f"{rule} {count}" for rule, count in month.brokers_by.items())


def _horizon(plan: Plan, money: Any) -> Table:
    rows = tuple(
        (
            str(m),
            gib(sum(values[m - 1] for values in plan.stored.values())),
            *(money(plan.architectures[a][m - 1].total) for a in ARCHITECTURES),
        )
        for m in plan.months
    )
    return Table("Over the horizon", ("month", "stored", *ARCHITECTURES), rows)


def _sensitivity(rows: list[Row], money: Any) -> Table:
    body = tuple(
        (
            row.change,
            *(f"{money(row.totals[a])} ({_factor(row.factors[a])})" for a in ARCHITECTURES),
        )
        for row in rows
    )
    note = (
        f"Month 1's bill with one input doubled (or switched); **bold** factors reach"
        f" {DOUBLES}x: what doubles the bill."
    )
    return Table("What doubles the bill", ("change", *ARCHITECTURES), body, note)


def _factor(value: float) -> str:
    text = f"x{value:.2f}"
    return f"**{text}**" if value >= DOUBLES else text


def _inputs(demand: Demand, deployment: Deployment) -> Table:
    origins = {**demand.origins, **deployment.origins}
    values = {
        "fan-out": f"{demand.fan_out:g} consumer groups",
        "compression": f"{demand.compression:g}x",
        "months": str(demand.months),
        "growth": f"{demand.monthly_growth:.1%} per month",
    }
    for name, value in vars(deployment).items():
        if name != "origins":
            values[name.replace("_", " ")] = str(value)
    family_keys = ("events/s", "burst", "event size", "retention", "stored bytes")
    rows = [(k, "per family (above)", origins[k]) for k in family_keys if k in origins]
    rows += [(k, v, origins.get(k, "default")) for k, v in values.items()]
    return Table("Inputs and where each came from", ("input", "value", "from"), tuple(rows))


def _prices(prices: PriceSheet) -> Table:
    rows = tuple(
        (
            p.kind,
            f"{p.value:g} {prices.currency} {p.unit}",
            p.source,
            p.read,
            p.note,
        )
        for p in prices.prices().values()
    )
    note = (
        f"{prices.name}; a month is {prices.hours_per_month:g} hours; a GB is"
        f" {prices.bytes_per_gb:,.0f} bytes."
    )
    return Table("Prices", ("price", "value", "source", "read", "note"), rows, note)


def _data(
    plan: Plan, rows: list[Row], demand: Demand, deployment: Deployment, prices: PriceSheet
) -> dict[str, Any]:
    return {
        "months": list(plan.months),
        "stored_bytes": {name: list(values) for name, values in plan.stored.items()},
        "architectures": {
            name: [_month_data(m) for m in months] for name, months in plan.architectures.items()
        },
        "sensitivity": [
            {"change": r.change, "totals": dict(r.totals), "factors": dict(r.factors)} for r in rows
        ],
        "inputs": {
            "families": [_family_data(f) for f in demand.families],
            "fan_out": demand.fan_out,
            "compression": demand.compression,
            "monthly_growth": demand.monthly_growth,
            "deployment": {k: v for k, v in vars(deployment).items() if k != "origins"},
            "origins": {**demand.origins, **deployment.origins},
        },
        "prices": {
            "name": prices.name,
            "currency": prices.currency,
            "hours_per_month": prices.hours_per_month,
            "bytes_per_gb": prices.bytes_per_gb,
            **{key: vars(p) for key, p in prices.prices().items()},
        },
        "assumptions": list(ASSUMPTIONS),
    }


def _month_data(m: ArchitectureMonth) -> dict[str, Any]:
    return {
        "month": m.month,
        "brokers": m.brokers,
        "brokers_by": dict(m.brokers_by),
        "block_bytes": m.block_bytes,
        "object_bytes": m.object_bytes,
        "puts": m.puts,
        "gets": m.gets,
        "cross_zone_bytes": m.cross_zone.by_cause(),
        "rebalance_bytes": m.rebalance_bytes,
        "costs": dict(m.costs),
        "total": m.total,
        "dominant": m.dominant,
    }


def _family_data(f: Any) -> dict[str, Any]:
    values = dict(vars(f))
    if math.isinf(values["retention_days"]):
        values["retention_days"] = "forever"
    return values


def gib(value: float) -> str:
    """Bytes as GiB (TiB from 10,000 GiB; MiB under 1 GiB)."""
    if value >= 10_000 * GIB:
        return f"{value / (GIB << 10):,.1f} TiB"
    if value >= GIB or value == 0:
        return f"{value / GIB:,.1f} GiB"
    return f"{value / (1 << 20):,.2f} MiB"


def _money(currency: str) -> Any:
    symbol = "$" if currency == "USD" else f"{currency} "

    def money(value: float) -> str:
        return f"{symbol}{value:,.2f}" if value < 100 else f"{symbol}{value:,.0f}"

    return money
