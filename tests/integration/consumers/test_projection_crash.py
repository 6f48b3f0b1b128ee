"""kill -9 a projecting process at random moments, many times: afterwards the projection equals a
rebuild from offset 0, and no event was applied twice or skipped.

Each test kills ``FLEETLEDGER_CRASH_TRIALS`` children (default 10, about 6 s per test on
two cores) while a writer keeps appending to the ledger, which starts with 6000 events over
four partitions. Every projection keeps a count per event id, so a repeated or a lost event
shows.
"""

import random
import sqlite3
from pathlib import Path

import pytest

import fleetledger
from fleetledger.consumers.projection import run_projection
from fleetledger.consumers.tables import project, rebuild
from tests.projection_crash import (
    append_tasks,
    assert_killed_mid_work,
    check_one_output_per_input,
    kill_at_random,
    trials,
    writing,
)
from tests.projections import Counts, Echo, all_ids, echoed, register_echo

EVENTS = 6000


def prepared(path: Path) -> str:
    """A SQLite ledger of ``EVENTS`` task events that accepts the echo outputs; its URL."""
    url = f"sqlite:///{path}"
    with fleetledger.open(url, default_source="setup") as ledger:
        register_echo(ledger)
        append_tasks(ledger, EVENTS, "t")
    return url


def table(path: Path) -> list[tuple[object, ...]]:
    """The counting projection's table, sorted: what two builds must share exactly."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM counts_applied ORDER BY id").fetchall()
    conn.close()
    return rows


def applied_so_far(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        try:
            found: int = conn.execute("SELECT count(*) FROM counts_applied").fetchone()[0]
        except sqlite3.OperationalError:  # killed before its tables were created
            found = 0
    conn.close()
    return found


def crash_tables(tmp_path: Path, database: Path, seed: int) -> None:
    url = prepared(tmp_path / "ledger.db")
    chance = random.Random(seed)
    progress = []
    with writing(url):
        for _ in range(trials()):
            kill_at_random(url, "tables", database, chance)
            progress.append(applied_so_far(database))
    with fleetledger.open(url, default_source="checker") as ledger:
        project(ledger, Counts(), database)
        rebuild(ledger, Counts(), tmp_path / "rebuilt.db")
        ids = all_ids(ledger)
    counts = {row[0]: row[4] for row in table(database)}
    assert set(counts.values()) == {1}, "an event was applied twice"
    assert set(counts) == ids, "an event was skipped"
    assert table(database) == table(tmp_path / "rebuilt.db")
    assert_killed_mid_work(progress, len(ids))


@pytest.mark.slow
def test_a_table_projection_in_its_own_file_survives_kill_9(tmp_path: Path) -> None:
    """Projection database apart from the ledger: killed children leave it equal to a
    rebuild, every event applied exactly once."""
    crash_tables(tmp_path, tmp_path / "projection.db", seed=11)


@pytest.mark.slow
def test_a_table_projection_in_the_ledgers_file_survives_kill_9(tmp_path: Path) -> None:
    """Projection tables inside the ledger's own SQLite file: the same promise."""
    crash_tables(tmp_path, tmp_path / "ledger.db", seed=12)


def echoed_so_far(url: str) -> int:
    with fleetledger.open(url, default_source="checker") as ledger:
        return len(echoed(ledger))


@pytest.mark.slow
def test_a_projection_writing_events_survives_kill_9_on_sqlite(tmp_path: Path) -> None:
    """Outputs and consumed offsets in one SQLite transaction: after many kills every input
    has exactly one output."""
    url = prepared(tmp_path / "ledger.db")
    chance = random.Random(13)
    progress = []
    with writing(url):
        for _ in range(trials()):
            kill_at_random(url, "events", None, chance)
            progress.append(echoed_so_far(url))
    with fleetledger.open(url, default_source="checker") as ledger:
        register_echo(ledger)
        run_projection(ledger, Echo())
        check_one_output_per_input(ledger)
        total = len(all_ids(ledger))
    assert_killed_mid_work(progress, total)
