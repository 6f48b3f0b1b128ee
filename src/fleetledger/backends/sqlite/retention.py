"""Retention and compaction of a SQLite ledger, in the caller's transaction.

Per partition, compaction keeps the latest event of each key; ``retention_ms`` removes events
recorded before the window; ``retention_bytes`` the oldest until the rest fits. Leaves are
never removed (a trigger moves a removed event's leaf to ``expired_leaves``), so proofs stay
valid; a partition's end is remembered (``heads``), so its offsets never restart even when it
is left empty.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from fleetledger.backends.sqlite.queries import load_end, offset_for_time
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy


def enforce(conn: sqlite3.Connection, policies: Mapping[str, FamilyPolicy], now_ms: int) -> int:
    """Apply every topic's policy as of ``now_ms``; return how many events were removed."""
    removed = 0
    for topic, policy in policies.items():
        if policy.cleanup is Cleanup.COMPACT:
            removed += _remove(
                conn,
                "topic = ?1 AND seq NOT IN"
                " (SELECT max(seq) FROM events WHERE topic = ?1 GROUP BY partition, key)",
                (topic,),
            )
        for partition in range(policy.partitions):
            cutoff = _cutoff(conn, topic, partition, policy, now_ms)
            if cutoff is not None:
                removed += _truncate_before(conn, topic, partition, cutoff)
    return removed


def _cutoff(
    conn: sqlite3.Connection, topic: str, partition: int, policy: FamilyPolicy, now: int
) -> int | None:
    """The first offset retention keeps (``None``: it removes nothing)."""
    cutoffs = []
    if policy.retention_ms != FOREVER:
        cutoffs.append(offset_for_time(conn, topic, partition, now - policy.retention_ms))
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


def _truncate_before(conn: sqlite3.Connection, topic: str, partition: int, cutoff: int) -> int:
    end = load_end(conn, topic, partition)
    conn.execute(
        "INSERT OR REPLACE INTO heads (topic, partition, next_offset) VALUES (?, ?, ?)",
        (topic, partition, end),
    )
    return _remove(
        conn, "topic = ?1 AND partition = ?2 AND offset < ?3", (topic, partition, cutoff)
    )


def _remove(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> int:
    """Delete the events ``where`` selects (the ``events_keep_leaves`` trigger keeps their
    leaves)."""
    return int(conn.execute(f"DELETE FROM events WHERE {where}", params).rowcount)
