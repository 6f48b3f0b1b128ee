"""``consume GROUP --from-head N --dry-run``: handlers re-driven over the fleet below a head."""

import json
from pathlib import Path

import pytest

import fleetledger
from fleetledger.cli.exits import FAILED, USAGE
from fleetledger.demo import simulate
from fleetledger.ledger import write_key_pair
from tests.integration.cli.conftest import Run

HANDLERS = "tests.integration.cli.consume_handlers"


@pytest.fixture
def signed(tmp_path: Path) -> str:
    """A simulated fleet signed as it was appended (the public key beside the private one)."""
    (tmp_path / "keys").mkdir()
    key, _ = write_key_pair("cli-redrive.example.com", tmp_path / "keys")
    url = f"sqlite:///{tmp_path}/fleet.db?key={key}"
    with fleetledger.open(url) as ledger:
        simulate(ledger, tasks=3, seed=5)
    return url


def redrive(run: Run, url: str, handler: str, *options: str) -> list[dict[str, object]]:
    result = run(
        "consume", "incident", "--handler", f"{HANDLERS}:{handler}", "--from-head", "1",
        "--dry-run", "--json", *options, ledger=url,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_dry_run_calls_the_handler_once_per_event_below_the_head(run: Run, signed: str) -> None:
    """One line per call, in replay_head's order, with the handler's return value."""
    calls = redrive(run, signed, "tally")
    with fleetledger.open(signed, readonly=True) as ledger:
        events = list(ledger.replay_head(1))
    assert [call["id"] for call in calls] == [event.id for event in events]
    assert calls[0]["result"] == repr(f"{events[0].subject} {events[0].type}")
    assert all(call["ok"] for call in calls)


def test_two_dry_runs_give_identical_output(run: Run, signed: str) -> None:
    """Re-driving is deterministic: the same lines, byte for byte."""
    handler = f"{HANDLERS}:tally"
    args = ("consume", "incident", "--handler", handler, "--from-head", "1", "--dry-run")
    first, second = run(*args, ledger=signed), run(*args, ledger=signed)

    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    assert "nothing committed" in first.stderr


def test_a_dry_run_commits_nothing(run: Run, signed: str) -> None:
    """The group has no committed offsets afterwards."""
    redrive(run, signed, "tally")
    with fleetledger.open(signed, readonly=True) as ledger:
        assert "incident" not in ledger.groups()


def test_families_narrow_the_dry_run(run: Run, signed: str) -> None:
    calls = redrive(run, signed, "tally", "--families", "tool")
    assert calls
    assert {str(call["type"]).split(".")[0] for call in calls} == {"tool"}


def test_failing_calls_are_reported_and_the_exit_code_says_so(run: Run, signed: str) -> None:
    """A handler that raises on some events: every call is still made, the failures are
    listed with their error, and the command exits 1."""
    result = run(
        "consume", "incident", "--handler", f"{HANDLERS}:fussy", "--from-head", "1", "--dry-run",
        ledger=signed,
    )  # fmt: skip

    assert result.exit_code == FAILED, result.output
    failed = [line for line in result.stdout.splitlines() if "FAILED RuntimeError" in line]
    assert failed
    assert all("tool.call.failed" in line for line in failed)


@pytest.mark.parametrize("options", [("--from-head", "1"), ("--dry-run",)])
def test_from_head_and_dry_run_go_together(run: Run, signed: str, options: tuple[str]) -> None:
    result = run("consume", "incident", "--handler", f"{HANDLERS}:tally", *options, ledger=signed)

    assert result.exit_code == USAGE
    assert "--from-head and --dry-run go together" in result.output
