"""``fleetledger keys init``: make the key pair that signs a ledger's checkpoints;
``fleetledger keys rotate --old OLD.key --new NEW.key``: hand signing over to a new key.

Open the ledger with ``?key=NAME.key`` or ``$FLEETLEDGER_KEY`` to sign checkpoints; give
``NAME.pub`` to whoever runs ``fleetledger verify``. ``--writer`` makes instead the secret a
Kafka ledger's writers share to attest their records (``?writer_key=NAME.writer`` or
``$FLEETLEDGER_WRITER_KEY``), so records anyone else writes into its topics read as foreign.

``rotate`` stores a key handover and a ledger head signed by both keys (on Kafka, after one
notary round with the old key); afterwards sign with the new key only, and verifiers holding
either public key follow the handover.
"""

from __future__ import annotations

from enum import StrEnum
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
from fleetledger.cli.exits import InputError, committed, holding_interrupts
from fleetledger.ledger import load_signer, parse_url, write_key_pair, write_writer_key

DEFAULT_NAME = "fleetledger"
KEYS_JSON = "one JSON object: {key, pub, vkey} (with --writer: {writer}; rotate: {old, new})"


class KeyAction(StrEnum):
    """What ``keys`` does."""

    INIT = "init"
    ROTATE = "rotate"


def keys(
    action: Annotated[
        KeyAction, typer.Argument(help="init: generate a new key pair; rotate: hand over.")
    ],
    *,
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
    old: Annotated[
        Path | None, typer.Option("--old", help="rotate: the signer key (NAME.key) in force.")
    ] = None,
    new: Annotated[
        Path | None, typer.Option("--new", help="rotate: the signer key to hand over to.")
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(KEYS_JSON)] = False,
) -> None:
    """Write a key pair (init), or hand a ledger's signing over to a new key (rotate)."""
    if action is KeyAction.ROTATE:
        _rotate(old, new, ledger, as_json=as_json)
        return
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


def _rotate(old: Path | None, new: Path | None, url: str | None, *, as_json: bool) -> None:
    if old is None or new is None:
        raise InputError("keys rotate needs --old OLD.key and --new NEW.key")
    old_signer, new_signer = load_signer(old), load_signer(new)
    url = ledger_url(url)
    with holding_interrupts(), open_ledger(url, write=True, signer=old) as opened:
        if parse_url(url).scheme != "kafka":
            opened.rotate_key(new_signer)
        else:
            opened.notary(old_signer).rotate(new_signer)
        committed("the key handover and the head both keys signed are stored")
    if as_json:
        write_json({"old": old_signer.verifier.vkey, "new": new_signer.verifier.vkey})
    else:
        output().print(
            f"handed over from {old_signer.verifier.vkey}\n"
            f"to {new_signer.verifier.vkey}\n"
            f"sign with {new} from now on; publish its public key out of band"
        )
