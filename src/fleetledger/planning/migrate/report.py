"""The rehearsal's report three ways: a rich table for the terminal, Markdown, and JSON.

All three say the same things in the same order: one row per step (result, wall-clock time,
figures), what each step found, then what a rollback requires.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from fleetledger.planning.migrate.rehearsal import Rehearsal
from fleetledger.planning.migrate.steps import Figure, Outcome, Step

_STYLE = {Outcome.PASSED: "green", Outcome.FAILED: "bold red", Outcome.SKIPPED: "dim"}
_LABELS = {
    "events_per_second": "events/s",
    "catch_up_events": "catch-up events",
    "catch_up_seconds": "catch-up s",
}


def figure(value: Figure) -> str:
    """A figure as text: counts with thousands separators."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return value or "-"


def figures(step: Step) -> str:
    """A step's figures on one line: ``label value · label value``."""
    return " · ".join(
        f"{_LABELS.get(key, key.replace('_', ' '))} {figure(value)}"
        for key, value in step.figures.items()
    )


def verdict(rehearsal: Rehearsal) -> str:
    """One sentence: passed, or which step failed and why."""
    failed = rehearsal.failed
    if failed is None:
        return f"every step passed in {rehearsal.seconds:.2f} s"
    return f"step {failed.name} failed: {failed.detail}"


def rollback_lines(rehearsal: Rehearsal) -> list[str]:
    """What a rollback requires, one item per line."""
    needs = rehearsal.rollback
    return [
        f"events to copy back to the source: {needs.events:,}",
        f"consumer groups to move back: {', '.join(needs.groups) or 'none'}",
        f"producers to repoint to the source: {', '.join(needs.producers) or 'none seen'}",
        f"time the rollback took in this rehearsal: {needs.seconds:.3f} s",
    ]


def findings(step: Step) -> list[str]:
    """What a step found and noted, as lines."""
    return ([step.detail] if step.detail else []) + step.notes


def as_json(rehearsal: Rehearsal) -> dict[str, Any]:
    """The rehearsal as one JSON object."""
    failed = rehearsal.failed
    return {
        "ok": rehearsal.ok,
        "failed": None if failed is None else failed.name,
        "source": rehearsal.source,
        "destination": rehearsal.destination,
        "seconds": round(rehearsal.seconds, 3),
        "steps": [
            {
                "name": step.name,
                "title": step.title,
                "outcome": step.outcome.value,
                "seconds": round(step.seconds, 3),
                "figures": step.figures,
                "detail": step.detail,
                "notes": step.notes,
            }
            for step in rehearsal.steps
        ],
        "rollback": {
            "events": rehearsal.rollback.events,
            "groups": rehearsal.rollback.groups,
            "producers": rehearsal.rollback.producers,
            "seconds": round(rehearsal.rollback.seconds, 3),
        },
    }


def as_markdown(rehearsal: Rehearsal) -> str:
    """The rehearsal as a Markdown document."""
    lines = [
        f"# Migration rehearsal: `{rehearsal.source}` → `{rehearsal.destination}`",
        "",
        f"**Result:** {verdict(rehearsal)}.",
        "",
        "| # | step | result | time | figures |",
        "|---:|---|---|---:|---|",
    ]
    for number, step in enumerate(rehearsal.steps, start=1):
        time = f"{step.seconds:.3f} s" if step.outcome is not Outcome.SKIPPED else "-"
        lines.append(
            f"| {number} | {step.title} | {step.outcome.value} | {time} | {_cell(figures(step))} |"
        )
    lines += ["", "## What each step found", ""]
    for step in rehearsal.steps:
        lines += [f"- **{step.title}**: {_cell(line)}" for line in findings(step)]
    lines += ["", "## What a rollback requires", ""]
    lines += [f"- {line}" for line in rollback_lines(rehearsal)]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def as_rich(rehearsal: Rehearsal) -> Group:
    """The rehearsal for a terminal: the steps' table, what they found, the rollback."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    table.title = (
        f"migration rehearsal: {escape(rehearsal.source)} → {escape(rehearsal.destination)}"
    )
    table.add_column("#", justify="right")
    table.add_column("step", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    table.add_column("figures")
    for number, step in enumerate(rehearsal.steps, start=1):
        time = f"{step.seconds:.3f} s" if step.outcome is not Outcome.SKIPPED else "-"
        result = f"[{_STYLE[step.outcome]}]{step.outcome.value}[/]"
        table.add_row(str(number), step.title, result, time, escape(figures(step)))
    found = Text()
    for step in rehearsal.steps:
        for line in findings(step):
            found.append(f"{step.title}: ", style="bold").append(f"{line}\n")
    needs = Text("what a rollback requires\n", style="bold")
    for line in rollback_lines(rehearsal):
        needs.append(f"  {line}\n")
    style = "green" if rehearsal.ok else "bold red"
    return Group(table, found, needs, Text(verdict(rehearsal), style=style))
