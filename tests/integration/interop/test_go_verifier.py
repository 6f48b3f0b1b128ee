"""A verifier others' code makes (interop/go) checks what a real signed SQLite ledger proves.

The Go verifier checks RFC 6962 proofs with transparency-dev/merkle and signed notes with
golang.org/x/mod/sumdb/note, trusting nothing but the ledger's verifier key. It must accept
each inclusion proof, consistency proof, checkpoint, ledger head and evidence bundle fleetledger
makes; and each tampered copy below must be rejected by it and by fleetledger's own checks
alike, so neither side accepts what the other refuses.
"""

import base64
import hashlib
import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger import IntegrityError, NotFound
from fleetledger.cli.app import app
from fleetledger.errors import ProofError
from fleetledger.integrity import (
    Checkpoint,
    LedgerHead,
    NoteSigner,
    NoteVerifier,
    PartitionHead,
    open_checkpoint,
    open_ledger_head,
    parse_note,
    read_bundle,
    sign_note,
    verify_bundle,
    verify_consistency,
    verify_inclusion,
)
from interop.prepare import GO_MODULE, go_env
from tests.toolchains import prepared, require

TASK = "task-1"
KINDS = ("inclusion", "consistency", "checkpoint", "head", "bundle")
Document = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One input for both verifiers: what it claims to be, its bytes, the key to check it with."""

    kind: str
    data: bytes
    key: NoteVerifier


@dataclass(frozen=True)
class Made:
    """What the ledger made: one document of each kind, its signer, and an older proof."""

    signer: NoteSigner
    documents: dict[str, bytes]
    older: Document
    """The consistency proof from the first head, where ``documents`` has it from the second."""
    url: str
    public_key: Path
    """The signer's verifier key in a NAME.pub file, as the command line takes it."""

    def case(self, kind: str, data: bytes | None = None) -> Case:
        """The document of ``kind`` (or ``data`` in its place), to check with the ledger's key."""
        return Case(kind, self.documents[kind] if data is None else data, self.signer.verifier)

    def edited(self, kind: str, change: Callable[[Document], object]) -> Case:
        """The JSON document of ``kind`` after ``change`` edited it in place."""
        document = json.loads(self.documents[kind])
        change(document)
        return self.case(kind, json.dumps(document).encode())

    def resigned(self, note: str, old: str, new: str) -> str:
        """``note`` with ``old`` replaced by ``new`` in its text, signed again with the real key:
        the signature holds, so only the proofs can tell."""
        text = parse_note(note.encode())[0]
        assert old in text
        return sign_note(text.replace(old, new, 1), self.signer).decode()


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> Made:
    """A signed ledger of one task across two families, with a head every 4 events."""
    signer = NoteSigner.generate("test.example/fleet")
    folder = tmp_path_factory.mktemp("go-verifier")
    url = f"sqlite:///{folder}/ledger.db?checkpoint_events=4&checkpoint_seconds=3600"
    with fleetledger.open(url, signer=signer, default_source="tests") as ledger:
        for n in range(11):
            ledger.append("task.requested", subject=TASK, data={"goal": f"goal {n}"})
            if n % 5 == 0:
                ledger.append(
                    "tool.call.requested", subject=TASK, data={"call_id": f"c{n}", "tool": "t"}
                )
        ledger.sign()
        assert len(ledger.heads()) >= 3
        proof = ledger.prove(list(ledger.replay(TASK))[3].id)
        assert proof.checkpoint is not None
        documents = {
            "inclusion": json.dumps(proof.to_json()).encode(),
            "consistency": json.dumps(ledger.prove_consistency(2).to_json()).encode(),
            "checkpoint": proof.checkpoint.encode(),
            "head": proof.head.encode(),
            "bundle": ledger.evidence(TASK).dumps(),
        }
        older = ledger.prove_consistency(1).to_json()
    public_key = folder / "fleet.pub"
    public_key.write_text(signer.verifier.vkey + "\n")
    return Made(signer, documents, older, url, public_key)


# -- fleetledger's own checks of the same documents -------------------------------------------


def b64(text: str) -> bytes:
    """A base64 hash of a document."""
    return base64.b64decode(text, validate=True)


