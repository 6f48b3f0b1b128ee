"""Erasure on SQLite: after forget, no plaintext of the subject is in any file, and every
proof of their events still verifies (leaves commit to the ciphertext)."""

from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger, SQLiteKeyStore
from fleetledger.integrity import NoteSigner, read_bundle, verify_bundle
from fleetledger.mirror import mirror

SECRETS = ("goal: refund alice@example.com", "IBAN DE89370400440532013000", "card 4111-1111")
TASK = "task-alice"


def append_subjects_work(ledger: Ledger) -> None:
    """Restricted events of data subject cust-7 (SECRETS), and one of cust-8."""
    common = {"subject": TASK, "datasubject": "cust-7", "dataclassification": "restricted"}
    ledger.append("task.requested", id="e1", data={"goal": SECRETS[0]}, **common)
    call = {"call_id": "c-1", "tool": "payments.refund"}
    ledger.append(
        "tool.call.requested", id="e2", data={**call, "arguments": {"iban": SECRETS[1]}}, **common
    )
    ledger.append("tool.call.completed", id="e3", data={**call, "result": SECRETS[2]}, **common)
    ledger.append(
        "task.requested",
        subject="task-bob",
        datasubject="cust-8",
        dataclassification="restricted",
        data={"goal": "bob's goal"},
    )


def files_under(root: Path) -> dict[Path, bytes]:
    """The raw bytes of every file under ``root``."""
    return {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def erased(tmp_path: Path) -> tuple[Path, NoteSigner, bytes]:
    """A signed ledger and a mirrored copy sharing its key store, after forget('cust-7');
    returns the directory, the signer, and cust-7's data key as it was."""
    signer = NoteSigner.generate("ledger.example.com")
    keys = tmp_path / "ledger.db.keys"
    src_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with fleetledger.open(src_url, signer=signer, default_source="tests") as ledger:
        append_subjects_work(ledger)
        ledger.sign()
        before = ledger.get("e2").data["arguments"]
        assert before == {"iban": SECRETS[1]}
        with fleetledger.open(f"sqlite:///{tmp_path / 'copy.db'}", keys=keys) as copy:
            mirror(ledger, copy)
            assert copy.get("e2").data["arguments"] == before
        key = SQLiteKeyStore(keys).keys_for(["cust-7"])["cust-7"].key
        assert ledger.forget("cust-7").keys_destroyed == 1
        ledger.sign()
    return tmp_path, signer, key


def test_no_plaintext_of_the_subject_is_left_in_any_file(
    erased: tuple[Path, NoteSigner, bytes],
) -> None:
    """The ledger's file and WAL, the key store and its KEK, the mirrored copy: no secret,
    and no byte of the destroyed data key."""
    root, _, key = erased
    found = files_under(root)
    assert {p.name for p in found} >= {
        "ledger.db",
        "ledger.db.keys",
        "ledger.db.keys.kek",
        "copy.db",
    }
    for path, raw in found.items():
        for secret in SECRETS:
            assert secret.encode() not in raw, (path, secret)
        assert key not in raw, path


def test_the_ledger_still_verifies_after_erasure(erased: tuple[Path, NoteSigner, bytes]) -> None:
    """verify recomputes every leaf from the unchanged ciphertext and checks the heads."""
    root, signer, _ = erased
    with fleetledger.open(f"sqlite:///{root / 'ledger.db'}", readonly=True) as ledger:
        result = ledger.verify(signer.verifier)
    assert result.ok, result.findings
    assert result.signatures_checked


def test_proofs_and_the_evidence_bundle_of_the_subjects_events_still_verify(
    erased: tuple[Path, NoteSigner, bytes],
) -> None:
    """An inclusion proof of an erased event, and the task's bundle, verify offline."""
    root, signer, _ = erased
    with fleetledger.open(f"sqlite:///{root / 'ledger.db'}", readonly=True) as ledger:
        ledger.prove("e2", signer.verifier)
        bundle = ledger.evidence(TASK, signer.verifier)
    result = verify_bundle(read_bundle(bundle.dumps()), signer.verifier)
    assert result.findings == ()


def test_replay_shows_the_subjects_fields_erased_and_others_readable(
    erased: tuple[Path, NoteSigner, bytes],
) -> None:
    """On the ledger and on its mirrored copy, cust-7's fields read {"$erased": true}."""
    root, _, _ = erased
    for name in ("ledger.db", "copy.db"):
        url = f"sqlite:///{root / name}"
        with fleetledger.open(url, readonly=True, keys=root / "ledger.db.keys") as ledger:
            shown = {e.id: e.data for e in ledger.replay(TASK)}
            bob = next(iter(ledger.replay("task-bob")))
        assert shown["e1"]["goal"] == {"$erased": True}
        assert shown["e2"]["arguments"] == {"$erased": True}
        assert shown["e2"]["call_id"] == "c-1"
        assert shown["e3"]["result"] == {"$erased": True}
        assert bob.data["goal"] == "bob's goal"
