"""``fleetledger dlq list|show|retry|drop``: the dead letters of consumer groups.

A dead letter is an event a group's handler gave up on after its attempts; the group moved
on. ``retry`` asks the group's runner to call the handler again on its next loop (it then
records the entry resolved, or a new failed attempt); ``drop`` gives up on it, kept for audit.
Both are administrative acts (admin on the event's family) and recorded as such. ``show``
prints the entry and, when you may read it, the original event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from fleetledger import Event
from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import committed, guarded, holding_interrupts
from fleetledger.cli.render import cell, printable
from fleetledger.consumers import DeadLetter, DeadLetters

LIST_JSON = (
    "one JSON object per line per dead letter: {id, group, handler, status, attempts, error, ...}"
)
SHOW_JSON = "one JSON object: {letter: {...}, event: CloudEvent or null}"
ACT_JSON = "one JSON object, the dead letter after the change: {id, status, attempts, ...}"

LetterId = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="The dead letter's id (dlq list shows them).", show_default=False
    ),
]

app = typer.Typer(
    name="dlq",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class StatusChoice(StrEnum):
    """A dead letter's status, as ``--status`` takes it."""

    RECORDED = "recorded"
    RETRY_REQUESTED = "retry-requested"
    RESOLVED = "resolved"
    DROPPED = "dropped"


GroupOption = Annotated[
    str | None, typer.Option("--group", help="Only this consumer group.", show_default="all")
]
StatusOption = Annotated[
    StatusChoice | None,
    typer.Option("--status", help="Only dead letters in this status.", show_default="all"),
]


@app.callback()
@guarded
def dlq(
    ctx: typer.Context,
    group: GroupOption = None,
    status: StatusOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(LIST_JSON)] = False,
) -> None:
    """List dead letters (alone, as dlq list); show, retry or drop one."""
    ctx.obj = ledger
    if ctx.invoked_subcommand is None:
        _list(ledger, group, status, as_json=as_json)


@app.command("list")
@guarded
def list_(
    ctx: typer.Context,
    group: GroupOption = None,
    status: StatusOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(LIST_JSON)] = False,
) -> None:
    """List dead letters, oldest first."""
    _list(ledger or ctx.obj, group, status, as_json=as_json)


def _list(
    url: str | None, group: str | None, status: StatusChoice | None, *, as_json: bool
) -> None:
    with open_ledger(url) as opened:
        chosen = None if status is None else status.value
        letters = DeadLetters(opened).list(group=group, status=chosen)
    if as_json:
        for letter in letters:
            write_json(letter.as_dict())
    elif letters:
        output().print(_table(letters))
    else:
        output().print("no dead letters")


@app.command()
@guarded
def show(
    ctx: typer.Context,
    letter_id: LetterId,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(SHOW_JSON)] = False,
) -> None:
    """Show one dead letter, its error, and the original event if you may read it."""
    with open_ledger(ledger or ctx.obj) as opened:
        shown = DeadLetters(opened).show(letter_id)
    letter = shown.letter
    if as_json:
        event = None if shown.event is None else _event_json(shown.event)
        write_json({"letter": letter.as_dict(), "event": event})
        return
    console = output()
    for name, value in (
        ("id", letter.id),
        ("status", letter.status.value),
        ("group", letter.group),
        ("handler", letter.handler),
        ("event", f"{letter.event_id} ({letter.event_type}, subject {letter.subject})"),
        ("position", f"{letter.topic}/{letter.partition}@{letter.offset}"),
        ("attempts", str(letter.attempts)),
        ("recorded", _when(letter.recorded_ms)),
        ("error", f"{letter.error.type}: {letter.error.message}"),
    ):
        console.print(Text(f"{name:>9}: {printable(value)}"))
    for line in letter.error.traceback.rstrip().splitlines():
        console.print(Text(printable(line), style="dim"))
    if shown.event is None:
        console.print("(the original event is not shown: you may not read it, or it expired)")
    else:
        console.print(Text(f"     data: {printable(str(shown.event.data))}"))


@app.command()
@guarded
def retry(
    ctx: typer.Context,
    letter_id: LetterId,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(ACT_JSON)] = False,
) -> None:
    """Ask the group's runner to call the handler again on its next loop."""
    _act(ledger or ctx.obj, letter_id, "retry", as_json=as_json)


@app.command()
@guarded
def drop(
    ctx: typer.Context,
    letter_id: LetterId,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(ACT_JSON)] = False,
) -> None:
    """Give up on a dead letter (it is kept, marked dropped, for audit)."""
    _act(ledger or ctx.obj, letter_id, "drop", as_json=as_json)


def _act(url: str | None, letter_id: str, what: str, *, as_json: bool) -> None:
    with open_ledger(url, write=True) as opened, holding_interrupts():
        letters = DeadLetters(opened)
        letter = letters.retry(letter_id) if what == "retry" else letters.drop(letter_id)
        committed(f"dead letter {letter_id} is {letter.status.value}")
    if as_json:
        write_json(letter.as_dict())
    else:
        output().print(Text(f"dead letter {letter.id}: {letter.status.value}"))


def _table(letters: list[DeadLetter]) -> Table:
    table = Table(box=None, pad_edge=False)
    for header in (
        "id",
        "status",
        "group",
        "handler",
        "event type",
        "subject",
        "attempts",
        "error",
    ):
        table.add_column(header)
    for letter in letters:
        table.add_row(
            cell(letter.id),
            cell(letter.status.value),
            cell(letter.group),
            cell(letter.handler),
            cell(letter.event_type),
            cell(letter.subject),
            str(letter.attempts),
            cell(f"{letter.error.type}: {letter.error.message}"[:60]),
        )
    return table


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _event_json(event: Event) -> dict[str, Any]:
    return event.to_dict()