def line_of(head: LedgerHead, topic: str, partition: int) -> PartitionHead:
    """The head's line for a partition; a head without one proves nothing about it."""
    try:
        return head.partition(topic, partition)
    except NotFound as exc:
        raise ProofError(str(exc)) from None


def check_inclusion(data: bytes, key: NoteVerifier) -> None:
    """``prove --json`` as audit/prove.py says to check it: the head's signature, the audit
    path to the root the head signed, and the checkpoint agreeing with the head."""
    proof = json.loads(data)
    head = open_ledger_head(proof["head"].encode(), key)
    line = line_of(head, proof["topic"], proof["partition"])
    path = [b64(h) for h in proof["audit_path"]]
    index, size = proof["leaf_index"], proof["tree_size"]
    verify_inclusion(b64(proof["leaf_hash"]), path, index=index, size=size, root=line.root)
    if proof["checkpoint"] is not None:
        origin = f"{head.namespace}/{line.topic}/{line.partition}"
        checkpoint = open_checkpoint(proof["checkpoint"].encode(), key, origin=origin)
        if (checkpoint.size, checkpoint.root) != (line.size, line.root):
            raise ProofError("the checkpoint differs from the head")


def check_consistency(data: bytes, key: NoteVerifier) -> None:
    """``prove --consistency --json``: both heads' signatures, then for every partition of
    the old head the proof from its tree to the new head's, sizes and roots as signed."""
    proof = json.loads(data)
    old, new = (
        open_ledger_head(proof[name].encode(), key, namespace=proof["namespace"])
        for name in ("old_head", "new_head")
    )
    proofs = {(e["topic"], e["partition"]): e["proof"] for e in proof["partitions"]}
    for line in old.partitions:
        newer = line_of(new, line.topic, line.partition)
        path = [b64(h) for h in proofs.get(line.key, [])]
        sizes = {"old_size": line.size, "new_size": newer.size}
        verify_consistency(path, **sizes, old_root=line.root, new_root=newer.root)


def check_bundle(data: bytes, key: NoteVerifier) -> None:
    """``verify-bundle``: every finding is a failure."""
    result = verify_bundle(read_bundle(data), key)
    if not result.ok:
        raise IntegrityError(f"{result.findings}")


CHECKS: dict[str, Callable[[bytes, NoteVerifier], object]] = {
    "inclusion": check_inclusion,
    "consistency": check_consistency,
    "checkpoint": open_checkpoint,
    "head": open_ledger_head,
    "bundle": check_bundle,
}


def check_in_python(case: Case) -> None:
    """fleetledger's verification of ``case``; raises an IntegrityError when it does not hold."""
    CHECKS[case.kind](case.data, case.key)


# -- the Go verifier --------------------------------------------------------------------------


