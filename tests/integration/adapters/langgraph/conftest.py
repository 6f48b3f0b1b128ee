"""Ledgers the LangGraph adapter's tests write to: real SQLite files, signed when proved."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.integrity import NoteSigner
from tests.integration.adapters.langgraph.agents import REFUNDS


@pytest.fixture(autouse=True)
def no_refunds() -> None:
    """Each test starts with no refund made by the agent's tool."""
    REFUNDS.clear()


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/graph.db"


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner.generate("ledger.example/graph")


@pytest.fixture
def ledger(url: str, signer: NoteSigner) -> Iterator[Ledger]:
    """A SQLite ledger that signs checkpoints (on ``sign()`` and on close)."""
    with fleetledger.open(url, signer=signer, default_source="tests") as opened:
        yield opened
