"""The embedded backend: one SQLite file in WAL mode, safe for many threads and processes.

Appends go through one writer thread per process (group commit); processes serialize on
SQLite's write lock, and each transaction assigns offsets from the partition's true end, so
offsets stay gap-free and in commit order however many writers share the file. Reads use one
connection per thread and never block the writer.

The same transaction hashes each new event's body into its partition's RFC 6962 tree (the
``leaves`` and ``trees`` tables) and, with a signer, stores signed checkpoints every
``checkpoint_every`` events or ``checkpoint_interval`` seconds and on close.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import msgspec

from fleetledger.backends.protocols import (
    AlreadyStored,
    Leaf,
    NewCheckpoint,
    PartitionOffsets,
    PartitionTree,
    Record,
    StoredCheckpoint,
    StoredRecord,
    TopicPartition,
)
from fleetledger.backends.sqlite import schema, trees
from fleetledger.backends.sqlite.connections import connect, is_busy, translated
from fleetledger.backends.sqlite.writer import GroupCommit
from fleetledger.errors import (
    ConfigurationError,
    IdConflict,
    LedgerClosed,
    NotFound,
    ReadOnlyLedger,
)
from fleetledger.events.identity import same_event
from fleetledger.integrity import NoteSigner, leaf_hashes
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy
from fleetledger.types import Position

_SELECT = f"SELECT {schema.COLUMNS} FROM events"
_ID_CHUNK = 500


class _PositionTaken(Exception):
    """Another process appended to a partition this writer had cached; reload and retry."""


_CONSTRAINT_UNIQUE = 2067
"""SQLITE_CONSTRAINT_UNIQUE: an insert hit a unique index (here: a taken position)."""


class _Stored(NamedTuple):
    """An event id's stored position and bytes, for the duplicate check."""

    position: Position
    body: bytes


