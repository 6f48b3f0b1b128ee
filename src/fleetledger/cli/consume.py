"""``fleetledger consume GROUP --handler module:function``: run handlers as a consumer group.

The runner (:class:`fleetledger.consumers.Runner`) calls each handler for the events of its
families and types, retries a failing one with backoff, dead-letters the event after
``--attempts`` failures and moves on, and commits after success. Several ``consume`` processes
of one group split its partitions; a stopped one's partitions are taken over within about
``--session-timeout`` seconds. SIGTERM or Ctrl-C finishes the event in hand, commits, leaves
the group and exits 0 with the summary.

``--handler`` names a function as ``module:qualname``, imported with the current directory on
the import path (as ``python -m`` does), so a project's own module is found.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.text import Text

from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import InputError, committed
from fleetledger.cli.render import printable
from fleetledger.consumers import Handler, Runner, RunStats

CONSUME_JSON = (
    "one JSON object: {group, events, handled, retries, dead_lettered, resolved, reattempted,"
    " fenced, stopped, partitions}"
)


def consume(
    group: Annotated[str, typer.Argument(help="The consumer group.", show_default=False)],
    *,
    handler: Annotated[
        list[str],
        typer.Option(
            "--handler",
            metavar="MODULE:FUNCTION",
            help="A handler to call with each event (repeat for several).",
            show_default=False,
        ),
    ],
    families: Annotated[
        list[str] | None,
        typer.Option("--families", help="Only events of this family (repeat).", show_default="all"),
    ] = None,
    types: Annotated[
        list[str] | None,
        typer.Option(
            "--types", help="Only event types matching this glob (repeat).", show_default="*"
        ),
    ] = None,
    attempts: Annotated[
        int,
        typer.Option(
            "--attempts", min=1, help="Calls of a failing handler before it is dead-lettered."
        ),
    ] = 5,
    until_idle: Annotated[
        bool,
        typer.Option("--until-idle", help="Stop once every held partition is read to its end."),
    ] = False,
    max_events: Annotated[
        int | None,
        typer.Option(
            "--max-events", min=1, help="Stop after this many events.", show_default="no limit"
        ),
    ] = None,
    session_timeout: Annotated[
        float,
        typer.Option(
            "--session-timeout",
            min=1.0,
            help="Seconds of silence after which the group gives this runner's partitions"
            " to the others.",
        ),
    ] = 10.0,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(CONSUME_JSON)] = False,
) -> None:
    """Run handlers over a consumer group's events: retry, dead-letter, commit."""
    functions = [_handler(spec) for spec in handler]
    with open_ledger(ledger, write=True) as opened:
        runner = Runner(opened, group, attempts=attempts, session_timeout=session_timeout)
        for function in functions:
            runner.subscribe(function, families=families, types=types or ("*",))
        committed(f"group {group!r} committed what its handlers finished")
        stats = runner.run(until_idle=until_idle, max_events=max_events)
    _show(group, stats, as_json=as_json)


def _handler(spec: str) -> Handler:
    """The function ``module:qualname`` names; :class:`InputError` saying what is wrong."""
    module_name, colon, qualname = spec.partition(":")
    if not colon or not module_name or not qualname:
        raise InputError(f"--handler {spec!r}: give MODULE:FUNCTION, e.g. myapp.handlers:on_task")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"--handler {spec!r}: cannot import {module_name!r}: {exc}") from exc
    for part in qualname.split("."):
        found = getattr(found, part, None)
        if found is None:
            raise InputError(f"--handler {spec!r}: {module_name!r} has no {qualname!r}")
    if not callable(found):
        raise InputError(f"--handler {spec!r}: {qualname!r} is not callable")
    return found  # type: ignore[no-any-return]


def _show(group: str, stats: RunStats, *, as_json: bool) -> None:
    if as_json:
        write_json({"group": group, **asdict(stats)})
        return
    line = (
        f"group {printable(group)}: {stats.events} events, {stats.handled} handled,"
        f" {stats.retries} retries, {stats.dead_lettered} dead-lettered"
    )
    if stats.resolved or stats.reattempted:
        line += f", {stats.resolved} dead letters resolved, {stats.reattempted} failed again"
    if stats.fenced:
        line += f", {stats.fenced} commits fenced"
    output().print(Text(f"{line} (stopped: {stats.stopped})"))
