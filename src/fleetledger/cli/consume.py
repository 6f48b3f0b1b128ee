"""``fleetledger consume GROUP --handler module:function``: run handlers as a consumer group.

The runner (:class:`fleetledger.consumers.Runner`) calls each handler for the events of its
families and types, retries a failing one with backoff, dead-letters the event after
``--attempts`` failures and moves on, and commits after success. Several ``consume`` processes
of one group split its partitions; a stopped one's partitions are taken over within about
``--session-timeout`` seconds. SIGTERM or Ctrl-C finishes the event in hand, commits, leaves
the group and exits 0 with the summary.

``--from-head N --dry-run`` re-drives the handlers over the whole fleet below signed ledger
head N instead (:meth:`fleetledger.Ledger.replay_head`: one deterministic order, each event
checked against the head), calling each once and committing nothing: one line per call (JSON
with ``--json``), the same on every run, so an incident is replayed as the fleet saw it.

``--handler`` names a function as ``module:qualname``, imported with the current directory on
the import path (as ``python -m`` does), so a project's own module is found.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from fleetledger import Ledger
from fleetledger.cli.common import (
    LedgerURL,
    errors,
    json_option,
    ledger_url,
    open_ledger,
    output,
    say_withheld,
    write_json,
)
from fleetledger.cli.exits import CheckFailed, InputError, committed
from fleetledger.cli.render import printable
from fleetledger.cli.replay import head_ref
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.consumers import Handler, Redriven, Runner, RunStats

REDRIVE_JSON = (
    "one JSON object per handler call: {position, id, type, subject, handler, ok, result, error}"
)
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
    from_head: Annotated[
        str | None,
        typer.Option(
            "--from-head",
            metavar="N",
            help="With --dry-run: re-drive the handlers over every event below signed ledger"
            " head N (or 'latest'), in the ledger's order, each checked against the head.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Call the handlers once per event; commit and dead-letter nothing."
        ),
    ] = False,
    key: KeyOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[
        bool, json_option(CONSUME_JSON + "; with --dry-run, " + REDRIVE_JSON)
    ] = False,
) -> None:
    """Run handlers over a consumer group's events: retry, dead-letter, commit."""
    functions = [_handler(spec) for spec in handler]
    runner_of = _subscribed(group, functions, families, types, attempts, session_timeout)
    if from_head is not None or dry_run:
        if from_head is None or not dry_run:
            raise InputError(
                "--from-head and --dry-run go together: a dry run re-drives the handlers over"
                " the fleet below a signed head (e.g. --from-head latest --dry-run)"
            )
        _redrive(runner_of, from_head, key, ledger, families=families, as_json=as_json)
        return
    if key is not None:
        raise InputError("--key checks a signed head: use it with --from-head N --dry-run")
    with open_ledger(ledger, write=True) as opened:
        runner = runner_of(opened)
        committed(f"group {group!r} committed what its handlers finished")
        stats = runner.run(until_idle=until_idle, max_events=max_events)
    _show(group, stats, as_json=as_json)


def _subscribed(  # noqa: PLR0917 -- the command's options, passed on as they are
    group: str,
    functions: list[Handler],
    families: list[str] | None,
    types: list[str] | None,
    attempts: int,
    session_timeout: float,
) -> Callable[[Ledger], Runner]:
    """Makes the group's runner over an opened ledger, with every handler subscribed."""

    def make(opened: Ledger) -> Runner:
        runner = Runner(opened, group, attempts=attempts, session_timeout=session_timeout)
        for function in functions:
            runner.subscribe(function, families=families, types=types or ("*",))
        return runner

    return make


def _redrive(
    runner_of: Callable[[Ledger], Runner],
    head: str,
    key: Path | None,
    url: str | None,
    *,
    families: list[str] | None,
    as_json: bool,
) -> None:
    """Re-drive the runner's handlers over the fleet below ``head``: one line per call, then
    a summary on stderr; exit 1 when a call failed."""
    verifier = verifier_for(key, ledger_url(url))
    calls = failed = 0
    with open_ledger(url) as opened:
        runner = runner_of(opened)
        group = runner.group
        replayed = opened.replay_head(head_ref(head), verifier=verifier, families=families or None)
        console = output()
        for call in runner.redrive(replayed):
            calls += 1
            failed += not call.ok
            if as_json:
                write_json(call.as_dict())
            else:
                console.print(Text(printable(_call_line(call))), soft_wrap=True)
        signed = "" if replayed.signatures_checked else " (signature NOT checked: give --key)"
        errors().print(
            f"dry run of group {group!r} over {replayed.size} events below ledger head"
            f" {head}{signed}: {calls} handler calls, {failed} failed; nothing committed"
        )
        say_withheld(replayed.withheld, opened)
    if failed:
        raise CheckFailed(f"{failed} of {calls} handler calls failed in the dry run")


def _call_line(call: Redriven) -> str:
    outcome = "ok" if call.ok else f"FAILED {call.error}"
    result = "" if call.result is None else f" -> {call.result!r}"
    position = call.event.position
    return f"{position} {call.event.type} {call.event.subject} {call.handler}: {outcome}{result}"


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
