"""``fleetledger tasks``: every task with its state, owner, age and last event, as the task
projection left them in the compacted ``state`` family; ``--anomalies``: the impossible
transitions it recorded. Says on stderr how far the projection (group ``tasks``) is behind,
so a stale list is never taken for the present."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from fleetledger import Event
from fleetledger.cli.common import (
    LedgerURL,
    errors,
    json_option,
    open_ledger,
    output,
    say_withheld,
    write_events,
    write_json,
)
from fleetledger.cli.exits import InputError
from fleetledger.cli.render import cell
from fleetledger.cli.times import optional_moment
from fleetledger.consumers.tasks import (
    FAMILIES,
    GROUP,
    Backlog,
    latest_summaries,
    read_anomalies,
    unprojected,
)
from fleetledger.events.envelope import parse_time
from fleetledger.events.taskstate import STATUSES

TASKS_JSON = (
    "one JSON object per line: {task, status, assignee, created_at, updated_at,"
    " last_event_type, attempts, anomalies, error, ...} (the latest state.summary data);"
    " with --anomalies one CloudEvent per line: {id, type, subject, time, ..., data}"
)
_UNITS = (("d", 86_400), ("h", 3600), ("m", 60), ("s", 1))


def tasks(
    *,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help=f"Only tasks in this status: {', '.join(STATUSES)}.",
            show_default="all",
        ),
    ] = None,
    agent: Annotated[
        str | None,
        typer.Option("--agent", help="Only tasks this agent owns (assignee).", show_default=False),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Only tasks whose last event happened at or after TIME (with --anomalies:"
            " anomalies recorded then): RFC 3339 with a zone, or ago: 30m, 1h, 2d.",
            metavar="TIME",
            show_default=False,
        ),
    ] = None,
    anomalies: Annotated[
        bool,
        typer.Option("--anomalies", help="List the impossible transitions the projection found."),
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, help="At most N rows, the most recent first.")
    ] = 50,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(TASKS_JSON)] = False,
) -> None:
    """List tasks with their state, owner, age and last event (or --anomalies), newest first."""
    if status is not None and status not in STATUSES:
        raise InputError(f"--status {status!r} is not a task status: {', '.join(STATUSES)}")
    if anomalies and (status is not None or agent is not None):
        raise InputError("--status and --agent choose tasks; --anomalies lists anomalies")
    after = optional_moment(since, "--since")
    with open_ledger(ledger) as opened:
        backlog = unprojected(opened)
        read = read_anomalies(opened, since=after) if anomalies else latest_summaries(opened)
        say_withheld(read.withheld, opened)
    say_backlog(backlog)
    if anomalies:
        found = read.events[::-1][:limit]
        if as_json:
            write_events(found)
        else:
            output().print(anomaly_table(found) if found else "no anomalies recorded")
        return
    rows = [e for e in read.events[::-1] if _matches(e.data, status, agent, after)][:limit]
    if as_json:
        for event in rows:
            write_json({"task": event.subject, **event.data})
    else:
        output().print(task_table(rows, datetime.now(UTC)) if rows else "no tasks match")


def _matches(data: Any, status: str | None, agent: str | None, after: datetime | None) -> bool:
    if not isinstance(data, dict):
        return False
    if status is not None and data.get("status") != status:
        return False
    if agent is not None and data.get("assignee") != agent:
        return False
    return after is None or _moment(data.get("updated_at")) >= after


def _moment(text: Any) -> datetime:
    try:
        return parse_time(text) if isinstance(text, str) else datetime.min.replace(tzinfo=UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def say_backlog(backlog: Backlog) -> None:
    """Say on stderr how many events of the projection's families it has not projected."""
    families = "/".join(FAMILIES)
    if not backlog.started:
        errors().print(
            f"note: the task projection has not run yet (group {GROUP!r} never committed):"
            f" {backlog.events} {families} events not projected",
            soft_wrap=True,
        )
    elif backlog.events:
        errors().print(
            f"note: the task projection is {backlog.events} {families} events behind"
            f" (group {GROUP!r}): the list may be stale",
            soft_wrap=True,
        )


def ago(text: Any, now: datetime) -> str:
    """How long before ``now`` the RFC 3339 ``text`` was, in its largest whole unit."""
    if not isinstance(text, str):
        return "-"
    try:
        seconds = int((now - parse_time(text)).total_seconds())
    except ValueError:
        return "-"
    if seconds < 0:
        return "0s"
    return next(f"{seconds // size}{unit}" for unit, size in _UNITS if seconds >= size or size == 1)


def task_table(rows: Sequence[Event], now: datetime) -> Table:
    """One row per task: status, owner, age, last event and how long ago, attempts, anomalies."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("task", "status", "owner", "age", "last event", "ago", "tries", "anomalies"):
        right = header in ("age", "ago", "tries", "anomalies")
        table.add_column(header, justify="right" if right else "left", no_wrap=True)
    table.add_column("error")
    for event in rows:
        data = event.data
        table.add_row(
            cell(event.subject),
            cell(str(data.get("status"))),
            cell(str(data.get("assignee") or "-")),
            ago(data.get("created_at") or data.get("updated_at"), now),
            cell(str(data.get("last_event_type"))),
            ago(data.get("updated_at"), now),
            str(data.get("attempts", 0)),
            str(data.get("anomalies", 0)),
            cell(str(data.get("error") or "")),
        )
    return table


def anomaly_table(events: Sequence[Event]) -> Table:
    """One row per anomaly: when, which task, which event, from and to which status, why."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("time", "task", "event", "from", "to", "reason"):
        table.add_column(header, no_wrap=header != "reason")
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        table.add_row(
            cell(event.time),
            cell(event.subject),
            cell(str(data.get("event_type"))),
            cell(str(data.get("from_status") or "-")),
            cell(str(data.get("to_status") or "-")),
            cell(str(data.get("reason"))),
        )
    return table
