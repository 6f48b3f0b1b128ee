"""The command line acts as a configured principal (--principal, $FLEETLEDGER_PRINCIPAL) under
the access rules of fleetledger.toml: refusals exit 4 with one line, and reads say how many
events were withheld."""

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleetledger.cli.app import app

CONFIG = """\
[ledger]
url = "sqlite:///fleet.db"

[[principals]]
id = "planner"
kind = "agent"

[[principals]]
id = "ops"
kind = "service"

[[rules]]
effect = "allow"
actions = ["append", "read"]
principals = ["kind:agent"]
families = ["task", "tool"]

[[rules]]
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the configuration, and a task written by ops."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleetledger.toml").write_text(CONFIG)
    for kind in ("task.started", "governance.approval.granted"):
        data = '{"approval_id": "a-1"}' if kind.startswith("governance") else "{}"
        done = run("--principal", "ops", "emit", kind, "--subject", "t-1", "--data", data)
        assert done.exit_code == 0, done.output
    return tmp_path


def run(*args: str, **env: str) -> Result:
    clean: dict[str, str | None] = {
        "FLEETLEDGER_URL": None,
        "FLEETLEDGER_KEY": None,
        "FLEETLEDGER_CONFIG": None,
        "FLEETLEDGER_PRINCIPAL": None,
        "COLUMNS": "200",
    }
    return CliRunner(env={**clean, **env}).invoke(app, list(args))


def test_an_append_the_rules_refuse_exits_4_with_one_line(here: Path) -> None:
    """An agent may not approve: the refusal names it, with the policy's exit code."""
    data = '{"approval_id": "a-2"}'
    done = run(
        "--principal",
        "planner",
        "emit",
        "governance.approval.granted",
        "--subject",
        "t-1",
        "--data",
        data,
    )

    assert done.exit_code == 4
    assert "planner" in done.stderr
    assert "Traceback" not in done.output


def test_a_replay_says_how_many_events_were_withheld(here: Path) -> None:
    """The agent sees the task's task event; the approval is withheld, and said to be."""
    done = run("replay", "t-1", "--json", FLEETLEDGER_PRINCIPAL="planner")

    assert done.exit_code == 0, done.output
    assert done.stdout.count('"type"') == 1
    assert "1 event withheld" in done.stderr


def test_a_principal_the_file_does_not_name_is_a_usage_error(here: Path) -> None:
    """Acting as someone the configuration does not know is refused before anything runs."""
    done = run("--principal", "nobody", "replay", "t-1")

    assert done.exit_code == 2
    assert "nobody" in done.stderr
