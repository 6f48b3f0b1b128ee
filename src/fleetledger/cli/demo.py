"""``fleetledger demo``: simulate a fleet of agents into a ledger, then show what it recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import Progress

from fleetledger import Ledger
from fleetledger.cli.common import AsJSON, LedgerURL, open_ledger, output, progress, write_json
from fleetledger.cli.render import families_table, group_totals, groups_table, show_timeline

if TYPE_CHECKING:
    from fleetledger.demo import FleetReport


def demo(
    tasks: Annotated[int, typer.Option("--tasks", min=1, help="Tasks to simulate.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same fleet.")] = 7,
    ledger: LedgerURL = None,
    as_json: AsJSON = False,
) -> None:
    """Simulate a fleet of agents, then show events per family, lag and one task's timeline."""
    from fleetledger.demo import simulate  # noqa: PLC0415 -- on demand, so --help stays fast

    with open_ledger(ledger) as opened:
        with progress() as bar:
            report = simulate(opened, tasks=tasks, seed=seed, progress=tracker(bar, tasks))
        if as_json:
            write_json(summary(opened, report))
        else:
            show(opened, report)


def tracker(bar: Progress, total: int) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that moves ``bar``."""
    task = bar.add_task("simulating tasks", total=total)

    def advance(done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return advance


def family_counts(ledger: Ledger) -> dict[str, int]:
    """Events retained per family."""
    return {info.family: info.events for info in ledger.topics()}


def summary(ledger: Ledger, report: FleetReport) -> dict[str, Any]:
    """The run as one JSON object."""
    return {
        "tasks": report.tasks,
        "events": report.events,
        "elapsed": report.elapsed,
        "events_per_second": rate(report),
        "sample_task": report.sample_task,
        "groups": list(report.groups),
        "families": family_counts(ledger),
        "lag": {group: t["lag"] for group, t in group_totals(ledger.lag()).items()},
    }


def rate(report: FleetReport) -> float:
    """Events appended per second of simulation."""
    return round(report.events / report.elapsed, 1) if report.elapsed > 0 else 0.0


def show(ledger: Ledger, report: FleetReport) -> None:
    """The run, readable: totals, events per family, lag per group, the sample task."""
    console = output()
    console.print(
        f"[bold]{report.tasks}[/] tasks, [bold]{report.events}[/] events in "
        f"{report.elapsed:.2f}s ({rate(report):,.0f} events/s)"
    )
    console.print(families_table(family_counts(ledger)))
    console.print(groups_table(group_totals(ledger.lag())))
    events = list(ledger.replay(report.sample_task))
    show_timeline(console, report.sample_task, events)
    console.print(f"replay it: fleetledger replay {report.sample_task}")
