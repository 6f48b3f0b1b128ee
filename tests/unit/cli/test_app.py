"""The command-line app: every command documented, one error policy, exit codes."""

import shlex
import subprocess
import sys
import types

import pytest
from typer.main import get_command
from typer.testing import CliRunner

import fleetledger
from fleetledger.cli.app import app

COMMANDS = get_command(app).commands  # type: ignore[attr-defined]


def test_the_app_has_every_command_of_this_version() -> None:
    """The commands this version ships are all registered."""
    assert set(COMMANDS) == {
        "demo",
        "mcp",
        "emit",
        "get",
        "tail",
        "replay",
        "topics",
        "types",
        "groups",
        "lag",
        "maintain",
        "forget",
        "mirror",
        "keys",
        "sign",
        "verify",
        "prove",
        "evidence",
        "verify-bundle",
        "verify-order",
        "notary",
        "policy",
        "principals",
        "tokens",
        "metrics",
        "otel",
        "state",
        "tasks",
        "backup",
        "restore",
        "consume",
        "serve",
        "dlq",
        "plan",
        "export",
        "verify-export",
        "sql",
        "scorecard",
    }


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_from_its_docstring(name: str) -> None:
    """Each command's help is its docstring, and it is not empty."""
    command = COMMANDS[name]

    assert command.help
    assert command.help.strip() == command.callback.__doc__.strip()


OFF_LEDGER = {
    "mirror",
    "keys",
    "verify-bundle",
    "verify-order",
    "policy",
    "principals",
    "verify-export",
    "mcp",
}
"""Commands that work on files or two ledgers rather than on one --ledger."""


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - OFF_LEDGER))
def test_every_command_takes_ledger_and_json(name: str) -> None:
    """Each command on one ledger accepts --ledger URL and --json."""
    options = {opt for param in COMMANDS[name].params for opt in param.opts}

    assert {"--ledger", "--json"} <= options


def test_keys_takes_a_ledger_for_rotate_and_json() -> None:
    """keys init writes key files; keys rotate hands a ledger's signing over, so --ledger."""
    options = {opt for param in COMMANDS["keys"].params for opt in param.opts}

    assert {"--json", "--ledger", "--old", "--new"} <= options


def test_policy_works_on_a_policy_file_not_a_ledger_and_takes_json() -> None:
    """policy reads fleetledger.toml, so it takes --file and no --ledger, and accepts --json."""
    options = {opt for param in COMMANDS["policy"].params for opt in param.opts}

    assert {"--file", "--json"} <= options
    assert "--ledger" not in options


def test_principals_works_on_the_configuration_file_not_a_ledger_and_takes_json() -> None:
    """principals edits and reads fleetledger.toml, so it takes no --ledger, and accepts --json."""
    options = {opt for param in COMMANDS["principals"].params for opt in param.opts}

    assert "--json" in options
    assert "--ledger" not in options


def test_verify_bundle_works_on_a_file_not_a_ledger_and_takes_json() -> None:
    """verify-bundle checks a bundle offline, so it takes no --ledger, and accepts --json."""
    options = {opt for param in COMMANDS["verify-bundle"].params for opt in param.opts}

    assert "--json" in options
    assert "--ledger" not in options


def test_verify_order_works_on_a_file_and_a_key_not_a_ledger() -> None:
    """verify-order checks an order proof offline: --key and --json, no --ledger."""
    options = {opt for param in COMMANDS["verify-order"].params for opt in param.opts}

    assert {"--key", "--json"} <= options
    assert "--ledger" not in options


def test_verify_export_works_on_an_export_and_a_key_not_a_ledger() -> None:
    """verify-export proves an export with no ledger: --key, --catalog and --json, no --ledger."""
    options = {opt for param in COMMANDS["verify-export"].params for opt in param.opts}

    assert {"--key", "--catalog", "--json"} <= options
    assert "--ledger" not in options


def test_mirror_takes_two_ledger_urls_and_json() -> None:
    """mirror names its source and destination as arguments and accepts --json."""
    params = {param.name: param for param in COMMANDS["mirror"].params}
    options = {opt for param in params.values() for opt in param.opts}

    arguments = [name for name, param in params.items() if not param.opts[0].startswith("-")]
    assert arguments == ["source", "destination"]
    assert "--json" in options


def test_demo_hands_its_options_and_a_progress_callback_to_simulate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """demo calls fleetledger.demo.simulate with tasks, seed and a progress callback."""
    calls: list[dict[str, object]] = []

    def simulate(ledger: object, **options: object) -> object:
        calls.append(options)
        progress = options["progress"]
        progress(2, 2)  # type: ignore[operator]
        letters = types.SimpleNamespace(recorded=(), after_fix=())
        return types.SimpleNamespace(
            tasks=2, events=0, elapsed=0.5, sample_task="t", groups=("tasks",), letters=letters
        )

    fake = types.ModuleType("fleetledger.demo")
    fake.simulate = simulate  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fleetledger.demo", fake)

    args = ["demo", "--tasks", "2", "--seed", "3", "--ledger", "memory://", "--json"]

    result = CliRunner().invoke(app, args)

    assert result.exit_code == 0, result.output
    assert calls[0]["tasks"] == 2
    assert calls[0]["seed"] == 3
    assert '"sample_task":"t"' in result.stdout


def test_version_prints_the_package_version() -> None:
    """fleetledger --version prints the version and exits 0."""
    result = CliRunner().invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout == f"fleetledger {fleetledger.__version__}\n"


def test_bash_completion_is_shown_without_a_terminal() -> None:
    """--show-completion bash prints the completion script, with stdin and stdout not a TTY.

    Run from a bash process, as a user would: typer finds the shell among the command's
    ancestors (a process whose parents hold no shell gets "Shell  not supported.")."""
    command = f"{shlex.quote(sys.executable)} -m fleetledger.cli --show-completion bash; exit $?"
    shown = subprocess.run(
        ["bash", "-c", command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert shown.returncode == 0, shown.stderr
    assert "_FLEETLEDGER_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _fleetledger_completion fleetledger" in shown.stdout


def test_the_app_offers_completion_install() -> None:
    """--install-completion is an option of the app."""
    options = {opt for param in get_command(app).params for opt in param.opts}

    assert {"--install-completion", "--show-completion", "--version"} <= options
