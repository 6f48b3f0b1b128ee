"""``fleetledger keys init`` and ``fleetledger verify`` on a real SQLite ledger."""

import json
import sqlite3
import stat
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.integrity import NoteSigner, NoteVerifier

Run = Callable[..., Result]


def _keys(*args: str) -> Result:
    return CliRunner().invoke(app, ["keys", "init", *args])


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """A key pair written by ``keys init`` into the test's directory."""
    result = _keys("--name", "ledger.example/acme", "--dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    return tmp_path / "ledger.example_acme.key", tmp_path / "ledger.example_acme.pub"


@pytest.fixture
def signed(url: str, keys: tuple[Path, Path]) -> Path:
    """A closed ledger of a few events, signed with ``keys``; its file."""
    with fleetledger.open(url, signer=keys[0], default_source="tests") as ledger:
        for n in range(3):
            ledger.append("task.requested", subject="t", data={"goal": f"g{n}"})
    return Path(url.removeprefix("sqlite:///"))


def test_keys_init_writes_a_secret_key_and_a_public_key(keys: tuple[Path, Path]) -> None:
    """NAME.key is readable by its owner only and holds a signer; NAME.pub its verifier."""
    key, pub = keys

    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    signer = NoteSigner.from_skey(key.read_text())
    assert NoteVerifier.from_vkey(pub.read_text()) == signer.verifier
    assert signer.name == "ledger.example/acme"


def test_keys_init_never_overwrites_a_key(keys: tuple[Path, Path], tmp_path: Path) -> None:
    """A second init with the same name exits 2 and leaves the first key as it was."""
    before = keys[0].read_text()

    result = _keys("--name", "ledger.example/acme", "--dir", str(tmp_path))

    assert result.exit_code == 2
    assert keys[0].read_text() == before


def test_keys_init_json_names_both_files(tmp_path: Path) -> None:
    """--json prints the paths and the public key string."""
    result = _keys("--dir", str(tmp_path), "--json")

    printed = json.loads(result.stdout)
    assert printed["key"].endswith("fleetledger.key")
    assert printed["vkey"] == (tmp_path / "fleetledger.pub").read_text().strip()


def test_keys_init_writer_writes_a_secret_writer_key(tmp_path: Path) -> None:
    """--writer makes NAME.writer (0600), which a ledger reads as its writers' key."""
    result = _keys("--writer", "--name", "fleet", "--dir", str(tmp_path), "--json")

    assert result.exit_code == 0, result.output
    path = Path(json.loads(result.stdout)["writer"])
    assert path == tmp_path / "fleet.writer"
    assert path.stat().st_mode & 0o777 == 0o600
    with fleetledger.open(f"memory://?writer_key={path}") as ledger:
        assert ledger.namespace == "fleet"


def test_verify_exits_0_on_a_clean_ledger(signed: Path, keys: tuple[Path, Path], run: Run) -> None:
    """A clean, signed ledger verifies with its public key."""
    result = run("verify", "--key", str(keys[1]))

    assert result.exit_code == 0, result.output
    assert "ok: 3 events" in result.stdout
    assert "signatures checked" in result.stdout


def test_verify_finds_the_pub_beside_the_configured_key(
    signed: Path, keys: tuple[Path, Path], url: str
) -> None:
    """Without --key, the NAME.pub next to $FLEETLEDGER_KEY checks the signatures."""
    runner = CliRunner(env={"FLEETLEDGER_KEY": str(keys[0]), "FLEETLEDGER_URL": url})

    result = runner.invoke(app, ["verify", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["signatures_checked"] is True


def test_verify_exits_1_with_the_findings_in_json(
    signed: Path, keys: tuple[Path, Path], run: Run
) -> None:
    """A modified body makes verify exit 1 and name the event's position and kind."""
    with closing(sqlite3.connect(signed)) as conn, conn:
        (body,) = conn.execute("SELECT body FROM events WHERE offset = 1").fetchone()
        conn.execute("UPDATE events SET body = ? WHERE offset = 1", (body.replace(b"g1", b"g9"),))

    result = run("verify", "--key", str(keys[1]), "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [(f["offset"], f["kind"]) for f in report["findings"]] == [(1, "modified")]


def test_verify_exits_1_with_a_readable_line_per_finding(
    signed: Path, keys: tuple[Path, Path], run: Run
) -> None:
    """Without --json each finding is one line: kind, topic/partition@offset, detail."""
    with closing(sqlite3.connect(signed)) as conn, conn:
        conn.execute("DELETE FROM events WHERE offset = 2")

    result = run("verify", "--key", str(keys[1]))

    assert result.exit_code == 1
    assert "missing fleet.task/" in result.stdout
    assert "@2" in result.stdout


def test_prove_prints_a_json_proof_of_one_event(
    signed: Path, keys: tuple[Path, Path], run: Run
) -> None:
    """prove --json names the event, its leaf index, the tree size and the signed head."""
    with closing(sqlite3.connect(signed)) as conn:
        (event_id,) = conn.execute("SELECT id FROM events WHERE offset = 1").fetchone()

    result = run("prove", event_id, "--key", str(keys[1]), "--json")

    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert (proof["event_id"], proof["leaf_index"], proof["tree_size"]) == (event_id, 1, 3)
    assert proof["head"].startswith("fleet ledger head\n")


def test_prove_an_unknown_event_exits_2(signed: Path, run: Run) -> None:
    """An id the ledger does not hold is an input error."""
    result = run("prove", "no-such-event")

    assert result.exit_code == 2
    assert "no event with id" in result.stderr
