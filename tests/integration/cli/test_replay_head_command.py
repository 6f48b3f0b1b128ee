"""``fleetledger replay --head N``: the fleet below a signed head, as JSON lines or lines."""

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import fleetledger
from fleetledger.cli.exits import FAILED, USAGE
from fleetledger.demo import simulate
from fleetledger.ledger import write_key_pair
from tests.integration.cli.conftest import Run


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "keys").mkdir()
    return write_key_pair("cli-replay.example.com", tmp_path / "keys")


@pytest.fixture
def signed(tmp_path: Path, keys: tuple[Path, Path]) -> str:
    """The URL of a simulated fleet signed with ``keys`` (the public key found beside it)."""
    url = f"sqlite:///{tmp_path}/fleet.db?key={keys[0]}"
    with fleetledger.open(url) as ledger:
        simulate(ledger, tasks=3, seed=2)
    return url


def test_json_lines_are_the_events_below_the_head_in_order(run: Run, signed: str) -> None:
    """One CloudEvent per line, the ids replay_head yields, in its order."""
    result = run("replay", "--head", "1", "--json", ledger=signed)

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    with fleetledger.open(signed, readonly=True) as ledger:
        assert [line["id"] for line in lines] == [e.id for e in ledger.replay_head(1)]


def test_two_runs_print_identical_output(run: Run, signed: str) -> None:
    """Re-driving a replay is deterministic, byte for byte."""
    first = run("replay", "--head", "1", "--json", ledger=signed)
    second = run("replay", "--head", "1", "--json", ledger=signed)

    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout


def test_the_lines_view_prints_one_line_per_event_and_a_summary(run: Run, signed: str) -> None:
    result = run("replay", "--head", "latest", ledger=signed)

    assert result.exit_code == 0, result.output
    with fleetledger.open(signed, readonly=True) as ledger:
        count = ledger.heads()[0].size
    assert len(result.stdout.splitlines()) == count
    assert f"{count} events shown from ledger head #1" in result.stderr


def test_a_task_narrows_the_head_replay(run: Run, signed: str) -> None:
    with fleetledger.open(signed, readonly=True) as ledger:
        task = next(ledger.replay_head(1)).subject
    result = run("replay", task, "--head", "1", "--json", ledger=signed)

    assert result.exit_code == 0, result.output
    assert {json.loads(line)["subject"] for line in result.stdout.splitlines()} == {task}


def test_a_pinned_key_that_signed_the_head_is_accepted(
    run: Run, signed: str, keys: tuple[Path, Path]
) -> None:
    result = run("replay", "--head", "1", "--key", str(keys[1]), "--json", ledger=signed)

    assert result.exit_code == 0, result.output
    assert "NOT checked" not in result.stderr


def test_a_pinned_key_that_did_not_sign_the_head_fails_the_check(
    run: Run, signed: str, tmp_path: Path
) -> None:
    (tmp_path / "other").mkdir()
    _, other = write_key_pair("cli-replay.example.com", tmp_path / "other")
    result = run("replay", "--head", "1", "--key", str(other), ledger=signed)

    assert result.exit_code == FAILED
    assert result.stdout == ""


def test_an_unknown_head_is_a_usage_error(run: Run, signed: str) -> None:
    result = run("replay", "--head", "9", ledger=signed)

    assert result.exit_code == USAGE
    assert "no stored ledger head #9" in result.stderr


def test_a_tampered_event_fails_with_its_position(run: Run, signed: str, tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "fleet.db")) as conn, conn:
        topic, partition, offset = conn.execute(
            "SELECT topic, partition, offset FROM events WHERE type = 'task.completed' LIMIT 1"
        ).fetchone()
        conn.execute(
            "UPDATE events SET body = body || ' ' WHERE topic = ? AND partition = ? AND offset = ?",
            (topic, partition, offset),
        )
    result = run("replay", "--head", "1", "--json", ledger=signed)

    assert result.exit_code == FAILED
    assert f"{topic}/{partition} offset {offset}" in result.stderr


def test_without_a_task_or_a_head_it_says_what_to_give(run: Run, signed: str) -> None:
    result = run("replay", ledger=signed)

    assert result.exit_code == USAGE
    assert "--head N" in result.stderr


def test_a_head_that_is_no_number_is_refused(run: Run, signed: str) -> None:
    result = run("replay", "--head", "first", ledger=signed)

    assert result.exit_code == USAGE
