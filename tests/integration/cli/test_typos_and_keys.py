"""Typos are refused: a read command on a missing SQLite file exits 2 naming it, creating
nothing; a key of the wrong kind exits 2 naming the file and what it holds."""

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger import write_key_pair

Run = Callable[..., Result]

READS = {
    "replay": ["replay", "task-1"],
    "tail": ["tail"],
    "topics": ["topics"],
    "groups": ["groups"],
    "lag": ["lag"],
    "get": ["get", "e-1"],
    "verify": ["verify"],
    "prove": ["prove", "e-1"],
    "evidence": ["evidence", "task-1"],
    "types": ["types"],
}
ADMIN = {
    "maintain": ["maintain"],
    "sign": ["sign", "--key", "{key}"],
    "groups reset": ["groups", "reset", "g", "--to", "earliest"],
    "groups seek": ["groups", "seek", "g", "--to-time", "1h"],
    "groups delete": ["groups", "delete", "g"],
}


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """A signer key and its public key."""
    (tmp_path / "keys").mkdir()
    return write_key_pair("ledger.example/acme", tmp_path / "keys")


@pytest.mark.parametrize("args", [*READS.values(), *ADMIN.values()], ids=[*READS, *ADMIN])
def test_a_command_on_a_missing_sqlite_file_exits_2_naming_it_and_creates_nothing(
    run: Run, tmp_path: Path, keys: tuple[Path, Path], args: list[str]
) -> None:
    """A mistyped path is refused with the path named; no empty ledger appears there."""
    typo = tmp_path / "fleet.bd"

    result = run(*(a.replace("{key}", str(keys[0])) for a in args), ledger=f"sqlite:///{typo}")

    assert result.exit_code == 2, result.output
    assert result.stderr == f"error: no ledger at {typo}: the file does not exist\n"
    assert not typo.exists()


@pytest.fixture
def signed(url: str, keys: tuple[Path, Path]) -> str:
    """A ledger of one task, signed with ``keys``."""
    with fleetledger.open(url, signer=keys[0], default_source="tests") as ledger:
        ledger.append("task.requested", subject="task-1", data={"goal": "g"})
    return url


def test_verify_with_a_private_key_exits_2_naming_the_mix_up(
    run: Run, signed: str, keys: tuple[Path, Path]
) -> None:
    """verify --key NAME.key: the file holds the signer key, where a public key belongs."""
    result = run("verify", "--key", str(keys[0]))

    assert result.exit_code == 2
    assert f"{keys[0]} holds a private signer key" in result.stderr
    assert "where a public key (NAME.pub) belongs" in result.stderr


def test_evidence_with_a_private_key_exits_2_naming_the_mix_up(
    run: Run, signed: str, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """evidence --key NAME.key: exit 2, nothing written."""
    out = tmp_path / "b.json"

    result = run("evidence", "task-1", "-o", str(out), "--key", str(keys[0]))

    assert result.exit_code == 2
    assert f"{keys[0]} holds a private signer key" in result.stderr
    assert not out.exists()


def test_verify_bundle_with_a_private_key_exits_2_naming_the_mix_up(
    run: Run, signed: str, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    """verify-bundle --key NAME.key: exit 2 before reading the bundle."""
    bundle = tmp_path / "b.json"
    assert run("evidence", "task-1", "-o", str(bundle)).exit_code == 0

    result = CliRunner().invoke(app, ["verify-bundle", str(bundle), "--key", str(keys[0])])

    assert result.exit_code == 2
    assert f"{keys[0]} holds a private signer key" in result.stderr


def test_notary_with_a_public_key_exits_2_naming_the_mix_up(
    run: Run, signed: str, keys: tuple[Path, Path]
) -> None:
    """notary --key NAME.pub: the file is named, what it holds, and what belongs there."""
    result = run("notary", "--once", "--key", str(keys[1]))

    assert result.exit_code == 2
    assert f"{keys[1]} holds a public key, where a signer key (NAME.key) belongs" in result.stderr
