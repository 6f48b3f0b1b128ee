"""Fixtures for the TypeScript verifier (verifiers/ts): what a real signed ledger proves, and
tampered copies, as files its Node tests read.

A small signed SQLite ledger (one task across two families, an ordering rule that stamps a
hash link, a head every 4 events) yields one document of each kind the verifier checks: an
inclusion proof, a consistency proof, a checkpoint, a ledger head, an evidence bundle and an
order proof of each method. Each tampered copy says which check it must fail. The Go
verifier's tamperings (tests/integration/interop/test_go_verifier.py) are reused as they are;
the order proofs and forged signatures are added here.

``write_fixtures(folder)`` writes ``cases.json`` (name, kind, file, key string, whether it
must verify) beside one file per case. Run as a script to look at them:
``python -m tests.integration.interop.ts_fixtures OUT``.
"""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import fleetledger
from fleetledger import Ledger
from fleetledger.governance import parse_ordering
from fleetledger.integrity import LedgerHead, NoteSigner, NoteVerifier, parse_note, sign_note
from tests.integration.interop.test_go_verifier import TAMPERS, WRONG_ROOT, Case, Made

TASK = "task-1"
ORDER_KINDS = ("order-hash-link", "order-same-partition", "order-across-partitions")
PAYMENTS = parse_ordering(
    [
        {
            "name": "payments need an approval",
            "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
            "requires": {"type": "governance.approval.granted"},
            "join": ["subject", "data.call_id"],
        }
    ]
)
Document = dict[str, Any]


def make_ledger(folder: Path) -> Made:
    """A signed ledger of one task across three families, with a head every 4 events, and
    one document of each kind (the order proofs under ``order-<method>``)."""
    signer = NoteSigner.generate("test.example/fleet")
    url = f"sqlite:///{folder}/ledger.db?checkpoint_events=4&checkpoint_seconds=3600"
    with fleetledger.open(url, signer=signer, default_source="tests", ordering=PAYMENTS) as ledger:
        for n in range(11):
            ledger.append("task.requested", subject=TASK, data={"goal": f"goal {n}"})
            if n % 5 == 0:
                ledger.append(
                    "tool.call.requested", subject=TASK, data={"call_id": f"c{n}", "tool": "t"}
                )
        grant = {"approval_id": "a-1", "call_id": "pay-1"}
        ledger.append("governance.approval.granted", id="grant", subject=TASK, data=grant)
        call = {"call_id": "pay-1", "tool": "payments.transfer"}
        ledger.append("tool.call.started", id="call", subject=TASK, data=call)
        ledger.sign()
        documents = _documents(ledger)
        older = ledger.prove_consistency(1).to_json()
    public_key = folder / "fleet.pub"
    public_key.write_text(signer.verifier.vkey + "\n")
    return Made(signer, documents, older, url, public_key)


def _documents(ledger: Ledger) -> dict[str, bytes]:
    proof = ledger.prove(list(ledger.replay(TASK))[3].id)
    assert proof.checkpoint is not None
    events = list(ledger.replay(TASK))
    first, tasks = events[0], [e for e in events if e.type == "task.requested"]
    tools = [e for e in events if e.type == "tool.call.requested"]
    orders = {
        "order-hash-link": ledger.prove_order("grant", "call"),
        "order-same-partition": ledger.prove_order(tasks[0].id, tasks[-1].id),
        "order-across-partitions": ledger.prove_order(first.id, tools[-1].id),
    }
    for kind, order in orders.items():
        assert order.method == kind.removeprefix("order-"), (kind, order.method)
    return {
        "inclusion": json.dumps(proof.to_json()).encode(),
        "consistency": json.dumps(ledger.prove_consistency(2).to_json()).encode(),
        "checkpoint": proof.checkpoint.encode(),
        "head": proof.head.encode(),
        "bundle": ledger.evidence(TASK).dumps(),
        **{kind: order.dumps() for kind, order in orders.items()},
    }


