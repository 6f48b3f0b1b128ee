"""The SQLite file layout: one table of events, indexed by position, id and subject.

``seq`` (the rowid) is the global commit order, which is what a task replay across families
follows. Offsets are per partition and unique; ``heads`` remembers the next offset of a partition
whose records retention removed entirely, so offsets never restart.

Version 2 adds the integrity tables. ``leaves`` holds the RFC 6962 leaf hash of every event ever
appended, by partition and dense leaf index (the offset: SQLite offsets are gap-free); retention
and compaction never delete from it, so proofs stay valid when bodies expire. ``trees`` keeps
each partition's :class:`~fleetledger.integrity.Frontier`, updated in the append's transaction,
and ``start``, the offset of leaf 0: 0, unless events of the partition expired before the file
kept trees (a version-1 file), in which case its tree starts after them.
``checkpoints`` is the SQLite form of the ``_checkpoints`` topic: signed partition checkpoints
(``kind = 'partition'``) and ledger heads (``kind = 'head'``, ``topic`` = the namespace).
"""

from __future__ import annotations

APPLICATION_ID = 0x464C4544  # "FLED": marks the file as a fleetledger ledger
SCHEMA_VERSION = 2

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
    body BLOB NOT NULL
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
CREATE TABLE IF NOT EXISTS leaves (
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
"""

COLUMNS = "topic, partition, offset, key, id, subject, type, recorded_ms, body"
INSERT = (
    f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)
SAVE_TREE = (
    "INSERT OR REPLACE INTO trees (topic, partition, start, size, frontier) VALUES (?, ?, ?, ?, ?)"
)
