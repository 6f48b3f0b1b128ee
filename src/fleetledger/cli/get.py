"""``fleetledger get``: one event by its id, every attribute and its data."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from fleetledger import Event
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.render import printable

GET_JSON = "one JSON object: the CloudEvent {specversion, id, type, source, subject, ..., data}"


def get(
    event_id: Annotated[str, typer.Argument(help="The event's id.", show_default=False)],
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(GET_JSON)] = False,
) -> None:
    """Show one event: its position, attributes and data (exit 2 if no event has that id)."""
    with open_ledger(ledger) as opened:
        event = opened.get(event_id)
    if as_json:
        write_json(event.to_dict())
    else:
        show_event(output(), event)


def show_event(console: Console, event: Event) -> None:
    """The event, readable: one attribute per line, then its data as indented JSON."""
    attributes = {k: v for k, v in event.to_dict().items() if k != "data"}
    if event.position is not None:
        attributes = {"position": str(event.position), **attributes}
    width = max(map(len, attributes))
    for name, value in attributes.items():
        line = Text(f"{name:<{width}}  ", style="dim")
        line.append(printable(str(value)))
        console.print(line, soft_wrap=True)
    if event.data is None:
        return
    console.print(Text("data", style="dim"))
    for row in json.dumps(event.data, indent=2, ensure_ascii=False).splitlines():
        console.print(Text("  " + printable(row)), soft_wrap=True)
