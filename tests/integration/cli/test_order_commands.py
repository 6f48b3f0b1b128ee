"""``prove --before`` and ``verify-order`` on a real signed SQLite ledger."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger.signing import write_key_pair

Run = Callable[..., Result]


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    """The ledger's key pair."""
    return write_key_pair("ledger.example/acme", tmp_path)


@pytest.fixture
def signed(url: str, keys: tuple[Path, Path]) -> str:
    """A grant signed in head #1, a payments call after it in head #2; the ledger's URL."""
    with fleetledger.open(
        f"{url}?checkpoint_events=2", signer=keys[0], default_source="tests"
    ) as ledger:
        ledger.append(
            "governance.approval.granted", id="grant", subject="t", data={"approval_id": "a"}
        )
        ledger.append("task.requested", id="t0", subject="t", data={"goal": "g"})
        ledger.append(
            "tool.call.started", id="call", subject="t", data={"call_id": "c", "tool": "pay"}
        )
        ledger.append("task.requested", id="t1", subject="t", data={"goal": "g"})
    return url


def verify_order(*args: str) -> Result:
    """Run verify-order: it works on a file and a key, with no ledger."""
    return CliRunner(env={"COLUMNS": "200"}).invoke(app, ["verify-order", *args])


def save(run: Run, tmp_path: Path, *pair: str) -> Path:
    """prove --before PAIR --json, written to a file as a user would redirect it."""
    result = run("prove", "--before", *pair, "--json")
    assert result.exit_code == 0, result.output
    path = tmp_path / "order.json"
    path.write_text(result.stdout)
    return path


def test_prove_before_says_the_order_and_how(
    signed: str, run: Run, keys: tuple[Path, Path]
) -> None:
    """Text output names both events, the method, and how to check it offline."""
    result = run("prove", "--before", "grant", "call", "--key", str(keys[1]))

    assert result.exit_code == 0, result.output
    assert "grant was committed before call" in result.stdout
    assert "older signed head" in result.stdout
    assert "verify-order" in result.stdout


def test_prove_before_json_is_the_documented_document(signed: str, run: Run) -> None:
    """--json prints the order proof itself, the file verify-order reads."""
    result = run("prove", "--before", "t0", "t1", "--json")

    document = json.loads(result.stdout)
    assert (document["format"], document["version"], document["method"]) == (
        "fleetledger-order",
        1,
        "same-partition",
    )
    assert (document["earlier"]["id"], document["later"]["id"]) == ("t0", "t1")


def test_prove_before_in_reverse_exits_1(signed: str, run: Run) -> None:
    """The reverse order is refused as a failed check, with the reason on one line."""
    result = run("prove", "--before", "call", "grant")

    assert result.exit_code == 1
    assert "the order is the reverse" in result.output


@pytest.mark.parametrize("pair", [("grant", "call"), ("t0", "t1")])
def test_verify_order_accepts_a_saved_proof_with_the_public_key(
    signed: str, run: Run, tmp_path: Path, keys: tuple[Path, Path], pair: tuple[str, str]
) -> None:
    """Both methods verify offline with the .pub file alone, exit 0."""
    path = save(run, tmp_path, *pair)

    result = verify_order(str(path), "--key", str(keys[1]), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) | {"namespace": None} == {
        "ok": True,
        "namespace": None,
        "method": "across-partitions" if pair[0] == "grant" else "same-partition",
        "earlier": pair[0],
        "later": pair[1],
    }


def test_verify_order_of_a_swapped_proof_exits_1(
    signed: str, run: Run, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    """earlier and later exchanged in the file: the check fails."""
    path = save(run, tmp_path, "t0", "t1")
    document = json.loads(path.read_text())
    document["earlier"], document["later"] = document["later"], document["earlier"]
    path.write_text(json.dumps(document))

    result = verify_order(str(path), "--key", str(keys[1]))

    assert result.exit_code == 1
    assert "does not come before" in result.output


def test_verify_order_with_another_key_exits_1(signed: str, run: Run, tmp_path: Path) -> None:
    """A key that did not sign the heads: no trusted signature, exit 1."""
    path = save(run, tmp_path, "grant", "call")
    (tmp_path / "other").mkdir()
    other = write_key_pair("other.example/acme", tmp_path / "other")[1]

    result = verify_order(str(path), "--key", str(other))

    assert result.exit_code == 1
    assert "not signed by any trusted key" in result.output


def test_verify_order_of_a_file_that_is_no_proof_exits_2(
    tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    """An evidence bundle (or any other JSON) is unusable input, as for verify-bundle."""
    path = tmp_path / "x.json"
    path.write_text('{"format": "fleetledger-evidence", "version": 1}')

    result = verify_order(str(path), "--key", str(keys[1]))

    assert result.exit_code == 2
    assert "not an order proof" in result.output
