"""SQL over a ledger or its export, through DuckDB: a view per family (named after it), and
``heads``, ``dead_letters`` and ``state_latest``; the columns are the export's.

Over a live ledger the rows are read through the ledger's own API into Arrow (the exporter
writing into memory), so DuckDB needs no SQLite extension, and none is ever downloaded. Over a
Parquet export DuckDB reads the files the manifest names; over an Iceberg export pyiceberg
reads the tables into Arrow.
"""

from __future__ import annotations

from typing import Any

from fleetledger.errors import ContractError
from fleetledger.lake._deps import need
from fleetledger.lake.export import Exporter
from fleetledger.lake.parquet import ParquetLake
from fleetledger.lake.progress import Batch, Progress
from fleetledger.lake.tables import (
    STATE_FAMILY,
    dead_letters_schema,
    dead_letters_table,
    heads_schema,
    heads_table,
    latest_per_task,
)
from fleetledger.ledger import Ledger


class MemorySink:
    """An export kept in memory: what ``sql`` reads a live ledger through."""

    def __init__(self) -> None:
        self.families: dict[str, list[Any]] = {}
        self.notes: list[Any] = []
        self.dead_letters: list[dict[str, Any]] = []
        self._progress = Progress()

    def progress(self) -> Progress:
        """See :meth:`Sink.progress`."""
        return self._progress.copy()

    def commit(self, batch: Batch) -> None:
        """See :meth:`Sink.commit`."""
        for family, tables in batch.families.items():
            self.families.setdefault(family, []).extend(tables)
        self.notes += batch.notes
        self.dead_letters += batch.dead_letters
        self._progress = batch.progress.copy()


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def over_ledger(ledger: Ledger) -> Any:
    """A DuckDB connection with the ledger's views (read now, in memory)."""
    pa = need("pyarrow")
    sink = MemorySink()
    Exporter(ledger, sink, batch=1 << 62).run_once()
    tables = {
        family: pa.concat_tables(parts, promote_options="permissive")
        for family, parts in sink.families.items()
    }
    tables["heads"] = heads_table(sink.notes, 0, 1)
    tables["dead_letters"] = dead_letters_table(sink.dead_letters, 0)
    tables["state_latest"] = latest_per_task(sink.families.get(STATE_FAMILY, []))
    return _with_tables(tables)


def over_parquet(directory: str) -> Any:
    """A DuckDB connection with the views of the Parquet export in ``directory``."""
    duckdb = need("duckdb")
    lake = ParquetLake(directory)
    connection = duckdb.connect()
    empty = {"heads": heads_schema(), "dead_letters": dead_letters_schema()}
    for name, files in lake.files().items():
        if files:
            listed = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
            connection.execute(
                f"CREATE VIEW {_quoted(name)} AS"
                f" SELECT * FROM read_parquet([{listed}], union_by_name = true)"
            )
        elif name in empty:
            connection.register(name, empty[name].empty_table())
    return connection


def over_iceberg(lake: Any) -> Any:
    """A DuckDB connection with the views of an Iceberg export (an ``IcebergLake``)."""
    tables = dict(lake.families())
    tables["heads"] = lake.heads()
    tables["dead_letters"] = lake.dead_letters()
    tables["state_latest"] = lake.state_latest()
    return _with_tables(tables)


def _with_tables(tables: dict[str, Any]) -> Any:
    duckdb = need("duckdb")
    connection = duckdb.connect()
    for name, table in tables.items():
        if table is not None:
            connection.register(name, table)
    return connection


def query(connection: Any, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``text``; its column names and rows. DuckDB's errors become :class:`ContractError`."""
    duckdb = need("duckdb")
    try:
        result = connection.execute(text)
        rows = result.fetchall()
    except duckdb.Error as exc:
        raise ContractError(f"the query failed: {exc}") from None
    columns = [d[0] for d in result.description or []]
    return columns, rows
