"""fleetledger tokens create|list|revoke and policy history|at, as a configured principal:
a token for a principal the file does not name exits 2, a principal without admin on
governance exits 4, and the token printed once is the one the ledger authenticates."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
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

[[rules]]
effect = "allow"
actions = ["append", "read", "admin"]
principals = ["kind:service"]
"""


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with the configuration."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fleetledger.toml").write_text(CONFIG)
    return tmp_path


def run(*args: str) -> Result:
    env: dict[str, str | None] = {
        "FLEETLEDGER_URL": None,
        "FLEETLEDGER_CONFIG": None,
        "FLEETLEDGER_PRINCIPAL": None,
        "COLUMNS": "200",
    }
    return CliRunner(env=env).invoke(app, list(args))


def create(principal: str = "planner", *more: str) -> Result:
    return run("--principal", "ops", "tokens", "create", "--principal", principal, *more)


def test_a_created_token_is_printed_once_and_authenticates_its_principal(here: Path) -> None:
    """--json gives the token; the ledger maps it back to the configured principal."""
    done = create("planner", "--expires", "30d", "--json")
    assert done.exit_code == 0, done.output
    made = json.loads(done.stdout)
    with fleetledger.open(f"sqlite:///{here}/fleet.db", readonly=True) as ledger:
        assert ledger.principal_for_token(made["token"]).id == "planner"
    assert made["expires"] is not None


def test_tokens_list_shows_ids_and_principals_never_secrets(here: Path) -> None:
    """One JSON object per token, without the secret."""
    made = json.loads(create("planner", "--json").stdout)
    listed = run("--principal", "ops", "tokens", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert (row["token_id"], row["principal"], row["revoked"]) == (
        made["token_id"],
        "planner",
        None,
    )
    assert made["token"].split("_", 2)[2] not in listed.stdout


def test_a_revoked_token_is_listed_revoked(here: Path) -> None:
    """revoke then list: the token says so."""
    made = json.loads(create("planner", "--json").stdout)
    revoked = run("--principal", "ops", "tokens", "revoke", made["token_id"])
    assert revoked.exit_code == 0, revoked.output
    listed = run("--principal", "ops", "tokens")
    assert "revoked" in listed.stdout


def test_a_token_for_a_principal_the_file_does_not_name_exits_2(here: Path) -> None:
    """A typo in --principal is a usage error, said in one line."""
    done = create("plannr")
    assert done.exit_code == 2
    assert "plannr" in done.stderr


def test_a_principal_without_admin_on_governance_may_not_create_tokens_exit_4(
    here: Path,
) -> None:
    """An agent may append and read, not issue tokens."""
    run("--principal", "ops", "emit", "task.started", "--subject", "t-1")
    done = run("--principal", "planner", "tokens", "create", "--principal", "planner")
    assert done.exit_code == 4, done.output
    assert done.stderr.startswith("error: ")


def test_revoking_an_unknown_token_exits_2(here: Path) -> None:
    """Nothing to revoke is said, not ignored."""
    create()
    done = run("--principal", "ops", "tokens", "revoke", "0123456789abcdef")
    assert done.exit_code == 2


def test_policy_history_shows_the_policy_the_ledger_was_opened_with(here: Path) -> None:
    """The file's [[rules]] as recorded by the first write."""
    create()
    done = run("--principal", "ops", "policy", "history", "--json")
    assert done.exit_code == 0, done.output
    [record] = [json.loads(line) for line in done.stdout.splitlines()]
    assert [rule["principals"] for rule in record["access"]] == [["kind:agent"], ["kind:service"]]
    assert record["by"] == "ops"


def test_policy_at_a_time_before_any_record_exits_2(here: Path) -> None:
    """No policy was in force yet: said, with exit 2."""
    create()
    done = run("--principal", "ops", "policy", "at", "2000-01-01T00:00:00Z")
    assert done.exit_code == 2