# -- tamperings the Go verifier's set does not have -------------------------------------------


def forged(note: str) -> str:
    """``note`` with one bit of its first signature flipped (key id kept), still canonical
    base64: the signature line parses, names the right key, and does not verify."""
    text, signatures = parse_note(note.encode())
    first = signatures[0]
    raw = bytearray(first.signature)
    raw[len(raw) // 2] ^= 1
    blob = first.key_id.to_bytes(4, "big") + bytes(raw)
    line = f"\u2014 {first.name} {base64.b64encode(blob).decode()}\n"
    return text + "\n" + line + "".join(s.line() for s in signatures[1:])


def wrong_root(made: Made, note: str, topic: str, partition: int) -> str:
    """A head whose root for ``topic``/``partition`` is replaced, re-signed with the real key.

    The Go verifier's set replaces the first partition's root, which here is a governance
    partition the proved task event is not in, so that would change nothing those proofs use.
    """
    line = LedgerHead.parse(parse_note(note.encode())[0]).partition(topic, partition)
    return made.resigned(note, line.line(), line.line().rsplit(" ", 1)[0] + " " + WRONG_ROOT)


def wrong_inclusion_root(made: Made, document: Document) -> None:
    """The inclusion proof's head re-signed with a wrong root for the event's partition."""
    head = wrong_root(made, document["head"], document["topic"], document["partition"])
    document.update(head=head, checkpoint=None)


def wrong_bundle_root(made: Made, document: Document) -> None:
    """The bundle's head re-signed with a wrong root for its first event's partition."""
    first = document["events"][0]
    document["head"] = wrong_root(made, document["head"], first["topic"], first["partition"])


def flip_hash(hashes: list[str]) -> None:
    """Flip one bit of the first hash of a proof (base64 in place)."""
    raw = bytearray(base64.b64decode(hashes[0]))
    raw[0] ^= 1
    hashes[0] = base64.b64encode(raw).decode()


def swapped(document: Document) -> None:
    """The earlier event given as the later and the later as the earlier."""
    document.update(earlier=document["later"], later=document["earlier"])


def flip_body(document: Document) -> None:
    """One changed byte in the later event's stored bytes (its goal or tool text)."""
    body = bytearray(base64.b64decode(document["later"]["body"]))
    body[body.index(b'"data":{') + 10] ^= 1
    document["later"]["body"] = base64.b64encode(body).decode()


def other_key(kind: str) -> Callable[[Made], Case]:
    """The genuine document, checked with a key of the same name that did not sign it."""
    key = NoteSigner.generate("test.example/fleet").verifier
    return lambda made: Case(kind, made.documents[kind], key)


def _order_tampers(kind: str) -> dict[str, Callable[[Made], Case]]:
    return {
        f"{kind}: earlier and later swapped": lambda m: m.edited(kind, swapped),
        f"{kind}: a changed byte in the later event": lambda m: m.edited(kind, flip_body),
        f"{kind}: a flipped hash in the later event's audit path": lambda m: m.edited(
            kind, lambda d: flip_hash(d["later"]["audit_path"])
        ),
        f"{kind}: a forged head signature": lambda m: m.edited(
            kind, lambda d: d.update(head=forged(d["head"]))
        ),
        f"{kind}: checked with another key": other_key(kind),
    }


def flip_linked(bundle: Document) -> None:
    """Change the approval's bytes, which the later tool call's hash link names."""
    for event in bundle["events"]:
        body = base64.b64decode(event["body"])
        if b'"id":"grant"' in body:
            event["body"] = base64.b64encode(body.replace(b"a-1", b"a-2")).decode()
            return
    raise AssertionError("no approval in the bundle")


def foreign_head(document: Document) -> None:
    """The head replaced by one another key signed over another namespace's empty head."""
    document["head"] = sign_note("other ledger head\n", NoteSigner.generate("x")).decode()


MORE_TAMPERS: dict[str, Callable[[Made], Case]] = {
    "inclusion: a head re-signed with a wrong root": lambda m: m.edited(
        "inclusion", lambda d: wrong_inclusion_root(m, d)
    ),
    "bundle: a head re-signed with a wrong root": lambda m: m.edited(
        "bundle", lambda d: wrong_bundle_root(m, d)
    ),
    "head: a forged signature": lambda m: m.case(
        "head", forged(m.documents["head"].decode()).encode()
    ),
    "checkpoint: a forged signature": lambda m: m.case(
        "checkpoint", forged(m.documents["checkpoint"].decode()).encode()
    ),
    "bundle: a forged head signature": lambda m: m.edited(
        "bundle", lambda d: d.update(head=forged(d["head"]))
    ),
    "bundle: a changed byte in the hash-linked event": lambda m: m.edited("bundle", flip_linked),
    "order-across-partitions: a flipped hash in a consistency proof": lambda m: m.edited(
        "order-across-partitions",
        lambda d: flip_hash(next(e for e in d["before"]["consistency"] if e["proof"])["proof"]),
    ),
    "order-hash-link: a head re-signed over another text": lambda m: m.edited(
        "order-hash-link", foreign_head
    ),
    **{name: tamper for kind in ORDER_KINDS for name, tamper in _order_tampers(kind).items()},
}


ALL_TAMPERS = {**TAMPERS, **MORE_TAMPERS}


def rotated(folder: Path) -> list[tuple[str, Case, bool]]:
    """A second ledger whose signing key was rotated mid-task: its bundle carries the key
    handover, so either key verifies it, and without the handover the first key cannot."""
    first, second = NoteSigner.generate("test.example/a"), NoteSigner.generate("test.example/b")
    url = f"sqlite:///{folder}/rotated.db?checkpoint_events=2&checkpoint_seconds=3600"
    with fleetledger.open(url, signer=first, default_source="tests") as ledger:
        for n in range(3):
            ledger.append("task.requested", subject=TASK, data={"goal": f"goal {n}"})
        ledger.rotate_key(second)
        ledger.append("task.requested", subject=TASK, data={"goal": "after"})
        ledger.sign()
        bundle = ledger.evidence(TASK).dumps()
    document = json.loads(bundle)
    assert document["handovers"]
    document["handovers"] = []
    cut = json.dumps(document).encode()
    return [
        (
            "bundle after a key rotation, checked with the first key",
            Case("bundle", bundle, first.verifier),
            True,
        ),
        (
            "bundle after a key rotation, checked with the new key",
            Case("bundle", bundle, second.verifier),
            True,
        ),
        (
            "bundle after a key rotation: its handover left out",
            Case("bundle", cut, first.verifier),
            False,
        ),
    ]


def write_fixtures(folder: Path) -> Made:
    """Build the ledger in ``folder``, write every case and ``cases.json``; returns the ledger's
    documents so a test can check the tampered ones fail in Python too."""
    made = make_ledger(folder)
    cases = [(kind, made.case(kind), True) for kind in made.documents]
    cases += [(name, tamper(made), False) for name, tamper in ALL_TAMPERS.items()]
    cases += rotated(folder)
    listed = []
    for number, (name, case, valid) in enumerate(cases):
        file = f"case-{number:03d}.{'note' if case.kind in ('head', 'checkpoint') else 'json'}"
        (folder / file).write_bytes(case.data)
        entry = {"name": name, "kind": case.kind, "file": file, "key": _vkey(case.key)}
        listed.append({**entry, "valid": valid})
    (folder / "cases.json").write_text(json.dumps({"task": TASK, "cases": listed}, indent=2))
    return made


def _vkey(key: NoteVerifier) -> str:
    return key.vkey


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write_fixtures(out)
    print(f"wrote {len(json.loads((out / 'cases.json').read_text())['cases'])} cases to {out}")
