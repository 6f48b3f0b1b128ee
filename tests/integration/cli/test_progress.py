"""Progress on a terminal for demo, mirror, verify and emit --file; silence with --json or
when stderr is not a terminal (TTY_COMPATIBLE=1 stands for a terminal)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetledger.cli.app import app

REQUEST = {"type": "task.requested", "subject": "t", "data": {"goal": "g"}}


def commands(url: str, tmp_path: Path) -> dict[str, tuple[list[str], str | None, str]]:
    """Each command with a progress display: its arguments, its input, what it draws."""
    return {
        "mirror": (["mirror", url, f"sqlite:///{tmp_path / 'copy.db'}"], None, "copying"),
        "verify": (["verify", "--ledger", url], None, "verifying partitions"),
        "emit --file": (
            ["emit", "--file", "-", "--ledger", url],
            json.dumps(REQUEST),
            "appending 1 events atomically",
        ),
    }


@pytest.mark.parametrize("name", ["mirror", "verify", "emit --file"])
def test_progress_is_drawn_on_a_terminal(seeded: str, tmp_path: Path, name: str) -> None:
    """On a terminal the command shows what it is doing on stderr while it works."""
    args, given, drawn = commands(seeded, tmp_path)[name]

    result = CliRunner(env={"TTY_COMPATIBLE": "1"}).invoke(app, args, input=given)

    assert result.exit_code == 0, result.output
    assert drawn in result.stderr


@pytest.mark.parametrize("name", ["mirror", "verify", "emit --file"])
def test_progress_is_silent_with_json_even_on_a_terminal(
    seeded: str, tmp_path: Path, name: str
) -> None:
    """--json output is for programs: nothing is drawn on stderr."""
    args, given, _ = commands(seeded, tmp_path)[name]

    result = CliRunner(env={"TTY_COMPATIBLE": "1"}).invoke(app, [*args, "--json"], input=given)

    assert result.exit_code == 0, result.output
    assert result.stderr == ""


@pytest.mark.parametrize("name", ["mirror", "verify", "emit --file"])
def test_progress_is_silent_when_stderr_is_not_a_terminal(
    seeded: str, tmp_path: Path, name: str
) -> None:
    """Piped or logged, stderr stays silent."""
    args, given, _ = commands(seeded, tmp_path)[name]

    result = CliRunner().invoke(app, args, input=given)

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
