"""verify-export follows signing-key rotations as ``fleetledger verify`` does: heads signed by
a new key whose handover the old key signed verify with the old public key, and a handover
the old key never signed is reported."""

import json
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.integrity import NoteSigner, parse_note, sign_handover
from fleetledger.ledger import load_signer, write_key_pair


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path, Path]:
    """A ledger signed by OLD, rotated to NEW, signed by NEW since; its URL, its Parquet
    export, OLD.pub and NEW.pub."""
    home = tmp_path_factory.mktemp("rotated")
    old_key, old_pub = write_key_pair("old", home)
    new_key, new_pub = write_key_pair("new", home)
    url = f"sqlite:///{home / 'ledger.db'}?checkpoint_events=2"
    with fleetledger.open(url, signer=old_key, default_source="tests") as ledger:
        for n in range(4):
            ledger.append("task.requested", subject=f"t-{n}", data={"goal": "g"})
        ledger.rotate_key(load_signer(new_key))
    with fleetledger.open(url, signer=new_key, default_source="tests") as ledger:
        for n in range(4, 8):
            ledger.append("task.requested", subject=f"t-{n}", data={"goal": "g"})
        ledger.sign()
    out = home / "out"
    exported = CliRunner().invoke(app, ["export", "parquet", str(out), "--ledger", url])
    assert exported.exit_code == 0, exported.output
    return url, out, old_pub, new_pub


def verify_export(directory: Path, key: Path) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(app, ["verify-export", str(directory), "--key", str(key), "--json"])
    return result.exit_code, json.loads(result.output.splitlines()[0])


def test_verify_export_with_the_old_key_follows_the_handover_as_verify_does(
    rotated: tuple[str, Path, Path, Path],
) -> None:
    """Both commands, given OLD.pub, accept the heads NEW signed after the handover."""
    url, out, old_pub, _ = rotated
    verified = CliRunner().invoke(app, ["verify", "--key", str(old_pub), "--ledger", url])
    assert verified.exit_code == 0, verified.output
    code, report = verify_export(out, old_pub)
    assert (code, report["findings"]) == (0, [])
    assert report["signatures_checked"]
    assert report["unsigned"] == 0


def test_verify_export_with_the_new_key_follows_the_handover_back(
    rotated: tuple[str, Path, Path, Path],
) -> None:
    """Given NEW.pub, the heads OLD signed before the handover verify too."""
    _, out, _, new_pub = rotated
    assert verify_export(out, new_pub)[0] == 0


def test_a_handover_the_old_key_did_not_sign_is_reported(
    rotated: tuple[str, Path, Path, Path], tmp_path: Path
) -> None:
    """A handover to NEW signed by a thief's key instead of OLD: bad signatures, exit 1."""
    _, out, old_pub, _ = rotated
    forged = tmp_path / "forged"
    shutil.copytree(out, forged)
    new = load_signer(old_pub.with_name("new.key"))
    thief = NoteSigner.generate("thief")
    for path in forged.glob("heads/*.parquet"):
        rows = pq.read_table(path).to_pylist()
        for at, row in enumerate(rows):
            if row["kind"] == "handover":
                head_text = parse_note(rows[at + 1]["note"])[0]
                row["note"] = sign_handover("fleet", head_text, thief, new)[0]
        pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(path)), path)
    code, report = verify_export(forged, old_pub)
    assert code == 1
    details = [f["detail"] for f in report["findings"]]
    assert any(d.startswith("key handover #1: ") for d in details)
    assert {f["kind"] for f in report["findings"]} == {"bad-signature"}