GoVerify = Callable[[Case], subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> GoVerify:
    """Run the prepared Go verifier on a case (input on stdin, the key in a NAME.pub file)."""
    binary = prepared("go") / "verifier"
    keys = tmp_path_factory.mktemp("keys")

    def verify(case: Case) -> subprocess.CompletedProcess[str]:
        key = keys / f"{case.key.key_id:08x}.pub"
        key.write_text(case.key.vkey + "\n")
        command = [str(binary), case.kind, "-key", str(key)]
        return subprocess.run(
            command,
            input=case.data.decode(),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    return verify


# -- tampering --------------------------------------------------------------------------------


def flipped(text: str) -> str:
    """A base64 hash with one bit of its middle byte flipped."""
    raw = bytearray(b64(text))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(raw).decode()


def flip_first(hashes: list[str]) -> None:
    """Flip a bit of the first hash of a proof."""
    hashes[0] = flipped(hashes[0])


WRONG_ROOT = base64.b64encode(hashlib.sha256(b"not the root").digest()).decode()


def with_wrong_root(made: Made, note: str) -> str:
    """A head whose first partition's root is replaced, re-signed with the real key."""
    line = LedgerHead.parse(parse_note(note.encode())[0]).partitions[0]
    return made.resigned(note, line.line(), line.line().rsplit(" ", 1)[0] + " " + WRONG_ROOT)


def with_other_size(made: Made, kind: str) -> Case:
    """A note whose first tree size is one less, signature kept (so it no longer holds)."""
    note = made.documents[kind].decode()
    text = parse_note(note.encode())[0]
    if kind == "checkpoint":
        size = Checkpoint.parse(text).size
        changed = text.replace(f"\n{size}\n", f"\n{size - 1}\n", 1)
    else:
        line = LedgerHead.parse(text).partitions[0]
        changed = text.replace(f" {line.size} ", f" {line.size - 1} ", 1)
    assert changed != text
    return made.case(kind, (changed + note[len(text) :]).encode())


def swapped_heads(document: Document) -> None:
    """The newer head given as the old one and the older as the new, entries to match: a
    proof that the tree shrank."""
    document.update(old_head=document["new_head"], new_head=document["old_head"])
    for entry in document["partitions"]:
        entry.update(
            old_size=entry["new_size"],
            old_root=entry["new_root"],
            new_size=entry["old_size"],
            new_root=entry["old_root"],
        )


def new_head_with_wrong_root(made: Made, document: Document) -> None:
    """The new head re-signed with a wrong root for its first partition, and the entry for
    that partition restating it, so only the proof can tell."""
    document["new_head"] = with_wrong_root(made, document["new_head"])
    first = LedgerHead.parse(parse_note(document["new_head"].encode())[0]).partitions[0]
    for entry in document["partitions"]:
        if (entry["topic"], entry["partition"]) == first.key:
            entry["new_root"] = WRONG_ROOT


def first_proved(document: Document) -> Document:
    """The first partition entry of a consistency proof whose proof is not empty."""
    return next(entry for entry in document["partitions"] if entry["proof"])


def flip_leaf(bundle: Document) -> None:
    """Flip one bit of a byte inside the first event's goal text."""
    body = bytearray(base64.b64decode(bundle["events"][0]["body"]))
    body[body.index(b'"goal":"') + len(b'"goal":"')] ^= 1
    bundle["events"][0]["body"] = base64.b64encode(body).decode()


def proofs_between_other_sizes(document: Document, older: Document) -> None:
    """Each partition's proof replaced by its proof from the first head, of another old size."""
    before = [entry["proof"] for entry in document["partitions"]]
    proofs = {(e["topic"], e["partition"]): e["proof"] for e in older["partitions"]}
    for entry in document["partitions"]:
        entry["proof"] = proofs.get((entry["topic"], entry["partition"]), entry["proof"])
    assert [entry["proof"] for entry in document["partitions"]] != before


def unsigned(note: bytes) -> bytes:
    """A note with its signature lines cut off."""
    return parse_note(note)[0].encode() + b"\n"


def another_key(kind: str) -> Callable[[Made], Case]:
    """The genuine document, checked with a key of the same name that did not sign it."""
    key = NoteSigner.generate("test.example/fleet").verifier
    return lambda made: Case(kind, made.documents[kind], key)


TAMPERS: dict[str, Callable[[Made], Case]] = {
    "inclusion: a flipped byte in the leaf hash": lambda m: m.edited(
        "inclusion", lambda d: d.update(leaf_hash=flipped(d["leaf_hash"]))
    ),
    "inclusion: a flipped byte in the audit path": lambda m: m.edited(
        "inclusion", lambda d: flip_first(d["audit_path"])
    ),
    "inclusion: a truncated audit path": lambda m: m.edited(
        "inclusion", lambda d: d["audit_path"].pop()
    ),
    "inclusion: the next leaf's index": lambda m: m.edited(
        "inclusion", lambda d: d.update(leaf_index=d["leaf_index"] + 1)
    ),
    "inclusion: a head re-signed with a wrong root": lambda m: m.edited(
        "inclusion", lambda d: d.update(head=with_wrong_root(m, d["head"]), checkpoint=None)
    ),
    "inclusion: a changed note text": lambda m: m.edited(
        "inclusion", lambda d: d.update(head=d["head"].replace(" ledger head", " ledger head2"))
    ),
    "consistency: a flipped byte in a proof": lambda m: m.edited(
        "consistency", lambda d: flip_first(first_proved(d)["proof"])
    ),
    "consistency: a truncated proof": lambda m: m.edited(
        "consistency", lambda d: first_proved(d)["proof"].pop()
    ),
    "consistency: a proof between other sizes": lambda m: m.edited(
        "consistency", lambda d: proofs_between_other_sizes(d, m.older)
    ),
    "consistency: the newer head as the old one": lambda m: m.edited("consistency", swapped_heads),
    "consistency: a new head re-signed with a wrong root": lambda m: m.edited(
        "consistency", lambda d: new_head_with_wrong_root(m, d)
    ),
    "checkpoint: a changed tree size": lambda m: with_other_size(m, "checkpoint"),
    "checkpoint: no signature": lambda m: m.case("checkpoint", unsigned(m.documents["checkpoint"])),
    "head: a changed tree size": lambda m: with_other_size(m, "head"),
    "head: no signature": lambda m: m.case("head", unsigned(m.documents["head"])),
    "bundle: a flipped byte in a leaf": lambda m: m.edited("bundle", flip_leaf),
    "bundle: a flipped byte in an audit path": lambda m: m.edited(
        "bundle", lambda d: flip_first(d["events"][1]["audit_path"])
    ),
    "bundle: a truncated audit path": lambda m: m.edited(
        "bundle", lambda d: d["events"][2]["audit_path"].pop()
    ),
    "bundle: a head re-signed with a wrong root": lambda m: m.edited(
        "bundle", lambda d: d.update(head=with_wrong_root(m, d["head"]))
    ),
    "bundle: an event left out, still in the manifest": lambda m: m.edited(
        "bundle", lambda d: d["events"].pop()
    ),
    "bundle: claimed for another task": lambda m: m.edited(
        "bundle", lambda d: d.update(task="task-2")
    ),
    **{f"{kind}: checked with another key": another_key(kind) for kind in KINDS},
}


# -- the tests --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_go_verifier_accepts_what_fleetledger_makes(
    made: Made, go_verifier: GoVerify, kind: str
) -> None:
    """Each genuine document verifies in Go: exit 0 and a verdict starting with "ok:"."""
    result = go_verifier(made.case(kind))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


@pytest.mark.parametrize("kind", KINDS)
def test_fleetledger_accepts_what_it_makes(made: Made, kind: str) -> None:
    """The same documents pass fleetledger's own checks, so each rejection below is the
    tampering's doing."""
    check_in_python(made.case(kind))


@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_the_go_verifier_rejects_a_tampered_input(
    made: Made, go_verifier: GoVerify, tamper: Callable[[Made], Case]
) -> None:
    """Exit 1 and a FAILED verdict: the verifier saw the tampering (a crash or a usage error
    would exit otherwise)."""
    result = go_verifier(tamper(made))

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1].startswith("FAILED: ")


