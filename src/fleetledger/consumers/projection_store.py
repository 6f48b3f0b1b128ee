"""Where a table projection keeps its offsets and what it created: tables in its own database.

Three tables, created in whatever SQLite file the projection writes (the ledger's file is fine:
their names cannot meet the ledger's):

- ``fleetledger_projections``: each projection registered in the file, with the families it
  was built from (a projection asking for other families must be rebuilt, or its tables would
  mix two histories);
- ``fleetledger_projection_objects``: the tables and views its ``setup`` created, which is
  what a rebuild drops (found by comparing ``sqlite_master`` before and after ``setup``, so
  nothing else in the file is ever touched);
- ``fleetledger_projection_offsets``: the next offset to read per topic and partition,
  written in each batch's transaction.

Every function here runs inside a transaction its caller opened.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence

from fleetledger.errors import ConfigurationError
from fleetledger.types import TopicPartition

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS fleetledger_projections ("
    " name TEXT PRIMARY KEY, families TEXT NOT NULL, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS fleetledger_projection_objects ("
    " name TEXT NOT NULL, kind TEXT NOT NULL, object TEXT NOT NULL,"
    " PRIMARY KEY (name, object))",
    "CREATE TABLE IF NOT EXISTS fleetledger_projection_offsets ("
    " name TEXT NOT NULL, topic TEXT NOT NULL, partition INTEGER NOT NULL,"
    " next INTEGER NOT NULL, PRIMARY KEY (name, topic, partition))",
)
_DROPPABLE = {"table": "TABLE", "view": "VIEW"}
"""What a rebuild drops, by ``sqlite_master`` type (indexes and triggers go with their table)."""


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the bookkeeping tables if missing."""
    for statement in _SCHEMA:
        conn.execute(statement)


def registered(conn: sqlite3.Connection, name: str) -> tuple[str, ...] | None:
    """The families projection ``name`` was built from (``None``: not registered here)."""
    row = conn.execute(
        "SELECT families FROM fleetledger_projections WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else tuple(json.loads(row[0]))


def register(
    conn: sqlite3.Connection,
    name: str,
    families: Sequence[str],
    setup: Callable[[sqlite3.Connection], None],
) -> None:
    """Run ``setup`` and record the projection with the objects it created."""
    before = _objects(conn)
    setup(conn)
    if not conn.in_transaction:
        raise ConfigurationError(
            f"the setup of projection {name!r} ended its transaction (executescript commits):"
            " create its tables with conn.execute"
        )
    created = sorted(set(_objects(conn)) - set(before))
    conn.execute(
        "INSERT INTO fleetledger_projections (name, families, created_ms) VALUES (?, ?, ?)",
        (name, json.dumps(list(families)), time.time_ns() // 1_000_000),
    )
    conn.executemany(
        "INSERT INTO fleetledger_projection_objects (name, kind, object) VALUES (?, ?, ?)",
        [(name, kind, obj) for obj, kind in created],
    )


def forget(conn: sqlite3.Connection, name: str) -> int:
    """Drop what projection ``name`` created and forget it (offsets included); return how
    many tables and views were dropped."""
    rows = conn.execute(
        "SELECT kind, object FROM fleetledger_projection_objects WHERE name = ?", (name,)
    ).fetchall()
    for kind, obj in rows:
        conn.execute(f"DROP {_DROPPABLE[kind]} IF EXISTS {_quoted(obj)}")
    for table in ("objects", "offsets"):
        conn.execute(f"DELETE FROM fleetledger_projection_{table} WHERE name = ?", (name,))
    conn.execute("DELETE FROM fleetledger_projections WHERE name = ?", (name,))
    return len(rows)


def positions(conn: sqlite3.Connection, name: str) -> dict[TopicPartition, int]:
    """The next offsets stored for projection ``name``."""
    rows = conn.execute(
        "SELECT topic, partition, next FROM fleetledger_projection_offsets WHERE name = ?",
        (name,),
    )
    return {(topic, partition): offset for topic, partition, offset in rows}


def save(conn: sqlite3.Connection, name: str, offsets: Mapping[TopicPartition, int]) -> None:
    """Store the next offsets of projection ``name``."""
    conn.executemany(
        "INSERT INTO fleetledger_projection_offsets (name, topic, partition, next)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (name, topic, partition) DO UPDATE"
        " SET next = excluded.next",
        [(name, topic, partition, offset) for (topic, partition), offset in offsets.items()],
    )


def _objects(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """The droppable objects in the file, as ``(name, kind)``."""
    rows = conn.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')")
    return [(name, kind) for name, kind in rows if not name.startswith("sqlite_")]


def _quoted(identifier: str) -> str:
    """An SQL identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'
