"""Ledgers the adapters' tests record into: real SQLite files, with the approval rule."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import fleetledger
from fleetledger import Ledger
from fleetledger.governance import parse_ordering

APPROVAL_RULE = parse_ordering(
    [
        {
            "name": "payments need an approval",
            "when": {"type": "tool.call.started", "data": {"tool": "payments.*"}},
            "requires": {"type": "governance.approval.granted"},
            "join": ["subject", "data.call_id"],
            "unless_after": {"type": "governance.approval.rejected"},
        }
    ]
)
"""The demo's governed rule: a payments tool needs an approval of the same call first."""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/agents.db"


@pytest.fixture
def ledger(url: str) -> Iterator[Ledger]:
    """A ledger that refuses a payments call nobody approved."""
    with fleetledger.open(url, signer=False, ordering=APPROVAL_RULE) as opened:
        yield opened


@pytest.fixture
def closed(url: str) -> Ledger:
    """A ledger that cannot record anything any more: it was closed."""
    opened = fleetledger.open(url, signer=False)
    opened.close()
    return opened


@pytest.fixture
def readonly(url: str) -> Iterator[Ledger]:
    """A ledger opened to read only: every append is refused."""
    fleetledger.open(url, signer=False).close()
    with fleetledger.open(url, signer=False, readonly=True) as opened:
        yield opened
