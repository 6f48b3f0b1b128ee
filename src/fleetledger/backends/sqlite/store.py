"""The embedded backend: one SQLite file in WAL mode, safe for many threads and processes.

Appends of one process go through group commit (one writing thread at a time, leading a group of
concurrent appends; see ``writer``); processes serialize on SQLite's write lock, and each
transaction assigns offsets from the partition's true end, so offsets stay gap-free and in commit
order however many writers share the file. Reads use one connection per thread and never block the
writer.

The same transaction hashes each new event's body into its partition's RFC 6962 tree (its row's
``leaf`` and the ``trees`` table) and, with a signer, stores signed checkpoints every
``checkpoint_every`` events or ``checkpoint_interval`` seconds and on close.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TypeVar

import msgspec

from fleetledger.backends.leases import LeasedMember
from fleetledger.backends.protocols import (
    Commit,
    Guard,
    Leaf,
    NewCheckpoint,
    PartitionOffsets,
    PartitionTree,
    Record,
    StoredCheckpoint,
    StoredRecord,
    TopicPartition,
)
from fleetledger.backends.sqlite import copies, members, queries, retention, schema, trees
from fleetledger.backends.sqlite.appender import Appender, Batch, commit_offsets
from fleetledger.backends.sqlite.connections import connect, is_busy, translated
from fleetledger.backends.sqlite.queries import transaction
from fleetledger.backends.sqlite.writer import GroupCommit
from fleetledger.errors import (
    ConfigurationError,
    LedgerClosed,
    NotFound,
    ReadOnlyLedger,
)
from fleetledger.integrity import NoteSigner
from fleetledger.topics import FamilyPolicy
from fleetledger.types import Position

_as_record = partial(tuple.__new__, StoredRecord)
"""A row as a ``StoredRecord``, without the Python-level ``_make`` (one per row read)."""

_T = TypeVar("_T")
_SELECT = f"SELECT {schema.COLUMNS} FROM events"


def _batch_size(batch: Batch) -> int:
    return len(batch.records)


_PLACE = itemgetter(0, 1)
_CLOSE_WAIT = 30.0
"""Seconds :meth:`SQLiteBackend.close` waits for reads in flight on other threads."""
"""A record's topic and partition."""


