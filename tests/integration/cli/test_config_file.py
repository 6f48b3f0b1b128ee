"""The command line reads fleetledger.toml: found in the working directory, at
$FLEETLEDGER_CONFIG or at --config, below every option and environment variable; a broken file
ends the command with one line naming FILE:LINE and exit code 2."""

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.ledger import write_key_pair


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, **env: str) -> Result:
    """The CLI with no ledger, key or configuration from the test's own environment."""
    clean: dict[str, str | None] = {
        "FLEETLEDGER_URL": None,
        "FLEETLEDGER_KEY": None,
        "FLEETLEDGER_CONFIG": None,
        "COLUMNS": "200",
    }
    return CliRunner(env={**clean, **env}).invoke(app, list(args))


def write_config(path: Path, db: str = "fleet.db", namespace: str = "prod") -> Path:
    path.write_text(f'[ledger]\nurl = "sqlite:///{db}"\nnamespace = "{namespace}"\n')
    return path


def topics_of(db: Path, namespace: str) -> dict[str, int]:
    with fleetledger.open(f"sqlite:///{db}?namespace={namespace}", readonly=True) as ledger:
        return {info.family: info.events for info in ledger.topics() if info.events}


def test_a_command_run_beside_the_file_uses_its_url_and_namespace(here: Path) -> None:
    """emit with no --ledger writes to the file's ledger, in the file's namespace."""
    write_config(here / "fleetledger.toml")

    result = run("emit", "task.started", "--subject", "t-1")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("prod.task/")
    assert topics_of(here / "fleet.db", "prod") == {"task": 1}


def test_config_names_a_file_elsewhere_whose_paths_are_relative_to_it(here: Path) -> None:
    """--config FILE: the SQLite path in it is beside that file, not in the working directory."""
    (here / "conf").mkdir()
    write_config(here / "conf" / "staging.toml", namespace="staging")

    result = run("--config", "conf/staging.toml", "emit", "task.started", "--subject", "t-1")

    assert result.exit_code == 0, result.output
    assert topics_of(here / "conf" / "fleet.db", "staging") == {"task": 1}
    assert not (here / "fleet.db").exists()


def test_the_environment_names_the_file(here: Path) -> None:
    """$FLEETLEDGER_CONFIG is read when there is no --config."""
    write_config(here / "env.toml", db="env.db", namespace="env")

    result = run("emit", "task.started", "--subject", "t-1", FLEETLEDGER_CONFIG="env.toml")

    assert result.exit_code == 0, result.output
    assert topics_of(here / "env.db", "env") == {"task": 1}


def test_config_wins_over_the_environment_and_the_working_directory(here: Path) -> None:
    """--config > $FLEETLEDGER_CONFIG > ./fleetledger.toml."""
    write_config(here / "fleetledger.toml", db="cwd.db")
    write_config(here / "env.toml", db="env.db")
    write_config(here / "given.toml", db="given.db")

    emit = ["emit", "task.started", "--subject", "t"]
    result = run("--config", "given.toml", *emit, FLEETLEDGER_CONFIG="env.toml")

    assert result.exit_code == 0, result.output
    assert [p.name for p in here.glob("*.db")] == ["given.db"]


def test_the_ledger_option_wins_over_the_file(here: Path) -> None:
    """--ledger replaces the file's URL; the file's namespace still applies to it."""
    write_config(here / "fleetledger.toml")

    result = run("emit", "task.started", "--subject", "t-1", "--ledger", "sqlite:///other.db")

    assert result.exit_code == 0, result.output
    assert topics_of(here / "other.db", "prod") == {"task": 1}
    assert not (here / "fleet.db").exists()


def test_the_url_environment_variable_wins_over_the_file(here: Path) -> None:
    """$FLEETLEDGER_URL, an explicit setting of today, beats the file's URL."""
    write_config(here / "fleetledger.toml")

    result = run("emit", "task.started", "--subject", "t-1", FLEETLEDGER_URL="sqlite:///env.db")

    assert result.exit_code == 0, result.output
    assert (here / "env.db").exists()
    assert not (here / "fleet.db").exists()


