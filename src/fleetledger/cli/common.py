"""What every command shares: the ``--ledger`` and ``--json`` options, opening the ledger,
writing output, and the one place that turns errors into a red line and an exit code.
"""

from __future__ import annotations

import functools
import getpass
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, ParamSpec

import msgspec
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

import fleetledger
from fleetledger import (
    AccessDenied,
    ConfigurationError,
    ContractError,
    Event,
    Ledger,
    LedgerError,
    NotFound,
)
from fleetledger.ledger import DEFAULT_URL

P = ParamSpec("P")

FAILED = 1
USAGE = 2


class InputError(Exception):
    """Input the CLI itself could not use: malformed JSON, an unreadable file, a missing option."""


class CheckFailed(Exception):
    """The command ran, and what it checked for does not hold (exit code 1)."""


_INPUT_ERRORS = (ContractError, ConfigurationError, NotFound, AccessDenied, InputError)

LedgerURL = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        envvar="FLEETLEDGER_URL",
        show_default=f"$FLEETLEDGER_URL, else {DEFAULT_URL}",
        help="Ledger URL: sqlite:///path/to/ledger.db or memory://.",
    ),
]
AsJSON = Annotated[
    bool,
    typer.Option("--json", help="Print JSON: events as CloudEvents, one per line."),
]
Families = Annotated[
    list[str] | None,
    typer.Option("--family", help="Only this family (repeat for several).", show_default="all"),
]


def guarded(command: Callable[P, None]) -> Callable[P, None]:
    """The one place errors a user can act on become one red line and an exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            command(*args, **kwargs)
        except (LedgerError, InputError, CheckFailed) as exc:
            fail(exc)

    return run


def exit_code(exc: Exception) -> int:
    """2 for a usage or input error, 1 for a failed check or a failing ledger."""
    return USAGE if isinstance(exc, _INPUT_ERRORS) else FAILED


def fail(exc: Exception) -> NoReturn:
    """Print ``exc`` as one red line on stderr and exit with its code (no traceback)."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    errors().print(f"[bold red]error:[/] [red]{escape(message)}[/]", soft_wrap=True)
    raise typer.Exit(exit_code(exc))


def cli_source() -> str:
    """The default ``source`` of events emitted from the command line: ``cli/<user>``."""
    try:
        return f"cli/{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli/unknown"


@contextmanager
def open_ledger(url: str | None, *, signing: bool = True) -> Iterator[Ledger]:
    """Open the ledger at ``url`` (``None``: the default URL) and close it afterwards.

    ``signing=False`` for commands that only read proofs: they must never sign a checkpoint
    with a configured key as they close.
    """
    ledger = fleetledger.open(url, default_source=cli_source(), signer=None if signing else False)
    try:
        yield ledger
    finally:
        ledger.close()


PIPED_WIDTH = 132
"""Width of tables written to a pipe or log (a terminal's own width is used otherwise)."""


def output() -> Console:
    """The console for results (stdout); wide enough for timelines when not a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


def errors() -> Console:
    """The console for errors and progress (stderr)."""
    return Console(stderr=True, highlight=False)


def write_json(value: Any) -> None:
    """Print one JSON document on one line."""
    typer.echo(msgspec.json.encode(value).decode())


def write_events(events: Iterable[Event]) -> int:
    """Print events as CloudEvents structured JSON, one per line; return how many."""
    count = 0
    for count, event in enumerate(events, start=1):  # noqa: B007 -- count is the result
        write_json(event.to_dict())
    return count


def progress() -> Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal."""
    console = errors()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
