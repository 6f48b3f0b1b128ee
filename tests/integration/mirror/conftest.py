"""Fixtures for mirroring real SQLite files: a simulated fleet to copy and a place to copy it."""

from pathlib import Path

import pytest

import fleetledger
from fleetledger.demo import simulate


@pytest.fixture(scope="session")
def fleet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger holding a simulated fleet of 40 tasks (with committed groups); copy it."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.db"
    with fleetledger.open(f"sqlite:///{path}") as ledger:
        simulate(ledger, tasks=40, seed=3)
    return path


@pytest.fixture
def src_url(fleet_file: Path, tmp_path: Path) -> str:
    """A private copy of the simulated fleet, as a URL."""
    path = tmp_path / "src.db"
    path.write_bytes(fleet_file.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
def dst_url(tmp_path: Path) -> str:
    """A new SQLite ledger file to mirror into."""
    return f"sqlite:///{tmp_path / 'dst.db'}"
