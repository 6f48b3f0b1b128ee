"""``fleetledger replay``: one task's events across families, in the order they were recorded."""

from __future__ import annotations

from typing import Annotated

import typer

from fleetledger.cli.common import (
    JSON_EVENTS,
    Families,
    LedgerURL,
    json_option,
    open_ledger,
    output,
    say_withheld,
    write_events,
)
from fleetledger.cli.exits import CheckFailed
from fleetledger.cli.filters import Agent, Tenant, Types
from fleetledger.cli.render import show_timeline
from fleetledger.cli.times import Since, Until, optional_moment


def replay(
    task: Annotated[str, typer.Argument(help="The task id (the events' subject).")],
    *,
    family: Families = None,
    corrected: Annotated[
        bool,
        typer.Option(
            "--corrected", help="Show the history as corrected: superseded events left out."
        ),
    ] = False,
    type_: Types = None,
    agent: Agent = None,
    tenant: Tenant = None,
    since: Since = None,
    until: Until = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(f"{JSON_EVENTS}, in order")] = False,
) -> None:
    """Replay a task: its events across families as a timeline (exit 1 if none match)."""
    after, before = optional_moment(since, "--since"), optional_moment(until, "--until")
    with open_ledger(ledger) as opened:
        shown = opened.replay(
            task,
            families=family or None,
            corrected=corrected,
            types=type_ or None,
            agent=agent,
            tenant=tenant,
            since=after,
            until=before,
        )
        events = list(shown)
        say_withheld(shown.withheld, opened)
    if not events:
        narrowed = any(x is not None for x in (family, type_, agent, tenant, since, until))
        raise CheckFailed(f"no events for task {task!r}" + (" match" if narrowed else ""))
    if as_json:
        write_events(events)
    else:
        show_timeline(output(), task, events)
