"""``fleetledger replay``: one task's events across families, in the order they were recorded;
or, with ``--head N``, the whole fleet below a signed ledger head, checked against it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated

import typer

from fleetledger import Event, EventFilter, Ledger
from fleetledger.cli.common import (
    JSON_EVENTS,
    Families,
    LedgerURL,
    errors,
    json_option,
    ledger_url,
    open_ledger,
    output,
    say_withheld,
    write_events,
)
from fleetledger.cli.exits import CheckFailed, InputError
from fleetledger.cli.filters import Agent, Tenant, Types
from fleetledger.cli.render import event_line, show_timeline
from fleetledger.cli.times import Since, Until, optional_moment
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.ledger import HeadReplay

HeadOption = Annotated[
    str | None,
    typer.Option(
        "--head",
        metavar="N",
        help="Replay every event below signed ledger head N (a number from 'prove --heads', or"
        " 'latest') across tasks, in the ledger's order, each checked against the head.",
    ),
]


def replay(
    task: Annotated[
        str | None,
        typer.Argument(help="The task id (the events' subject); optional with --head."),
    ] = None,
    *,
    head: HeadOption = None,
    key: KeyOption = None,
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
    """Replay a task, or with --head N the fleet below a signed head (exit 1: none, or a check)."""
    after, before = optional_moment(since, "--since"), optional_moment(until, "--until")
    if head is not None:
        where = EventFilter.of(
            types=type_ or None, agent=agent, tenant=tenant, since=after, until=before
        )
        if corrected:
            raise InputError("--corrected replays one task; a head replay shows what was signed")
        _replay_head(head, task, key, families=family, where=where, url=ledger, as_json=as_json)
        return
    if task is None:
        raise InputError("give a TASK to replay, or --head N to replay the fleet below a head")
    if key is not None:
        raise InputError("--key checks a signed head: use it with --head")
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


def _replay_head(
    head: str,
    task: str | None,
    key: Path | None,
    *,
    families: list[str] | None,
    where: EventFilter,
    url: str | None,
    as_json: bool,
) -> None:
    """Stream the events below ``head`` (of ``task``, matching ``where``), then say on stderr
    what was checked."""
    url = ledger_url(url)
    verifier = verifier_for(key, url)
    with open_ledger(url) as opened:
        shown = opened.replay_head(head_ref(head), verifier=verifier, families=families or None)
        wanted = _matching(shown, task, where)
        count = write_events(wanted) if as_json else _write_lines(wanted)
        _summary(opened, shown, count)
        if not shown.signatures_checked:
            errors().print(
                "note: the head's signature was NOT checked (no public key: give --key NAME.pub)"
            )
        say_withheld(shown.withheld, opened)
    if not count:
        raise CheckFailed(f"no events below ledger head {head}" + (" match" if task else ""))


def head_ref(text: str) -> int | str:
    if text == "latest":
        return text
    if text.isdigit():
        return int(text)
    raise InputError(f"--head takes a head's number (see prove --heads) or 'latest', not {text!r}")


def _matching(events: Iterable[Event], task: str | None, where: EventFilter) -> Iterator[Event]:
    for event in events:
        if (task is None or event.subject == task) and (where.empty or where.matches(event)):
            yield event


def _write_lines(events: Iterable[Event]) -> int:
    console = output()
    count = 0
    for count, event in enumerate(events, start=1):  # noqa: B007 -- count is the result
        console.print(event_line(event), soft_wrap=True)
    return count


def _summary(ledger: Ledger, replayed: HeadReplay, count: int) -> None:
    """One line on stderr: what was shown, what was checked, what had no event to show."""
    number = replayed.number
    name = "the given head" if number is None else f"ledger head #{number}"
    left = f"; {replayed.expired} expired events" if replayed.expired else ""
    left += f"; {replayed.foreign} foreign records" if replayed.foreign else ""
    errors().print(
        f"{count} events shown from {name} of {ledger.namespace}: {replayed.partitions}"
        f" partition trees checked against it{left}"
    )
