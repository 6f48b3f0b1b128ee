"""The radar chart of the six scores as inline SVG: pure Python, no script, no dependency.

Axis ``i`` of ``n`` points ``i * 360/n`` degrees clockwise from straight up; a score ``v``
sits at ``v/5`` of the radius along its axis (an unscored dimension at the centre, its label
greyed and saying so). Rings mark 1 to 5. The SVG is one element an HTML page can inline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from fleetledger.planning.scorecard.dimensions import HIGHEST

WIDTH, HEIGHT = 600, 400
RADIUS = 130.0
CENTER_X, CENTER_Y = WIDTH / 2, HEIGHT / 2


def vertex(index: int, count: int, fraction: float) -> tuple[float, float]:
    """Where ``fraction`` (0 centre, 1 rim) of axis ``index`` of ``count`` lies, in SVG
    coordinates (y grows downward)."""
    angle = 2 * math.pi * index / count
    distance = RADIUS * fraction
    return CENTER_X + distance * math.sin(angle), CENTER_Y - distance * math.cos(angle)


def _points(fractions: Sequence[float]) -> str:
    count = len(fractions)
    return " ".join(
        f"{x:.1f},{y:.1f}" for x, y in (vertex(i, count, f) for i, f in enumerate(fractions))
    )


def _label(index: int, count: int, name: str, value: int | None) -> str:
    """The axis label, outside the rim, anchored away from the centre."""
    x, y = vertex(index, count, 1.0 + 34 / RADIUS)
    anchor = "middle" if abs(x - CENTER_X) < 1 else "start" if x > CENTER_X else "end"
    shown = "not scored" if value is None else f"{value} / {HIGHEST}"
    tone = "#9aa0a6" if value is None else "#1f2937"
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{tone}" font-size="13">'
        f'<tspan x="{x:.1f}" dy="-0.2em" font-weight="600">{escape(name)}</tspan>'
        f'<tspan x="{x:.1f}" dy="1.2em">{shown}</tspan></text>'
    )


def radar_svg(scores: Sequence[tuple[str, int | None]], width: int = WIDTH) -> str:
    """An SVG radar of ``(name, score)`` pairs: rings 1..5, axes, the scores' polygon, drawn
    ``width`` pixels wide."""
    count = len(scores)
    rings = [
        f'<polygon class="ring" points="{_points([level / HIGHEST] * count)}" fill="none"'
        f' stroke="#d1d5db" stroke-width="1"/>'
        for level in range(1, HIGHEST + 1)
    ]
    axes = [
        f'<line x1="{CENTER_X}" y1="{CENTER_Y}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d1d5db"/>'
        for x, y in (vertex(i, count, 1.0) for i in range(count))
    ]
    ticks = [
        f'<text x="{CENTER_X + 4:.1f}" y="{vertex(0, count, level / HIGHEST)[1] + 4:.1f}"'
        f' font-size="10" fill="#6b7280">{level}</text>'
        for level in range(1, HIGHEST + 1)
    ]
    fractions = [(value or 0) / HIGHEST for _, value in scores]
    shape = (
        f'<polygon class="scores" points="{_points(fractions)}" fill="#2563eb" fill-opacity="0.25"'
        ' stroke="#1d4ed8" stroke-width="2.5" stroke-linejoin="round"/>'
    )
    dots = [
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#1d4ed8"/>'
        for (x, y), (_, value) in zip(
            (vertex(i, count, f) for i, f in enumerate(fractions)), scores, strict=True
        )
        if value is not None
    ]
    labels = [_label(i, count, name, value) for i, (name, value) in enumerate(scores)]
    body = "".join([*rings, *axes, *ticks, shape, *dots, *labels])
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{width}"'
        f' height="{round(width * HEIGHT / WIDTH)}" role="img"'
        ' aria-label="Readiness scores, radar chart"'
        f' font-family="system-ui, sans-serif">{body}</svg>'
    )
