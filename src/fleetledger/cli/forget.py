"""``fleetledger forget SUBJECT``: erase a data subject, keeping every proof valid.

Destroys the data keys the subject's confidential fields were encrypted under (in the
ledger's key store: ``ledger.db.keys`` beside a SQLite ledger, or ``?keys=PATH``) and records
``governance.erasure.performed``. The stored bytes do not change, so ``verify``, ``prove`` and
evidence bundles still verify; ``replay`` shows those fields as ``{"$erased": true}``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.evidence import plural
from fleetledger.cli.exits import committed, holding_interrupts

FORGET_JSON = "one JSON object: {datasubject, keys_destroyed, position}"


def forget(
    subject: Annotated[
        str, typer.Argument(help="The data subject (a pseudonym) whose keys are destroyed.")
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why (recorded with the erasure).")
    ] = None,
    requested_by: Annotated[
        str | None, typer.Option("--requested-by", help="Who asked (recorded).")
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(FORGET_JSON)] = False,
) -> None:
    """Destroy a data subject's keys and record the erasure; proofs still verify."""
    with open_ledger(ledger, write=True) as opened, holding_interrupts():
        done = opened.forget(subject, reason=reason, requested_by=requested_by)
        committed(f"the keys of {subject} were destroyed")
    if as_json:
        write_json(
            {
                "datasubject": done.datasubject,
                "keys_destroyed": done.keys_destroyed,
                "position": str(done.position),
            }
        )
    else:
        output().print(
            f"forgot {done.datasubject}: {plural(done.keys_destroyed, 'key')} destroyed,"
            f" erasure recorded at {done.position}"
        )
