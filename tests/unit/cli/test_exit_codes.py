"""One exit-code convention over every command: the same error ends every command the same way,
with one line on stderr and no traceback."""

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger import (
    AccessDenied,
    BackendError,
    ConfigurationError,
    ContractError,
    NotFound,
    PolicyViolation,
    ReadOnlyLedger,
)
from fleetledger.cli.app import app
from fleetledger.ledger import write_key_pair


def command_paths() -> list[str]:
    """Every command of the app, subcommands as ``group sub``."""
    paths = []
    for name, command in sorted(get_command(app).commands.items()):  # type: ignore[attr-defined]
        paths.append(name)
        for sub in sorted(getattr(command, "commands", {})):
            paths.append(f"{name} {sub}")
    return paths


@pytest.fixture
def key(tmp_path: Path) -> Path:
    """A signer key file (notary and sign read it before opening the ledger)."""
    return write_key_pair("ledger.example/acme", tmp_path)[0]


def empty_config(tmp_path: Path) -> Path:
    """An empty fleetledger.toml (principals add edits one)."""
    path = tmp_path / "fleetledger.toml"
    path.touch()
    return path


def planner_config(tmp_path: Path) -> Path:
    """A fleetledger.toml naming one principal (tokens create issues tokens for those only)."""
    path = tmp_path / "planner.toml"
    path.write_text('[[principals]]\nid = "planner"\nkind = "agent"\n')
    return path


def arguments(path: str, tmp_path: Path, key: Path) -> list[str]:
    """A valid command line of ``path`` on ``memory://`` (or on files for keys, verify-bundle,
    verify-export)."""
    ledger = ["--ledger", "memory://"]
    return {
        "demo": ["demo", "--tasks", "1", *ledger],
        "consume": ["consume", "g", "--handler", "json:dumps", "--until-idle", *ledger],
        "dlq": ["dlq", *ledger],
        "dlq list": ["dlq", "list", *ledger],
        "dlq show": ["dlq", "show", "d-1", *ledger],
        "dlq retry": ["dlq", "retry", "d-1", *ledger],
        "dlq drop": ["dlq", "drop", "d-1", *ledger],
        "emit": ["emit", "task.started", "--subject", "t", *ledger],
        "evidence": ["evidence", "t", "-o", str(tmp_path / "b.json"), *ledger],
        "get": ["get", "e-1", *ledger],
        "groups": ["groups", *ledger],
        "groups delete": ["groups", "delete", "g", *ledger],
        "groups reset": ["groups", "reset", "g", "--to", "earliest", *ledger],
        "groups seek": ["groups", "seek", "g", "--to-time", "1h", *ledger],
        "keys": ["keys", "init", "--dir", str(tmp_path / "k")],
        "lag": ["lag", *ledger],
        "plan": ["plan", *ledger],
        "plan migrate": ["plan", "migrate", "memory://", "memory://"],
        "scorecard": ["scorecard", *ledger],
        "forget": ["forget", "cust-7", *ledger],
        "maintain": ["maintain", *ledger],
        "serve": ["serve", "--port", "0", *ledger],
        "metrics": ["metrics", "--once", *ledger],
        "otel": ["otel", "export", "--task", "t", *ledger],
        "otel export": ["otel", "export", "--task", "t", *ledger],
        "mcp": ["mcp", "serve", *ledger],
        "mcp serve": ["mcp", "serve", *ledger],
        "mirror": ["mirror", "memory://", "memory://"],
        "notary": ["notary", "--once", "--key", str(key), *ledger],
        "policy": ["policy", "--file", str(tmp_path / "fleetledger.toml")],
        "policy check": ["policy", "check", str(tmp_path / "fleetledger.toml")],
        "policy explain": [
            "policy",
            "explain",
            "--principal",
            "p",
            "--action",
            "read",
            "--family",
            "task",
            "--file",
            str(tmp_path / "fleetledger.toml"),
        ],
        "policy kafka-acls": ["policy", "kafka-acls", "--file", str(tmp_path / "fleetledger.toml")],
        "principals": [
            "--config",
            str(empty_config(tmp_path)),
            *["principals", "add", "planner", "--kind", "agent"],
        ],
        "policy at": ["policy", "at", "1h", *ledger],
        "policy history": ["policy", "history", *ledger],
        "prove": ["prove", "e-1", *ledger],
        "replay": ["replay", "t", *ledger],
        "sign": ["sign", "--key", str(key), *ledger],
        "state": ["state", "t", *ledger],
        "tail": ["tail", *ledger],
        "tasks": ["tasks", *ledger],
        "tokens": ["tokens", *ledger],
        "tokens create": [
            "--config",
            str(planner_config(tmp_path)),
            *["tokens", "create", "--principal", "planner", *ledger],
        ],
        "tokens list": ["tokens", "list", *ledger],
        "tokens revoke": ["tokens", "revoke", "0a1b", *ledger],
        "topics": ["topics", *ledger],
        "types": ["types", *ledger],
        "verify": ["verify", *ledger],
        "backup": ["backup", str(tmp_path / "backup"), *ledger],
        "restore": ["restore", str(tmp_path / "backup"), "--to", "sqlite:///x.db"],
        "verify-bundle": ["verify-bundle", str(tmp_path / "b.json")],
        "verify-order": ["verify-order", str(tmp_path / "o.json"), "--key", str(key)],
        "export": ["export", "parquet", str(tmp_path / "lake"), *ledger],
        "sql": ["sql", "SELECT 1", *ledger],
        "verify-export": ["verify-export", str(tmp_path / "lake")],
    }[path]


