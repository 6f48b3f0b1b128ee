"""The SQLite file layout: one table of events, indexed by position, id and subject.

``seq`` (the rowid) is the local commit order. Offsets are per partition and unique; ``heads``
remembers the next offset of a partition whose records retention removed entirely, so offsets
never restart.

Integrity (version 2 on): each partition is an RFC 6962 tree whose leaf ``i`` is the event at
offset ``start + i``. Since version 3 an event's leaf hash is a column of its own row
(``leaf``), written in the same insert, so an append writes one row per event; when retention,
compaction or anything else deletes an event, a trigger moves its leaf to ``expired_leaves``,
which nothing ever deletes from, so proofs stay valid when bodies expire. The view ``leaves``
shows every leaf of every partition (both tables) for people and tools reading the file.
``trees`` keeps each partition's :class:`~fleetledger.integrity.Frontier`, updated in the
append's transaction, and ``start``, the offset of leaf 0: 0, unless events of the partition
expired before the file kept trees (a version-1 file), in which case its tree starts after
them. ``checkpoints`` is
the SQLite form of the ``_checkpoints`` topic: signed partition checkpoints
(``kind = 'partition'``) and ledger heads (``kind = 'head'``, ``topic`` = the namespace).

Consumer groups whose members split partitions keep their memberships and partition leases in
``group_members`` and ``group_leases`` (see :mod:`fleetledger.backends.leases`);
``dead_letters`` is the SQLite form of the ``{namespace}._deadletter`` topic, one row per
record, never deleted. The three are created with ``IF NOT EXISTS`` by any writer that opens
the file, so older files gain them without a version change.

Version 2 kept every leaf in a ``leaves`` table; the first writer to open such a file moves
them into place once (:func:`fleetledger.backends.sqlite.trees.upgrade`).
"""

from __future__ import annotations

APPLICATION_ID = 0x464C4544  # "FLED": marks the file as a fleetledger ledger
SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    policy BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT NOT NULL,
    id TEXT NOT NULL,
    subject TEXT NOT NULL,
    type TEXT NOT NULL,
    recorded_ms INTEGER NOT NULL,
    body BLOB NOT NULL,
    leaf BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS events_position ON events (topic, partition, offset);
CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events (id);
CREATE INDEX IF NOT EXISTS events_subject ON events (subject);
CREATE TABLE IF NOT EXISTS heads (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    committed_ms INTEGER NOT NULL,
    PRIMARY KEY (grp, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS expired_leaves (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (topic, partition, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trees (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    start INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    frontier BLOB NOT NULL,
    PRIMARY KEY (topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER,
    size INTEGER NOT NULL,
    root BLOB,
    note BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_by_partition ON checkpoints (kind, topic, partition, seq);
CREATE TABLE IF NOT EXISTS group_members (
    grp TEXT NOT NULL,
    member TEXT NOT NULL,
    expires_ms INTEGER NOT NULL,
    PRIMARY KEY (grp, member)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_leases (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    member TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    PRIMARY KEY (grp, topic, partition)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    body BLOB NOT NULL
);
"""

LEAVES_VIEW = """
CREATE VIEW IF NOT EXISTS leaves (topic, partition, idx, hash) AS
    SELECT e.topic, e.partition, e.offset - t.start, e.leaf
    FROM events e JOIN trees t ON t.topic = e.topic AND t.partition = e.partition
    WHERE e.leaf IS NOT NULL
    UNION ALL
    SELECT topic, partition, idx, hash FROM expired_leaves
"""
"""Every leaf of every partition, for reading the file by hand (the backend reads the two
tables directly)."""

KEEP_LEAVES = """
CREATE TRIGGER IF NOT EXISTS events_keep_leaves BEFORE DELETE ON events WHEN old.leaf IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO expired_leaves (topic, partition, idx, hash)
    SELECT old.topic, old.partition, old.offset - start, old.leaf FROM trees
    WHERE topic = old.topic AND partition = old.partition;
END
"""
"""A deleted event keeps its leaf, whoever deletes it (retention, compaction, or SQL typed by
hand): the tree stays complete, and ``verify`` says which event is gone."""

V2_LEAVES = """
CREATE TABLE IF NOT EXISTS leaves (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (topic, partition, idx)
) WITHOUT ROWID
"""
"""The version-2 table of leaves, made only while upgrading an older file."""

COLUMNS = "topic, partition, offset, key, id, subject, type, recorded_ms, body"
"""The columns of a stored record, in :class:`StoredRecord` order."""
INSERT = (
    f"INSERT INTO events ({COLUMNS}, leaf) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING"
)
"""Insert one event row: the stored record's columns, then its leaf hash."""

_ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def insert_rows(count: int) -> str:
    """:data:`INSERT` for ``count`` rows in one statement (one step of SQLite for them all)."""
    return INSERT.replace(_ROW, ", ".join((_ROW,) * count))


SAVE_TREE = (
    "INSERT OR REPLACE INTO trees (topic, partition, start, size, frontier) VALUES (?, ?, ?, ?, ?)"
)
