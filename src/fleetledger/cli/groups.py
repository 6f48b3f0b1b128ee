"""``fleetledger groups``: the consumer groups and how far behind each one is; ``groups reset``,
``groups seek`` and ``groups delete`` move or forget one group's committed offsets.

A moved group's consumers resume where it was moved at their next poll. Each move is one
commit: a Ctrl-C during it waits for it, then says that it was made.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

import typer
from rich.text import Text

from fleetledger import GroupMove
from fleetledger.cli.common import (
    Families,
    LedgerURL,
    json_option,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.exits import InputError, committed, guarded, holding_interrupts
from fleetledger.cli.render import group_totals, groups_table, printable
from fleetledger.cli.times import moment

GROUPS_JSON = "one JSON object per line: {group, partitions, lag}"
MOVES_JSON = "one JSON object per line, per partition moved: {group, topic, partition, before, to}"
DELETE_JSON = "one JSON object: {group, deleted}"

Target = Literal["earliest", "latest"] | datetime | int

Group = Annotated[str, typer.Argument(help="The consumer group.", show_default=False)]

app = typer.Typer(
    name="groups",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Edge(StrEnum):
    """Where ``groups reset`` moves a group: the start or the end of its partitions."""

    EARLIEST = "earliest"
    LATEST = "latest"


@app.callback()
@guarded
def groups(
    ctx: typer.Context,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(GROUPS_JSON)] = False,
) -> None:
    """List consumer groups, their partitions and total lag; reset, seek or delete one."""
    ctx.obj = ledger
    if ctx.invoked_subcommand is not None:
        return
    with open_ledger(ledger) as opened:
        totals = group_totals(opened.lag())
    if as_json:
        for group, total in totals.items():
            write_json({"group": group, **total})
    elif totals:
        output().print(groups_table(totals))
    else:
        output().print("no consumer groups have committed yet")


@app.command()
@guarded
def reset(
    ctx: typer.Context,
    group: Group,
    *,
    to: Annotated[
        Edge,
        typer.Option(
            "--to",
            help="earliest: re-read everything retained; latest: skip to the end.",
            show_default=False,
        ),
    ],
    family: Families = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(MOVES_JSON)] = False,
) -> None:
    """Move a group to the start or end of its partitions (of the families it committed)."""
    edge: Target = "earliest" if to is Edge.EARLIEST else "latest"
    moved = _move(ledger or ctx.obj, group, edge, families=family, partition=None)
    _show(moved, as_json=as_json)


@app.command()
@guarded
def seek(
    ctx: typer.Context,
    group: Group,
    *,
    to_time: Annotated[
        str | None,
        typer.Option(
            "--to-time",
            metavar="TIME",
            help="The first event recorded at or after TIME: RFC 3339 with a zone, or ago: 1h.",
            show_default=False,
        ),
    ] = None,
    to_offset: Annotated[
        int | None,
        typer.Option(
            "--to-offset",
            min=0,
            help="This offset of one partition (give --family and --partition).",
            show_default=False,
        ),
    ] = None,
    family: Families = None,
    partition: Annotated[
        int | None,
        typer.Option("--partition", min=0, help="Only this partition.", show_default="all"),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(MOVES_JSON)] = False,
) -> None:
    """Move a group to a time (on each partition), or to an offset of one partition."""
    if (to_time is None) == (to_offset is None):
        raise InputError("give one of --to-time TIME or --to-offset N")
    if to_offset is not None and (len(family or []) != 1 or partition is None):
        raise InputError("--to-offset moves one partition: give one --family and --partition")
    target: Target = moment(to_time, "--to-time") if to_time is not None else to_offset or 0
    moved = _move(ledger or ctx.obj, group, target, families=family, partition=partition)
    _show(moved, as_json=as_json)


@app.command()
@guarded
def delete(
    ctx: typer.Context,
    group: Group,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(DELETE_JSON)] = False,
) -> None:
    """Forget every committed offset of a group (exit 2 if it never committed)."""
    with open_ledger(ledger or ctx.obj, write=True) as opened:
        if group not in opened.groups():
            raise InputError(f"consumer group {group!r} has never committed: nothing to delete")
        with holding_interrupts():
            deleted = opened.delete_group(group)
            committed(f"group {group!r} was deleted")
    if as_json:
        write_json({"group": group, "deleted": deleted})
    else:
        output().print(Text(f"deleted consumer group {printable(group)}"))


def _move(
    url: str | None,
    group: str,
    to: Target,
    *,
    families: list[str] | None,
    partition: int | None,
) -> list[GroupMove]:
    with open_ledger(url, write=True) as opened, holding_interrupts():
        moved = opened.move_group(group, to, families=families, partition=partition)
        committed(f"group {group!r} was moved on {len(moved)} partitions")
    return moved


def _show(moved: Sequence[GroupMove], *, as_json: bool) -> None:
    if as_json:
        for move in moved:
            write_json(move._asdict())
        return
    console = output()
    if not moved:
        console.print("no partitions to move")
        return
    console.print(Text(f"moved consumer group {printable(moved[0].group)}:"))
    for move in moved:
        before = "never committed" if move.before is None else str(move.before)
        console.print(Text(f"  {printable(move.topic)}/{move.partition}: {before} -> {move.to}"))
