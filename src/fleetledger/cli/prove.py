"""``fleetledger prove``: an inclusion proof of one event against the latest signed head."""

from __future__ import annotations

from typing import Annotated

import typer

import fleetledger
from fleetledger.cli.common import AsJSON, LedgerURL, cli_source, output, write_json
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.ledger import default_url


def prove(
    event_id: Annotated[str, typer.Argument(help="The id of the event to prove.")],
    key: KeyOption = None,
    ledger: LedgerURL = None,
    as_json: AsJSON = False,
) -> None:
    """Print a verified inclusion proof of one event against the latest signed ledger head."""
    url = ledger or default_url()
    verifier = verifier_for(key, url)
    opened = fleetledger.open(url, default_source=cli_source(), signer=False)
    try:
        proof = opened.prove(event_id, verifier)
    finally:
        opened.close()
    document = proof.to_json()
    if as_json:
        write_json(document)
        return
    console = output()
    for name in ("event_id", "topic", "partition", "leaf_index", "tree_size", "leaf_hash"):
        console.print(f"{name}: {document[name]}", soft_wrap=True)
    console.print("audit_path:", *document["audit_path"], sep="\n  ", soft_wrap=True)
    console.print(f"ledger head:\n{proof.head}", soft_wrap=True, markup=False)
