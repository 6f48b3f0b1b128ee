"""The documentation keeps up with the command line: every command has help and is in the
README's CLI section, every ``--json`` says its shape, and the README's tables are the real ones
(the type catalogue, the exit codes). Like sqlite-utils' ``test_docs``."""

import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

import fleetledger
from fleetledger.cli.app import app

README = (Path(__file__).parents[3] / "README.md").read_text()
CLI_SECTION = README.split("## The CLI", 1)[1].split("\n## ", 1)[0]


def commands() -> dict[str, Any]:
    """Every command of the app by its path (``groups reset`` for a subcommand).

    (typer vendors its own click, so commands are told apart by what they have.)
    """
    found: dict[str, Any] = {}
    for name, command in get_command(app).commands.items():  # type: ignore[attr-defined]
        found[name] = command
        subcommands = getattr(command, "commands", {})
        found.update({f"{name} {sub}": c for sub, c in subcommands.items()})
    return found


COMMANDS = commands()


def option(command: Any, flag: str) -> Any:
    """The command's option spelt ``flag``, if it has one."""
    return next((p for p in command.params if flag in p.opts), None)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_help(path: str) -> None:
    """Each command and subcommand says what it does."""
    assert (COMMANDS[path].help or "").strip()


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_appears_in_the_readme_cli_section(path: str) -> None:
    """The README's CLI section shows each command being run."""
    assert re.search(rf"^fleetledger {re.escape(path)}( |$)", CLI_SECTION, re.MULTILINE)


@pytest.mark.parametrize("path", sorted(p for p, c in COMMANDS.items() if option(c, "--json")))
def test_every_json_option_says_the_shape_it_prints(path: str) -> None:
    """--json help names what is printed (one object, one per line, an array) and its fields."""
    text = option(COMMANDS[path], "--json").help or ""

    assert re.search(r"one JSON object|one CloudEvent per line|JSON array", text)
    assert "{" in text


def test_every_command_takes_json() -> None:
    """--json is everywhere a command prints something a program might read."""
    assert [path for path, c in COMMANDS.items() if not option(c, "--json")] == []


@pytest.mark.parametrize("path", sorted(p for p, c in COMMANDS.items() if option(c, "--ledger")))
def test_every_ledger_option_names_the_three_schemes(path: str) -> None:
    """--ledger help names sqlite:///, kafka:// and memory://."""
    ledger = option(COMMANDS[path], "--ledger")

    for scheme in ("sqlite:///", "kafka://", "memory://"):
        assert scheme in (ledger.help or "")


def catalogue_rows() -> list[str]:
    """The README's table of built-in types, as the catalogue gives it."""
    with fleetledger.open("memory://") as ledger:
        return [
            f"| `{name}` | {spec.kind.value} | {spec.classification.value} | {spec.description} |"
            for name, spec in ledger.types().items()
        ]


def test_the_readme_lists_every_built_in_type_as_the_catalogue_has_it() -> None:
    """The README's type table is the catalogue, row for row (regenerate it from this test)."""
    table = CLI_SECTION.split("| type | kind | classification | description |\n|---|---|---|---|\n")
    rows = table[1].split("\n\n", 1)[0].splitlines()

    assert rows == catalogue_rows()


@pytest.mark.parametrize("code", ["0", "1", "2", "3", "4", "130"])
def test_the_readme_documents_each_exit_code(code: str) -> None:
    """Each exit code has its row in the README's exit-code table."""
    assert re.search(rf"^\| {code} \| \w", CLI_SECTION, re.MULTILINE)


def test_the_readme_writes_every_position_as_topic_partition_at_offset() -> None:
    """Positions in the README are all of the form fleet.task/1@0."""
    positions = re.findall(r"\b[\w.]+/[\w]+@[\w]+\b", README)

    assert positions
    assert all(re.fullmatch(r"fleet\.\w+/\d+@\d+|topic/partition@offset", p) for p in positions)
