"""``fleetledger prove``: inclusion proofs of events and consistency proofs between ledger heads.

``prove EVENT_ID`` proves one event against the latest signed head; ``prove --consistency OLD
NEW`` proves that head NEW extends head OLD (each a stored head's number from ``prove --heads``,
``latest``, or a file holding a signed head, such as a saved ``prove --json`` or an evidence
bundle); ``prove --before EARLIER LATER`` proves that event EARLIER was committed before event
LATER (an order proof, :mod:`fleetledger.integrity.order`, checked offline by ``verify-order``);
``prove --heads`` lists the stored heads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fleetledger import Ledger
from fleetledger.audit import LATEST, ConsistencyProof, HeadRef
from fleetledger.cli.common import (
    LedgerURL,
    json_option,
    ledger_url,
    open_ledger,
    output,
    write_json,
)
from fleetledger.cli.evidence import plural
from fleetledger.cli.exits import InputError
from fleetledger.cli.render import printable
from fleetledger.cli.verify import KeyOption, verifier_for
from fleetledger.errors import MalformedNote
from fleetledger.integrity import LedgerHead, NoteVerifier, parse_note
from fleetledger.integrity.order import SAME_PARTITION

PROVE_JSON = (
    "one JSON object: the inclusion proof {event_id, topic, partition, leaf_index, tree_size,"
    " leaf_hash, audit_path, head, checkpoint}, or the consistency proof {format, version,"
    " namespace, old_head, new_head, partitions}, or with --before the order proof {format,"
    " version, namespace, method, head, earlier, later, before}; with --heads a JSON array of"
    " {number, size, partitions}"
)


def prove(
    event_id: Annotated[
        str | None, typer.Argument(help="The id of the event to prove.", show_default=False)
    ] = None,
    *,
    consistency: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--consistency",
            metavar="OLD_HEAD NEW_HEAD",
            help="Prove NEW_HEAD extends OLD_HEAD; each a head number, 'latest', or a file.",
            show_default=False,
        ),
    ] = None,
    before: Annotated[
        tuple[str, str] | None,
        typer.Option(
            "--before",
            metavar="EARLIER LATER",
            help="Prove event EARLIER was committed before event LATER (an order proof).",
            show_default=False,
        ),
    ] = None,
    heads: Annotated[
        bool, typer.Option("--heads", help="List the stored signed ledger heads by number.")
    ] = False,
    key: KeyOption = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(PROVE_JSON)] = False,
) -> None:
    """Print a verified proof: inclusion, consistency of heads, or the order of two events."""
    modes = [event_id is not None, consistency is not None, before is not None, heads]
    if sum(modes) != 1:
        raise InputError(
            "give one of: EVENT_ID, --consistency OLD_HEAD NEW_HEAD, --before EARLIER LATER,"
            " --heads"
        )
    url = ledger_url(ledger)
    verifier = verifier_for(key, url)
    with open_ledger(url) as opened:
        if heads:
            _list_heads(opened, as_json=as_json)
        elif consistency is not None:
            _prove_consistency(opened, consistency, verifier, as_json=as_json)
        elif before is not None:
            _prove_order(opened, before, verifier, as_json=as_json)
        else:
            assert event_id is not None
            _prove_event(opened, event_id, verifier, as_json=as_json)


def _prove_event(
    ledger: Ledger, event_id: str, verifier: NoteVerifier | None, *, as_json: bool
) -> None:
    proof = ledger.prove(event_id, verifier)
    document = proof.to_json()
    if as_json:
        write_json(document)
        return
    console = output()
    for name in ("event_id", "topic", "partition", "leaf_index", "tree_size", "leaf_hash"):
        console.print(f"{name}: {printable(str(document[name]))}", soft_wrap=True, markup=False)
    console.print("audit_path:", *document["audit_path"], sep="\n  ", soft_wrap=True)
    console.print("ledger head:")
    for line in proof.head.splitlines():
        console.print(printable(line), soft_wrap=True, markup=False)


def _prove_consistency(
    ledger: Ledger, refs: tuple[str, str], verifier: NoteVerifier | None, *, as_json: bool
) -> None:
    old, new = (head_ref(ref) for ref in refs)
    proof = ledger.prove_consistency(old, new, verifier)
    if as_json:
        write_json(proof.to_json())
        return
    _show_consistency(proof, refs, signed=verifier is not None)


def _prove_order(
    ledger: Ledger, pair: tuple[str, str], verifier: NoteVerifier | None, *, as_json: bool
) -> None:
    proof = ledger.prove_order(*pair, verifier)
    if as_json:
        write_json(proof.to_json())
        return
    console = output()
    console.print("ordered", style="green", end="")
    how = (
        "by their leaves under one signed ledger head"
        if proof.method == SAME_PARTITION
        else "by an older signed head that includes the first and not the second"
    )
    console.print(
        printable(f": {proof.earlier.id} was committed before {proof.later.id}, {how}"),
        soft_wrap=True,
        markup=False,
    )
    for name, event in (("earlier", proof.earlier), ("later", proof.later)):
        console.print(
            printable(f"{name}: {event.id} at {event.topic}/{event.partition} leaf")
            + f" {event.leaf_index} of {event.tree_size}",
            soft_wrap=True,
            markup=False,
        )
    if verifier is None:
        console.print("signatures NOT checked: pass --key NAME.pub to check the heads")
    console.print(
        "save it with --json and check it offline: fleetledger verify-order FILE --key PUB"
    )


def head_ref(text: str) -> HeadRef:
    """A command-line head: a stored head's number, ``latest``, or a file holding a head.

    The file holds a signed ledger head note, or a JSON object with one in ``"head"`` (the
    output of ``prove --json``, or an evidence bundle).
    """
    if text == LATEST:
        return LATEST
    if text.isdecimal():
        return int(text)
    try:
        data = Path(text).read_bytes()
    except OSError as exc:
        raise InputError(
            f"{text!r} is not a head number, 'latest' or a readable file: {exc.strerror}"
        ) from exc
    note = _head_in(data)
    try:
        LedgerHead.parse(parse_note(note)[0])
    except MalformedNote as exc:
        raise InputError(f"{text} holds no signed ledger head: {exc}") from exc
    return note


def _head_in(data: bytes) -> bytes:
    """The note itself, or the ``"head"`` of a JSON document that carries one."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):  # not JSON (a note), or JSON no head file is
        return data
    if isinstance(document, dict) and isinstance(document.get("head"), str):
        return str(document["head"]).encode("utf-8", "surrogatepass")  # parsing refuses it
    return data


