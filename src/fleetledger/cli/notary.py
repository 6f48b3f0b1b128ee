"""``fleetledger notary``: sign the checkpoints of a Kafka ledger, and keep signing.

A SQLite ledger opened with a key signs as it appends; a Kafka ledger's writers do not, so one
notary per namespace reads what they appended and signs it (see
:mod:`fleetledger.audit.notary`). It runs until Ctrl-C or SIGTERM, then signs what is left
and exits 0; ``--once`` signs up to the current end and exits. Restarted, it resumes after its
newest checkpoint.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from fleetledger.audit import NotaryRound
from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    ledger_url,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.exits import InputError, committed
from fleetledger.integrity import NoteSigner
from fleetledger.ledger import key_path, load_signer, parse_url

NOTARY_JSON = "one JSON object when it stops: {events, checkpoints, heads}"


def notary(
    *,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Signer key (NAME.key) the checkpoints are signed with.",
            show_default="the URL's key, else $FLEETLEDGER_KEY",
        ),
    ] = None,
    every_events: Annotated[
        int, typer.Option("--every-events", min=1, help="Sign after this many new events.")
    ] = 1000,
    every_seconds: Annotated[
        float,
        typer.Option("--every-seconds", min=0.01, help="Sign what is new at least this often."),
    ] = 5.0,
    once: Annotated[
        bool, typer.Option("--once", help="Sign up to the current end, then exit.")
    ] = False,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(NOTARY_JSON)] = False,
) -> None:
    """Sign checkpoints of a Kafka ledger into its _checkpoints topic until stopped."""
    url = ledger_url(ledger)
    signer = _signer(key, url)
    committed(
        "each signing round is committed whole (one transaction); run the notary again to"
        " resume after its newest checkpoint"
    )
    with open_ledger(url, write=True, signer=False) as opened:
        keeper = opened.notary(signer, every=every_events, interval=every_seconds)
        if once:
            total = keeper.run_once()
        else:
            with _stopped_by_signals() as stop:
                say = None if as_json else _say
                total = keeper.run(stop, poll=min(every_seconds, 1.0), on_round=say)
    if as_json:
        write_json({"events": total.events, "checkpoints": total.checkpoints, "heads": total.heads})
    else:
        output().print(
            f"notarized {total.events} events: {total.checkpoints} checkpoints, "
            f"{total.heads} ledger heads signed by {signer.name}"
        )


def _signer(key: Path | None, url: str) -> NoteSigner:
    path = key or key_path(parse_url(url))
    if path is None:
        raise InputError(
            "the notary signs: give --key NAME.key, the URL option ?key=, or $FLEETLEDGER_KEY"
            " (fleetledger keys init writes a key pair)"
        )
    return load_signer(path)


def _say(done: NotaryRound) -> None:
    output().print(f"signed {done.checkpoints} checkpoints and a head over {done.events} events")


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (then the handlers go back)."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
