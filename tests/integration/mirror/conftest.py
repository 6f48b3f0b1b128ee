"""Fixtures for mirroring real SQLite files: a simulated fleet to copy and a place to copy it."""

from collections.abc import Callable
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.backends.protocols import StoredRecord
from fleetledger.demo import simulate

Contents = Callable[[Ledger], dict[tuple[str, int], list[tuple[object, ...]]]]


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


@pytest.fixture
def contents() -> Contents:
    """Every record of a ledger by partition, without offsets: what a mirror keeps exactly."""

    def read(ledger: Ledger) -> dict[tuple[str, int], list[tuple[object, ...]]]:
        found: dict[tuple[str, int], list[tuple[object, ...]]] = {}
        for info in ledger.topics():
            for partition in range(len(info.partitions)):
                rows = ledger.backend.read(info.topic, partition, 0, 1_000_000)
                found[(info.topic, partition)] = [_without_offset(r) for r in rows]
        return found

    return read


def _without_offset(record: StoredRecord) -> tuple[object, ...]:
    return (*record[:2], *record[3:])
