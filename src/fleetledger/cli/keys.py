"""``fleetledger keys init``: make the key pair that signs a ledger's checkpoints.

Open the ledger with ``?key=NAME.key`` or ``$FLEETLEDGER_KEY`` to sign checkpoints; give
``NAME.pub`` to whoever runs ``fleetledger verify``. ``--writer`` makes instead the secret a
Kafka ledger's writers share to attest their records (``?writer_key=NAME.writer`` or
``$FLEETLEDGER_WRITER_KEY``), so records anyone else writes into its topics read as foreign.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from fleetledger.cli.common import json_option, output, write_json
from fleetledger.cli.exits import committed, holding_interrupts
from fleetledger.ledger import write_key_pair, write_writer_key

DEFAULT_NAME = "fleetledger"
KEYS_JSON = "one JSON object: {key, pub, vkey} (with --writer: {writer})"


class KeyAction(StrEnum):
    """What ``keys`` does."""

    INIT = "init"


def keys(
    action: Annotated[KeyAction, typer.Argument(help="init: generate a new key pair.")],
    name: Annotated[
        str, typer.Option("--name", help="Key name, e.g. ledger.example.com/acme.")
    ] = DEFAULT_NAME,
    directory: Annotated[
        Path, typer.Option("--dir", help="Where to write NAME.key and NAME.pub.")
    ] = Path(),
    writer: Annotated[
        bool,
        typer.Option(
            "--writer", help="Write NAME.writer: the secret Kafka writers attest records with."
        ),
    ] = False,
    as_json: Annotated[bool, json_option(KEYS_JSON)] = False,
) -> None:
    """Write NAME.key (the signer, mode 0600) and NAME.pub (its public key); never overwrite."""
    assert action is KeyAction.INIT
    if writer:
        _writer_key(name, directory, as_json=as_json)
        return
    with holding_interrupts():
        key, pub = write_key_pair(name, directory)
        committed(f"wrote {key} and {pub}")
    if as_json:
        write_json({"key": str(key), "pub": str(pub), "vkey": pub.read_text().strip()})
    else:
        output().print(f"signer key: {key} (keep it secret)\npublic key: {pub}")


def _writer_key(name: str, directory: Path, *, as_json: bool) -> None:
    with holding_interrupts():
        path = write_writer_key(name, directory)
        committed(f"wrote {path}")
    if as_json:
        write_json({"writer": str(path)})
    else:
        output().print(
            f"writer key: {path} (keep it secret; give it to every writer of the ledger:"
            " ?writer_key= or $FLEETLEDGER_WRITER_KEY)"
        )
