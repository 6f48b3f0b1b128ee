"""Fixtures for the lake: a signed SQLite ledger of a simulated fleet, its public key, and
the content of an export's files as a reader would see it."""

import io
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import fleetledger
from fleetledger.demo import simulate
from fleetledger.lake import ParquetLake
from fleetledger.ledger import write_key_pair


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A signer key and its public key."""
    return write_key_pair("lake", tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def fleet_file(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    """A signed ledger of 12 simulated tasks (a head every 100 events); copy it to change it."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.db"
    with fleetledger.open(f"sqlite:///{path}?checkpoint_events=100", signer=keys[0]) as ledger:
        simulate(ledger, tasks=12, seed=5)
    return path


@pytest.fixture
def url(fleet_file: Path, tmp_path: Path) -> str:
    """A private copy of the fleet, as a URL."""
    path = tmp_path / "ledger.db"
    path.write_bytes(fleet_file.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def export_bytes() -> Callable[[Path], bytes]:
    """Every byte of an export: its files as stored, and each Parquet file again rewritten
    without compression (zstd would hide a plaintext from a byte search, not from a reader)."""

    def content(directory: Path) -> bytes:
        files = [p for p in sorted(directory.rglob("*")) if p.is_file()]
        plain = []
        for path in ParquetLake(directory).files().values():
            for file in path:
                buffer = io.BytesIO()
                pq.write_table(pq.read_table(file), buffer, compression="none")
                plain.append(buffer.getvalue())
        return b"".join([*(p.read_bytes() for p in files), *plain])

    return content
