"""Fixtures for rehearsing migrations of real ledgers: a simulated fleet and the command."""

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app
from fleetledger.demo import simulate

Migrate = Callable[..., Result]


@pytest.fixture(scope="session")
def fleet_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger holding a simulated fleet of 6 tasks with committed groups."""
    path = tmp_path_factory.mktemp("fleet") / "fleet.db"
    with fleetledger.open(f"sqlite:///{path}") as ledger:
        simulate(ledger, tasks=6, seed=3)
    return path


@pytest.fixture
def src_url(fleet_file: Path, tmp_path: Path) -> str:
    """A private copy of the simulated fleet, as a URL."""
    path = tmp_path / "src.db"
    path.write_bytes(fleet_file.read_bytes())
    return f"sqlite:///{path}"


@pytest.fixture
def dst_url(tmp_path: Path) -> str:
    """A new SQLite ledger file to migrate into."""
    return f"sqlite:///{tmp_path / 'dst.db'}"


@pytest.fixture
def plan_migrate() -> Migrate:
    """Run ``fleetledger plan migrate ARGS`` in-process, with wide output."""

    def invoke(*args: str) -> Result:
        runner = CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None})
        return runner.invoke(app, ["plan", "migrate", *args])

    return invoke


def sql(url: str, statement: str) -> None:
    """Run one statement on the SQLite file behind ``url``, outside the ledger (tampering)."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        db.execute(statement)
