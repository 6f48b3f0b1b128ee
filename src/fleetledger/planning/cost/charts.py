"""The plan's three charts as PNG bytes: storage growth per family, monthly cost per
architecture over the horizon, and cross-zone bytes by cause.

matplotlib is the ``[plan]`` extra: without it, :class:`~fleetledger.MissingExtra` says how to
install it. The Agg backend draws without a display.
"""

from __future__ import annotations

import importlib
import io
from types import ModuleType
from typing import Any

from fleetledger.errors import MissingExtra
from fleetledger.planning.cost.inputs import GIB
from fleetledger.planning.cost.result import ARCHITECTURES, Plan

CHART_NAMES = ("storage-growth", "monthly-cost", "cross-zone")
_COLOURS = {"shared nothing": "#c0392b", "shared storage": "#2471a3"}
_CAUSES = {"produce": "#f5b041", "replication": "#af601a", "consume": "#5dade2"}


def pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend; MissingExtra without the ``[plan]`` extra."""
    try:
        matplotlib: ModuleType = importlib.import_module("matplotlib")
    except ImportError as exc:
        raise MissingExtra("plan", "matplotlib") from exc
    matplotlib.use("Agg")
    return importlib.import_module("matplotlib.pyplot")


def charts(plan: Plan, currency: str) -> dict[str, bytes]:
    """Every chart by its name (:data:`CHART_NAMES`), as PNG bytes."""
    plt = pyplot()
    drawn = {
        "storage-growth": _storage(plt, plan),
        "monthly-cost": _cost(plt, plan, currency),
        "cross-zone": _cross_zone(plt, plan),
    }
    return {name: _png(plt, figure) for name, figure in drawn.items()}


def _storage(plt: Any, plan: Plan) -> Any:
    figure, axes = plt.subplots(figsize=(8, 4.2))
    series = [[v / GIB for v in values] for values in plan.stored.values()]
    axes.stackplot(plan.months, series, labels=list(plan.stored), alpha=0.85)
    _frame(axes, "Stored bytes per family (compressed, one copy)", "GiB at month end")
    axes.legend(loc="upper left", fontsize=8, ncols=min(4, len(plan.stored)), frameon=False)
    return figure


def _cost(plt: Any, plan: Plan, currency: str) -> Any:
    figure, axes = plt.subplots(figsize=(8, 4.2))
    for name in ARCHITECTURES:
        totals = [m.total for m in plan.architectures[name]]
        axes.plot(plan.months, totals, marker="o", color=_COLOURS[name], label=name)
        axes.annotate(
            f"{totals[-1]:,.0f}",
            (plan.months[-1], totals[-1]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize=8,
            color=_COLOURS[name],
        )
    axes.set_ylim(bottom=0)
    _frame(axes, "Monthly cost per architecture", f"{currency} per month")
    axes.legend(loc="upper left", fontsize=9, frameon=False)
    return figure


def _cross_zone(plt: Any, plan: Plan) -> Any:
    figure, axes = plt.subplots(figsize=(8, 3.6))
    bottoms = [0.0, 0.0]
    for cause, colour in _CAUSES.items():
        values = [plan.first(a).cross_zone.by_cause()[cause] / GIB for a in ARCHITECTURES]
        axes.barh(ARCHITECTURES, values, left=bottoms, color=colour, label=cause)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    for row, total in enumerate(bottoms):
        local = " (zone-local clients, regional object storage)" if total == 0 else ""
        axes.annotate(
            f"{total:,.0f} GiB{local}",
            (total, row),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=8,
        )
    axes.invert_yaxis()
    axes.set_xlim(right=max(bottoms) * 1.2 or 1)
    axes.set_title("Cross-zone bytes in month 1, by cause", fontsize=11, loc="left")
    axes.set_xlabel("GiB per month")
    axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.grid(axis="x", alpha=0.3)
    axes.xaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")
    axes.spines[["top", "right"]].set_visible(False)
    return figure


def _frame(axes: Any, title: str, ylabel: str) -> None:
    axes.set_title(title, fontsize=11, loc="left")
    axes.set_xlabel("month")
    axes.set_ylabel(ylabel)
    axes.grid(alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:,.0f}")


def _png(plt: Any, figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()
