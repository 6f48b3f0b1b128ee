"""``fleetledger backup`` and ``restore``: an online copy of a SQLite ledger and its key store,
and bringing it back; both verify the copy they made (see :mod:`fleetledger.mirror.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetledger.cli.common import (
    LedgerURL,
    errors,
    json_option,
    ledger_url,
    output,
    write_json,
)
from fleetledger.cli.exits import CheckFailed, holding_interrupts
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.ledger import load_verifier
from fleetledger.mirror.backup import Copied
from fleetledger.mirror.backup import backup as backup_ledger
from fleetledger.mirror.backup import restore as restore_ledger

COPY_JSON = (
    "one JSON object: {ledger, keys, namespace, ok, events, leaves, partitions, checkpoints,"
    " signatures_checked, findings}"
)

TargetURL = Annotated[
    str | None,
    typer.Option(
        "--to",
        "--ledger",
        envvar="FLEETLEDGER_URL",
        help="The ledger to restore as: sqlite:///path.db (its key store goes where that URL"
        " keeps it); kafka:// and memory:// ledgers are copied with 'fleetledger mirror'.",
        show_default="$FLEETLEDGER_URL, else the configured url, else the default",
    ),
]


def backup(
    dest: Annotated[Path, typer.Argument(help="A new (or empty) directory for the copy.")],
    *,
    key: KeyOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(COPY_JSON)] = False,
) -> None:
    """Copy a SQLite ledger and its key store into DEST while writers carry on; verify it."""
    url = ledger_url(ledger)
    with holding_interrupts():
        copied = backup_ledger(url, dest, verifier_for(key, url))
    _report("backed up to", dest, copied, as_json=as_json)


def restore(
    src: Annotated[Path, typer.Argument(help="A backup directory made by 'fleetledger backup'.")],
    *,
    to: TargetURL = None,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing ledger and key store.")
    ] = False,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", help="Public key (NAME.pub) to verify with.", show_default="the backup's"
        ),
    ] = None,
    as_json: Annotated[bool, json_option(COPY_JSON)] = False,
) -> None:
    """Bring a backup back as a SQLite ledger (never over one, unless --force); verify it."""
    url = ledger_url(to)
    verifier = None if key is None else load_verifier(key)
    with holding_interrupts():
        copied = restore_ledger(src, url, force=force, verifier=verifier)
    _report("restored to", copied.ledger, copied, as_json=as_json)


def _report(done: str, where: Path, copied: Copied, *, as_json: bool) -> None:
    result = copied.verification
    if as_json:
        write_json(
            {
                "ledger": str(copied.ledger),
                "keys": None if copied.keys is None else str(copied.keys),
                "namespace": copied.namespace,
                "ok": result.ok,
                "events": result.events,
                "leaves": result.leaves,
                "partitions": result.partitions,
                "checkpoints": result.checkpoints,
                "signatures_checked": result.signatures_checked,
                "findings": [finding._asdict() for finding in result.findings],
            }
        )
    else:
        signed = "signatures checked" if result.signatures_checked else "signatures NOT checked"
        keys = "with its key store" if copied.keys is not None else "(no key store)"
        verdict = "verified" if result.ok else "verify FAILED"
        output().print(
            f"{done} {where} {keys}: {verdict}: {result.events} events, {result.leaves} leaves in"
            f" {result.partitions} partitions, {result.checkpoints} checkpoints ({signed})",
            soft_wrap=True,
            markup=False,
        )
    if not result.ok:
        for finding in result.findings[:5]:
            at = f"{finding.topic}/{finding.partition}"
            errors().print(f"{finding.kind} {at}: {finding.detail}", markup=False)
        raise CheckFailed(f"the copy does not verify: {len(result.findings)} integrity findings")
