"""Holding a copy of another ledger's tree: leaves with their events, and leaves alone.

A mirror copies a partition leaf by leaf (see :mod:`fleetledger.mirror.copy`): each leaf
whose event the source still holds comes with that event, each whose event retention or
compaction removed comes as its hash. Every leaf takes the next offset, as on the source, so
leaf ``i`` stays the event at offset ``i`` (a hash-only leaf leaves its offset empty, as
retention would have), and the copy's trees are the source's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from fleetledger.backends.protocols import PartitionTree, Record
from fleetledger.backends.sqlite import schema, trees
from fleetledger.backends.sqlite.queries import Row, existing, load_end, row_of
from fleetledger.errors import IntegrityError
from fleetledger.integrity import HASH_SIZE
from fleetledger.types import Position


def append_tree(
    conn: sqlite3.Connection, topic: str, partition: int, items: Sequence[Record | bytes]
) -> list[Position]:
    """Place each item at the next offset (in the caller's transaction); the records'
    positions. Refuses a partition that holds events outside its tree, and taken ids."""
    kept = trees.load_tree(conn, topic, partition)
    end = load_end(conn, topic, partition)
    if kept.start or kept.frontier.size != end:
        raise IntegrityError(
            f"{topic}/{partition} holds events outside its tree (tree to offset"
            f" {kept.start + kept.frontier.size}, partition to {end}): a tree can only be copied"
            " into a partition that holds a copy of it"
        )
    rows, hashes, lone = _rows(topic, partition, end, items)
    taken = existing(conn, [item for item in items if isinstance(item, Record)])
    if taken:
        event_id, stored = next(iter(taken.items()))
        raise IntegrityError(
            f"event {event_id} is already stored at {stored.position}: the destination holds"
            " other data under the same ids"
        )
    conn.executemany(schema.INSERT, rows)
    trees.insert_expired(conn, lone)
    frontier = kept.frontier.copy()
    frontier.extend_hashes(hashes)
    trees.save_tree(conn, topic, partition, PartitionTree(0, frontier))
    conn.execute(
        "INSERT OR REPLACE INTO heads (topic, partition, next_offset) VALUES (?, ?, ?)",
        (topic, partition, end + len(items)),
    )
    return [Position(row[0], row[1], row[2]) for row in rows]


def tree_size(conn: sqlite3.Connection, topic: str, partition: int) -> int:
    """How many leaves the partition's tree holds; refused for a tree that does not start at
    offset 0 (a file whose first events expired before it kept trees cannot hold a copy)."""
    kept = trees.read_tree(conn, topic, partition)
    if kept is None:
        return 0
    if kept.start:
        raise IntegrityError(
            f"the tree of {topic}/{partition} starts at offset {kept.start}, not 0: it cannot"
            " hold a copy of another ledger's tree"
        )
    return kept.frontier.size


def _rows(
    topic: str, partition: int, end: int, items: Sequence[Record | bytes]
) -> tuple[list[Row], list[bytes], list[tuple[str, int, int, bytes]]]:
    """The event rows of the records among ``items`` (placed from offset ``end`` on, one
    offset per item), every item's leaf hash, and the ``expired_leaves`` rows of the leaves
    that come without their event."""
    rows: list[Row] = []
    hashes: list[bytes] = []
    lone: list[tuple[str, int, int, bytes]] = []
    for n, item in enumerate(items):
        if isinstance(item, Record):
            rows.append(row_of(item, end + n))
            hashes.append(rows[-1][-1])
        elif isinstance(item, bytes) and len(item) == HASH_SIZE:
            hashes.append(item)
            lone.append((topic, partition, end + n, item))
        else:
            raise IntegrityError(f"a leaf of a copied tree is a record or {HASH_SIZE} bytes")
    return rows, hashes, lone
