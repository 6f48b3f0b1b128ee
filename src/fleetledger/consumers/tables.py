"""Table projections: tables in a SQLite database, kept with their offsets in one transaction.

Each batch is one ``BEGIN IMMEDIATE ... COMMIT`` on the projection's database: the events are
applied and the next offsets stored (:mod:`.projection_store`) together, so a process killed at
any moment leaves tables and offsets of the same batch, and the next run resumes exactly after
it. The offsets live with the state, not in the ledger's consumer groups, so the source ledger
may be SQLite (the database may be its very file) or Kafka.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path

from fleetledger.consumers import projection_store as store
from fleetledger.consumers.projection import (
    ProjectionRun,
    Stop,
    TableProjection,
    batches_of,
    check_batch,
)
from fleetledger.errors import BackendError, ConfigurationError
from fleetledger.events.envelope import Event
from fleetledger.ledger import Ledger
from fleetledger.types import TopicPartition

__all__ = ["project", "rebuild"]

_BUSY_MS = 60_000
"""How long a batch waits for the database's write lock (the ledger's writers may hold it)."""


def project(
    ledger: Ledger,
    projection: TableProjection,
    path: str | Path,
    *,
    batch: int = 500,
    until_idle: bool = True,
    stop: Stop | None = None,
) -> ProjectionRun:
    """Bring ``projection``'s tables in the SQLite database at ``path`` up to date with
    ``ledger``, from the offsets stored there (the first run creates its tables).

    Per batch of up to ``batch`` events, one transaction applies them and stores the next
    offsets. Ends when no new event is there (``until_idle``) or, otherwise, when ``stop()``
    is true. An event ``apply`` raises for rolls its whole batch back (the error is raised,
    noting the event); running again resumes after the last committed batch. Needs ``read``
    on the projection's families.
    """
    check_batch(batch)
    ledger.authorize("read", projection.families)
    with closing(_connect(path)) as conn:
        _prepare(conn, projection, path)
        with _translated(path):
            stored = store.positions(conn, projection.name)
        how = (batch, until_idle, stop)
        return _run(ledger, projection, conn, stored=stored, how=how, path=path)


def rebuild(
    ledger: Ledger,
    projection: TableProjection,
    path: str | Path,
    *,
    batch: int = 500,
) -> ProjectionRun:
    """Drop what ``projection``'s setup created in the database at ``path`` and its offsets,
    create its tables afresh, and project everything from offset 0 (the retained start).

    The drop and the new setup are one transaction: a crash leaves the old tables with their
    offsets or the empty ones without any. Nothing else in the file is touched.
    """
    check_batch(batch)
    ledger.authorize("read", projection.families)
    with closing(_connect(path)) as conn, _translated(path), _transaction(conn):
        store.create_schema(conn)
        store.forget(conn, projection.name)
        store.register(conn, projection.name, projection.families, projection.setup)
    return project(ledger, projection, path, batch=batch)


def _run(
    ledger: Ledger,
    projection: TableProjection,
    conn: sqlite3.Connection,
    *,
    stored: dict[TopicPartition, int],
    how: tuple[int, bool, Stop | None],
    path: str | Path,
) -> ProjectionRun:
    batch, until_idle, stop = how
    events = batches = 0
    with ledger.consumer(projection.name, projection.families) as consumer:
        for topic, partition in consumer.assignment:  # the group store is not ours: seek
            consumer.seek(topic, partition, stored.get((topic, partition), 0))
        committed = consumer.positions
        for read, positions in batches_of(consumer, batch, until_idle, stop):
            _commit_batch(conn, projection, read, positions, path)
            committed = positions
            events, batches = events + len(read), batches + 1
        return ProjectionRun(projection.name, events, batches, 0, consumer.withheld, committed)


def _commit_batch(
    conn: sqlite3.Connection,
    projection: TableProjection,
    events: Sequence[Event],
    positions: dict[TopicPartition, int],
    path: str | Path,
) -> None:
    """Apply ``events`` and store ``positions`` in one transaction."""
    with _translated(path), _transaction(conn):
        for event in events:
            _apply(conn, projection, event)
        store.save(conn, projection.name, positions)


def _apply(conn: sqlite3.Connection, projection: TableProjection, event: Event) -> None:
    try:
        projection.apply(conn, event)
    except BaseException as exc:
        exc.add_note(
            f"projection {projection.name!r} failed on event {event.id} at {event.position};"
            " nothing of its batch was kept"
        )
        raise
    if not conn.in_transaction:
        raise ConfigurationError(
            f"projection {projection.name!r} ended the batch's transaction while applying"
            f" event {event.id}: apply must neither commit nor roll back"
        )


def _prepare(conn: sqlite3.Connection, projection: TableProjection, path: str | Path) -> None:
    """Create the bookkeeping tables, and the projection's own on its first run; refuse a
    projection built from other families."""
    wanted = tuple(projection.families)
    with _translated(path), _transaction(conn):
        store.create_schema(conn)
        built = store.registered(conn, projection.name)
        if built is None:
            store.register(conn, projection.name, wanted, projection.setup)
        elif built != wanted:
            raise ConfigurationError(
                f"projection {projection.name!r} in {path} was built from families"
                f" {', '.join(built)}, not {', '.join(wanted)}: rebuild it"
            )


def _connect(path: str | Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are begun explicitly), in WAL mode with
    ``synchronous=FULL``: a committed batch survives a power cut, not only a killed process."""
    where = Path(path)
    if not where.parent.is_dir():
        raise ConfigurationError(f"cannot create {path}: directory {where.parent} does not exist")
    with _translated(path):
        conn = sqlite3.connect(where, isolation_level=None, timeout=_BUSY_MS / 1000)
        try:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
    return conn


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


@contextmanager
def _translated(path: str | Path) -> Iterator[None]:
    """SQLite's own errors (a locked or unreadable file) as :class:`BackendError`; errors of
    the projection's code pass as they are (they carry a note instead)."""
    try:
        yield
    except sqlite3.Error as exc:
        if getattr(exc, "__notes__", None):
            raise
        raise BackendError(f"projection database {path}: {exc}") from exc