@pytest.mark.parametrize("tamper", TAMPERS.values(), ids=TAMPERS.keys())
def test_fleetledger_rejects_the_same_tampered_input(
    made: Made, tamper: Callable[[Made], Case]
) -> None:
    """fleetledger's own verification raises an IntegrityError for each tampered copy."""
    with pytest.raises(IntegrityError):
        check_in_python(tamper(made))


COMMANDS = {
    "inclusion": ["prove", "--json"],
    "consistency": ["prove", "--consistency", "1", "latest", "--json"],
    "bundle": ["evidence", TASK, "--output"],
}


@pytest.mark.parametrize("kind", COMMANDS)
def test_the_go_verifier_accepts_what_the_command_line_writes(
    made: Made, go_verifier: GoVerify, kind: str, tmp_path: Path
) -> None:
    """The output of ``fleetledger prove --json`` and the file ``fleetledger evidence`` writes,
    as a user would hand them on, verify in Go."""
    args = list(COMMANDS[kind])
    if kind == "inclusion":
        args.insert(1, json.loads(made.documents[kind])["event_id"])
    if kind == "bundle":
        args.append(str(tmp_path / "bundle.json"))
    options = ["--key", str(made.public_key), "--ledger", made.url]
    written = CliRunner().invoke(app, [*args, *options])
    assert written.exit_code == 0, written.output
    data = (tmp_path / "bundle.json").read_bytes() if kind == "bundle" else written.stdout.encode()

    result = go_verifier(made.case(kind, data))

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_go_verifiers_own_tests_pass() -> None:
    """``go test`` passes in interop/go, with the environment prepare built it in; run here so
    ``make test`` runs the Go unit tests too."""
    require("go")
    prepared("go")  # its modules are in the cache, so the tests download nothing
    result = subprocess.run(
        ["go", "test", "./..."],
        cwd=GO_MODULE,
        env=go_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
