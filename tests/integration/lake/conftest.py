"""Fixtures for the lake: a signed SQLite ledger of a simulated fleet, and its public key."""

from pathlib import Path

import pytest

import fleetledger
from fleetledger.demo import simulate
from fleetledger.ledger import write_key_pair


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A signer key and its public key."""
    return write_key_pair("lake", tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def fleet_file(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> Path:
    """A signed ledger of 30 simulated tasks (a head every 100 events); copy it to change it."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.db"
    with fleetledger.open(f"sqlite:///{path}?checkpoint_events=100", signer=keys[0]) as ledger:
        simulate(ledger, tasks=30, seed=5)
    return path


@pytest.fixture
def url(fleet_file: Path, tmp_path: Path) -> str:
    """A private copy of the fleet, as a URL."""
    path = tmp_path / "ledger.db"
    path.write_bytes(fleet_file.read_bytes())
    return f"sqlite:///{path}"
