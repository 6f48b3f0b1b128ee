"""``fleetledger keys rotate`` on a SQLite ledger: verify with either public key afterwards."""

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app

Run = Callable[..., Result]


def _pair(directory: Path, name: str) -> tuple[Path, Path]:
    result = CliRunner().invoke(app, ["keys", "init", "--name", name, "--dir", str(directory)])
    assert result.exit_code == 0, result.output
    return directory / f"{name}.key", directory / f"{name}.pub"


@pytest.fixture
def rotated(url: str, run: Run, tmp_path: Path) -> tuple[Path, Path, Result]:
    """A signed ledger rotated by the CLI from old.key to new.key; the two public keys."""
    old_key, old_pub = _pair(tmp_path, "old")
    new_key, new_pub = _pair(tmp_path, "new")
    with fleetledger.open(url, signer=old_key, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t", data={"goal": "g"})
    result = run("keys", "rotate", "--old", str(old_key), "--new", str(new_key))
    with fleetledger.open(url, signer=new_key, default_source="tests") as ledger:
        ledger.append("task.requested", subject="t", data={"goal": "h"})
    return old_pub, new_pub, result


def test_keys_rotate_hands_over_and_names_both_keys(
    rotated: tuple[Path, Path, Result],
) -> None:
    """The command exits 0 and shows the old and the new public key."""
    old_pub, _, result = rotated
    assert result.exit_code == 0, result.output
    assert old_pub.read_text().strip()[:20] in result.output.replace("\n", "")


def test_verify_with_the_old_public_key_passes_after_rotation(
    rotated: tuple[Path, Path, Result], run: Run
) -> None:
    """An auditor who holds only the old key follows the handover to heads of the new one."""
    result = run("verify", "--key", str(rotated[0]))
    assert result.exit_code == 0, result.output


def test_verify_with_the_new_public_key_passes_after_rotation(
    rotated: tuple[Path, Path, Result], run: Run
) -> None:
    """The new key's holder checks the heads the old key signed before the handover."""
    result = run("verify", "--key", str(rotated[1]))
    assert result.exit_code == 0, result.output


def test_keys_rotate_without_both_keys_is_a_usage_error(run: Run) -> None:
    """Rotation needs the key in force and the one to hand over to (exit 2)."""
    assert run("keys", "rotate", "--old", "x.key").exit_code == 2