class SQLiteBackend:
    """A ledger log in one SQLite file (``synchronous=FULL`` by default: durable on return)."""

    def __init__(
        self,
        path: str | Path,
        *,
        synchronous: str = "FULL",
        busy_timeout: float = 60.0,
        signer: NoteSigner | None = None,
        namespace: str = "fleet",
        checkpoint_every: int = 1000,
        checkpoint_interval: float = 5.0,
        readonly: bool = False,
    ) -> None:
        self.path = str(path)
        self.readonly = readonly
        if synchronous.upper() not in {"FULL", "NORMAL", "EXTRA", "OFF"}:
            raise ConfigurationError(
                f"synchronous must be FULL, NORMAL, EXTRA or OFF: {synchronous}"
            )
        self._check_path()
        self._synchronous = synchronous.upper()
        self._busy_ms = int(busy_timeout * 1000)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._readers_idle = threading.Condition(self._readers_lock)
        self._in_flight = 0
        self._policies: dict[str, FamilyPolicy] = {}
        self._notary = (
            None
            if signer is None or readonly
            else trees.InlineNotary(signer, namespace, checkpoint_every, checkpoint_interval)
        )
        self._appender = Appender(self._notary)
        self._closed = False
        self._writer: sqlite3.Connection | None = None
        self._commit: GroupCommit[Batch, list[Position]] | None = None
        if readonly:
            self._check_ledger(self._reader())
            return
        with translated(self.path):
            self._writer = self._connect()
            try:
                self._init_schema(self._writer)
            except BaseException:
                self._writer.close()  # a file that is not a ledger keeps no handle open
                raise
        self._commit = GroupCommit(self._apply_batches, size=_batch_size)

    def _check_path(self) -> None:
        path = Path(self.path)
        if self.readonly and not path.exists():
            raise NotFound(f"no ledger at {self.path}: the file does not exist")
        if not path.parent.is_dir():
            raise ConfigurationError(
                f"cannot create {self.path}: directory {path.parent} does not exist"
            )

    # -- connections -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        return connect(
            self.path,
            busy_ms=self._busy_ms,
            synchronous=self._synchronous,
            readonly=self.readonly,
        )

    def _check_ledger(self, conn: sqlite3.Connection) -> None:
        """Refuse a SQLite file that is not a ledger (one query: one snapshot, since another
        process may be creating the ledger right now)."""
        with translated(self.path):
            app_id, tables = conn.execute(
                "SELECT (SELECT application_id FROM pragma_application_id),"
                " (SELECT count(*) FROM sqlite_master)"
            ).fetchone()
        if app_id != schema.APPLICATION_ID and (app_id != 0 or tables):
            raise ConfigurationError(f"{self.path} is a SQLite file but not a fleetledger ledger")
        if self.readonly and app_id != schema.APPLICATION_ID:
            raise NotFound(f"no ledger at {self.path}: the file is empty")

    def _init_schema(self, conn: sqlite3.Connection) -> None:
        self._check_ledger(conn)
        if self._enable_wal(conn).lower() != "wal":
            raise ConfigurationError(f"{self.path}: the filesystem does not support WAL mode")
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in schema.SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            trees.upgrade(conn)  # an older file, once; a new one gets its version
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _enable_wal(self, conn: sqlite3.Connection) -> str:
        """Switch to WAL, retrying while other processes open the same new file.

        SQLite answers a journal-mode switch that races another connection with "database is
        locked" at once, without waiting for the busy timeout, so the wait happens here.
        """
        deadline = time.monotonic() + self._busy_ms / 1000
        while True:
            try:
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(0.005)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """This thread's reader connection, counted as in flight while the block runs.

        :meth:`close` waits for the reads in flight before it closes the connections: closing
        a connection while another thread's statement runs on it crashes the interpreter (a
        server closing its ledger while a request still reads, say).
        """
        with self._readers_lock:
            if self._closed:
                raise LedgerClosed(f"the SQLite ledger {self.path} is closed")
            self._in_flight += 1
        try:
            with translated(self.path):
                yield self._reader()
        finally:
            with self._readers_lock:
                self._in_flight -= 1
                if not self._in_flight:
                    self._readers_idle.notify_all()

    def _reader(self) -> sqlite3.Connection:
        if self._closed:
            raise LedgerClosed(f"the SQLite ledger {self.path} is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            with translated(self.path):
                conn = connect(self.path, busy_ms=self._busy_ms, readonly=True)
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def _writes(self) -> GroupCommit[Batch, list[Position]]:
        """The group commit, or :class:`ReadOnlyLedger` for a ledger opened to read."""
        if self._commit is None:
            raise ReadOnlyLedger(f"{self.path} was opened read-only: it takes no writes")
        return self._commit

    def _write_conn(self) -> sqlite3.Connection:
        assert self._writer is not None  # only a group commit's leader calls this
        return self._writer

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self._notary is not None and self._commit is not None:
                self._commit.call(self._checkpoint)
        finally:
            self._close()

    def _close(self) -> None:
        if self._commit is not None:
            self._commit.close()
        with self._readers_lock:
            self._closed = True
            self._readers_idle.wait_for(lambda: not self._in_flight, timeout=_CLOSE_WAIT)
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        if self._writer is not None:
            self._writer.close()

    # -- topics ------------------------------------------------------------------------------

    def create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        self._writes().call(lambda: self._create_topics(policies))

    def _create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        conn = self._write_conn()
        with translated(self.path), transaction(conn):
            stored = self._load_policies(conn)
            for topic, policy in policies.items():
                existing = stored.get(topic)
                if existing is not None and existing.partitions != policy.partitions:
                    raise ConfigurationError(
                        f"topic {topic!r} in {self.path} has {existing.partitions} partitions; "
                        f"the policy asks for {policy.partitions}. Changing it would move keys "
                        "to other partitions: keep the stored count or mirror to a new ledger",
                    )
                if existing != policy:
                    conn.execute(
                        "INSERT OR REPLACE INTO topics (name, policy) VALUES (?, ?)",
                        (topic, msgspec.json.encode(policy)),
                    )
        self._policies = {}

    def topics(self) -> dict[str, FamilyPolicy]:
        with self._reading() as conn:
            self._policies = self._load_policies(conn)
        return dict(self._policies)

    @staticmethod
    def _load_policies(conn: sqlite3.Connection) -> dict[str, FamilyPolicy]:
        rows = conn.execute("SELECT name, policy FROM topics ORDER BY name").fetchall()
        return {name: msgspec.json.decode(blob, type=FamilyPolicy) for name, blob in rows}

    def _policy(self, topic: str) -> FamilyPolicy:
        policy = self._policies.get(topic)
        if policy is None:
            policy = self.topics().get(topic)
            if policy is None:
                raise NotFound(f"no topic {topic!r} in {self.path}")
        return policy

    def _check_partition(self, topic: str, partition: int) -> None:
        policy = self._policy(topic)
        if not 0 <= partition < policy.partitions:
            raise NotFound(f"topic {topic!r} has no partition {partition}")

    # -- append ------------------------------------------------------------------------------

    def append(
        self,
        records: Sequence[Record],
        *,
        guard: Guard | None = None,
        offsets: Commit | None = None,
    ) -> list[Position]:
        if not records and offsets is None:
            return []
        places = set(map(_PLACE, records)) | set(offsets[1] if offsets is not None else ())
        for topic, partition in places:
            self._check_partition(topic, partition)
        return self._writes().submit(Batch(records, guard, offsets))

    def _apply_batches(self, batches: list[Batch]) -> list[list[Position]]:
        """One transaction for the group: plain batches as one (one insert for all), a group
        with guards or offsets batch by batch (each guard sees the batches placed before it;
        each batch's offsets are stored with it)."""
        with translated(self.path):
            if any(batch.guard is not None or batch.offsets is not None for batch in batches):
                return self._appender.append(self._write_conn(), batches)
            flat = [record for batch in batches for record in batch.records]
            positions = self._appender.append(self._write_conn(), [Batch(flat)])[0]
        results, start = [], 0
        for batch in batches:
            results.append(positions[start : start + len(batch.records)])
            start += len(batch.records)
        return results

    def sign(self) -> int:
        """Sign checkpoints of every partition changed since its last one, and a head, now."""
        if self._notary is None:
            raise ConfigurationError(
                f"{self.path} was opened without a signing key: open it with ?key=NAME.key or"
                " $FLEETLEDGER_KEY (fleetledger keys init writes one) to sign"
            )
        return self._writes().call(self._checkpoint)

    def rotate(self, signer: NoteSigner) -> None:
        """Hand signing over to ``signer`` (see :class:`SigningLog`)."""
        if self._notary is None:
            raise ConfigurationError(
                f"{self.path} was opened without a signing key: open it with the old key to"
                " hand over to a new one"
            )
        if signer.verifier == self._notary.signer.verifier:
            raise ConfigurationError("the new signing key is the key in force")
        self._writes().call(partial(self._rotate, signer))

    def _rotate(self, signer: NoteSigner) -> None:
        assert self._notary is not None
        with translated(self.path), transaction(self._write_conn()):
            self._notary.sign(self._write_conn(), handover_to=signer)
        self._notary.signer = signer
        self._notary.committed(0, signed=True)

    def _checkpoint(self) -> int:
        """Sign checkpoints of every partition changed since its last one (as a leader)."""
        assert self._notary is not None
        with translated(self.path), transaction(self._write_conn()):
            signed = self._notary.sign(self._write_conn())
        self._notary.committed(0, signed=True)
        return signed

    # -- read --------------------------------------------------------------------------------

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        policy = self._policy(topic)
        with self._reading() as conn:
            return [queries.partition_offsets(conn, topic, p) for p in range(policy.partitions)]

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        self._check_partition(topic, partition)
        with self._reading() as conn:
            rows = conn.execute(
                f"{_SELECT} WHERE topic = ? AND partition = ? AND offset >= ?"
                " ORDER BY offset LIMIT ?",
                (topic, partition, offset, limit),
            )
            return list(map(_as_record, rows))

    def read_subject(self, subject: str) -> list[StoredRecord]:
        with self._reading() as conn:
            rows = conn.execute(f"{_SELECT} WHERE subject = ? ORDER BY seq", (subject,))
            return list(map(_as_record, rows))

    def subject_bodies(self, subject: str) -> list[tuple[str, int, int, bytes]]:
        query = "SELECT topic, partition, offset, body FROM events WHERE subject = ? ORDER BY seq"
        with self._reading() as conn:
            return conn.execute(query, (subject,)).fetchall()

    def find(self, event_id: str) -> StoredRecord | None:
        with self._reading() as conn:
            row = conn.execute(f"{_SELECT} WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else _as_record(row)

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        self._check_partition(topic, partition)
        with self._reading() as conn:
            return queries.offset_for_time(conn, topic, partition, ms)

    # -- proofs ------------------------------------------------------------------------------

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]:
        with self._reading() as conn:
            return trees.read_leaves(conn, topic, partition, start, limit)

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        self._check_partition(topic, partition)
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT offset, body FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
                " ORDER BY offset LIMIT ?",
                (topic, partition, offset, limit),
            )
            return rows.fetchall()

    def window(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> tuple[list[Leaf], list[tuple[int, bytes]]]:
        self._check_partition(topic, partition)
        with self._reading() as conn:
            return trees.read_window(conn, topic, partition, offset, limit)

    def scan(
        self, partitions: Sequence[TopicPartition], limit: int
    ) -> Iterator[tuple[str, int, list[Leaf], list[tuple[int, bytes]]]]:
        for topic, partition in partitions:
            self._check_partition(topic, partition)
        with translated(self.path):
            yield from trees.scan_windows(self._reader(), partitions, limit)

    def tree(self, topic: str, partition: int) -> PartitionTree | None:
        with self._reading() as conn:
            return trees.read_tree(conn, topic, partition)

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        with self._reading() as conn:
            return trees.leaf_index(conn, topic, partition, offset)

    # -- tree copies -------------------------------------------------------------------------

    def tree_size(self, topic: str, partition: int) -> int:
        self._check_partition(topic, partition)
        with self._reading() as conn:
            return copies.tree_size(conn, topic, partition)

    def append_tree(
        self, topic: str, partition: int, items: Sequence[Record | bytes]
    ) -> list[Position]:
        self._check_partition(topic, partition)
        batch = list(items)

        def write() -> list[Position]:
            conn = self._write_conn()
            with translated(self.path), transaction(conn):
                placed = copies.append_tree(conn, topic, partition, batch)
            self._appender.forget((topic, partition))  # the next append reloads what changed
            return placed

        return self._writes().call(write)

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        with self._reading() as conn:
            return trees.read_checkpoints(conn, namespace)

    def store_checkpoints(self, namespace: str, notes: Sequence[NewCheckpoint]) -> None:
        """Store notes signed elsewhere (a mirror's copies) after those stored, as they are."""
        rows = [(n.kind, n.topic, n.partition, n.size, n.root, n.note) for n in notes]

        def write() -> None:
            with translated(self.path), transaction(self._write_conn()):
                trees.store_notes(self._write_conn(), rows)

        if rows:
            self._writes().call(write)

    # -- groups ------------------------------------------------------------------------------

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        def write() -> None:
            with translated(self.path), transaction(self._write_conn()):
                commit_offsets(self._write_conn(), (group, offsets))

        self._writes().call(write)

    def committed(self, group: str) -> dict[TopicPartition, int]:
        with self._reading() as conn:
            rows = conn.execute(
                "SELECT topic, partition, next_offset FROM group_offsets WHERE grp = ?", (group,)
            )
            return {(t, p): o for t, p, o in rows}

    def groups(self) -> list[str]:
        with self._reading() as conn:
            rows = conn.execute("SELECT DISTINCT grp FROM group_offsets ORDER BY grp")
            return [row[0] for row in rows]

    def delete_group(self, group: str) -> bool:
        def delete() -> bool:
            with translated(self.path), transaction(self._write_conn()):
                rows = self._write_conn().execute(
                    "DELETE FROM group_offsets WHERE grp = ?", (group,)
                )
                return rows.rowcount > 0

        return self._writes().call(delete)

    # -- members and dead letters (see fleetledger.backends.leases) ----------------------------

    def join(
        self, group: str, topics: Sequence[str], member: str, session_timeout: float
    ) -> LeasedMember:
        partitions = [(t, p) for t in topics for p in range(self._policy(t).partitions)]
        return LeasedMember(self, group, member, partitions, session_timeout)

    def _locked(self, step: Callable[[sqlite3.Connection], _T]) -> _T:
        """Run ``step`` in one write transaction, through the group commit."""

        def write() -> _T:
            conn = self._write_conn()
            with translated(self.path), transaction(conn):
                return step(conn)

        return self._writes().call(write)

    def renew(self, group: str, member: str, session_ms: int, *, join: bool) -> bool:
        return self._locked(lambda c: members.renew(c, group, member, session_ms, join))

    def take(
        self, group: str, member: str, partitions: Sequence[TopicPartition], session_ms: int
    ) -> dict[TopicPartition, int]:
        return self._locked(lambda c: members.take(c, group, member, partitions, session_ms))

    def commit_leased(
        self,
        group: str,
        member: str,
        epochs: Mapping[TopicPartition, int],
        offsets: Mapping[TopicPartition, int],
    ) -> None:
        self._locked(lambda c: members.commit_leased(c, group, member, epochs, offsets))

    def part(self, group: str, member: str) -> None:
        self._locked(lambda c: members.part(c, group, member))

    def add_dead_letters(self, topic: str, records: Sequence[bytes]) -> None:
        self._locked(lambda c: members.add_dead_letters(c, topic, records))

    def dead_letters(self, topic: str) -> list[bytes]:
        with self._reading() as conn:
            return members.dead_letters(conn, topic)

    # -- retention ---------------------------------------------------------------------------

    def enforce_retention(self, now_ms: int) -> int:
        return self._writes().call(lambda: self._enforce_retention(now_ms))

    def _enforce_retention(self, now_ms: int) -> int:
        conn = self._write_conn()
        with translated(self.path), transaction(conn):
            return retention.enforce(conn, self._load_policies(conn), now_ms)