def test_a_namespace_in_the_url_wins_over_the_file(here: Path) -> None:
    """?namespace= is explicit: the file's namespace does not replace it."""
    write_config(here / "fleetledger.toml")

    result = run(
        "emit", "task.started", "--subject", "t", "--ledger", "sqlite:///fleet.db?namespace=q"
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("q.task/")


def test_every_option_works_without_a_file(here: Path) -> None:
    """No fleetledger.toml anywhere: the command line behaves as before."""
    result = run("emit", "task.started", "--subject", "t-1", "--ledger", "sqlite:///plain.db")

    assert result.exit_code == 0, result.output
    assert topics_of(here / "plain.db", "fleet") == {"task": 1}


def test_sign_and_verify_use_the_keys_the_file_names(here: Path) -> None:
    """signing_key signs; verify checks with verifier_key, with no key option given."""
    (here / "keys").mkdir()
    key, pub = write_key_pair("ledger.example/fleet", here / "keys")
    (here / "fleetledger.toml").write_text(
        '[ledger]\nurl = "sqlite:///fleet.db"\n'
        f'signing_key = "keys/{key.name}"\nverifier_key = "keys/{pub.name}"\n'
    )
    assert run("emit", "task.started", "--subject", "t-1").exit_code == 0

    signed = run("sign", "--json")
    verified = run("verify", "--json")

    assert signed.exit_code == 0, signed.output
    assert verified.exit_code == 0, verified.output
    assert '"signatures_checked":true' in verified.stdout


def test_verify_with_the_file_verifier_key_refuses_a_foreign_signature(here: Path) -> None:
    """The file's verifier_key is really the key verify checks with: another key's heads fail."""
    (here / "keys").mkdir()
    key, _ = write_key_pair("ledger.example/fleet", here / "keys")
    _, stranger = write_key_pair("ledger.example/stranger", here / "keys")
    (here / "fleetledger.toml").write_text(
        '[ledger]\nurl = "sqlite:///fleet.db"\n'
        f'signing_key = "keys/{key.name}"\nverifier_key = "keys/{stranger.name}"\n'
    )
    run("emit", "task.started", "--subject", "t-1")
    run("sign")

    result = run("verify")

    assert result.exit_code == 1, result.output
    assert "not signed by any trusted key (signed by: ledger.example/fleet+" in result.stdout


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('[ledger]\nurl = "sqlite:///fleet.db"\nnamespce = "prod"\n', 3),
        ('[ledger]\nurl = "sqlite:///fleet.db"\n\n[[rulez]]\n', 4),
        ('[ledger]\nurl = "sqlite:///fleet.db\n', 2),
    ],
    ids=["unknown key", "unknown section", "not TOML"],
)
def test_a_bad_file_exits_2_with_one_line_naming_file_and_line(
    here: Path, text: str, line: int
) -> None:
    """No traceback: one line, FILE:LINE, what is wrong; nothing is written."""
    (here / "fleetledger.toml").write_text(text)

    result = run("emit", "task.started", "--subject", "t-1")

    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert result.stderr.startswith(f"error: fleetledger.toml:{line}: ")
    assert len(result.stderr.splitlines()) == 1
    assert not (here / "fleet.db").exists()


def test_a_config_option_naming_no_file_exits_2(here: Path) -> None:
    """--config with a typo stops the command with one line."""
    result = run("--config", "missing.toml", "topics", "--ledger", "memory://")

    assert result.exit_code == 2
    assert result.stderr == "error: no configuration file missing.toml (named by --config)\n"


def test_a_command_that_opens_no_ledger_is_not_stopped_by_a_broken_file(here: Path) -> None:
    """keys init never reads the file, so a fault in it cannot get in the way."""
    (here / "fleetledger.toml").write_text("[ledger\n")

    result = run("keys", "init", "--dir", str(here))

    assert result.exit_code == 0, result.output
