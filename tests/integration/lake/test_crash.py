"""An exporter killed (SIGKILL) at random moments, then run again, exports each leaf exactly
once: the same rows as an export that was never interrupted."""

import random
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import fleetledger
from fleetledger.lake import Exporter, ParquetLake, ParquetSink


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


@pytest.mark.slow
def test_an_exporter_killed_three_times_then_resumed_exports_every_leaf_once(
    url: str, tmp_path: Path
) -> None:
    """Kill -9 mid-export three times, resume: no row twice, none lost."""
    command = [
        sys.executable,
        "-m",
        "fleetledger.cli",
        "export",
        "parquet",
        str(tmp_path / "killed"),
        "--batch",
        "40",
        "--ledger",
        url,
    ]
    chance = random.Random(7)
    for _ in range(3):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.8, 2.0))
        process.kill()
        process.wait(timeout=10)
    finished = subprocess.run(command, capture_output=True, timeout=120, check=False)
    assert finished.returncode == 0, finished.stderr
    with fleetledger.open(url) as ledger:
        Exporter(ledger, ParquetSink(tmp_path / "clean", ledger.namespace)).run_once()
    killed, clean = rows(tmp_path / "killed"), rows(tmp_path / "clean")
    assert len(killed) == len(set(killed))
    assert killed == clean
