"""Encrypted fields export as stored: ciphertext stays ciphertext, and after ``forget`` a fresh
export holds the same ciphertext, whose key is gone (erasure destroys keys, never stored
bytes: what the export promises is that nothing in it opens an erased field)."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import fleetledger
from fleetledger import SQLiteKeyStore
from fleetledger.lake import Exporter, ParquetLake, ParquetSink
from fleetledger.lake.verify import verify_export
from fleetledger.ledger import load_verifier

SECRETS = ("refund alice@example.com", "IBAN DE89370400440532013000")
SEALED = {"subject": "t-alice", "datasubject": "cust-7", "dataclassification": "restricted"}


def export(url: str, directory: Path) -> Path:
    with fleetledger.open(url) as ledger:
        Exporter(ledger, ParquetSink(directory, ledger.namespace)).run_once()
    return directory


def sealed_rows(directory: Path) -> dict[str, dict[str, Any]]:
    """cust-7's rows by event id."""
    rows = [r for t in ParquetLake(directory).families().values() for r in t.to_pylist()]
    return {r["id"]: r for r in rows if r["datasubject"] == "cust-7"}


@pytest.fixture(scope="module")
def ledger_file(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    """Restricted events of data subject cust-7 (fields encrypted), exported to ``before``;
    then ``forget('cust-7')`` and a fresh export to ``after``."""
    home = tmp_path_factory.mktemp("sealed")
    url = f"sqlite:///{home / 'ledger.db'}?checkpoint_events=2"
    with fleetledger.open(url, signer=keys[0], default_source="tests") as ledger:
        ledger.append("task.requested", id="e1", data={"goal": SECRETS[0]}, **SEALED)
        call = {"call_id": "c-1", "tool": "payments.refund", "arguments": {"iban": SECRETS[1]}}
        ledger.append("tool.call.requested", id="e2", data=call, **SEALED)
        ledger.sign()
    export(url, home / "before")
    with fleetledger.open(url, signer=keys[0], default_source="tests") as ledger:
        assert ledger.forget("cust-7").keys_destroyed == 1
        ledger.sign()
    export(url, home / "after")
    return home / "ledger.db"


def test_an_encrypted_field_is_exported_as_its_ciphertext(ledger_file: Path) -> None:
    """The data column holds the stored $enc object; the typed column of a sealed field is
    null, that of a field never sealed (the tool) holds its value."""
    rows = sealed_rows(ledger_file.parent / "before")
    assert json.loads(rows["e1"]["data"])["goal"]["$enc"] == "aes256gcm"
    assert rows["e1"]["data_goal"] is None
    assert rows["e2"]["data_tool"] == "payments.refund"


def test_no_plaintext_of_a_sealed_field_is_in_the_exports_files(
    ledger_file: Path, export_bytes: Callable[[Path], bytes]
) -> None:
    """Before and after the forget: the secrets are in no file, raw or decompressed."""
    for name in ("before", "after"):
        content = export_bytes(ledger_file.parent / name)
        assert b"payments.refund" in content  # the search finds what is there
        for secret in SECRETS:
            assert secret.encode() not in content, (name, secret)


def test_after_forget_a_fresh_export_holds_the_same_ciphertext_no_key_opens(
    ledger_file: Path,
) -> None:
    """Erasure changes no stored byte: the bodies are those exported before, and the key
    each names is erased from the key store."""
    before = sealed_rows(ledger_file.parent / "before")
    after = sealed_rows(ledger_file.parent / "after")
    assert {i: r["body"] for i, r in after.items()} == {i: r["body"] for i, r in before.items()}
    kid = json.loads(after["e1"]["data"])["goal"]["kid"]
    store = SQLiteKeyStore(ledger_file.with_name("ledger.db.keys"))
    try:
        assert store.erased(kid)
        assert store.get(kid) is None
    finally:
        store.close()


@pytest.mark.parametrize("name", ["before", "after"])
def test_an_export_of_sealed_fields_verifies(
    ledger_file: Path, keys: tuple[Path, Path], name: str
) -> None:
    """verify-export recomputes each leaf from the ciphertext body: it passes, before the
    forget and after it."""
    result = verify_export(ParquetLake(ledger_file.parent / name), load_verifier(keys[1]))
    assert result.ok, result.findings
    assert result.hash_only == 0
