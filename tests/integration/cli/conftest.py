"""Fixtures for driving the ``fleetledger`` command line against a real SQLite ledger."""

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import fleetledger
from fleetledger.cli.app import app

Run = Callable[..., Result]


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A new SQLite ledger file in the test's temporary directory."""
    return f"sqlite:///{tmp_path}/l.db"


@pytest.fixture
def run(url: str) -> Run:
    """Run the CLI with ``--ledger url`` appended (unless the test gives one), wide output."""

    def invoke(*args: str, input: str | None = None, ledger: str | None = None) -> Result:
        full: Sequence[str] = [*args, "--ledger", ledger or url]
        runner = CliRunner(env={"COLUMNS": "200", "FLEETLEDGER_URL": None})
        return runner.invoke(app, full, input=input)

    return invoke


@pytest.fixture
def count(url: str) -> Callable[[], int]:
    """How many events the test ledger holds right now."""

    def events() -> int:
        with fleetledger.open(url) as ledger:
            return sum(info.events for info in ledger.topics())

    return events


@pytest.fixture
def seeded(url: str) -> str:
    """A ledger holding one task (``task-1``: requested, started) and a committed group."""
    with fleetledger.open(url, default_source="tests") as ledger:
        ledger.append("task.requested", subject="task-1", data={"goal": "refund order 991"})
        ledger.append("task.started", subject="task-1", agentid="planner")
        with ledger.consumer("audit", ["task"]) as consumer:
            consumer.poll(max=1)
            consumer.commit()
    return url
