"""``fleetledger backup`` and ``restore`` on real SQLite files."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app
from fleetledger.cli.exits import USAGE
from fleetledger.demo import simulate
from fleetledger.ledger import write_key_pair
from tests.integration.cli.conftest import Run


@pytest.fixture
def signed(tmp_path: Path) -> str:
    """A simulated fleet signed with a key whose NAME.pub lies beside it."""
    (tmp_path / "keys").mkdir()
    key, _ = write_key_pair("cli-backup.example.com", tmp_path / "keys")
    url = f"sqlite:///{tmp_path}/fleet.db?key={key}"
    with fleetledger.open(url) as ledger:
        simulate(ledger, tasks=2, seed=4)
    return url


def test_backup_prints_the_verified_copy(run: Run, signed: str, tmp_path: Path) -> None:
    result = run("backup", str(tmp_path / "backup"), ledger=signed)

    assert result.exit_code == 0, result.output
    assert "verified" in result.stdout
    assert "signatures checked" in result.stdout
    assert (tmp_path / "backup" / "ledger.db").is_file()


def test_backup_and_restore_round_trip_as_json(run: Run, signed: str, tmp_path: Path) -> None:
    """The JSON of both says ok with the same event count, signatures checked."""
    taken = run("backup", str(tmp_path / "backup"), "--json", ledger=signed)
    target = f"sqlite:///{tmp_path}/restored.db"
    back = run("restore", str(tmp_path / "backup"), "--json", ledger=target)  # --ledger is --to

    assert (taken.exit_code, back.exit_code) == (0, 0), back.output
    first, second = json.loads(taken.stdout), json.loads(back.stdout)
    assert first["ok"]
    assert second["ok"]
    assert second["signatures_checked"]
    assert first["events"] == second["events"] > 0
    assert second["ledger"] == str(tmp_path / "restored.db")


def test_restore_over_an_existing_ledger_needs_force(run: Run, signed: str, tmp_path: Path) -> None:
    run("backup", str(tmp_path / "backup"), ledger=signed)

    refused = run("restore", str(tmp_path / "backup"), ledger=signed)
    forced = run("restore", str(tmp_path / "backup"), "--force", ledger=signed)

    assert refused.exit_code == USAGE
    assert "--force" in refused.stderr
    assert forced.exit_code == 0, forced.output


def test_restore_to_names_the_target(signed: str, tmp_path: Path) -> None:
    """--to URL (without the fixture's --ledger) is where the ledger is restored."""
    runner = CliRunner(env={"FLEETLEDGER_URL": None})
    assert runner.invoke(app, ["backup", str(tmp_path / "b"), "--ledger", signed]).exit_code == 0
    target = tmp_path / "elsewhere.db"
    result = runner.invoke(app, ["restore", str(tmp_path / "b"), "--to", f"sqlite:///{target}"])

    assert result.exit_code == 0, result.output
    assert target.is_file()


def test_backup_of_a_kafka_ledger_says_to_use_mirror(run: Run, tmp_path: Path) -> None:
    result = run("backup", str(tmp_path / "backup"), ledger="kafka://127.0.0.1:9092")

    assert result.exit_code == USAGE
    assert "fleetledger mirror" in result.stderr