class _Row(NamedTuple):
    """One ``events`` row as inserted, in :data:`schema.INSERT`'s column order."""

    topic: str
    partition: int
    offset: int
    key: str
    id: str
    subject: str
    type: str
    recorded_ms: int
    body: bytes


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
        self._policies: dict[str, FamilyPolicy] = {}
        self._next: dict[TopicPartition, int] = {}
        self._trees: dict[TopicPartition, PartitionTree] = {}
        self._notary = (
            None
            if signer is None or readonly
            else trees.InlineNotary(signer, namespace, checkpoint_every, checkpoint_interval)
        )
        self._data_version = -1
        self._closed = False
        self._writer: sqlite3.Connection | None = None
        self._commit: GroupCommit[Sequence[Record], list[Position]] | None = None
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
        self._commit = GroupCommit(self._apply_batches, size=len)

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
            # A file without a version predates it (or was filled by plain sqlite3): backfill
            # its leaves too; on a new file that finds nothing to hash.
            if trees.stored_version(conn) < schema.SCHEMA_VERSION:
                trees.backfill(conn)
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

    def _writes(self) -> GroupCommit[Sequence[Record], list[Position]]:
        """The writer thread, or :class:`ReadOnlyLedger` for a ledger opened to read."""
        if self._commit is None:
            raise ReadOnlyLedger(f"{self.path} was opened read-only: it takes no writes")
        return self._commit

    def _write_conn(self) -> sqlite3.Connection:
        assert self._writer is not None  # only the writer thread calls this, which exists
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
        self._closed = True
        with self._readers_lock:
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
        with translated(self.path), self._transaction(conn):
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
        with translated(self.path):
            self._policies = self._load_policies(self._reader())
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

    def append(self, records: Sequence[Record]) -> list[Position]:
        if not records:
            return []
        for topic, partition in {(r.topic, r.partition) for r in records}:
            self._check_partition(topic, partition)
        return self._writes().submit(records)

    def _apply_batches(self, batches: list[Sequence[Record]]) -> list[list[Position]]:
        flat = [record for batch in batches for record in batch]
        with translated(self.path):
            try:
                positions = self._insert(flat, dedupe=False)
            except _PositionTaken:
                self._next.clear()
                self._trees.clear()
                positions = self._insert(flat, dedupe=True)
        results, start = [], 0
        for batch in batches:
            results.append(positions[start : start + len(batch)])
            start += len(batch)
        return results

    def _insert(self, records: list[Record], *, dedupe: bool) -> list[Position]:
        """Insert in one transaction; without ``dedupe`` a repeated id aborts to the slow path.

        The slow path looks every id up: a stored id with the same event is not stored again,
        one with other content refuses the whole transaction (:class:`IdConflict`).
        """
        conn = self._write_conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self._next.clear()  # another process committed: cached ends may be stale
                self._trees.clear()
                self._data_version = version
            known = self._existing(conn, records) if dedupe else {}
            rows, positions, fresh = self._place(conn, records, known)
            try:
                inserted = conn.executemany(schema.INSERT, rows).rowcount
            except sqlite3.IntegrityError as exc:
                if exc.sqlite_errorcode == _CONSTRAINT_UNIQUE:
                    raise _PositionTaken from exc
                raise
            if inserted != len(rows):  # an id was stored before: redo with the lookup
                raise _PositionTaken
            grown = self._grow_trees(conn, rows)
            notary = self._notary
            signed = notary is not None and notary.due(len(rows))
            if notary is not None and signed:
                notary.sign(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._next.update(fresh)
        self._trees.update(grown)
        if self._notary is not None:
            self._notary.committed(len(rows), signed=signed)
        return positions

    def _place(
        self, conn: sqlite3.Connection, records: list[Record], known: dict[str, _Stored]
    ) -> tuple[list[_Row], list[Position], dict[TopicPartition, int]]:
        """The rows to insert at the partitions' ends, every record's position, and the new
        ends; a record whose id is ``known`` (or earlier in the batch) takes that position."""
        fresh: dict[TopicPartition, int] = {}
        rows: list[_Row] = []
        positions: list[Position] = []
        for r in records:
            stored = known.get(r.id)
            if stored is None:
                tp = (r.topic, r.partition)
                offset = fresh.get(tp)
                if offset is None:
                    offset = self._next.get(tp)
                    if offset is None:
                        offset = self._load_end(conn, r.topic, r.partition)
                fresh[tp] = offset + 1
                position = Position(r.topic, r.partition, offset)
                known[r.id] = _Stored(position, r.body)
                rows.append(
                    _Row(
                        r.topic,
                        r.partition,
                        offset,
                        r.key,
                        r.id,
                        r.subject,
                        r.type,
                        r.recorded_ms,
                        r.body,
                    )
                )
                positions.append(position)
            elif same_event(stored.body, r.body):
                positions.append(AlreadyStored(*stored.position))
            else:
                raise IdConflict(r.id, stored.position)
        return rows, positions, fresh

    def _grow_trees(
        self, conn: sqlite3.Connection, rows: list[_Row]
    ) -> dict[TopicPartition, PartitionTree]:
        """Hash the new rows into leaves and their partitions' frontiers (same transaction).

        Rows of one partition are in offset order and gap-free, so each partition's hashes
        extend its frontier as one batch; leaf ``i`` is the event at offset ``start + i``. The
        cache is only updated by the caller after the commit, so a rolled-back transaction
        leaves it untouched.
        """
        hashes = leaf_hashes(row.body for row in rows)
        batches: dict[TopicPartition, list[bytes]] = {}
        firsts: dict[TopicPartition, int] = {}
        for row, hashed in zip(rows, hashes, strict=True):
            batches.setdefault((row.topic, row.partition), []).append(hashed)
            firsts.setdefault((row.topic, row.partition), row.offset)
        grown: dict[TopicPartition, PartitionTree] = {}
        leaves: list[tuple[str, int, int, bytes]] = []
        for (topic, partition), batch in batches.items():
            cached = self._trees.get((topic, partition))
            if cached is None:
                cached = trees.load_tree(conn, topic, partition)
            first = firsts[(topic, partition)]
            if cached.start + cached.frontier.size != first:
                cached = trees.catch_up(conn, topic, partition, cached, first)
            start, tree = cached.start, cached.frontier.copy()
            leaves.extend((topic, partition, first - start + i, h) for i, h in enumerate(batch))
            tree.extend_hashes(batch)
            trees.save_tree(conn, topic, partition, PartitionTree(start, tree))
            grown[(topic, partition)] = PartitionTree(start, tree)
        trees.insert_leaves(conn, leaves)
        return grown

    def sign(self) -> int:
        """Sign checkpoints of every partition changed since its last one, and a head, now."""
        if self._notary is None:
            raise ConfigurationError(
                f"{self.path} was opened without a signing key: open it with ?key=NAME.key or"
                " $FLEETLEDGER_KEY (fleetledger keys init writes one) to sign"
            )
        return self._writes().call(self._checkpoint)

    def _checkpoint(self) -> int:
        """Sign checkpoints of every partition changed since its last one (writer thread)."""
        assert self._notary is not None
        with translated(self.path), self._transaction(self._write_conn()):
            signed = self._notary.sign(self._write_conn())
        self._notary.committed(0, signed=True)
        return signed

    @staticmethod
    def _existing(conn: sqlite3.Connection, records: list[Record]) -> dict[str, _Stored]:
        ids = list({r.id for r in records})
        found: dict[str, _Stored] = {}
        for i in range(0, len(ids), _ID_CHUNK):
            chunk = ids[i : i + _ID_CHUNK]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT id, topic, partition, offset, body FROM events WHERE id IN ({marks})"
            for event_id, topic, partition, offset, body in conn.execute(query, chunk):
                found[event_id] = _Stored(Position(topic, partition, offset), body)
        return found

    @staticmethod
    def _load_end(conn: sqlite3.Connection, topic: str, partition: int) -> int:
        row = conn.execute(
            "SELECT max(coalesce((SELECT max(offset) + 1 FROM events"
            " WHERE topic = ?1 AND partition = ?2), 0),"
            " coalesce((SELECT next_offset FROM heads WHERE topic = ?1 AND partition = ?2), 0))",
            (topic, partition),
        ).fetchone()
        return int(row[0])

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    # -- read --------------------------------------------------------------------------------

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        policy = self._policy(topic)
        with translated(self.path):
            conn = self._reader()
            return [self._partition_offsets(conn, topic, p) for p in range(policy.partitions)]

    @classmethod
    def _partition_offsets(
        cls, conn: sqlite3.Connection, topic: str, partition: int
    ) -> PartitionOffsets:
        end = cls._load_end(conn, topic, partition)
        row = conn.execute(
            "SELECT offset FROM events WHERE topic = ? AND partition = ? ORDER BY offset LIMIT 1",
            (topic, partition),
        ).fetchone()
        return PartitionOffsets(end if row is None else row[0], end)

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        self._check_partition(topic, partition)
        with translated(self.path):
            rows = self._reader().execute(
                f"{_SELECT} WHERE topic = ? AND partition = ? AND offset >= ?"
                " ORDER BY offset LIMIT ?",
                (topic, partition, offset, limit),
            )
            return list(map(StoredRecord._make, rows))

    def read_subject(self, subject: str) -> list[StoredRecord]:
        with translated(self.path):
            rows = self._reader().execute(f"{_SELECT} WHERE subject = ? ORDER BY seq", (subject,))
            return list(map(StoredRecord._make, rows))

    def find(self, event_id: str) -> StoredRecord | None:
        with translated(self.path):
            row = self._reader().execute(f"{_SELECT} WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else StoredRecord._make(row)

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        self._check_partition(topic, partition)
        with translated(self.path):
            return self._offset_for_time(self._reader(), topic, partition, ms)

    @classmethod
    def _offset_for_time(cls, conn: sqlite3.Connection, topic: str, partition: int, ms: int) -> int:
        """Binary search on offsets: recorded times grow with offsets within a partition."""
        low, high = cls._partition_offsets(conn, topic, partition)
        query = (
            "SELECT offset, recorded_ms FROM events WHERE topic = ? AND partition = ?"
            " AND offset >= ? ORDER BY offset LIMIT 1"
        )
        end = high
        while low < high:
            mid = (low + high) // 2
            found = conn.execute(query, (topic, partition, mid)).fetchone()
            if found is None or found[1] >= ms:
                high = mid
            else:
                low = found[0] + 1
        found = conn.execute(query, (topic, partition, low)).fetchone()
        return end if found is None else int(found[0])

    # -- proofs ------------------------------------------------------------------------------

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]:
        with translated(self.path):
            return trees.read_leaves(self._reader(), topic, partition, start, limit)

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        self._check_partition(topic, partition)
        with translated(self.path):
            rows = self._reader().execute(
                "SELECT offset, body FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
                " ORDER BY offset LIMIT ?",
                (topic, partition, offset, limit),
            )
            return rows.fetchall()

    def tree(self, topic: str, partition: int) -> PartitionTree | None:
        with translated(self.path):
            return trees.read_tree(self._reader(), topic, partition)

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        with translated(self.path):
            return trees.leaf_index(self._reader(), topic, partition, offset)

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        with translated(self.path):
            return trees.read_checkpoints(self._reader(), namespace)

    def store_checkpoints(self, namespace: str, notes: Sequence[NewCheckpoint]) -> None:
        """Store notes signed elsewhere (a mirror's copies) after those stored, as they are."""
        rows = [(n.kind, n.topic, n.partition, n.size, n.root, n.note) for n in notes]

        def write() -> None:
            with translated(self.path), self._transaction(self._write_conn()):
                trees.store_notes(self._write_conn(), rows)

        if rows:
            self._writes().call(write)

    # -- groups ------------------------------------------------------------------------------

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        now_ms = time.time_ns() // 1_000_000
        rows = [(group, t, p, o, now_ms) for (t, p), o in offsets.items()]

        def write() -> None:
            with translated(self.path), self._transaction(self._write_conn()):
                self._write_conn().executemany(
                    "INSERT INTO group_offsets (grp, topic, partition, next_offset, committed_ms)"
                    " VALUES (?, ?, ?, ?, ?)"
                    " ON CONFLICT (grp, topic, partition) DO UPDATE"
                    " SET next_offset = excluded.next_offset,"
                    " committed_ms = excluded.committed_ms",
                    rows,
                )

        self._writes().call(write)

    def committed(self, group: str) -> dict[TopicPartition, int]:
        with translated(self.path):
            rows = self._reader().execute(
                "SELECT topic, partition, next_offset FROM group_offsets WHERE grp = ?", (group,)
            )
            return {(t, p): o for t, p, o in rows}

    def groups(self) -> list[str]:
        with translated(self.path):
            rows = self._reader().execute("SELECT DISTINCT grp FROM group_offsets ORDER BY grp")
            return [row[0] for row in rows]

    def delete_group(self, group: str) -> bool:
        def delete() -> bool:
            with translated(self.path), self._transaction(self._write_conn()):
                rows = self._write_conn().execute(
                    "DELETE FROM group_offsets WHERE grp = ?", (group,)
                )
                return rows.rowcount > 0

        return self._writes().call(delete)

    # -- retention ---------------------------------------------------------------------------

    def enforce_retention(self, now_ms: int) -> int:
        return self._writes().call(lambda: self._enforce_retention(now_ms))

    def _enforce_retention(self, now_ms: int) -> int:
        conn = self._write_conn()
        removed = 0
        with translated(self.path), self._transaction(conn):
            for topic, policy in self._load_policies(conn).items():
                if policy.cleanup is Cleanup.COMPACT:
                    removed += conn.execute(
                        "DELETE FROM events WHERE topic = ?1 AND seq NOT IN"
                        " (SELECT max(seq) FROM events WHERE topic = ?1 GROUP BY partition, key)",
                        (topic,),
                    ).rowcount
                for partition in range(policy.partitions):
                    cutoff = self._retention_cutoff(conn, topic, partition, policy, now_ms)
                    if cutoff is not None:
                        removed += self._truncate_before(conn, topic, partition, cutoff)
        return removed

    def _retention_cutoff(
        self, conn: sqlite3.Connection, topic: str, partition: int, policy: FamilyPolicy, now: int
    ) -> int | None:
        cutoffs = []
        if policy.retention_ms != FOREVER:
            cutoffs.append(self._offset_for_time(conn, topic, partition, now - policy.retention_ms))
        if policy.retention_bytes != FOREVER:
            total = 0
            rows = conn.execute(
                "SELECT offset, length(body) FROM events WHERE topic = ? AND partition = ?"
                " ORDER BY offset DESC",
                (topic, partition),
            )
            for offset, size in rows:
                total += size
                if total > policy.retention_bytes:
                    cutoffs.append(offset + 1)
                    break
        return max(cutoffs) if cutoffs else None

    def _truncate_before(
        self, conn: sqlite3.Connection, topic: str, partition: int, cutoff: int
    ) -> int:
        end = self._load_end(conn, topic, partition)
        conn.execute(
            "INSERT OR REPLACE INTO heads (topic, partition, next_offset) VALUES (?, ?, ?)",
            (topic, partition, end),
        )
        return conn.execute(
            "DELETE FROM events WHERE topic = ? AND partition = ? AND offset < ?",
            (topic, partition, cutoff),
        ).rowcount
