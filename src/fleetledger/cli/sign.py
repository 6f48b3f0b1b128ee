"""``fleetledger sign``: sign a SQLite ledger's checkpoints and ledger head now.

A SQLite ledger opened with a key signs as it appends (every ``checkpoint_events`` events or
``checkpoint_seconds``) and when closed; ``sign`` does it now, so a fresh head covers every
event (before ``evidence``, say). On Kafka the notary signs: ``fleetledger notary --once``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    ledger_url,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.evidence import plural
from fleetledger.cli.exits import InputError, committed, holding_interrupts
from fleetledger.ledger import key_path, parse_url

SIGN_JSON = "one JSON object: {partitions}"


def sign(
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Signer key (NAME.key) to sign with.",
            show_default="the URL's ?key=, else $FLEETLEDGER_KEY",
        ),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(SIGN_JSON)] = False,
) -> None:
    """Sign a checkpoint of every partition changed since its last one, and a ledger head."""
    url = ledger_url(ledger)
    if key is None and key_path(parse_url(url)) is None:
        raise InputError(
            "sign needs the signer key: give --key NAME.key, the URL option ?key=, or"
            " $FLEETLEDGER_KEY (fleetledger keys init writes a key pair)"
        )
    with open_ledger(url, write=True, signer=key) as opened, holding_interrupts():
        signed = opened.sign()
        committed(f"{plural(signed, 'partition checkpoint')} and a ledger head were signed")
    if as_json:
        write_json({"partitions": signed})
    elif signed:
        output().print(f"signed {plural(signed, 'partition checkpoint')} and a ledger head")
    else:
        output().print("nothing new to sign: every partition's newest checkpoint is current")
