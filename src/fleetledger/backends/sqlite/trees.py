"""Per-partition Merkle trees and signed checkpoints in the SQLite file.

Everything here runs inside a transaction the caller opened on the writer connection (or reads
through a reader connection): the leaves and frontier of an append commit with its events, and
a checkpoint signs exactly the trees that transaction sees.
"""

from __future__ import annotations

import heapq
import sqlite3
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter

from fleetledger.backends.protocols import (
    HANDOVER,
    HEAD,
    PARTITION,
    Leaf,
    PartitionTree,
    StoredCheckpoint,
    TopicPartition,
)
from fleetledger.backends.sqlite import schema
from fleetledger.errors import IntegrityError
from fleetledger.integrity import (
    Frontier,
    LedgerHead,
    NoteSigner,
    PartitionHead,
    leaf_hashes,
    sign_checkpoint,
    sign_handover,
    sign_ledger_head,
)
from fleetledger.topics import checkpoint_origin, in_namespace

_as_leaf = partial(tuple.__new__, Leaf)
"""A row as a ``Leaf``, without the Python-level ``_make`` (one per row read)."""
_as_checkpoint = partial(tuple.__new__, StoredCheckpoint)
"""A row as a ``StoredCheckpoint``, without the Python-level ``_make`` (one per row read)."""

_LEAVES_PER_STATEMENT = 125


def insert_expired(conn: sqlite3.Connection, leaves: list[tuple[str, int, int, bytes]]) -> None:
    """Store ``(topic, partition, idx, hash)`` rows of leaves without events, many per statement
    (multi-row ``VALUES`` cost about a third less per leaf than ``executemany``)."""
    step = _LEAVES_PER_STATEMENT
    for start in range(0, len(leaves), step):
        chunk = leaves[start : start + step]
        marks = ",".join(("(?, ?, ?, ?)",) * len(chunk))
        params = [value for leaf in chunk for value in leaf]
        conn.execute(
            f"INSERT INTO expired_leaves (topic, partition, idx, hash) VALUES {marks}", params
        )


def load_tree(conn: sqlite3.Connection, topic: str, partition: int) -> PartitionTree:
    """The stored tree of one partition (empty, from offset 0, if never appended to)."""
    return read_tree(conn, topic, partition) or PartitionTree(0, Frontier())


def save_tree(conn: sqlite3.Connection, topic: str, partition: int, tree: PartitionTree) -> None:
    """Persist one partition's tree (in the caller's transaction)."""
    frontier = tree.frontier
    conn.execute(
        schema.SAVE_TREE, (topic, partition, tree.start, frontier.size, frontier.to_bytes())
    )


