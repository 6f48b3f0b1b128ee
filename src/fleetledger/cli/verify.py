"""``fleetledger verify``: recompute every tree and check every signed checkpoint."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from fleetledger.audit import Finding, Verification
from fleetledger.cli.common import (
    LedgerURL,
    configured_public_key,
    json_option,
    ledger_url,
    open_ledger,
    output,
    progress,
    write_json,
)
from fleetledger.cli.exits import CheckFailed
from fleetledger.cli.render import printable
from fleetledger.integrity import NoteVerifier
from fleetledger.ledger import load_verifier

VERIFY_JSON = (
    "one JSON object: {ok, partitions, events, leaves, checkpoints, signatures_checked,"
    " uncovered, unsigned, findings: [{topic, partition, offset, kind, detail}]}"
)

KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="Public key (NAME.pub) to check signatures with.",
        show_default="NAME.pub beside $FLEETLEDGER_KEY or the URL's key, else the config's",
    ),
]


def verify(
    key: KeyOption = None,
    deep: Annotated[
        bool,
        typer.Option(
            "--deep",
            help="Also check each event's indexed columns (id, subject, type, key, time) against"
            " its bytes; slower: decodes every event.",
        ),
    ] = False,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(VERIFY_JSON)] = False,
) -> None:
    """Check every event against its leaf and every tree against its checkpoints; exit 1 if not."""
    url = ledger_url(ledger)
    verifier = verifier_for(key, url)
    with open_ledger(url) as opened, progress(quiet=as_json) as bar:
        task = bar.add_task("verifying partitions", total=None)
        result = opened.verify(
            verifier,
            deep=deep,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    _report(result, as_json=as_json)
    if not result.ok:
        raise CheckFailed(f"{len(result.findings)} integrity findings")


def verifier_for(key: Path | None, url: str) -> NoteVerifier | None:
    """The public key: ``--key``, else ``NAME.pub`` beside the configured key, else none."""
    if key is not None:
        return load_verifier(key)
    public = configured_public_key(url)
    return None if public is None else load_verifier(public)


def _report(result: Verification, *, as_json: bool) -> None:
    if as_json:
        write_json(
            {
                "ok": result.ok,
                "partitions": result.partitions,
                "events": result.events,
                "leaves": result.leaves,
                "checkpoints": result.checkpoints,
                "signatures_checked": result.signatures_checked,
                "uncovered": result.uncovered,
                "unsigned": result.unsigned,
                "findings": [finding._asdict() for finding in result.findings],
            }
        )
        return
    console = output()
    print_findings(console, result.findings)
    signed = "signatures checked" if result.signatures_checked else "signatures NOT checked"
    verdict = "[green]ok[/]" if result.ok else "[red]FAILED[/]"
    console.print(
        f"{verdict}: {result.events} events, {result.leaves} leaves in {result.partitions}"
        f" partitions, {result.checkpoints} checkpoints ({signed})"
    )
    if result.unsigned:
        console.print(
            f"{result.unsigned} leaves come after the newest signed checkpoint of their partition:"
            " nothing signed vouches for them yet (a SQLite ledger opened with its key signs"
            " them within checkpoint_events events or checkpoint_seconds; Kafka: the notary)",
            soft_wrap=True,
        )


def print_findings(console: Console, findings: Iterable[Finding]) -> None:
    """One red line per finding, ``kind topic/partition@offset: detail`` (also verify-export's)."""
    for f in findings:
        where = f"{f.topic}/{f.partition}" + ("" if f.offset is None else f"@{f.offset}")
        line = Text.assemble((printable(f.kind), "red"), f" {printable(where)}: ")
        console.print(line.append(printable(f.detail)), soft_wrap=True)
