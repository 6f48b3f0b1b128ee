"""The lake: a ledger exported to Parquet or Iceberg that can be verified from the lake alone,
and SQL over the ledger or its export (DuckDB).

Every row carries its event's stored body, its leaf hash and index, its place (topic,
partition, offset) and the signed head that covers it; the signed heads are a table of the
export. :func:`verify_export` recomputes each row's leaf from its body, each partition's tree
from the leaves and checks it against the heads' signatures, with no ledger present. Needs the
``[lake]`` extra (pyarrow, DuckDB, pyiceberg).
"""

from fleetledger.lake.export import DEFAULT_BATCH, Exporter, ExportReport, Sink
from fleetledger.lake.parquet import ParquetLake, ParquetSink
from fleetledger.lake.progress import Batch, Progress

__all__ = [
    "DEFAULT_BATCH",
    "Batch",
    "ExportReport",
    "Exporter",
    "ParquetLake",
    "ParquetSink",
    "Progress",
    "Sink",
]
