"""``verify --deep``: the columns lookups use must say what each event's bytes say."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from fleetledger.audit.verify import FindingKind
from fleetledger.cli.app import app
from fleetledger.integrity import NoteVerifier

from .conftest import SQL, Append, Open


@pytest.mark.parametrize(
    ("column", "value"),
    [("subject", "task-2"), ("id", "forged-id"), ("type", "task.completed"), ("key", "other")],
)
def test_an_edited_index_column_is_found_only_by_a_deep_verify(
    *,
    open_ledger: Open,
    append_tasks: Append,
    sql: SQL,
    verifier: NoteVerifier,
    column: str,
    value: str,
) -> None:
    """The bytes and proofs are untouched, so only comparing columns with bytes finds it."""
    offsets = append_tasks(open_ledger(), 4)
    update = f"UPDATE events SET {column} = ? WHERE offset = ? AND topic = 'fleet.task'"
    sql(update, value, offsets[2])
    ledger = open_ledger(sign=False)
    assert ledger.verify(verifier).ok
    findings = ledger.verify(verifier, deep=True).findings
    assert [(f.kind, f.offset) for f in findings] == [(FindingKind.MISINDEXED, offsets[2])]
    assert column in findings[0].detail


def test_an_edited_recorded_time_is_found_by_a_deep_verify(
    open_ledger: Open, append_tasks: Append, sql: SQL, verifier: NoteVerifier
) -> None:
    offsets = append_tasks(open_ledger(), 3)
    sql("UPDATE events SET recorded_ms = recorded_ms - 86400000 WHERE offset = ?", offsets[1])
    findings = open_ledger(sign=False).verify(verifier, deep=True).findings
    assert [(f.kind, f.offset) for f in findings] == [(FindingKind.MISINDEXED, offsets[1])]


def test_an_untouched_ledger_passes_a_deep_verify(
    open_ledger: Open, append_tasks: Append, verifier: NoteVerifier
) -> None:
    ledger = open_ledger()
    append_tasks(ledger, 7)
    ledger.append("tool.call.requested", subject="task-9", data={"call_id": "c-1", "tool": "t"})
    assert ledger.verify(verifier, deep=True).ok


def test_verify_deep_on_the_command_line_exits_1_naming_the_event(
    open_ledger: Open, append_tasks: Append, sql: SQL, db: Path, key_files: tuple[Path, Path]
) -> None:
    offsets = append_tasks(open_ledger(), 3)
    sql("UPDATE events SET subject = 'elsewhere' WHERE offset = ?", offsets[0])
    url = f"sqlite:///{db}"
    args = ["verify", "--key", str(key_files[1]), "--ledger", url]
    assert CliRunner().invoke(app, args).exit_code == 0
    result = CliRunner().invoke(app, [*args, "--deep"])
    assert result.exit_code == 1
    assert "misindexed" in result.output
