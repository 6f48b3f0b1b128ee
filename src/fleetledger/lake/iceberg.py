"""An Iceberg export through pyiceberg's SQL catalog (SQLite by default): a table per family
partitioned by day, and the tables ``heads``, ``dead_letters`` and ``state_latest`` (upserted
on the task), in the catalog namespace named after the ledger's.

Every append carries the table's own progress as the snapshot property
``fleetledger.progress``, in the same atomic catalog commit as its rows; a table's progress is
read back from its current snapshot. So a crash between two tables' commits leaves each table
exactly as far as its own snapshot says, and the next run finishes the others. A family table
whose type gained a field gains the column (``union_by_name``) before the rows are appended.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fleetledger.errors import ConfigurationError, NotFound
from fleetledger.lake._deps import need
from fleetledger.lake.progress import PROGRESS_KEY, Batch, Progress, split_place
from fleetledger.lake.tables import (
    STATE_FAMILY,
    STATE_KEY,
    dead_letters_table,
    heads_schema,
    heads_table,
    latest_per_task,
)

EVENTS_PREFIX = "events_"
HEADS = "heads"
DEAD_LETTERS = "dead_letters"
STATE_LATEST = "state_latest"


def catalog(uri: str, warehouse: str) -> Any:
    """pyiceberg's SQL catalog at ``uri`` (``sqlite:///catalog.db``) over ``warehouse``."""
    need("pyiceberg")
    sql = need("pyiceberg.catalog.sql")
    location = warehouse if "://" in warehouse else f"file://{_absolute(warehouse)}"
    try:
        return sql.SqlCatalog("fleetledger", uri=uri, warehouse=location)
    except Exception as exc:  # the catalog's driver errors have no common base
        raise ConfigurationError(f"cannot open the Iceberg catalog {uri}: {exc}") from exc


def _absolute(path: str) -> str:
    return str(Path(path).absolute())


class IcebergSink:
    """Writes an export of ledger ``namespace`` into an Iceberg catalog (see the module)."""

    def __init__(self, catalog: Any, namespace: str) -> None:
        self._catalog = catalog
        self.namespace = namespace
        catalog.create_namespace_if_not_exists(namespace)

    def _name(self, table: str) -> str:
        return f"{self.namespace}.{table}"

    def _tables(self) -> list[str]:
        return [name[-1] for name in self._catalog.list_tables(self.namespace)]

    def _progress_of(self, table: str) -> Progress:
        snapshot = self._catalog.load_table(self._name(table)).current_snapshot()
        found = (
            None if snapshot is None else snapshot.summary.additional_properties.get(PROGRESS_KEY)
        )
        return Progress() if found is None else Progress.from_json(json.loads(found))

    def progress(self) -> Progress:
        """See :meth:`Sink.progress`: each table's own, put together."""
        total = Progress()
        for table in self._tables():
            own = self._progress_of(table)
            if table.startswith(EVENTS_PREFIX):
                total.leaves.update(own.leaves)
                total.offsets.update(own.offsets)
            elif table == HEADS:
                total.notes = own.notes
            elif table == DEAD_LETTERS:
                total.dead_letters = own.dead_letters
        return total

    def commit(self, batch: Batch) -> None:
        """See :meth:`Sink.commit`: one catalog commit per table the batch touches."""
        pa = need("pyarrow")
        for family, tables in sorted(batch.families.items()):
            rows = pa.concat_tables(tables, promote_options="permissive")
            topics = {str(t) for t in rows["topic"].unique().to_pylist()}
            mine = {k: v for k, v in batch.progress.leaves.items() if split_place(k)[0] in topics}
            before = (
                self._progress_of(EVENTS_PREFIX + family)
                if self._exists(EVENTS_PREFIX + family)
                else Progress()
            )
            before.leaves.update(mine)
            before.offsets.update(
                {k: v for k, v in batch.progress.offsets.items() if split_place(k)[0] in topics}
            )
            self._append(EVENTS_PREFIX + family, rows, before, day=True)
            if family == STATE_FAMILY:
                self._upsert_state(tables)
        if batch.notes:
            done = self._progress_of(HEADS).notes if self._exists(HEADS) else 0
            heads = self._heads_count() if self._exists(HEADS) else 0
            table = heads_table(batch.notes, done, heads + 1)
            self._append(HEADS, table, Progress(notes=batch.progress.notes), day=False)
        if batch.dead_letters:
            done = self._progress_of(DEAD_LETTERS).dead_letters if self._exists(DEAD_LETTERS) else 0
            table = dead_letters_table(batch.dead_letters, done)
            self._append(
                DEAD_LETTERS, table, Progress(dead_letters=batch.progress.dead_letters), day=False
            )

    def _exists(self, table: str) -> bool:
        return bool(self._catalog.table_exists(self._name(table)))

    def _heads_count(self) -> int:
        rows = (
            self._catalog.load_table(self._name(HEADS)).scan(selected_fields=("kind",)).to_arrow()
        )
        return sum(kind == "head" for kind in rows["kind"].to_pylist())

    def _append(self, name: str, rows: Any, progress: Progress, *, day: bool) -> None:
        table = self._table(name, rows.schema, day=day)
        properties = {PROGRESS_KEY: json.dumps(progress.to_json())}
        table.append(rows, snapshot_properties=properties)

    def _table(self, name: str, schema: Any, *, day: bool) -> Any:
        """The table ``name``, created (partitioned by day) or evolved to hold ``schema``."""
        if not self._exists(name):
            table = self._catalog.create_table(self._name(name), schema=schema)
            if day:
                with table.update_spec() as spec:
                    spec.add_identity("day")
            return table
        table = self._catalog.load_table(self._name(name))
        known = set(table.schema().column_names)
        if any(field.name not in known for field in schema):
            with table.update_schema() as update:
                update.union_by_name(schema)
        return table

    def _upsert_state(self, tables: list[Any]) -> None:
        """The ``state`` family's new rows into ``state_latest``, latest per task."""
        latest = latest_per_task(tables)
        if latest is None:
            return
        table = self._table(STATE_LATEST, latest.schema, day=False)
        table.upsert(latest, join_cols=[STATE_KEY])


class IcebergLake:
    """An Iceberg export read back through its catalog."""

    def __init__(self, catalog: Any, namespace: str) -> None:
        self._catalog = catalog
        self.namespace = namespace
        if not catalog.namespace_exists(namespace):
            raise NotFound(f"the Iceberg catalog has no export of ledger {namespace!r}")

    def _read(self, table: str) -> Any | None:
        name = f"{self.namespace}.{table}"
        if not self._catalog.table_exists(name):
            return None
        return self._catalog.load_table(name).scan().to_arrow()

    def tables(self) -> list[str]:
        """The export's table names."""
        return sorted(name[-1] for name in self._catalog.list_tables(self.namespace))

    def families(self) -> dict[str, Any]:
        """Every family's rows."""
        return {
            name.removeprefix(EVENTS_PREFIX): self._read(name)
            for name in self.tables()
            if name.startswith(EVENTS_PREFIX)
        }

    def heads(self) -> Any:
        """The signed notes, in signing order."""
        found = self._read(HEADS)
        return heads_schema().empty_table() if found is None else found

    def dead_letters(self) -> Any | None:
        """The dead-letter records."""
        return self._read(DEAD_LETTERS)

    def state_latest(self) -> Any | None:
        """The state family, latest per task."""
        return self._read(STATE_LATEST)