ERRORS = {
    "usage (ContractError)": (ContractError("bad event"), 2),
    "usage (ConfigurationError)": (ConfigurationError("bad URL"), 2),
    "usage (NotFound)": (NotFound("no ledger at x.db"), 2),
    "unavailable (BackendError)": (BackendError("broker unreachable"), 3),
    "environment refused (ReadOnlyLedger)": (ReadOnlyLedger("cannot write x.db"), 3),
    "refused by policy (AccessDenied)": (AccessDenied("no"), 4),
    "refused by an ordering rule (PolicyViolation)": (
        PolicyViolation(
            "rule r1", rule="r1", event_id="e1", event_type="tool.call.started", subject="t-1"
        ),
        4,
    ),
    "Ctrl-C": (KeyboardInterrupt(), 130),
}


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Every way into the ledger or its files raises the error under test."""
    error = request.param

    def raising(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(fleetledger, "open", raising)
    monkeypatch.setattr("fleetledger.cli.keys.write_key_pair", raising)
    monkeypatch.setattr("fleetledger.cli.evidence.read_bundle_file", raising)
    monkeypatch.setattr("fleetledger.cli.policy.read_policy_file", raising)
    monkeypatch.setattr("fleetledger.cli.verify_order.read_order_file", raising)
    monkeypatch.setattr("fleetledger.cli.principals.add_principal", raising)
    monkeypatch.setattr("fleetledger.cli.backup.backup_ledger", raising)
    monkeypatch.setattr("fleetledger.cli.backup.restore_ledger", raising)
    monkeypatch.setattr("fleetledger.cli.verify_export.ParquetLake", raising)


def run(args: list[str]) -> Result:
    """The command, in-process, with no ledger configured by the environment."""
    return CliRunner(env={"FLEETLEDGER_URL": None, "FLEETLEDGER_KEY": None}).invoke(app, args)


@pytest.mark.parametrize("path", command_paths())
@pytest.mark.parametrize(
    ("failing", "code"),
    ERRORS.values(),
    ids=ERRORS.keys(),
    indirect=["failing"],
)
def test_every_command_ends_each_error_with_its_code_and_one_line(
    path: str, code: int, failing: None, tmp_path: Path, key: Path
) -> None:
    """2 usage or input, 3 backend or environment, 4 policy, 130 Ctrl-C: one line, no traceback."""
    result = run(arguments(path, tmp_path, key))

    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit)
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("interrupted: " if code == 130 else "error: ")


@pytest.mark.parametrize("path", command_paths())
def test_every_command_exits_2_on_an_unknown_option(path: str) -> None:
    """A usage error (an option no command knows) exits 2 on every command."""
    result = run([*path.split(), "--no-such-option"])

    assert result.exit_code == 2
    assert "No such option" in result.output


@pytest.mark.parametrize("path", command_paths())
def test_every_command_has_help_that_exits_0(path: str) -> None:
    """--help works on every command and subcommand."""
    result = run([*path.split(), "--help"])

    assert result.exit_code == 0, result.output