def _show_consistency(proof: ConsistencyProof, refs: tuple[str, str], *, signed: bool) -> None:
    console = output()
    old, new = (
        f"the head in {ref}" if number is None else f"ledger head #{number}"
        for number, ref in zip((proof.old_number, proof.new_number), refs, strict=True)
    )
    console.print("consistent", style="green", end="")
    console.print(
        printable(f": {new} extends {old} of {proof.namespace}"), soft_wrap=True, markup=False
    )
    for entry in proof.to_json()["partitions"]:
        console.print(
            printable(f"{entry['topic']}/{entry['partition']}:")
            + f" {entry['old_size']} -> {entry['new_size']} leaves,"
            f" {len(entry['proof'])} proof hashes",
            *entry["proof"],
            sep="\n  ",
            soft_wrap=True,
            markup=False,
        )
    if not signed:
        console.print("signatures NOT checked: pass --key NAME.pub to check both heads")


def _list_heads(ledger: Ledger, *, as_json: bool) -> None:
    rows = ledger.heads()
    if as_json:
        write_json([row._asdict() for row in rows])
        return
    console = output()
    if not rows:
        console.print("no signed ledger heads yet")
    for row in rows:
        leaves, partitions = plural(row.size, "leaf", "leaves"), plural(row.partitions, "partition")
        console.print(f"#{row.number}: {leaves} in {partitions}")
    if rows:
        console.print(
            f"prove one extends another: fleetledger prove --consistency {rows[0].number} latest"
        )
