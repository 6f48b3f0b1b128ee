"""``fleetledger export parquet|iceberg``: the ledger into a lake that can be verified there.

Incremental and resumable: each commit of the export records its own progress (a manifest
beside the Parquet files, a snapshot property of each Iceberg table), and the export's
consumer group (``--group``) follows, so ``fleetledger lag`` shows how far behind the lake is.
Run it again, or with ``--follow``, to take what was appended since.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from fleetledger.cli.common import LedgerURL, json_option, open_ledger, output, write_json
from fleetledger.cli.exits import InputError, committed
from fleetledger.lake import DEFAULT_BATCH, Exporter, ExportReport, ParquetSink, Progress
from fleetledger.lake.iceberg import IcebergSink, catalog


class Format(StrEnum):
    """The lake formats."""

    PARQUET = "parquet"
    ICEBERG = "iceberg"


EXPORT_JSON = "one JSON object: {rows, hash_only, notes, dead_letters, commits, seconds}"

Follow = Annotated[
    bool,
    typer.Option("--follow", help="Keep exporting what is appended until Ctrl-C or --timeout."),
]
Freshness = Annotated[
    float,
    typer.Option("--freshness", min=0.01, help="With --follow: export new events every SECONDS."),
]
Timeout = Annotated[
    float | None,
    typer.Option("--timeout", min=0, help="With --follow: stop after SECONDS.", show_default=False),
]


def export(
    kind: Annotated[Format, typer.Argument(metavar="parquet|iceberg", help="The lake's format.")],
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="[DIR]",
            help="parquet: the export's directory (created if needed).",
            show_default=False,
        ),
    ] = None,
    *,
    catalog_uri: Annotated[
        str | None,
        typer.Option(
            "--catalog",
            help="iceberg: the SQL catalog's URL, e.g. sqlite:///catalog.db.",
            show_default=False,
        ),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse", help="iceberg: where the tables' files go.", show_default=False
        ),
    ] = None,
    follow: Follow = False,
    freshness: Freshness = 5.0,
    timeout: Timeout = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per commit.")] = DEFAULT_BATCH,
    group: Annotated[
        str | None,
        typer.Option("--group", help="The export's consumer group.", show_default="lake.FORMAT"),
    ] = None,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(EXPORT_JSON)] = False,
) -> None:
    """Export the ledger to Parquet (DIR) or Iceberg (--catalog), with its leaves and heads."""
    if kind == Format.PARQUET and directory is None:
        raise InputError("export parquet needs the export's DIR")
    if kind == Format.ICEBERG and (catalog_uri is None or warehouse is None):
        raise InputError("export iceberg needs --catalog URL and --warehouse DIR")
    with open_ledger(ledger, write=True, signer=False) as opened:
        if kind == Format.PARQUET:
            assert directory is not None
            sink: Any = ParquetSink(directory, opened.namespace)
        else:
            assert catalog_uri is not None
            assert warehouse is not None
            sink = IcebergSink(catalog(catalog_uri, warehouse), opened.namespace)
        _run(
            opened,
            sink,
            follow=follow,
            freshness=freshness,
            timeout=timeout,
            batch=batch,
            group=group or f"lake.{kind.value}",
            as_json=as_json,
        )


def _run(
    opened: Any,
    sink: Any,
    *,
    follow: bool,
    freshness: float,
    timeout: float | None,
    batch: int,
    group: str,
    as_json: bool,
) -> None:
    done: list[Progress] = []

    def said() -> str:
        if not done:
            return "nothing was exported"
        leaves = sum(done[-1].leaves.values())
        return f"the export holds {leaves} rows; run again to resume"

    committed(said)
    exporter = Exporter(opened, sink, group=group, batch=batch, on_commit=done.append)
    report = exporter.follow(freshness, timeout=timeout) if follow else exporter.run_once()
    _report(report, as_json=as_json)


def _report(report: ExportReport, *, as_json: bool) -> None:
    if as_json:
        write_json(vars(report))
        return
    output().print(
        f"exported {report.rows} rows ({report.hash_only} hash-only), {report.notes} signed"
        f" notes, {report.dead_letters} dead letters in {report.commits} commits"
        f" ({report.seconds:.2f} s)"
    )
