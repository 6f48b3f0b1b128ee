"""The lake: exporting a signed SQLite ledger to Parquet (every leaf a row, with its body, leaf
hash, covering head and typed columns), against pyarrow writing the same rows' bodies and
places from a plain ``sqlite3`` read into Parquet; and the export's bytes on disk against the
ledger file's."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from common import Result
from fleetledger.integrity import NoteSigner
from fleetledger.lake import Exporter, ParquetSink
from integrity import KEY_NAME, fill_signed, open_signed

RAW_ROWS = "SELECT topic, partition, offset, body FROM events ORDER BY topic, partition, offset"


def missing() -> str | None:
    """Why the lake benchmark cannot run here (the ``[lake]`` extra), else ``None``."""
    try:
        import pyarrow.parquet  # noqa: F401, PLC0415
    except ImportError:
        return "needs pip install 'fleetledger[lake]'"
    return None


def raw_export(path: Path, out: Path) -> float:
    """The baseline: one SELECT of place and body, pyarrow writes them as Parquet (zstd)."""
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    started = time.perf_counter()
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        topics, partitions, offsets, bodies = zip(*conn.execute(RAW_ROWS), strict=True)
    finally:
        conn.close()
    table = pa.table({"topic": topics, "partition": partitions, "offset": offsets, "body": bodies})
    out.mkdir()
    pq.write_table(table, out / "events.parquet", compression="zstd")
    return time.perf_counter() - started


def size(directory: Path) -> int:
    """Bytes of every file under ``directory``."""
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def run(directory: Path, *, events: int) -> list[Result]:
    """Export rate (events/s) against the raw baseline, and bytes on disk (info)."""
    path = directory / "lake.db"
    fill_signed(path, events, NoteSigner.generate(KEY_NAME))
    raw = raw_export(path, directory / "raw")
    with open_signed(path, False) as ledger:
        started = time.perf_counter()
        report = Exporter(ledger, ParquetSink(directory / "lake", ledger.namespace)).run_once()
        took = time.perf_counter() - started
    ledger_bytes = path.stat().st_size
    lake_bytes, raw_bytes = size(directory / "lake"), size(directory / "raw")
    return [
        Result(
            f"export to Parquet, {report.rows:,} events (info)",
            report.rows / took,
            events / raw,
            "events/s",
            "-",
            None,
            f"{report.commits} commits, {took:.1f} s; baseline: sqlite3 read + pyarrow write",
        ),
        Result(
            "  bytes on disk per ledger-file byte, export vs raw Parquet (info)",
            lake_bytes / ledger_bytes,
            raw_bytes / ledger_bytes,
            "x",
            "-",
            None,
            f"export {lake_bytes / 1e6:.0f} MB, ledger {ledger_bytes / 1e6:.0f} MB,"
            f" raw Parquet {raw_bytes / 1e6:.0f} MB",
        ),
    ]


if __name__ == "__main__":
    import sys
    import tempfile

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as temporary:
        for line in run(Path(temporary), events=count):
            print(
                line.name, f"{line.ledger:,.3f}", f"{line.baseline or 0:,.3f}", line.unit, line.note
            )
