"""``fleetledger verify-order``: check an order proof offline with the ledger's public key.

The proof comes from ``fleetledger prove --before EARLIER LATER --json`` (format in
:mod:`fleetledger.integrity.order`); checking it needs nothing but the file and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetledger.cli.common import json_option, output, write_json
from fleetledger.cli.exits import InputError
from fleetledger.cli.render import printable
from fleetledger.errors import ProofError
from fleetledger.integrity import OrderProof, read_order
from fleetledger.integrity import verify_order as check_order
from fleetledger.ledger import load_verifier

VERIFY_ORDER_JSON = "one JSON object: {ok, namespace, method, earlier, later}"


def verify_order(
    proof: Annotated[Path, typer.Argument(help="The order proof (from prove --before --json).")],
    key: Annotated[
        Path,
        typer.Option("--key", help="The ledger's public key (NAME.pub).", show_default=False),
    ],
    as_json: Annotated[bool, json_option(VERIFY_ORDER_JSON)] = False,
) -> None:
    """Check that one event was committed before another, offline; exit 1 if it fails."""
    document = read_order_file(proof)
    result = check_order(document, load_verifier(key))
    if as_json:
        write_json({"ok": True, **vars(result)})
        return
    output().print(
        printable(
            f"ok: {result.earlier} was committed before {result.later} in {result.namespace}"
            f" ({result.method}), by the signer of {key}"
        ),
        style="green",
        soft_wrap=True,
        markup=False,
    )


def read_order_file(path: Path) -> OrderProof:
    """Read and parse an order proof; :class:`InputError` when the file is unreadable or is
    not an order proof (as ``verify-bundle`` does: exit 2, the input is unusable)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return read_order(data)
    except ProofError as exc:
        raise InputError(f"{path}: {exc}") from exc
