"""Every bad input is answered with one clear line, exit code 2, and an unchanged ledger."""

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

Run = Callable[..., Result]

EMIT = ("emit", "task.requested", "--subject", "task-9")
BAD_INPUTS = {
    "malformed data JSON": ([*EMIT, "--data", '{"goal": '], None, "--data is not valid JSON"),
    "missing data file": ([*EMIT, "--data", "@{tmp}/missing.json"], None, "cannot read"),
    "unknown type": (["emit", "task.nope", "--subject", "t"], None, "unknown event type"),
    "wrong data field": ([*EMIT, "--data", '{"gol": "x"}'], None, "data.gol"),
    "wrong data type": ([*EMIT, "--data", '{"goal": 7}'], None, "data.goal"),
    "missing subject": (["emit", "task.started"], None, "missing --subject"),
    "missing type": (["emit", "--subject", "t"], None, "give an event TYPE"),
    "bad traceparent": (["emit", "task.started", "--subject", "t", "--trace", "x"], None, "W3C"),
    "lowered classification": (
        ["emit", "governance.escalated", "--subject", "t", "--classification", "public"],
        None,
        "dataclassification",
    ),
    "oversized event": (
        [*EMIT, "--data", '{"goal": "' + "x" * 2000 + '"}'],
        "{url}?max_event_bytes=1024",
        "above the limit of 1024 bytes",
    ),
    "missing events file": (["emit", "--file", "{tmp}/missing.jsonl"], None, "cannot read"),
    "events file and options": (["emit", "--file", "-", "--subject", "t"], None, "drop TYPE"),
    "unknown family": (["tail", "--family", "nope"], None, "no family 'nope'"),
    "unknown group": (["lag", "nobody"], None, "consumer group 'nobody' has never committed"),
    "unsupported URL scheme": (["topics"], "nosuch://x", "unsupported ledger URL scheme"),
    "not a URL": (["topics"], "ledger.db", "not a ledger URL"),
    "missing directory": (["topics"], "sqlite:///{tmp}/nowhere/l.db", "does not exist"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    run: Run,
    seeded: str,
    count: Callable[[], int],
    tmp_path: Path,
    case: tuple[list[str], str | None, str],
) -> None:
    """The error is one red line naming the fault, without a traceback; nothing is appended."""
    args, ledger, message = case
    before = count()

    def fill(text: str) -> str:
        return text.replace("{tmp}", str(tmp_path)).replace("{url}", seeded)

    result = run(*map(fill, args), ledger=ledger and fill(ledger))

    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert len(result.stderr.splitlines()) == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert count() == before


def test_a_ledger_in_a_missing_directory_is_not_created(run: Run, tmp_path: Path) -> None:
    """Naming a ledger in a directory that does not exist creates neither directory nor file."""
    run("topics", ledger=f"sqlite:///{tmp_path}/nowhere/l.db")

    assert not (tmp_path / "nowhere").exists()


def test_unknown_options_are_usage_errors(run: Run) -> None:
    """An option no command knows exits 2, as every usage error does."""
    result = run("topics", "--nope")

    assert result.exit_code == 2
    assert "Traceback" not in result.output
