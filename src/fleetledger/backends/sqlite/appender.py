"""The append transaction: place records at their partitions' ends, hash them into the trees.

It runs on one thread at a time (a group commit's leader, see ``writer``), which uses the writer
connection and the caches here. Offsets are taken from each partition's true end inside the write
lock (``BEGIN IMMEDIATE``), so they stay gap-free and in commit order however many processes append
to one file; the caches of partition ends and trees are dropped whenever another process committed
(``PRAGMA data_version``), and updated only after a commit.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

from fleetledger.backends.protocols import (
    AlreadyStored,
    Commit,
    Guard,
    PartitionTree,
    Record,
    TopicPartition,
)
from fleetledger.backends.sqlite import schema, trees
from fleetledger.backends.sqlite.queries import Row, Stored, existing, load_end
from fleetledger.errors import IdConflict
from fleetledger.events.identity import same_event
from fleetledger.types import Position

_CONSTRAINT_UNIQUE = 2067
"""SQLITE_CONSTRAINT_UNIQUE: an insert hit a unique index (here: a taken position)."""


class Batch(NamedTuple):
    """One caller's records, the guard to run on them inside the transaction (if any), and the
    group offsets to commit with them (if any)."""

    records: Sequence[Record]
    guard: Guard | None = None
    offsets: Commit | None = None


class _PositionTaken(Exception):
    """Another process appended to a partition this writer had cached; reload and retry."""


class Appender:
    """Appends batches of records in one transaction each, with their leaves and trees."""

    def __init__(self, notary: trees.InlineNotary | None) -> None:
        self.notary = notary
        self._next: dict[TopicPartition, int] = {}
        self._trees: dict[TopicPartition, PartitionTree] = {}
        self._data_version = -1

    def forget(self, tp: TopicPartition | None = None) -> None:
        """Drop what is cached of one partition (``None``: of all): it changed elsewhere."""
        if tp is None:
            self._next.clear()
            self._trees.clear()
        else:
            self._next.pop(tp, None)
            self._trees.pop(tp, None)

    def append(self, conn: sqlite3.Connection, batches: Sequence[Batch]) -> list[list[Position]]:
        """Append ``batches`` in one transaction (the fast path first, see :meth:`_insert`);
        return each batch's positions."""
        try:
            return self._insert(conn, batches, dedupe=False)
        except _PositionTaken:
            self.forget()
            return self._insert(conn, batches, dedupe=True)

    def _insert(
        self, conn: sqlite3.Connection, batches: Sequence[Batch], *, dedupe: bool
    ) -> list[list[Position]]:
        """Insert in one transaction; without ``dedupe`` a repeated id aborts to the slow path.

        The slow path looks every id up: a stored id with the same event is not stored again,
        one with other content refuses the whole transaction (:class:`IdConflict`).

        A batch's guard runs first, under the write lock, and reads its subjects' histories on
        this connection, so it sees everything committed before and the batches of this
        transaction placed before its own; its batch is inserted before the next guard runs.
        """
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._data_version:
                self.forget()  # another process committed: cached ends may be stale
                self._data_version = version
            known = existing(conn, [r for b in batches for r in b.records]) if dedupe else None
            fresh: dict[TopicPartition, int] = {}
            rows: list[Row] = []
            placed: list[list[Position]] = []
            for batch, guard, offsets in batches:
                records = batch if guard is None else guard(batch, partial(_history, conn))
                batch_rows, positions = self._place(conn, records, known, fresh)
                _store(conn, batch_rows)
                if offsets is not None:
                    commit_offsets(conn, offsets)
                rows += batch_rows
                placed.append(positions)
            grown = self._grow_trees(conn, rows)
            signed = self.notary is not None and self.notary.due(len(rows))
            if self.notary is not None and signed:
                self.notary.sign(conn)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        self._next.update(fresh)
        self._trees.update(grown)
        if self.notary is not None:
            self.notary.committed(len(rows), signed=signed)
        return placed

    def _place(
        self,
        conn: sqlite3.Connection,
        records: Sequence[Record],
        known: dict[str, Stored] | None,
        fresh: dict[TopicPartition, int],
    ) -> tuple[list[Row], list[Position]]:
        """The rows to insert at the partitions' ends (each with its leaf hash) and every
        record's position; ``fresh`` (the new ends) is updated. With ``known`` (the slow
        path), a record whose id is known or earlier in the batch takes that position;
        without, a repeated id makes the insert store fewer rows than placed, which sends the
        batch to the slow path."""
        rows: list[Row] = []
        positions: list[Position] = []
        sha = hashlib.sha256
        for topic, partition, key, event_id, subject, kind, ms, body, _, _ in records:
            stored = None if known is None else known.get(event_id)
            if stored is None:
                tp = (topic, partition)
                offset = fresh.get(tp)
                if offset is None:
                    offset = self._next.get(tp)
                    if offset is None:
                        offset = load_end(conn, topic, partition)
                fresh[tp] = offset + 1
                leaf = sha(b"\x00" + body).digest()
                rows.append(
                    (topic, partition, offset, key, event_id, subject, kind, ms, body, leaf)
                )
                positions.append(_position(Position, (topic, partition, offset)))
                if known is not None:
                    known[event_id] = Stored(positions[-1], body)
            elif same_event(stored.body, body):
                positions.append(AlreadyStored(*stored.position))
            else:
                raise IdConflict(event_id, stored.position)
        return rows, positions

    def _grow_trees(
        self, conn: sqlite3.Connection, rows: Sequence[Row]
    ) -> dict[TopicPartition, PartitionTree]:
        """Extend the new rows' partitions' frontiers by their leaves (same transaction).

        Rows of one partition are in offset order and gap-free, so each partition's hashes
        extend its frontier as one batch; leaf ``i`` is the event at offset ``start + i``. The
        cache is only updated by the caller after the commit, so a rolled-back transaction
        leaves it untouched.
        """
        batches: dict[TopicPartition, list[bytes]] = {}
        firsts: dict[TopicPartition, int] = {}
        for row in rows:
            tp = (row[0], row[1])
            batch = batches.get(tp)
            if batch is None:
                batch = batches[tp] = []
                firsts[tp] = row[2]
            batch.append(row[9])
        grown: dict[TopicPartition, PartitionTree] = {}
        for (topic, partition), batch in batches.items():
            cached = self._trees.get((topic, partition))
            if cached is None:
                cached = trees.load_tree(conn, topic, partition)
            first = firsts[(topic, partition)]
            if cached.start + cached.frontier.size != first:
                cached = trees.catch_up(conn, topic, partition, cached, first)
            grown[(topic, partition)] = PartitionTree(cached.start, cached.frontier.extended(batch))
            trees.save_tree(conn, topic, partition, grown[(topic, partition)])
        return grown


