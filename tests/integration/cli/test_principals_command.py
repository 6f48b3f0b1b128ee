"""fleetledger principals add|list: principals are appended to fleetledger.toml as
[[principals]] tables, the rest of the file untouched, duplicates refused."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fleetledger.cli.app import app
from fleetledger.config import read_config

HAND_WRITTEN = (
    "# the fleet's configuration\n"
    "[ledger]\n"
    'url = "sqlite:///fleet.db"   # beside this file\n'
    "\n"
    "[keys]\n"
    "store = 'keys/'"  # no newline at the end
)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory of its own."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, **env: str) -> Result:
    clean: dict[str, str | None] = {"FLEETLEDGER_CONFIG": None, "COLUMNS": "200"}
    return CliRunner(env={**clean, **env}).invoke(app, list(args))


def test_add_appends_a_table_and_keeps_every_byte_before_it(here: Path) -> None:
    """Comments, quoting and a missing final newline stay exactly as written."""
    path = here / "fleetledger.toml"
    path.write_text(HAND_WRITTEN)

    result = run("principals", "add", "planner", "--kind", "agent", "--tenant", "acme")

    assert result.exit_code == 0, result.output
    text = path.read_text()
    assert text.startswith(HAND_WRITTEN + "\n")
    assert text[len(HAND_WRITTEN) :] == (
        '\n\n[[principals]]\nid = "planner"\nkind = "agent"\ntenant = "acme"\n'
    )
    assert read_config(path).principals[0].tenant == "acme"


def test_add_without_a_file_creates_one_here(here: Path) -> None:
    """The first principal of a fleet starts ./fleetledger.toml."""
    result = run("principals", "add", "alice", "--kind", "human", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "id": "alice",
        "kind": "human",
        "tenant": None,
        "file": "fleetledger.toml",
    }
    assert (here / "fleetledger.toml").read_text() == (
        '\n[[principals]]\nid = "alice"\nkind = "human"\n'
    )


def test_add_writes_to_the_file_config_names(here: Path) -> None:
    """--config picks the file edited, as it picks the file read."""
    (here / "fleetledger.toml").write_text("")
    (here / "other.toml").write_text("")

    result = run("--config", "other.toml", "principals", "add", "svc", "--kind", "service")

    assert result.exit_code == 0, result.output
    assert (here / "fleetledger.toml").read_text() == ""
    assert "svc" in (here / "other.toml").read_text()


def test_add_refuses_a_principal_already_named(here: Path) -> None:
    """A duplicate id exits 2 and leaves the file as it was."""
    path = here / "fleetledger.toml"
    run("principals", "add", "planner", "--kind", "agent")
    before = path.read_bytes()

    result = run("principals", "add", "planner", "--kind", "human")

    assert result.exit_code == 2
    assert result.stderr == "error: principal 'planner' is in fleetledger.toml already\n"
    assert path.read_bytes() == before


def test_add_quotes_an_id_toml_would_misread(here: Path) -> None:
    """Quotes, backslashes and control characters in an id survive the round trip."""
    odd = 'a "quoted" \\ id\twith\x7f'

    result = run("principals", "add", odd, "--kind", "agent")

    assert result.exit_code == 0, result.output
    assert read_config(here / "fleetledger.toml").principals[0].id == odd


def test_add_refuses_to_extend_a_file_that_would_no_longer_load(here: Path) -> None:
    """principals written as a static array cannot take a [[principals]] table: nothing is
    written, and the error names the line."""
    path = here / "fleetledger.toml"
    path.write_text('principals = [{ id = "a", kind = "agent" }]\n')

    result = run("principals", "add", "b", "--kind", "agent")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: fleetledger.toml:")
    assert path.read_text() == 'principals = [{ id = "a", kind = "agent" }]\n'


def test_add_needs_an_id_and_a_kind(here: Path) -> None:
    """Without them, one line says what is missing."""
    result = run("principals", "add", "planner")

    assert result.exit_code == 2
    assert "needs the id and --kind" in result.stderr


def test_add_refuses_a_kind_that_does_not_exist(here: Path) -> None:
    """--kind takes agent, service or human only."""
    result = run("principals", "add", "r2", "--kind", "robot")

    assert result.exit_code == 2
    assert not (here / "fleetledger.toml").exists()


def test_list_shows_every_principal_as_json(here: Path) -> None:
    """--json: one array, in the file's order."""
    run("principals", "add", "planner", "--kind", "agent", "--tenant", "acme")
    run("principals", "add", "alice", "--kind", "human")

    result = run("principals", "list", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"id": "planner", "kind": "agent", "tenant": "acme"},
        {"id": "alice", "kind": "human", "tenant": None},
    ]


def test_list_shows_every_principal_as_text(here: Path) -> None:
    """One line each: id, kind, tenant."""
    run("principals", "add", "planner", "--kind", "agent", "--tenant", "acme")

    result = run("principals", "list")

    assert result.stdout == "planner: agent (tenant acme)\n"


def test_list_without_a_file_says_so(here: Path) -> None:
    """No file, no principals, and the line says why."""
    result = run("principals", "list")

    assert result.exit_code == 0
    assert result.stdout == "no principals (no configuration file)\n"
    assert run("principals", "list", "--json").stdout == "[]\n"
