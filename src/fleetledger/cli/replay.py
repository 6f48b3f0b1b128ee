"""``fleetledger replay``: one task's events across families, in the order they were recorded."""

from __future__ import annotations

from typing import Annotated

import typer

from fleetledger.cli.common import (
    AsJSON,
    CheckFailed,
    Families,
    LedgerURL,
    open_ledger,
    output,
    write_events,
)
from fleetledger.cli.render import show_timeline


def replay(
    task: Annotated[str, typer.Argument(help="The task id (the events' subject).")],
    family: Families = None,
    corrected: Annotated[
        bool,
        typer.Option(
            "--corrected", help="Show the history as corrected: superseded events left out."
        ),
    ] = False,
    ledger: LedgerURL = None,
    as_json: AsJSON = False,
) -> None:
    """Replay a task: its events across families as a timeline (exit 1 if it has none)."""
    with open_ledger(ledger) as opened:
        events = list(opened.replay(task, families=family or None, corrected=corrected))
    if not events:
        raise CheckFailed(f"no events for task {task!r}")
    if as_json:
        write_events(events)
    else:
        show_timeline(output(), task, events)
