"""``fleetledger verify-export``: prove a Parquet or Iceberg export with the public key alone."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from fleetledger.cli.common import json_option, output, write_json
from fleetledger.cli.exits import CheckFailed, InputError
from fleetledger.cli.verify import print_findings
from fleetledger.lake import ParquetLake
from fleetledger.lake.iceberg import IcebergLake, catalog
from fleetledger.lake.verify import ExportVerification, verify_export
from fleetledger.ledger import load_verifier

VERIFY_EXPORT_JSON = (
    "one JSON object: {ok, partitions, rows, hash_only, claims, signatures_checked, unsigned,"
    " findings: [{topic, partition, offset, kind, detail}]}"
)


def verify_export_command(
    directory: Annotated[
        Path | None,
        typer.Argument(metavar="[DIR]", help="A Parquet export's directory.", show_default=False),
    ] = None,
    *,
    catalog_uri: Annotated[
        str | None,
        typer.Option(
            "--catalog", help="An Iceberg export: the SQL catalog's URL.", show_default=False
        ),
    ] = None,
    warehouse: Annotated[
        str | None,
        typer.Option("--warehouse", help="The Iceberg warehouse directory.", show_default=False),
    ] = None,
    namespace: Annotated[
        str, typer.Option("--namespace", help="The exported ledger's namespace (Iceberg).")
    ] = "fleet",
    key: Annotated[
        Path | None,
        typer.Option(
            "--key",
            help="Public key (NAME.pub) to check the heads' signatures with.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, json_option(VERIFY_EXPORT_JSON)] = False,
) -> None:
    """Check an export's rows and trees against its signed heads, no ledger; exit 1 if not."""
    if (directory is None) == (catalog_uri is None):
        raise InputError("give a Parquet export's DIR or an Iceberg export's --catalog")
    if directory is not None:
        lake = ParquetLake(directory)
        result = verify_export(lake, None if key is None else load_verifier(key))
    else:
        assert catalog_uri is not None
        opened = catalog(catalog_uri, warehouse or ".")
        lake_ice = IcebergLake(opened, namespace)
        result = verify_export(lake_ice, None if key is None else load_verifier(key))
    _report(result, as_json=as_json)
    if not result.ok:
        raise CheckFailed(f"{len(result.findings)} findings in the export")


def _report(result: ExportVerification, *, as_json: bool) -> None:
    if as_json:
        write_json(
            {
                "ok": result.ok,
                "partitions": result.partitions,
                "rows": result.rows,
                "hash_only": result.hash_only,
                "claims": result.claims,
                "signatures_checked": result.signatures_checked,
                "unsigned": result.unsigned,
                "findings": [finding._asdict() for finding in result.findings],
            }
        )
        return
    console = output()
    print_findings(console, result.findings)
    signed = "signatures checked" if result.signatures_checked else "signatures NOT checked"
    verdict = "[green]ok[/]" if result.ok else "[red]FAILED[/]"
    console.print(
        f"{verdict}: {result.rows} rows ({result.hash_only} hash-only) in {result.partitions}"
        f" partitions against {result.claims} signed claims ({signed});"
        f" {result.unsigned} rows after the newest claim"
    )
