"""Where a SQLite ledger file keeps its leaves, for tests that tamper with them by hand.

Since version 3 a leaf lives in its event's row (``events.leaf``) and, once the event is gone,
in ``expired_leaves``; the view ``leaves`` shows both. These helpers make the changes an
attacker with write access to the file would make, whichever table holds the leaf.
"""

from collections.abc import Callable
from typing import Any

SQL = Callable[..., list[tuple[Any, ...]]]


def set_leaf(sql: SQL, topic: str, partition: int, idx: int, hashed: bytes) -> None:
    """Make ``hashed`` leaf ``idx`` of the partition (its event's, if the event is stored)."""
    offset = idx + _start(sql, topic, partition)
    where = "topic = ? AND partition = ?"
    sql(f"DELETE FROM expired_leaves WHERE {where} AND idx = ?", topic, partition, idx)
    if sql(f"SELECT 1 FROM events WHERE {where} AND offset = ?", topic, partition, offset):
        sql(
            f"UPDATE events SET leaf = ? WHERE {where} AND offset = ?",
            hashed,
            topic,
            partition,
            offset,
        )
    else:
        sql("INSERT INTO expired_leaves VALUES (?, ?, ?, ?)", topic, partition, idx, hashed)


def drop_leaves(sql: SQL, topic: str, partition: int, first: int, last: int | None = None) -> None:
    """Remove the partition's leaves ``first`` to ``last`` (to the end when ``None``)."""
    last = first + 2**62 if last is None else last
    start = _start(sql, topic, partition)
    where = "topic = ? AND partition = ?"
    sql(
        f"UPDATE events SET leaf = NULL WHERE {where} AND offset BETWEEN ? AND ?",
        topic, partition, start + first, start + last,
    )  # fmt: skip
    sql(
        f"DELETE FROM expired_leaves WHERE {where} AND idx BETWEEN ? AND ?",
        topic, partition, first, last,
    )  # fmt: skip


def leaf(sql: SQL, topic: str, partition: int, idx: int) -> bytes | None:
    """Leaf ``idx`` of the partition, if it is stored."""
    found = sql(
        "SELECT hash FROM leaves WHERE topic = ? AND partition = ? AND idx = ?",
        topic, partition, idx,
    )  # fmt: skip
    return found[0][0] if found else None


def leaf_hashes(sql: SQL, topic: str | None = None, partition: int | None = None) -> list[bytes]:
    """Every stored leaf (of one partition, if given), by partition and index."""
    if topic is None:
        return [h for (h,) in sql("SELECT hash FROM leaves ORDER BY topic, partition, idx")]
    rows = sql(
        "SELECT hash FROM leaves WHERE topic = ? AND partition = ? ORDER BY idx", topic, partition
    )
    return [h for (h,) in rows]


def _start(sql: SQL, topic: str, partition: int) -> int:
    found = sql("SELECT start FROM trees WHERE topic = ? AND partition = ?", topic, partition)
    return int(found[0][0]) if found else 0
