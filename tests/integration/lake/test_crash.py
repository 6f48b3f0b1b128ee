"""An exporter killed (SIGKILL) at random moments, then run again, exports each leaf exactly
once: the same rows as an export that was never interrupted."""

import os
import random
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb

import fleetledger
from fleetledger.lake import Exporter, ParquetLake, ParquetSink

BATCH = 20
CHILD = f"""
import sys
import fleetledger
from fleetledger.lake import Exporter, ParquetSink

class Saying(ParquetSink):
    def _write(self, table, relative):
        written = super()._write(table, relative)
        print("wrote", relative, flush=True)
        return written

    def commit(self, batch):
        super().commit(batch)
        print("committed", flush=True)

with fleetledger.open(sys.argv[1]) as ledger:
    Exporter(ledger, Saying(sys.argv[2], ledger.namespace), batch={BATCH}).run_once()
print("done", flush=True)
"""
"""The exporter, saying each file a commit has written and when it has replaced the manifest:
a kill right after a file lands among the commit's writes, after the manifest between two
commits."""


def rows(directory: Path) -> list[tuple[object, ...]]:
    files = [
        str(p)
        for name, ps in ParquetLake(directory).files().items()
        for p in ps
        if name not in ("heads", "dead_letters", "state_latest")
    ]
    query = (
        "SELECT topic, partition, leaf_index, leaf_hash, body FROM read_parquet({}) ORDER BY ALL"
    )
    return duckdb.sql(query.format(files)).fetchall()


def kill_after(child: subprocess.Popen[bytes], wanted: int, last: bytes) -> None:
    """Kill the child once it has said at least ``wanted`` lines, the latest starting with
    ``last`` (``wrote``: a commit is under way; ``committed``: between two), within 30 s."""
    assert child.stdout is not None
    said, deadline = b"", time.monotonic() + 30
    while said.count(b"\n") < wanted or not said.rsplit(b"\n", 2)[-2].startswith(last):
        left = deadline - time.monotonic()
        assert left > 0, f"the exporter said no {last!r} after {wanted} lines in 30 s"
        ready, _, _ = select.select([child.stdout], [], [], left)
        chunk = os.read(child.stdout.fileno(), 4096) if ready else b""
        assert chunk, "the exporter stopped before it was killed"
        assert b"done" not in chunk, "the exporter finished before it was killed"
        said += chunk
    child.kill()


def test_an_exporter_killed_three_times_then_resumed_exports_every_leaf_once(
    url: str, tmp_path: Path
) -> None:
    """Kill -9 three times after a random number of files: twice among a commit's writes, once
    between two commits; resume: no row twice, none lost."""
    killed = tmp_path / "killed"
    chance = random.Random(7)
    for last in (b"wrote", b"committed", b"wrote"):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(killed)], stdout=subprocess.PIPE, bufsize=0
        )
        try:
            kill_after(child, chance.randint(2, 16), last)
        finally:
            child.kill()
            child.wait(timeout=10)
            assert child.stdout is not None
            child.stdout.close()
    with fleetledger.open(url) as ledger:
        total = sum(info.events for info in ledger.topics())
        before = sum(ParquetSink(killed, ledger.namespace).progress().leaves.values())
        resumed = Exporter(ledger, ParquetSink(killed, ledger.namespace)).run_once()
        Exporter(ledger, ParquetSink(tmp_path / "clean", ledger.namespace)).run_once()
    assert BATCH <= before < total
    assert resumed.rows == total - before
    exported, clean = rows(killed), rows(tmp_path / "clean")
    assert len(exported) == len(set(exported))
    assert exported == clean
