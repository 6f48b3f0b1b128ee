"""Group memberships, partition leases and dead letters in the ledger file.

The lease rules are :mod:`fleetledger.backends.leases`'; here they are SQL, each step one
write transaction (``BEGIN IMMEDIATE``), so members in other processes see one order of
renewals, takes and commits: a commit checks its leases under the same write lock that a
take would need to move them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

from fleetledger.backends.leases import now_ms, rebalance
from fleetledger.errors import Fenced
from fleetledger.types import TopicPartition

COMMIT = (
    "INSERT INTO group_offsets (grp, topic, partition, next_offset, committed_ms)"
    " VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (grp, topic, partition) DO UPDATE"
    " SET next_offset = excluded.next_offset, committed_ms = excluded.committed_ms"
)


def renew(conn: sqlite3.Connection, group: str, member: str, session_ms: int, join: bool) -> bool:
    """Extend a membership (adding it with ``join``); whether it is one afterwards."""
    now = now_ms()
    expires = now + session_ms
    if join:
        conn.execute(
            "INSERT INTO group_members (grp, member, expires_ms) VALUES (?, ?, ?)"
            " ON CONFLICT (grp, member) DO UPDATE SET expires_ms = excluded.expires_ms",
            (group, member, expires),
        )
        return True
    updated = conn.execute(
        "UPDATE group_members SET expires_ms = ? WHERE grp = ? AND member = ? AND expires_ms > ?",
        (expires, group, member, now),
    )
    return updated.rowcount > 0


def take(
    conn: sqlite3.Connection,
    group: str,
    member: str,
    partitions: Sequence[TopicPartition],
    session_ms: int,
) -> dict[TopicPartition, int]:
    """Renew, forget expired members, move leases by the split; the member's leases."""
    renew(conn, group, member, session_ms, join=True)
    now = now_ms()
    conn.execute("DELETE FROM group_members WHERE grp = ? AND expires_ms <= ?", (group, now))
    live = [m for (m,) in conn.execute("SELECT member FROM group_members WHERE grp = ?", (group,))]
    leases = {
        (t, p): (m, e)
        for t, p, m, e in conn.execute(
            "SELECT topic, partition, member, epoch FROM group_leases WHERE grp = ?", (group,)
        )
    }
    moves = rebalance(member, live, partitions, {tp: m for tp, (m, _) in leases.items()})
    conn.executemany(
        "DELETE FROM group_leases WHERE grp = ? AND topic = ? AND partition = ?",
        [(group, t, p) for t, p in moves.release],
    )
    conn.executemany(
        "INSERT OR REPLACE INTO group_leases (grp, topic, partition, member, epoch)"
        " VALUES (?, ?, ?, ?, ?)",
        [(group, t, p, member, leases.get((t, p), ("", 0))[1] + 1) for t, p in moves.claim],
    )
    rows = conn.execute(
        "SELECT topic, partition, epoch FROM group_leases WHERE grp = ? AND member = ?",
        (group, member),
    )
    return {(t, p): e for t, p, e in rows}


def commit_leased(
    conn: sqlite3.Connection,
    group: str,
    member: str,
    epochs: Mapping[TopicPartition, int],
    offsets: Mapping[TopicPartition, int],
) -> None:
    """Commit ``offsets`` if the member holds every lease at its epoch; else :class:`Fenced`."""
    now = now_ms()
    alive = conn.execute(
        "SELECT 1 FROM group_members WHERE grp = ? AND member = ? AND expires_ms > ?",
        (group, member, now),
    ).fetchone()
    if alive is None:
        raise Fenced(
            f"member {member} of group {group!r} is no longer a member (its lease ran out)"
        )
    held = {
        (t, p): e
        for t, p, e in conn.execute(
            "SELECT topic, partition, epoch FROM group_leases WHERE grp = ? AND member = ?",
            (group, member),
        )
    }
    for topic, partition in offsets:
        if held.get((topic, partition)) != epochs.get((topic, partition)):
            raise Fenced(f"member {member} of group {group!r} no longer holds {topic}/{partition}")
    conn.executemany(COMMIT, [(group, t, p, o, now) for (t, p), o in offsets.items()])


def part(conn: sqlite3.Connection, group: str, member: str) -> None:
    """Remove the member and release its leases."""
    conn.execute("DELETE FROM group_members WHERE grp = ? AND member = ?", (group, member))
    conn.execute("DELETE FROM group_leases WHERE grp = ? AND member = ?", (group, member))


def add_dead_letters(conn: sqlite3.Connection, topic: str, records: Sequence[bytes]) -> None:
    """Append records of a dead-letter topic."""
    conn.executemany(
        "INSERT INTO dead_letters (topic, body) VALUES (?, ?)", [(topic, r) for r in records]
    )


def dead_letters(conn: sqlite3.Connection, topic: str) -> list[bytes]:
    """The records of a dead-letter topic, in order (none in a file older than the table)."""
    try:
        rows = conn.execute("SELECT body FROM dead_letters WHERE topic = ? ORDER BY seq", (topic,))
        return [bytes(body) for (body,) in rows]
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise
