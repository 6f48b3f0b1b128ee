"""``fleetledger evidence`` and ``fleetledger verify-bundle``: one task's proofs, to take away.

``evidence`` writes a task's evidence bundle (its events, their inclusion proofs, the signed
ledger head; format in :mod:`fleetledger.integrity.bundle`); ``verify-bundle`` checks one with
nothing but the file and a public key, so an auditor needs no access to the ledger.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from fleetledger.cli.common import (
    LedgerURL,
    configured_public_key,
    json_option,
    ledger_url,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.exits import CheckFailed, InputError, committed, holding_interrupts
from fleetledger.cli.render import printable
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.integrity import (
    BundleVerification,
    EvidenceBundle,
    MalformedBundle,
    NoteVerifier,
    read_bundle,
)
from fleetledger.integrity import verify_bundle as check_bundle
from fleetledger.ledger import load_verifier

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")

OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Where to write the bundle.", show_default="evidence-TASK.json"
    ),
]
EVIDENCE_JSON = "one JSON object: {bundle, task, events, excluded, partitions, key}"
VERIFY_BUNDLE_JSON = (
    "one JSON object: {ok, task, namespace, events, partitions, checkpoints, key, key_source,"
    " signer_proved, findings: [{event, kind, detail}]}"
)

PublicKey = Annotated[
    Path | None,
    typer.Option(
        "--key",
        help="The ledger's public key (NAME.pub), obtained independently of the bundle.",
        show_default="the key inside the bundle: proves integrity, not who signed",
    ),
]


def evidence(
    task: Annotated[str, typer.Argument(help="The task (subject) to collect.")],
    out: OutputOption = None,
    key: KeyOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(EVIDENCE_JSON)] = False,
) -> None:
    """Write a task's events with their proofs and the signed ledger head, to verify offline."""
    url = ledger_url(ledger)
    verifier = verifier_for(key, url)
    with open_ledger(url) as opened:
        bundle = opened.evidence(task, verifier)
    path = out or bundle_path(task)
    with holding_interrupts():
        write_bundle(bundle, path)
        committed(f"the bundle was written to {path}")
    if as_json:
        write_json({"bundle": str(path), **_counts(bundle)})
        return
    console, counts = output(), _counts(bundle)
    console.print(
        f"wrote {path}: {plural(counts['events'], 'event')} of {printable(task)} in"
        f" {plural(counts['partitions'], 'partition')}, proved against one signed ledger head",
        soft_wrap=True,
        markup=False,
    )
    console.print(
        f"check it offline: fleetledger verify-bundle {path} --key {_public_key(key, url)}",
        soft_wrap=True,
        markup=False,
    )


def verify_bundle(
    bundle: Annotated[Path, typer.Argument(help="The bundle file (from fleetledger evidence).")],
    key: PublicKey = None,
    as_json: Annotated[bool, json_option(VERIFY_BUNDLE_JSON)] = False,
) -> None:
    """Check an evidence bundle without the ledger; exit 1 with the findings if it fails."""
    verifier = None if key is None else load_verifier(key)
    result = check_bundle(read_bundle_file(bundle), verifier)
    if as_json:
        write_json(verification_json(result))
    else:
        show_verification(result)
    if not result.ok:
        raise CheckFailed(f"{plural(len(result.findings), 'finding')} in {bundle}")


def bundle_path(task: str) -> Path:
    """``evidence-<task>.json`` in the working directory, the task made safe as a file name."""
    return Path(f"evidence-{_UNSAFE.sub('_', task)}.json")


def write_bundle(bundle: EvidenceBundle, path: Path) -> None:
    """Write the bundle file; :class:`InputError` when the path cannot be written."""
    try:
        path.write_bytes(bundle.dumps())
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from exc


def read_bundle_file(path: Path) -> EvidenceBundle:
    """Read and parse a bundle file; :class:`InputError` when it is unreadable or malformed."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return read_bundle(data)
    except MalformedBundle as exc:
        raise InputError(f"{path}: {exc}") from exc


def verification_json(result: BundleVerification) -> dict[str, Any]:
    """The result of verify-bundle as one JSON object."""
    return {
        "ok": result.ok,
        "task": result.task,
        "namespace": result.namespace,
        "events": result.events,
        "partitions": result.partitions,
        "checkpoints": result.checkpoints,
        "key": result.key,
        "key_source": result.key_source,
        "signer_proved": result.signer_proved,
        "findings": [finding._asdict() for finding in result.findings],
    }


def verdict(result: BundleVerification) -> str:
    """One line: whether the bundle holds, what it covers and which key checked it."""
    if not result.ok:
        return f"FAILED: {plural(len(result.findings), 'finding')} in the bundle of {result.task}"
    return (
        f"ok: {plural(result.events, 'event')} of {result.task} in"
        f" {plural(result.partitions, 'partition')} are in the signed ledger head of"
        f" {result.namespace}, signed by {_key_name(result.key)}"
        + (
            f"; {plural(result.excluded, 'event')} of unsigned families named, not proved"
            if result.excluded
            else ""
        )
    )


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 event``, ``2 events`` (``nouns`` for irregular plurals: leaf, leaves)."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def show_verification(result: BundleVerification) -> None:
    """Findings one per line, the verdict, and what the key used can and cannot prove."""
    console = output()
    for f in result.findings:
        where = "" if f.event is None else f" event #{f.event}"
        console.print(f"[red]{escape(printable(f.kind))}[/]{where}: ", end="", soft_wrap=True)
        console.print(printable(f.detail), soft_wrap=True, markup=False)
    color = "green" if result.ok else "red"
    console.print(printable(verdict(result)), style=color, soft_wrap=True, markup=False)
    if result.key_source == "bundle":
        console.print(
            "note: checked with the key inside the bundle. That proves the bundle is intact and"
            " consistent, not who signed it: pass --key with the ledger's public key, obtained"
            " independently, to prove that.",
            soft_wrap=True,
        )


def _counts(bundle: EvidenceBundle) -> dict[str, Any]:
    return {
        "task": bundle.task,
        "events": len(bundle.events),
        "excluded": len(bundle.excluded),
        "partitions": len(bundle.manifest),
        "key": bundle.key,
    }


def _public_key(key: Path | None, url: str) -> str:
    """The public key file to name in the hint: --key, else the configured key's, else NAME.pub."""
    if key is not None:
        return str(key)
    public = configured_public_key(url)
    return "NAME.pub" if public is None else str(public)


def _key_name(vkey: str | None) -> str:
    if vkey is None:
        return "no key"
    verifier = NoteVerifier.from_vkey(vkey)
    return f"{verifier.name}+{verifier.key_id:08x}"
