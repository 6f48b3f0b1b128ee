"""A ledger file of the previous layout (version 2) is upgraded once by its first writer, and
read as it is by a reader; either way nothing it holds is lost or changes meaning."""

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

import fleetledger
from fleetledger.integrity import NoteVerifier

FIXTURE = Path(__file__).parent / "fixtures" / "version2.db"
VERIFIER = NoteVerifier.from_vkey(
    "fixture.example/v2+1c26d5e3+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4"
)
EVENTS, EXPIRED = 42, 6


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    """A copy of a ledger written by the version-2 storage code."""
    copy = tmp_path / "ledger.db"
    shutil.copyfile(FIXTURE, copy)
    return copy


def _query(path: Path, statement: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(statement).fetchall()


def test_the_fixture_is_a_version_2_file() -> None:
    """The file the other tests open really has the old layout: a leaves table, no leaf column."""
    assert _query(FIXTURE, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert _query(FIXTURE, "SELECT type FROM sqlite_master WHERE name = 'leaves'") == [("table",)]
    columns = [row[1] for row in _query(FIXTURE, "PRAGMA table_info(events)")]
    assert "leaf" not in columns


def test_the_first_writer_upgrades_a_version_2_file_to_the_current_layout(old_file: Path) -> None:
    """Leaves move into their events' rows; those of expired events into expired_leaves."""
    fleetledger.open(f"sqlite:///{old_file}", signer=False).close()

    assert _query(old_file, "SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    assert _query(old_file, "SELECT count(*) FROM events WHERE leaf IS NOT NULL") == [(EVENTS,)]
    assert _query(old_file, "SELECT count(*) FROM expired_leaves") == [(EXPIRED,)]
    assert _query(old_file, "SELECT type FROM sqlite_master WHERE name = 'leaves'") == [("view",)]


def test_an_upgraded_file_verifies_against_the_heads_signed_before_the_upgrade(
    old_file: Path,
) -> None:
    """Every leaf is where verify looks for it, and every signed note still holds."""
    with fleetledger.open(f"sqlite:///{old_file}", signer=False) as ledger:
        result = ledger.verify(VERIFIER)

    assert result.ok, result.findings
    assert (result.events, result.leaves, result.expired) == (EVENTS, EVENTS + EXPIRED, EXPIRED)
    assert result.checkpoints > 0


def test_an_upgraded_file_takes_appends_and_keeps_its_groups_and_history(old_file: Path) -> None:
    """Appends extend the old trees; replay, groups and offsets are those written before."""
    with fleetledger.open(f"sqlite:///{old_file}", signer=False) as ledger:
        before = [event.id for event in ledger.replay("task-03")]
        position = ledger.append(
            "task.completed", subject="task-03", source="tests", data={"summary": "again"}
        )
        after = [event.id for event in ledger.replay("task-03")]
        committed = ledger.lag("audit")
        result = ledger.verify(VERIFIER)

    assert before == ["task-03-req", "task-03-call", "task-03-done"]
    assert after[:3] == before
    assert len(after) == 4
    assert position.offset > 0
    assert sum(lag.committed for lag in committed) == 7
    assert result.ok, result.findings


def test_a_reader_reads_a_version_2_file_as_it_is_and_leaves_it_untouched(old_file: Path) -> None:
    """A read-only open neither upgrades nor writes: the bytes stay, and verify still holds."""
    before = old_file.read_bytes()
    with fleetledger.open(f"sqlite:///{old_file}", readonly=True) as ledger:
        result = ledger.verify(VERIFIER)
        replayed = [event.id for event in ledger.replay("task-00")]

    assert result.ok, result.findings
    assert (result.events, result.leaves) == (EVENTS, EVENTS + EXPIRED)
    assert replayed == ["task-00-req", "task-00-call", "task-00-done"]
    assert old_file.read_bytes() == before
