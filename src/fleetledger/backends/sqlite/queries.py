"""The SQL every part of the SQLite backend shares: rows, transactions, ends and id lookups."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from fleetledger.backends.protocols import PartitionOffsets, Record
from fleetledger.integrity import leaf_hash
from fleetledger.types import Position

_ID_CHUNK = 500


Row = tuple[str, int, int, str, str, str, str, int, bytes, bytes]
"""One ``events`` row as inserted, in ``schema.INSERT``'s column order: the stored record's
columns, then its leaf hash."""


def row_of(record: Record, offset: int) -> Row:
    """The row of ``record`` placed at ``offset``."""
    body = record.body
    return (
        record.topic,
        record.partition,
        offset,
        record.key,
        record.id,
        record.subject,
        record.type,
        record.recorded_ms,
        body,
        leaf_hash(body),
    )


class Stored(NamedTuple):
    """An event id's stored position and bytes, for the duplicate check."""

    position: Position
    body: bytes


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (the write lock now, not at the first write) ... ``COMMIT``."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def existing(conn: sqlite3.Connection, records: Sequence[Record]) -> dict[str, Stored]:
    """Where each id among ``records`` that the file holds is stored, and its bytes."""
    ids = list({r.id for r in records})
    found: dict[str, Stored] = {}
    for i in range(0, len(ids), _ID_CHUNK):
        chunk = ids[i : i + _ID_CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT id, topic, partition, offset, body FROM events WHERE id IN ({marks})"
        for event_id, topic, partition, offset, body in conn.execute(query, chunk):
            found[event_id] = Stored(Position(topic, partition, offset), body)
    return found


def load_end(conn: sqlite3.Connection, topic: str, partition: int) -> int:
    """The partition's next offset: after its last event, or its remembered end (``heads``)
    when retention emptied it or a copied tree ends in leaves without events."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(offset) + 1 FROM events"
        " WHERE topic = ?1 AND partition = ?2), 0),"
        " coalesce((SELECT next_offset FROM heads WHERE topic = ?1 AND partition = ?2), 0))",
        (topic, partition),
    ).fetchone()
    return int(row[0])


def partition_offsets(conn: sqlite3.Connection, topic: str, partition: int) -> PartitionOffsets:
    """The first kept offset and the end of one partition."""
    end = load_end(conn, topic, partition)
    row = conn.execute(
        "SELECT offset FROM events WHERE topic = ? AND partition = ? ORDER BY offset LIMIT 1",
        (topic, partition),
    ).fetchone()
    return PartitionOffsets(end if row is None else row[0], end)


def offset_for_time(conn: sqlite3.Connection, topic: str, partition: int, ms: int) -> int:
    """Binary search on offsets: recorded times grow with offsets within a partition."""
    low, high = partition_offsets(conn, topic, partition)
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
