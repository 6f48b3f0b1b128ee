"""A Parquet export read back with DuckDB: every leaf a row, incremental, evolving, upserted."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

import fleetledger
from fleetledger.events.spec import spec_from
from fleetledger.lake import Exporter, ParquetLake, ParquetSink
from fleetledger.lake.verify import verify_export
from fleetledger.ledger import load_verifier
from fleetledger.topics import FamilyPolicy


def export(url: str, directory: Path, batch: int = 10_000) -> int:
    with fleetledger.open(url, default_source="tests") as ledger:
        return (
            Exporter(ledger, ParquetSink(directory, ledger.namespace), batch=batch).run_once().rows
        )


def count(directory: Path, sql: str) -> list[tuple[object, ...]]:
    files = [
        str(p) for ps in ParquetLake(directory).files().values() for p in ps if "events" in str(p)
    ]
    return duckdb.sql(
        sql.replace("EVENTS", f"read_parquet({files}, union_by_name = true)")
    ).fetchall()


def test_every_leaf_of_the_ledger_is_one_row_with_its_stored_body(url: str, tmp_path: Path) -> None:
    """DuckDB reads one row per leaf, whose body is the stored event and whose place is its own."""
    export(url, tmp_path / "out")
    with fleetledger.open(url, default_source="tests") as ledger:
        total = sum(info.events for info in ledger.topics())
        event = next(iter(ledger.read("tool", 0, 0, limit=1)))
    assert count(tmp_path / "out", "SELECT count(*) FROM EVENTS") == [(total,)]
    row = count(
        tmp_path / "out", f"SELECT type, subject, \"offset\" FROM EVENTS WHERE id = '{event.id}'"
    )
    assert row == [(event.type, event.subject, 0)]


def test_a_second_export_takes_only_what_was_appended_since(url: str, tmp_path: Path) -> None:
    """Run again after an append: one new row, nothing twice."""
    first = export(url, tmp_path / "out")
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="late", data={"goal": "g"})
    assert export(url, tmp_path / "out") == 1
    assert count(
        tmp_path / "out",
        "SELECT count(*), count(DISTINCT (topic, partition, leaf_index)) FROM EVENTS",
    ) == [(first + 1, first + 1)]


def test_small_commits_export_the_same_rows_as_one(url: str, tmp_path: Path) -> None:
    """Commits of 37 rows give the same rows as a single commit."""
    export(url, tmp_path / "one")
    export(url, tmp_path / "many", batch=37)
    query = "SELECT topic, partition, leaf_index, leaf_hash FROM EVENTS ORDER BY ALL"
    assert count(tmp_path / "one", query) == count(tmp_path / "many", query)


def test_typed_columns_hold_the_fields_of_the_built_in_types(url: str, tmp_path: Path) -> None:
    """tool.call.* rows have data_tool and data_call_id read from their data."""
    export(url, tmp_path / "out")
    rows = count(
        tmp_path / "out",
        "SELECT count(*) FROM EVENTS"
        " WHERE family = 'tool' AND data_tool IS NULL AND row_kind = 'event'",
    )
    assert rows == [(0,)]


def test_a_type_that_gains_a_version_gains_a_column(url: str, tmp_path: Path) -> None:
    """v1 exported, then v2 with a new field: the column appears, null in older rows."""
    spec: dict[str, Any] = {
        "type": "audit.noted",
        "version": 1,
        "fields": {"who": {"type": "string"}},
    }
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.register_type(spec_from(spec))
        ledger.append("audit.noted", subject="t", data={"who": "a"})
    export(url, tmp_path / "out")
    spec2 = {
        **spec,
        "version": 2,
        "fields": {**spec["fields"], "why": {"type": "string", "required": False}},
    }
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.register_type(spec_from(spec2))
        ledger.append("audit.noted", subject="t", data={"who": "b", "why": "because"})
    export(url, tmp_path / "out")
    rows = count(
        tmp_path / "out",
        "SELECT data_who, data_why FROM EVENTS WHERE family = 'audit' ORDER BY leaf_index",
    )
    assert rows == [("a", None), ("b", "because")]


def test_the_state_family_is_kept_latest_per_task(url: str, tmp_path: Path) -> None:
    """Two summaries of one task: state_latest holds the second only."""
    with fleetledger.open(url, default_source="tests") as ledger:
        for status in ("running", "completed"):
            ledger.append(
                "state.summary", subject="t-1", data={"status": status, "last_event_type": "x.y"}
            )
    export(url, tmp_path / "out")
    latest = ParquetLake(tmp_path / "out").files()["state_latest"]
    rows = duckdb.sql(
        f"SELECT subject, data_status FROM read_parquet('{latest[0]}') WHERE subject = 't-1'"
    ).fetchall()
    assert rows == [("t-1", "completed")]


def test_events_removed_by_retention_are_hash_only_rows_and_the_export_still_verifies(
    url: str, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    """A family with a short retention: its expired leaves export as hash-only rows."""
    with fleetledger.open(url, policies=[FamilyPolicy(family="tool", retention_ms=1000)]) as ledger:
        removed = ledger.maintain(now=datetime.now(UTC) + timedelta(days=1))
    assert removed > 0
    export(url, tmp_path / "out")
    assert count(
        tmp_path / "out", "SELECT count(*) FROM EVENTS WHERE body IS NULL AND row_kind = 'removed'"
    ) == [(removed,)]
    assert verify_export(ParquetLake(tmp_path / "out"), load_verifier(keys[1])).ok


def test_dead_letters_and_heads_are_tables(url: str, tmp_path: Path) -> None:
    """The heads table holds the signed notes; both tables are read back."""
    export(url, tmp_path / "out")
    lake = ParquetLake(tmp_path / "out")
    with fleetledger.open(url, default_source="tests") as ledger:
        assert lake.heads()["kind"].to_pylist().count("head") == len(ledger.heads())
    assert lake.dead_letters().num_rows == 0
