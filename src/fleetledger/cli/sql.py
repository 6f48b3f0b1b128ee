"""``fleetledger sql``: DuckDB over the ledger, or over its export; a view per family."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.render import printable
from fleetledger.lake import sql as lake_sql
from fleetledger.lake.iceberg import IcebergLake, catalog

SQL_JSON = "one JSON object: {columns: [name, ...], rows: [[value, ...], ...]}"


def sql(
    query: Annotated[
        str, typer.Argument(metavar="QUERY", help="A DuckDB SELECT.", show_default=False)
    ],
    *,
    export: Annotated[
        Path | None,
        typer.Option(
            "--export", help="Query this Parquet export instead of the ledger.", show_default=False
        ),
    ] = None,
    catalog_uri: Annotated[
        str | None,
        typer.Option("--catalog", help="Query this Iceberg catalog's export.", show_default=False),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", help="The Iceberg warehouse directory.", show_default=False),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(SQL_JSON)] = False,
) -> None:
    """Run SQL (DuckDB) over a view per family, of the ledger or of its export."""
    if export is not None:
        connection = lake_sql.over_parquet(str(export))
    elif catalog_uri is not None:
        with open_ledger(ledger) as opened:
            namespace = opened.namespace
        lake = IcebergLake(catalog(catalog_uri, warehouse or "."), namespace)
        connection = lake_sql.over_iceberg(lake)
    else:
        with open_ledger(ledger) as opened:
            connection = lake_sql.over_ledger(opened)
    columns, rows = lake_sql.query(connection, query)
    if as_json:
        write_json({"columns": columns, "rows": [[_json(v) for v in row] for row in rows]})
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in columns:
        table.add_column(printable(column))
    for row in rows:
        table.add_row(*(printable("" if v is None else str(v)) for v in row))
    output().print(table)


def _json(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes):
        return value.hex()
    return str(value)