def stored_version(conn: sqlite3.Connection) -> int:
    """The schema version recorded in the file (0 when none is)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return 0 if row is None else int(row[0])


def upgrade(conn: sqlite3.Connection) -> None:
    """Bring an older file to the current layout, once, in the caller's transaction.

    A file without a version (version 1, or filled by plain sqlite3) gets its leaves hashed
    from its stored bodies; a version-2 file's leaves move into their events' rows (those whose
    events are gone, into ``expired_leaves``). A new file passes through both steps quickly.
    """
    version = stored_version(conn)
    if version >= schema.SCHEMA_VERSION:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(events)")}
    if "leaf" not in columns:
        conn.execute("ALTER TABLE events ADD COLUMN leaf BLOB")
    conn.execute(schema.V2_LEAVES)
    if version < 2:
        _backfill(conn)
    _move_leaves(conn)
    conn.execute("DROP TABLE leaves")
    conn.execute(schema.LEAVES_VIEW)
    conn.execute(schema.KEEP_LEAVES)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
        (str(schema.SCHEMA_VERSION),),
    )


def _backfill(conn: sqlite3.Connection) -> None:
    """Hash the leaves of a version-1 file from its stored bodies, into the version-2 table.

    A partition whose stored events are gap-free gets a tree over them. If retention already
    removed its first events, those leaves are gone with the bodies: its tree starts at the
    first event still stored (``start``), or at its end when compaction left holes.
    """
    for (topic, partition), (count, first, end) in sorted(_partition_spans(conn).items()):
        start = first if count == end - first else end
        bodies = conn.execute(
            "SELECT body FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
            " ORDER BY offset",
            (topic, partition, start),
        )
        hashes = leaf_hashes(body for (body,) in bodies)
        conn.executemany(
            "INSERT INTO leaves (topic, partition, idx, hash) VALUES (?, ?, ?, ?)",
            [(topic, partition, i, h) for i, h in enumerate(hashes)],
        )
        tree = Frontier()
        tree.extend_hashes(hashes)
        save_tree(conn, topic, partition, PartitionTree(start, tree))


def _move_leaves(conn: sqlite3.Connection) -> None:
    """Version 2 to 3: each leaf of the ``leaves`` table into its event's row, or into
    ``expired_leaves`` when the event is gone."""
    for where in conn.execute("SELECT topic, partition, start FROM trees").fetchall():
        conn.execute(
            "UPDATE events SET leaf = (SELECT hash FROM leaves l WHERE l.topic = ?1"
            " AND l.partition = ?2 AND l.idx = events.offset - ?3)"
            " WHERE topic = ?1 AND partition = ?2 AND offset >= ?3",
            where,
        )
        conn.execute(
            "INSERT INTO expired_leaves (topic, partition, idx, hash)"
            " SELECT topic, partition, idx, hash FROM leaves l"
            " WHERE l.topic = ?1 AND l.partition = ?2 AND NOT EXISTS (SELECT 1 FROM events e"
            " WHERE e.topic = ?1 AND e.partition = ?2 AND e.offset = l.idx + ?3)",
            where,
        )


def _partition_spans(conn: sqlite3.Connection) -> dict[TopicPartition, tuple[int, int, int]]:
    """Per partition: stored events, first stored offset (the end if none), end offset."""
    spans: dict[TopicPartition, tuple[int, int, int]] = {}
    rows = conn.execute(
        "SELECT topic, partition, count(*), min(offset), max(offset) + 1 FROM events"
        " GROUP BY topic, partition"
    )
    for topic, partition, count, first, end in rows:
        spans[(topic, partition)] = (count, first, end)
    for topic, partition, end in conn.execute("SELECT topic, partition, next_offset FROM heads"):
        count, first, stored_end = spans.get((topic, partition), (0, end, end))
        spans[(topic, partition)] = (count, first, max(stored_end, end))
    return spans


def catch_up(
    conn: sqlite3.Connection, topic: str, partition: int, kept: PartitionTree, end: int
) -> PartitionTree:
    """The tree of ``kept`` extended by events stored past it and before ``end`` (a bulk load).

    Events written into the file without the ledger (plain sqlite3) are outside the tree; the
    next append to their partition hashes them in (a leaf such a writer stored is kept if it
    is the event's), as any writer of the file could: signed checkpoints still cover exactly
    what they covered, and until then ``verify`` reports them as inserted. Holes, and leaves
    past the tree that are not their events', are refused.
    """
    size = kept.frontier.size
    tree_end = kept.start + size
    rows = conn.execute(
        "SELECT offset, body, leaf FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
        " AND offset < ? ORDER BY offset",
        (topic, partition, tree_end, end),
    ).fetchall()
    stray = conn.execute(
        "SELECT count(*) FROM expired_leaves WHERE topic = ? AND partition = ? AND idx >= ?",
        (topic, partition, size),
    ).fetchone()[0]
    hashes = leaf_hashes(body for _, body, _ in rows)
    missing = []
    for (offset, _, stored), hashed in zip(rows, hashes, strict=True):
        if stored is None:
            missing.append((hashed, topic, partition, offset))
        elif stored != hashed:
            stray += 1  # a leaf that is not its event's: forged, never adopted
    if tree_end > end or len(rows) != end - tree_end or stray:
        raise IntegrityError(
            f"the tree of {topic}/{partition} ends at offset {tree_end}, the partition at {end},"
            " and the events between cannot be hashed in; run fleetledger verify"
        )
    conn.executemany(
        "UPDATE events SET leaf = ? WHERE topic = ? AND partition = ? AND offset = ?", missing
    )
    frontier = kept.frontier.copy()
    frontier.extend_hashes(hashes)
    return PartitionTree(kept.start, frontier)


def read_leaves(
    conn: sqlite3.Connection, topic: str, partition: int, start: int, limit: int
) -> list[Leaf]:
    """Up to ``limit`` stored leaves of one partition from index ``start`` on, in order: those
    in their events' rows merged with those whose events expired."""
    tree = read_tree(conn, topic, partition)
    first = 0 if tree is None else tree.start
    if not _has_leaf_column(conn):
        rows = conn.execute(_V2_LEAVES, (first, topic, partition, start, limit))
        return list(map(_as_leaf, rows))
    kept = conn.execute(
        "SELECT offset - ?1, leaf, offset FROM events WHERE topic = ?2 AND partition = ?3"
        " AND offset >= ?1 + ?4 AND leaf IS NOT NULL ORDER BY offset LIMIT ?5",
        (first, topic, partition, start, limit),
    ).fetchall()
    expired = conn.execute(_EXPIRED, (first, topic, partition, start, limit)).fetchall()
    if expired:
        kept = list(heapq.merge(kept, expired))[:limit]
    return list(map(_as_leaf, kept))


def read_window(
    conn: sqlite3.Connection, topic: str, partition: int, offset: int, limit: int
) -> tuple[list[Leaf], list[tuple[int, bytes]]]:
    """See :meth:`WindowedLog.window`: the events with their leaves in one query, and the
    leaves whose events are gone, cut to the offsets both cover."""
    tree = read_tree(conn, topic, partition)
    start = 0 if tree is None else tree.start
    first = max(offset - start, 0)
    if _has_leaf_column(conn):
        found = conn.execute(_WINDOW, (topic, partition, offset, limit)).fetchall()
        rows = [(at, body) for at, body, _ in found]
        kept = [_as_leaf((at - start, leaf, at)) for at, _, leaf in found if leaf is not None]
        lone = conn.execute(_EXPIRED, (start, topic, partition, first, limit)).fetchall()
    else:  # a version-2 file read as it is: every leaf in the leaves table
        rows = conn.execute(_BODIES, (topic, partition, offset, limit)).fetchall()
        kept = []
        lone = conn.execute(_V2_LEAVES, (start, topic, partition, first, limit)).fetchall()
    ends = [rows[-1][0]] if len(rows) == limit else []
    ends += [lone[-1][2]] if len(lone) == limit else []
    if ends:
        end = min(ends)
        rows = [row for row in rows if row[0] <= end]
        kept = [leaf for leaf in kept if leaf.offset <= end]
        lone = [leaf for leaf in lone if leaf[2] <= end]
    if not lone:
        return kept, rows
    return list(heapq.merge(kept, map(_as_leaf, lone))), rows


def scan_windows(
    conn: sqlite3.Connection, partitions: Sequence[TopicPartition], limit: int
) -> Iterator[tuple[str, int, list[Leaf], list[tuple[int, bytes]]]]:
    """See :meth:`ScannedLog.scan`: one pass over the events table in stored order, each
    partition's rows gathered until a window is full (``limit`` per partition in memory)."""
    if not _has_leaf_column(conn):  # a version-2 file read as it is: partition by partition
        for topic, partition in partitions:
            offset = 0
            while True:
                leaves, events = read_window(conn, topic, partition, offset, limit)
                if not leaves and not events:
                    break
                yield topic, partition, leaves, events
                offset = max(leaves[-1].offset if leaves else -1, events[-1][0] if events else -1)
                offset += 1
        return
    starts = {(t, p): start for t, p, start in conn.execute(_STARTS)}
    gathered: dict[TopicPartition, list[tuple[int, bytes, bytes | None]]] = {
        tp: [] for tp in partitions
    }
    topics = sorted({topic for topic, _ in partitions})
    marks = ",".join("?" * len(topics))
    query = (  # NOT INDEXED: the rows in stored order, not an index walk over them
        "SELECT topic, partition, offset, body, leaf FROM events NOT INDEXED"
        f" WHERE topic IN ({marks})"
    )
    after = dict.fromkeys(partitions, 0)
    """Per partition, the offset after its last window: expired leaves from there are next."""
    for topic, partition, offset, body, leaf in conn.execute(query, topics):
        rows = gathered.get((topic, partition))
        if rows is None:
            continue
        rows.append((offset, body, leaf))
        if len(rows) >= limit:
            tp = (topic, partition)
            start = starts.get(tp, 0)
            yield topic, partition, *_gathered(conn, tp, start, after[tp], rows)
            after[tp] = max(after[tp], rows[-1][0] + 1)
            gathered[tp] = []
    for (topic, partition), rows in gathered.items():
        tp = (topic, partition)
        start = starts.get(tp, 0)
        if rows:
            yield topic, partition, *_gathered(conn, tp, start, after[tp], rows)
            after[tp] = max(after[tp], rows[-1][0] + 1)
        while lone := conn.execute(
            _EXPIRED, (start, topic, partition, max(after[tp] - start, 0), limit)
        ).fetchall():
            yield topic, partition, list(map(_as_leaf, lone)), []
            after[tp] = lone[-1][2] + 1


def _gathered(
    conn: sqlite3.Connection,
    tp: TopicPartition,
    start: int,
    after: int,
    gathered: list[tuple[int, bytes, bytes | None]],
) -> tuple[list[Leaf], list[tuple[int, bytes]]]:
    """One window of a scan: the rows gathered (in offset order) and their leaves, with the
    leaves whose events are gone from offset ``after`` to the last row."""
    gathered.sort(key=itemgetter(0))
    rows = [(at, body) for at, body, _ in gathered]
    kept = [_as_leaf((at - start, leaf, at)) for at, _, leaf in gathered if leaf is not None]
    low, high = max(after - start, 0), gathered[-1][0] - start
    lone = conn.execute(_EXPIRED_BETWEEN, (start, *tp, low, high)).fetchall()
    if lone:
        kept = list(heapq.merge(kept, map(_as_leaf, lone)))
    return kept, rows


_STARTS = "SELECT topic, partition, start FROM trees"
_EXPIRED_BETWEEN = (
    "SELECT idx, hash, idx + ?1 FROM expired_leaves WHERE topic = ?2 AND partition = ?3"
    " AND idx BETWEEN ?4 AND ?5 ORDER BY idx"
)
_WINDOW = (
    "SELECT offset, body, leaf FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
    " ORDER BY offset LIMIT ?"
)
_BODIES = (
    "SELECT offset, body FROM events WHERE topic = ? AND partition = ? AND offset >= ?"
    " ORDER BY offset LIMIT ?"
)
_EXPIRED = (
    "SELECT idx, hash, idx + ?1 FROM expired_leaves WHERE topic = ?2 AND partition = ?3"
    " AND idx >= ?4 ORDER BY idx LIMIT ?5"
)
_V2_LEAVES = (
    "SELECT idx, hash, idx + ?1 FROM leaves WHERE topic = ?2 AND partition = ?3 AND idx >= ?4"
    " ORDER BY idx LIMIT ?5"
)


def _has_leaf_column(conn: sqlite3.Connection) -> bool:
    """Whether the file has the version-3 layout (a reader may open an older file as it is)."""
    return any(row[1] == "leaf" for row in conn.execute("PRAGMA table_info(events)"))


def leaf_index(conn: sqlite3.Connection, topic: str, partition: int, offset: int) -> int | None:
    """Leaf ``offset - start`` of the partition's tree, if the tree has it."""
    tree = read_tree(conn, topic, partition)
    if tree is None:
        return None
    index = offset - tree.start
    return index if 0 <= index < tree.frontier.size else None


def read_tree(conn: sqlite3.Connection, topic: str, partition: int) -> PartitionTree | None:
    """The stored tree of one partition, or ``None`` if the file holds none."""
    row = conn.execute(
        "SELECT start, frontier FROM trees WHERE topic = ? AND partition = ?", (topic, partition)
    ).fetchone()
    return None if row is None else PartitionTree(row[0], Frontier.from_bytes(row[1]))


def read_checkpoints(conn: sqlite3.Connection, namespace: str) -> list[StoredCheckpoint]:
    """Every checkpoint and head of ``namespace``, in the order they were stored."""
    rows = conn.execute(
        "SELECT seq, kind, topic, partition, size, root, note FROM checkpoints"
        " WHERE topic = ?1 OR substr(topic, 1, length(?1) + 1) = ?1 || '.' ORDER BY seq",
        (namespace,),
    )
    return list(map(_as_checkpoint, rows))


@dataclass
class InlineNotary:
    """Signs checkpoints inline: every ``every`` appended events or ``interval`` seconds."""

    signer: NoteSigner
    namespace: str
    every: int = 1000
    interval: float = 5.0
    unsigned: int = 0
    last: float = field(default_factory=time.monotonic)

    def due(self, appending: int) -> bool:
        """Whether the transaction appending ``appending`` events should also checkpoint."""
        unsigned = self.unsigned + appending
        if unsigned >= self.every:
            return True
        return unsigned > 0 and time.monotonic() - self.last >= self.interval

    def committed(self, appended: int, *, signed: bool) -> None:
        """Count a committed transaction (called only after its commit)."""
        if signed:
            self.unsigned, self.last = 0, time.monotonic()
        else:
            self.unsigned += appended

    def sign(self, conn: sqlite3.Connection, handover_to: NoteSigner | None = None) -> int:
        """Checkpoint every partition changed since its last checkpoint, then sign one head.

        With ``handover_to``, also store a key handover to that key and sign the head with both
        keys (even if no partition changed); the caller then signs with the new key. Runs in
        the caller's transaction; returns how many partition checkpoints were stored.
        """
        trees = {
            (topic, partition): Frontier.from_bytes(blob)
            for topic, partition, blob in conn.execute(
                "SELECT topic, partition, frontier FROM trees"
            )
            if in_namespace(topic, self.namespace)
        }
        changed = [
            tp for tp, tree in sorted(trees.items()) if self._signed_size(conn, *tp) != tree.size
        ]
        for topic, partition in changed:
            tree = trees[(topic, partition)]
            origin = checkpoint_origin(self.namespace, topic, partition)
            note = sign_checkpoint(origin, tree.size, tree.root(), self.signer)
            self._store(conn, (PARTITION, topic, partition, tree.size, tree.root(), note))
        if changed or handover_to is not None:
            heads = [PartitionHead(t, p, tree.size, tree.root()) for (t, p), tree in trees.items()]
            total = sum(tree.size for tree in trees.values())
            if handover_to is None:
                note = sign_ledger_head(self.namespace, heads, self.signer)
            else:
                text = LedgerHead.of(self.namespace, heads).body()
                handover, note = sign_handover(self.namespace, text, self.signer, handover_to)
                self._store(conn, (HANDOVER, self.namespace, None, total, None, handover))
            self._store(conn, (HEAD, self.namespace, None, total, None, note))
        return len(changed)

    @staticmethod
    def _signed_size(conn: sqlite3.Connection, topic: str, partition: int) -> int | None:
        """The size of the partition's newest checkpoint: one index lookup, however many
        checkpoints the file holds."""
        row = conn.execute(
            "SELECT size FROM checkpoints WHERE kind = ? AND topic = ? AND partition = ?"
            " ORDER BY seq DESC LIMIT 1",
            (PARTITION, topic, partition),
        ).fetchone()
        return None if row is None else int(row[0])

    @staticmethod
    def _store(conn: sqlite3.Connection, row: tuple[object, ...]) -> None:
        store_notes(conn, [row])


def store_notes(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> None:
    """Store ``(kind, topic, partition, size, root, note)`` rows (in the caller's transaction)."""
    conn.executemany(
        "INSERT INTO checkpoints (kind, topic, partition, size, root, note)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
