"""What every command shares: the configuration file, the ``--ledger`` and ``--json`` options,
opening the ledger, writing output and drawing progress. Errors and exit codes have one place:
:mod:`.exits`.

The configuration file (``--config``, else ``$FLEETLEDGER_CONFIG``, else ``./fleetledger.toml``)
is located when the command line starts and read only by commands that use it, so a command
that never opens a ledger is not stopped by a broken file. Every option and environment variable
wins over the file (:meth:`fleetledger.Config.ledger_url`).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

import fleetledger
from fleetledger import Config, Event, Ledger, NotFound, Principal
from fleetledger.config import CONFIG_ENV, CONFIG_NAME, find_config, read_config
from fleetledger.ledger import DEFAULT_URL, default_url, key_path, parse_url, public_key_path

LedgerURL = Annotated[
    str | None,
    typer.Option(
        "--ledger",
        envvar="FLEETLEDGER_URL",
        show_default=f"$FLEETLEDGER_URL, else the url in {CONFIG_NAME}, else {DEFAULT_URL}",
        help="Ledger URL: sqlite:///path.db (a file), kafka://host:9092 (a cluster) or memory://.",
    ),
]
Families = Annotated[
    list[str] | None,
    typer.Option("--family", help="Only this family (repeat for several).", show_default="all"),
]

JSON_EVENTS = "one CloudEvent per line: {specversion, id, type, source, subject, time, ..., data}"
"""The shape of every command that prints events as JSON."""


ConfigFile = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Configuration file (TOML): the ledger's URL, namespace and keys, principals,"
        " policies. Options and environment variables win over it.",
        show_default=f"${CONFIG_ENV}, else ./{CONFIG_NAME} if there is one",
    ),
]

PrincipalOption = Annotated[
    str | None,
    typer.Option(
        "--principal",
        envvar="FLEETLEDGER_PRINCIPAL",
        help="Act as this principal of the configuration file: what it appends is stamped"
        " with it, and the file's access rules decide what it may append, read and administer.",
        show_default="the local user, with no kind",
    ),
]

_config_file: ContextVar[Path | None] = ContextVar("config_file", default=None)
_principal: ContextVar[str | None] = ContextVar("principal", default=None)
_config: ContextVar[Config | None] = ContextVar("config", default=None)


def use_config(path: Path | None, principal: str | None = None) -> None:
    """Locate the configuration file of this command line (``path``: ``--config``); a file
    named explicitly must exist. It is read when a command first asks for it. ``principal``
    (``--principal``) is the configured principal the commands act as."""
    _config_file.set(find_config(path))
    _config.set(None)
    _principal.set(principal)


def acting_principal() -> Principal | None:
    """The configured principal named by ``--principal`` (None: the local user)."""
    named = _principal.get()
    return None if named is None else configuration().principal(named)


def config_file() -> Path | None:
    """The configuration file this command line uses, if any."""
    return _config_file.get()


def configuration() -> Config:
    """The configuration this command line uses (empty without a file), read once."""
    config = _config.get()
    if config is None:
        found = config_file()
        config = Config() if found is None else read_config(found)
        _config.set(config)
    return config


def ledger_url(url: str | None) -> str:
    """The URL a command opens: ``--ledger`` or ``$FLEETLEDGER_URL``, else the configuration's,
    else the default; with the configuration's namespace and signing key unless overridden."""
    return configuration().ledger_url(url)


def configured_public_key(url: str) -> Path | None:
    """The public key that checks the ledger at ``url``: the file's ``verifier_key`` unless a
    key other than the file's is configured, else ``NAME.pub`` beside the configured key."""
    config = configuration()
    configured = key_path(parse_url(url))
    if config.verifier_key is not None and configured in (None, config.signing_key):
        return config.verifier_key
    return None if configured is None else public_key_path(configured)


def json_option(shape: str) -> Any:
    """The ``--json`` option of a command that prints ``shape`` (said in its help)."""
    return typer.Option("--json", help=f"Print JSON instead of text: {shape}.")


def cli_source() -> str:
    """The default ``source`` of events emitted from the command line: ``cli/<user>``."""
    try:
        return f"cli/{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli/unknown"


def say_withheld(withheld: int, ledger: Ledger) -> None:
    """Say on stderr how many events an access policy withheld from what was shown (reads
    never leave events out silently)."""
    if withheld:
        plural = "event" if withheld == 1 else "events"
        errors().print(
            f"note: {withheld} {plural} withheld: {ledger.principal.id} may not read them"
            " (access policy)"
        )


@contextmanager
def open_ledger(
    url: str | None,
    *,
    write: bool = False,
    create: bool = False,
    signer: Path | Literal[False] | None = None,
) -> Iterator[Ledger]:
    """Open the ledger at ``url`` (``None``: the default URL) and close it afterwards.

    Read commands open it read-only (the default): nothing is created, written or signed, a
    ledger that does not exist is :class:`~fleetledger.NotFound`, and a file the user cannot
    write is read all the same. ``write`` opens an existing ledger to write (``create``: one
    that may not exist yet), signing with ``signer`` (default: the configured key; ``False``:
    never).
    """
    url = ledger_url(url)
    if write and not create:
        must_exist(url)
    ledger = fleetledger.open(
        url,
        default_source=cli_source(),
        readonly=not write,
        signer=signer if write else False,
        principal=acting_principal(),
        access=configuration().access,
    )
    try:
        yield ledger
    finally:
        ledger.close()


def must_exist(url: str | None) -> None:
    """Refuse a SQLite ledger file that does not exist (a typo), which opening would create."""
    parsed = parse_url(url or default_url())
    if (
        parsed.scheme == "sqlite"
        and parsed.location != ":memory:"
        and not Path(parsed.location).is_file()
    ):
        raise NotFound(f"no ledger at {parsed.location}: the file does not exist")


PIPED_WIDTH = 132
"""Width of tables written to a pipe or log (a terminal's own width is used otherwise)."""


def output() -> Console:
    """The console for results (stdout); wide enough for timelines when not a terminal."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = PIPED_WIDTH
    return console


def errors() -> Console:
    """The console for errors, notes and progress (stderr)."""
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


def progress(*, quiet: bool = False) -> Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal and not ``quiet``
    (``--json``)."""
    console = errors()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )
