"""``fleetledger forget``: a data subject's keys destroyed, the erasure recorded, replay erased."""

import json

import fleetledger

from .conftest import Run


def emit_restricted(run: Run) -> None:
    """A restricted task request of data subject cust-7, through the CLI."""
    result = run(
        "emit", "task.requested", "--subject", "task-1", "--datasubject", "cust-7",
        "--classification", "restricted", "--data", '{"goal": "refund alice"}',
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_forget_says_how_many_keys_it_destroyed_and_where_it_recorded_it(run: Run) -> None:
    """The line names the subject, the count and the erasure event's position."""
    emit_restricted(run)
    result = run("forget", "cust-7", "--reason", "request 118")
    assert result.exit_code == 0, result.output
    assert "forgot cust-7: 1 key destroyed, erasure recorded at fleet.governance/" in result.stdout


def test_forget_json_prints_the_subject_the_count_and_the_position(run: Run) -> None:
    """--json prints one object with the documented fields."""
    emit_restricted(run)
    result = run("forget", "cust-7", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["datasubject"] == "cust-7"
    assert shown["keys_destroyed"] == 1
    assert shown["position"].startswith("fleet.governance/")


def test_after_forget_the_cli_replay_shows_the_field_erased(run: Run, url: str) -> None:
    """replay --json shows the goal as {"$erased": true}; the ledger still verifies."""
    emit_restricted(run)
    assert run("forget", "cust-7").exit_code == 0
    result = run("replay", "task-1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.splitlines()[0])["data"]["goal"] == {"$erased": True}
    with fleetledger.open(url, readonly=True) as ledger:
        assert ledger.verify().ok


def test_forget_of_a_ledger_that_does_not_exist_is_refused(run: Run, tmp_path: object) -> None:
    """A typo in the ledger path is not a new ledger: exit 2."""
    result = run("forget", "cust-7", ledger=f"sqlite:///{tmp_path}/missing.db")
    assert result.exit_code == 2
