"""Leaves and trees in the SQLite file: written with each append, never removed, backfilled."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fleetledger import IntegrityError, Ledger
from fleetledger.integrity import Frontier, leaf_hashes, tree_root
from tests.integration.integrity.leafstore import set_leaf

Open = Callable[..., Ledger]
Append = Callable[[Ledger, int], list[int]]
SQL = Callable[..., list[tuple[Any, ...]]]


def test_leaves_and_frontier_equal_a_tree_recomputed_from_the_bodies(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Every partition's leaves are the hashes of its bodies, and its frontier their tree."""
    ledger = open_ledger(sign=False)
    append_tasks(ledger, 7)
    ledger.append_many(
        {"type": "task.requested", "subject": f"t-{n}", "data": {"goal": "g"}} for n in range(40)
    )

    partitions = sql("SELECT DISTINCT topic, partition FROM events")
    assert len(partitions) > 1
    for topic, partition in partitions:
        where = "WHERE topic = ? AND partition = ?"
        bodies = sql(f"SELECT body FROM events {where} ORDER BY offset", topic, partition)
        leaves = sql(f"SELECT hash FROM leaves {where} ORDER BY idx", topic, partition)
        ((blob,),) = sql(f"SELECT frontier FROM trees {where}", topic, partition)
        expected = leaf_hashes(body for (body,) in bodies)
        assert [hashed for (hashed,) in leaves] == expected
        assert Frontier.from_bytes(blob).size == len(expected)
        assert Frontier.from_bytes(blob).root() == tree_root(expected)


def test_leaves_stay_when_retention_removes_bodies(open_ledger: Open, sql: SQL) -> None:
    """maintain() deletes expired context events but keeps their leaves and tree."""
    ledger = open_ledger(sign=False)
    for n in range(5):
        ledger.append("context.retrieved", subject="task-9", data={"query": f"q{n}"})

    removed = ledger.maintain(datetime.now(UTC) + timedelta(days=8))

    assert removed == 5
    assert sql("SELECT count(*) FROM expired_leaves") == [(5,)]
    # the 5 leaves kept, and the retention run's own record (governance.admin.performed)
    assert sql("SELECT count(*) FROM leaves") == [(6,)]
    assert sql("SELECT sum(size) FROM trees") == [(6,)]


def _downgrade_to_version_1(sql: SQL) -> None:
    sql("DROP VIEW leaves")
    sql("DROP TRIGGER events_keep_leaves")
    for table in ("expired_leaves", "trees", "checkpoints"):
        sql(f"DROP TABLE {table}")
    sql("ALTER TABLE events DROP COLUMN leaf")
    sql("UPDATE meta SET value = '1' WHERE key = 'schema_version'")


def test_a_version_1_file_gets_its_leaves_backfilled_once_at_open(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Opening a version-1 file hashes its stored bodies into leaves and trees, once."""
    with open_ledger(sign=False) as old:
        append_tasks(old, 9)
    _downgrade_to_version_1(sql)

    ledger = open_ledger(sign=False)

    assert sql("SELECT value FROM meta WHERE key = 'schema_version'") == [("3",)]
    assert sql("SELECT count(*) FROM leaves") == [(9,)]
    assert ledger.verify().ok


def test_a_version_1_partition_that_lost_its_first_events_starts_its_tree_after_them(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Leaves of expired events are gone: the tree covers the events still stored, and grows."""
    with open_ledger(sign=False) as old:
        append_tasks(old, 5)
    _downgrade_to_version_1(sql)
    sql("DELETE FROM events WHERE offset < 2")

    ledger = open_ledger(sign=False)
    append_tasks(ledger, 1)

    assert sql("SELECT start, size FROM trees") == [(2, 4)]
    assert sql("SELECT min(idx), max(idx) FROM leaves") == [(0, 3)]
    result = ledger.verify()
    assert result.ok
    assert (result.events, result.leaves, result.uncovered) == (4, 4, 0)


def test_a_version_1_partition_with_holes_starts_its_tree_at_its_end(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Compaction holes cannot be hashed around: older events stay uncovered, newer ones are."""
    with open_ledger(sign=False) as old:
        append_tasks(old, 5)
    _downgrade_to_version_1(sql)
    sql("DELETE FROM events WHERE offset = 2")

    ledger = open_ledger(sign=False)
    append_tasks(ledger, 2)

    assert sql("SELECT start, size FROM trees") == [(5, 2)]
    result = ledger.verify()
    assert result.ok
    assert (result.events, result.leaves, result.uncovered) == (6, 2, 4)


def test_an_event_of_a_tree_that_starts_late_is_proved_by_its_leaf_index(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """Leaf index = offset - start; prove says which leaf, and the proof verifies."""
    with open_ledger(sign=False) as old:
        append_tasks(old, 5)
    _downgrade_to_version_1(sql)
    sql("DELETE FROM events WHERE offset < 2")
    with open_ledger(every=100) as signing:
        append_tasks(signing, 1)
    ((event_id,),) = sql("SELECT id FROM events WHERE offset = 3")

    proof = open_ledger(sign=False).prove(event_id)

    assert (proof.index, proof.size) == (1, 4)


def test_events_loaded_without_the_ledger_are_hashed_in_at_the_next_append(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """verify reports bulk-loaded rows as inserted until an append to the partition adopts them."""
    ledger = open_ledger(sign=False)
    append_tasks(ledger, 2)
    sql(
        "INSERT INTO events (topic, partition, offset, key, id, subject, type, recorded_ms, body)"
        " SELECT topic, partition, 2, key, 'bulk', subject, type, recorded_ms, body"
        " FROM events WHERE offset = 0"
    )
    assert [(f.offset, f.kind) for f in ledger.verify().findings] == [(2, "inserted")]

    append_tasks(ledger, 1)

    assert ledger.verify().ok
    assert sql("SELECT max(idx) FROM leaves") == [(3,)]


def test_an_append_refuses_to_extend_a_tree_with_stray_leaves(
    open_ledger: Open, append_tasks: Append, sql: SQL
) -> None:
    """A leaf stored past the tree (forged) makes appends to that partition fail loudly."""
    ledger = open_ledger(sign=False)
    append_tasks(ledger, 2)
    ((topic, partition, hashed),) = sql("SELECT topic, partition, hash FROM leaves WHERE idx = 1")
    set_leaf(sql, topic, partition, 2, hashed)
    sql(
        "INSERT INTO events (topic, partition, offset, key, id, subject, type, recorded_ms, body)"
        " SELECT topic, partition, 2, key, 'forged', subject, type, recorded_ms, body"
        " FROM events WHERE offset = 1"
    )

    with pytest.raises(IntegrityError, match="cannot be hashed in"):
        append_tasks(ledger, 1)
