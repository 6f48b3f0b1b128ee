"""``fleetledger state``: where one task stands, now or as of a time, as recorded or corrected."""

from __future__ import annotations

from typing import Annotated

import msgspec
import typer
from rich import box
from rich.table import Table
from rich.text import Text

from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    open_ledger,
    output,
    say_withheld,
    write_json,
)
from fleetledger.cli.render import cell, printable
from fleetledger.cli.times import optional_moment
from fleetledger.events.lifecycle import TaskState

STATE_JSON = (
    "one JSON object: {task, status, assignee, goal, priority, attempts, parent_task, subtasks,"
    " open_calls, pending_approvals, error, first_event_id, created_at, last_event_id,"
    " last_event_type, updated_at, anomalies, withheld, ...}"
)

AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="The state from the events recorded at or before TIME: RFC 3339 with a zone,"
        " or ago: 30m, 1h, 2d.",
        metavar="TIME",
        show_default="now",
    ),
]

_SHOWN = (
    ("owner", "assignee"),
    ("goal", "goal"),
    ("priority", "priority"),
    ("attempts", "attempts"),
    ("parent", "parent_task"),
    ("subtasks", "subtasks"),
    ("open calls", "open_calls"),
    ("pending approvals", "pending_approvals"),
    ("error", "error"),
    ("first event", "first_event_type"),
    ("since", "created_at"),
    ("last event", "last_event_type"),
    ("updated", "updated_at"),
    ("anomalies", "anomalies"),
)
_ALWAYS = frozenset({"attempts", "anomalies"})


def state(
    task: Annotated[str, typer.Argument(help="The task id (the events' subject).")],
    *,
    as_of: AsOf = None,
    corrected: Annotated[
        bool,
        typer.Option("--corrected", help="Fold the history as corrected: superseded events out."),
    ] = False,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(STATE_JSON)] = False,
) -> None:
    """Show a task's lifecycle state, now or --as-of a time (exit 2 for an unknown task)."""
    moment = optional_moment(as_of, "--as-of")
    with open_ledger(ledger) as opened:
        found = opened.state_at(task, as_of=moment, corrected=corrected)
        say_withheld(found.withheld, opened)
    if as_json:
        write_json(msgspec.to_builtins(found))
    else:
        output().print(state_table(found))


def state_table(found: TaskState) -> Table:
    """The state as a two-column table titled with the task and its status."""
    status = found.status or "no lifecycle event yet"
    table = Table(
        title=Text(f"task {printable(found.task)}: {status}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_header=False,
        pad_edge=False,
    )
    table.add_column("field", style="bold", no_wrap=True)
    table.add_column("value")
    for label, name in _SHOWN:
        value = getattr(found, name)
        if name not in _ALWAYS and value in (None, ()):
            continue
        shown = ", ".join(value) if isinstance(value, tuple) else str(value)
        table.add_row(label, cell(shown))
    return table
