"""``fleetledger tail``: the most recent events, and with ``--follow`` the new ones as they land.

Records no ledger writer produced (foreign records) are shown too, marked ``FOREIGN``; they are
never counted as events. Ctrl-C ends ``--follow``: a normal stop, exit 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from fleetledger import Event, EventFilter, ForeignRecord
from fleetledger.cli.common import (
    Families,
    LedgerURL,
    json_option,
    open_ledger,
    output,
    say_withheld,
    write_json,
)
from fleetledger.cli.filters import Agent, Tenant, Types
from fleetledger.cli.render import event_line, foreign_line
from fleetledger.cli.times import Since, Until, optional_moment

TAIL_JSON = (
    "one JSON object per line: a CloudEvent {specversion, id, type, ..., data}, or for a"
    " foreign record {foreign: true, position, reason, key, headers, value} (bytes in base64;"
    " body instead of key, headers and value for stored bytes that are no Kafka record)"
)


def tail(
    *,
    family: Families = None,
    last: Annotated[
        int,
        typer.Option(
            "--last", min=0, help="How many recent events to show, across the chosen families."
        ),
    ] = 10,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep printing new events (until Ctrl-C: exit 0).")
    ] = False,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", min=0, help="With --follow: stop after SECONDS.", show_default=False
        ),
    ] = None,
    type_: Types = None,
    agent: Agent = None,
    tenant: Tenant = None,
    since: Since = None,
    until: Until = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(TAIL_JSON)] = False,
) -> None:
    """Print the latest events across families, oldest first; --follow adds new ones."""
    where = EventFilter.of(
        types=type_ or None,
        agent=agent,
        tenant=tenant,
        since=optional_moment(since, "--since"),
        until=optional_moment(until, "--until"),
    )
    with open_ledger(ledger) as opened:
        shown = opened.tail(
            family or None, last=last, follow=follow, timeout=timeout, where=where, foreign=True
        )
        try:
            show(shown, as_json=as_json)
        except KeyboardInterrupt:
            if not follow:
                raise
        finally:
            say_withheld(shown.withheld, opened)


def show(shown: Iterable[Event | ForeignRecord], *, as_json: bool) -> None:
    """Print each event or foreign record as it comes: JSON, or one readable line."""
    console = output()
    for item in shown:
        if as_json:
            write_json(item.to_dict() if isinstance(item, Event) else foreign_json(item))
        elif isinstance(item, Event):
            console.print(event_line(item), soft_wrap=True)
        else:
            console.print(foreign_line(item), soft_wrap=True)


def foreign_json(record: ForeignRecord) -> dict[str, Any]:
    """A foreign record as a JSON object: where it is, why it is foreign, what it holds."""
    fields = record.fields
    found: dict[str, Any] = {
        "foreign": True,
        "position": None if record.position is None else str(record.position),
        "reason": record.reason,
    }
    if fields is None:
        return {**found, "body": record.body}
    key, headers, value = fields
    return {**found, "key": key, "headers": [[n, v] for n, v in headers], "value": value}
