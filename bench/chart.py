"""The run's ratios against their targets, as a PNG (matplotlib, headless Agg backend).

Left: every line whose target is a ratio (ledger / baseline), one bar each, green when it
passes, red when it misses, with its target marked; a log scale, so 0.5x and 2x are as far
from 1x. Right: the memory lines' growth from the smaller file to the larger, against the
100 MB bound. Lines without a ratio target (information, latency, checkpoint cost) are in the
table only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common import Result

PASS, MISS, TARGET = "#2e7d32", "#c62828", "#212121"


def draw(results: list[Result], path: Path, *, title: str) -> None:
    """Write the chart of ``results`` to ``path``."""
    import matplotlib  # noqa: PLC0415  # the bench extra; imported only to draw

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: PLC0415

    ratios = [r for r in results if r.goal is not None and r.ratio is not None]
    memory = [r for r in results if r.growth is not None]
    height = 1.2 + 0.32 * max(len(ratios), 2 * len(memory), 4)
    figure, (left, right) = pyplot.subplots(
        1, 2, figsize=(13, height), gridspec_kw={"width_ratios": [3, 1.3]}
    )
    _ratios(left, ratios)
    _memory(right, memory)
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)


def _ratios(axes: Any, results: list[Result]) -> None:
    rows = list(range(len(results)))[::-1]
    values = [r.ratio or 0.0 for r in results]
    colours = [PASS if r.passed else MISS for r in results]
    axes.barh(rows, values, color=colours, height=0.6)
    for row, result in zip(rows, results, strict=True):
        goal = result.goal or 0.0
        axes.plot([goal, goal], [row - 0.4, row + 0.4], color=TARGET, linewidth=2)
        axes.annotate(
            f"{result.ratio or 0:.2f}x",
            (result.ratio or 0, row),
            xytext=(4, -3),
            textcoords="offset points",
            fontsize=7,
        )
    axes.set_xscale("log")
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5]
    low, high = min([*values, 0.5]), max([*values, 2.0])
    shown = [t for t in ticks if low / 2 <= t <= high * 2]
    axes.set_xticks(shown, [f"{t:g}x" for t in shown])
    axes.axvline(1.0, color="#9e9e9e", linewidth=0.8, linestyle=":")
    axes.set_yticks(rows, [r.name.strip() for r in results], fontsize=8)
    axes.set_xlabel(
        "ratio, fleetledger / baseline (log scale); black tick = target"
        " (decode lines also need >= 300k/s)",
        fontsize=8,
    )
    axes.set_title("ratios against targets (green: pass, red: miss)", fontsize=9)


def _memory(axes: Any, results: list[Result]) -> None:
    if not results:
        axes.set_axis_off()
        return
    rows = list(range(len(results)))[::-1]
    growth = [max(r.growth or 0.0, 0.0) for r in results]
    colours = [PASS if r.passed else MISS for r in results]
    projected = [r.projected for r in results]
    if any(p is not None for p in projected):
        axes.barh(
            rows,
            [p or 0.0 for p in projected],
            height=0.6,
            fill=False,
            edgecolor=colours,
            hatch="//",
            label="projected linearly to 1e7 events",
        )
        axes.legend(fontsize=7, loc="lower right")
    axes.barh(rows, growth, color=colours, height=0.6)
    for row, result, grown in zip(rows, results, growth, strict=True):
        text = f"+{grown:.0f} MB"
        if result.projected is not None:
            text += f" (1e7: +{result.projected:.0f})"
        axes.annotate(
            text,
            (0, row),
            xytext=(3, 11),
            textcoords="offset points",
            fontsize=7,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
    axes.axvline(100.0, color=TARGET, linewidth=2)
    labels = [r.name.removeprefix("memory: ").replace(", peak RSS", "\n") for r in results]
    axes.set_yticks(rows, labels, fontsize=8)
    axes.set_xlabel("peak RSS growth, MB (black line = 100 MB bound)", fontsize=8)
    axes.set_title("memory: peak RSS growth", fontsize=9)
