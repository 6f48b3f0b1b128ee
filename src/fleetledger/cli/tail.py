"""``fleetledger tail``: the most recent events, and with ``--follow`` the new ones as they land."""

from __future__ import annotations

from typing import Annotated

import typer

from fleetledger.cli.common import AsJSON, Families, LedgerURL, open_ledger, output, write_events
from fleetledger.cli.render import event_line


def tail(
    *,
    family: Families = None,
    last: Annotated[
        int,
        typer.Option(
            "--last", min=0, help="How many recent events to show, across the chosen families."
        ),
    ] = 10,
    follow: Annotated[bool, typer.Option("--follow", help="Keep printing new events.")] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", min=0, help="With --follow: stop after SECONDS.", show_default=False
        ),
    ] = None,
    ledger: LedgerURL = None,
    as_json: AsJSON = False,
) -> None:
    """Print the latest events across families, oldest first; --follow adds new ones."""
    with open_ledger(ledger) as opened:
        events = opened.tail(family or None, last=last, follow=follow, timeout=timeout)
        try:
            if as_json:
                write_events(events)
            else:
                console = output()
                for event in events:
                    console.print(event_line(event), soft_wrap=True)
        except KeyboardInterrupt:
            return
