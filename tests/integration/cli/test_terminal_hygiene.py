"""Text output escapes control and bidi characters from the ledger: an event cannot recolour
the terminal, move its cursor or reorder a line (Trojan Source)."""

from collections.abc import Callable

import pytest
from typer.testing import Result

import fleetledger

Run = Callable[..., Result]

HOSTILE = "\x1b[31mred\u202eevil"
SHOWN = "\\u001b[31mred\\u202eevil"
SUBJECT = "task-\u202e1"


@pytest.fixture
def hostile(url: str) -> str:
    """A task whose subject holds a bidi override, whose data holds an escape sequence too."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append(
            "task.requested", subject=SUBJECT, agentid=f"agent{chr(0x202E)}", data={"goal": HOSTILE}
        )
    return url


def event_id(url: str) -> str:
    """The id of the hostile event."""
    with fleetledger.open(url, readonly=True) as ledger:
        return next(ledger.replay(SUBJECT)).id


def assert_escaped(text: str) -> None:
    """Neither ESC nor U+202E reaches the terminal; their escapes do."""
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert SHOWN in text


@pytest.mark.parametrize(
    "args",
    [["replay", SUBJECT], ["tail"], ["get", "{id}"]],
    ids=["replay", "tail", "get"],
)
def test_text_output_shows_control_and_bidi_characters_escaped(
    run: Run, hostile: str, args: list[str]
) -> None:
    """replay's timeline, tail's lines and get's attributes and data are all escaped."""
    result = run(*(a.replace("{id}", event_id(hostile)) for a in args))

    assert result.exit_code == 0, result.output
    assert_escaped(result.stdout)


def test_the_subject_is_escaped_in_replay_s_title(run: Run, hostile: str) -> None:
    """The task id in the timeline's title is escaped as well."""
    result = run("replay", SUBJECT)

    assert "task task-\\u202e1:" in result.stdout


def test_an_error_naming_ledger_content_is_escaped(run: Run, hostile: str) -> None:
    """An error line quoting what the user gave is escaped too."""
    result = run("replay", f"x{HOSTILE}")

    assert result.exit_code == 1
    assert "\x1b" not in result.stderr
    assert "\\x1b[31mred\\u202eevil" in result.stderr or SHOWN in result.stderr


def test_json_output_keeps_the_data_exact(run: Run, hostile: str) -> None:
    """--json is for programs: the data is the stored data, JSON-escaped as JSON requires."""
    result = run("replay", SUBJECT, "--json")

    assert "\\u001b[31mred\u202eevil" in result.stdout