_position = tuple.__new__
"""``Position`` without its Python-level ``__new__``: one is made per appended event."""


def _store(conn: sqlite3.Connection, rows: Sequence[Row]) -> None:
    """Insert ``rows``; :class:`_PositionTaken` when a position or an id was taken."""
    try:
        inserted = insert(conn, rows)
    except sqlite3.IntegrityError as exc:
        if exc.sqlite_errorcode == _CONSTRAINT_UNIQUE:
            raise _PositionTaken from exc
        raise
    if inserted != len(rows):  # an id was stored before: redo with the lookup
        raise _PositionTaken


def _history(conn: sqlite3.Connection, subject: str) -> list[tuple[str, int, int, bytes]]:
    """A subject's records in commit order, as the writer's open transaction sees them."""
    return conn.execute(_HISTORY, (subject,)).fetchall()


_HISTORY = "SELECT topic, partition, offset, body FROM events WHERE subject = ? ORDER BY seq"


def commit_offsets(conn: sqlite3.Connection, offsets: Commit) -> None:
    """Store a group's next offsets in the transaction under way on ``conn``."""
    group, positions = offsets
    now_ms = time.time_ns() // 1_000_000
    conn.executemany(_COMMIT, [(group, t, p, o, now_ms) for (t, p), o in positions.items()])


_COMMIT = (
    "INSERT INTO group_offsets (grp, topic, partition, next_offset, committed_ms)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (grp, topic, partition) DO UPDATE"
    " SET next_offset = excluded.next_offset, committed_ms = excluded.committed_ms"
)


_CHUNK = 128
_STATEMENTS = {n: schema.insert_rows(n) for n in (_CHUNK, 64, 32, 16, 8, 4, 2, 1)}


def insert(conn: sqlite3.Connection, rows: Sequence[Row]) -> int:
    """Insert ``rows`` with multi-row statements (chunks of 128, the rest in powers of two, so
    a handful of statements stay prepared); return how many were stored.

    One statement per chunk rather than ``executemany``'s step per row: each step releases
    and takes back the GIL, which other threads (callers preparing their next batch) make
    costly, and the rows are bound in one call.
    """
    stored, at = 0, 0
    for size, statement in _STATEMENTS.items():
        while len(rows) - at >= size:
            chunk = rows[at : at + size]
            stored += conn.execute(statement, [value for row in chunk for value in row]).rowcount
            at += size
    return stored
