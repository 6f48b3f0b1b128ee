"""Table projections: tables and offsets in one SQLite transaction per batch, and rebuilds."""

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import AccessDenied, ConfigurationError, Event, Ledger, Principal
from fleetledger.consumers.projection import TableProjection
from fleetledger.consumers.tables import project, rebuild
from fleetledger.testing import memory_ledger
from tests.projections import Counts, all_ids, applied


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    """A SQLite ledger with 120 task events."""
    with fleetledger.open(f"sqlite:///{tmp_path / 'ledger.db'}", default_source="t") as opened:
        started(opened, 120)
        yield opened


def started(ledger: Ledger, count: int, prefix: str = "t") -> None:
    ledger.append_many(
        [{"type": "task.started", "subject": f"{prefix}{n % 13}"} for n in range(count)]
    )


def stored_offsets(path: Path, name: str = "counts") -> dict[tuple[str, int], int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT topic, partition, next FROM fleetledger_projection_offsets WHERE name = ?",
            (name,),
        ).fetchall()
    conn.close()
    return {(t, p): n for t, p, n in rows}


class Failing(Counts):
    """Counts, failing on one event id."""

    def __init__(self, fail_on: str) -> None:
        super().__init__()
        self.fail_on = fail_on

    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        super().apply(conn, event)
        if event.id == self.fail_on:
            raise RuntimeError("refused")


def test_the_counting_projection_satisfies_the_protocol() -> None:
    """The test projection is a TableProjection."""
    assert isinstance(Counts(), TableProjection)


def test_every_event_is_applied_once(ledger: Ledger, tmp_path: Path) -> None:
    """A first run creates the tables and applies each event exactly once."""
    run = project(ledger, Counts(), tmp_path / "p.db", batch=25)
    assert (run.events, run.batches) == (120, 5)
    counts = applied(tmp_path / "p.db")
    assert set(counts) == all_ids(ledger)
    assert set(counts.values()) == {1}


def test_the_offsets_are_stored_beside_the_state(ledger: Ledger, tmp_path: Path) -> None:
    """The next offsets of every partition are in the projection's database, not in the
    ledger's consumer groups."""
    run = project(ledger, Counts(), tmp_path / "p.db")
    assert stored_offsets(tmp_path / "p.db") == run.positions
    assert sum(run.positions.values()) == 120
    assert ledger.groups() == []


def test_a_second_run_applies_only_what_is_new(ledger: Ledger, tmp_path: Path) -> None:
    """Resuming from the stored offsets: nothing is applied twice."""
    project(ledger, Counts(), tmp_path / "p.db")
    started(ledger, 9, prefix="u")
    assert project(ledger, Counts(), tmp_path / "p.db").events == 9
    assert set(applied(tmp_path / "p.db").values()) == {1}


def test_a_failing_event_rolls_back_its_whole_batch(ledger: Ledger, tmp_path: Path) -> None:
    """An exception in apply keeps neither the batch's changes nor its offsets, and says which
    event failed; the batches committed before stay."""
    path = tmp_path / "p.db"
    project(ledger, Counts(), path, batch=10_000)
    started(ledger, 30, prefix="u")
    victim = sorted(all_ids(ledger) - set(applied(path)))[5]
    before = stored_offsets(path)
    with pytest.raises(RuntimeError) as caught:
        project(ledger, Failing(victim), path)
    assert victim in "".join(caught.value.__notes__)
    assert len(applied(path)) == 120
    assert stored_offsets(path) == before


def test_the_projection_may_live_in_the_ledgers_own_file(ledger: Ledger, tmp_path: Path) -> None:
    """Projecting into the ledger's file keeps the ledger working beside the new tables."""
    path = tmp_path / "ledger.db"
    project(ledger, Counts(), path)
    started(ledger, 7, prefix="v")
    assert project(ledger, Counts(), path).events == 7
    assert set(applied(path)) == all_ids(ledger)
    assert ledger.verify().ok


def test_rebuild_drops_the_state_and_projects_from_offset_zero(
    ledger: Ledger, tmp_path: Path
) -> None:
    """A rebuild applies every event once again into fresh tables."""
    path = tmp_path / "p.db"
    project(ledger, Counts(), path)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE counts_applied SET n = 99")
    conn.close()
    run = rebuild(ledger, Counts(), path)
    assert run.events == 120
    assert set(applied(path).values()) == {1}


def test_rebuild_touches_only_what_the_projection_created(ledger: Ledger, tmp_path: Path) -> None:
    """Other tables of the database (here: the ledger's own, and another projection's)
    survive a rebuild."""
    path = tmp_path / "ledger.db"
    project(ledger, Counts("other"), path)
    rebuild(ledger, Counts(), path)
    assert len(applied(path, "other")) == 120
    assert ledger.get(next(iter(all_ids(ledger)))).type == "task.started"


def test_a_projection_asking_for_other_families_must_be_rebuilt(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The families a projection was built from are kept; another set is refused."""
    project(ledger, Counts(), tmp_path / "p.db")
    with pytest.raises(ConfigurationError, match="rebuild"):
        project(ledger, Counts(families=("task", "tool")), tmp_path / "p.db")


class Scripted(Counts):
    def setup(self, conn: sqlite3.Connection) -> None:
        conn.executescript("CREATE TABLE counts_applied (id TEXT PRIMARY KEY, n INTEGER);")


def test_a_setup_that_commits_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """executescript commits the registering transaction: refused, saying why."""
    with pytest.raises(ConfigurationError, match="executescript"):
        project(ledger, Scripted(), tmp_path / "p.db")


class Committing(Counts):
    def apply(self, conn: sqlite3.Connection, event: Event) -> None:
        super().apply(conn, event)
        conn.execute("COMMIT")


def test_an_apply_that_commits_is_refused(ledger: Ledger, tmp_path: Path) -> None:
    """A projection that commits inside apply would break exactly-once: refused."""
    with pytest.raises(ConfigurationError, match="neither commit"):
        project(ledger, Committing(), tmp_path / "p.db")


def test_a_memory_ledger_can_be_projected(tmp_path: Path) -> None:
    """The source may be any backend: offsets live with the state."""
    with memory_ledger(default_source="t") as ledger:
        started(ledger, 15)
        assert project(ledger, Counts(), tmp_path / "p.db").events == 15


def test_a_principal_that_may_not_read_the_families_is_refused(tmp_path: Path) -> None:
    """project asks for read on the projection's families: AccessDenied, nothing created."""
    policy = fleetledger.Policy(
        fleetledger.governance.parse_rules(
            [{"effect": "allow", "actions": ["read"], "principals": ["v"], "families": ["tool"]}]
        )
    )
    with memory_ledger(principal=Principal("v"), access=policy) as ledger:
        with pytest.raises(AccessDenied):
            project(ledger, Counts(), tmp_path / "p.db")
        with pytest.raises(AccessDenied):
            rebuild(ledger, Counts(), tmp_path / "p.db")
    assert not (tmp_path / "p.db").exists()


def test_a_database_in_a_missing_directory_is_a_configuration_error(
    ledger: Ledger, tmp_path: Path
) -> None:
    """The error names the missing directory."""
    with pytest.raises(ConfigurationError, match="does not exist"):
        project(ledger, Counts(), tmp_path / "nowhere" / "p.db")
