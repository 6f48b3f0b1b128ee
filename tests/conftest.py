"""Fixtures shared by the whole suite: a fake clock, a principal, and ledgers to write to."""

from collections.abc import Iterator
from pathlib import Path

import pytest

# The conformance suite lives in the package; rewrite its asserts so failures show values.
pytest.register_assert_rewrite("fleetledger.testing.conformance")

from fleetledger import Ledger, Principal  # noqa: E402
from fleetledger.testing import FakeClock, memory_ledger  # noqa: E402


@pytest.fixture
def clock() -> FakeClock:
    """A clock that stands still at 2025-01-01T00:00:00Z until a test moves it."""
    return FakeClock()


@pytest.fixture
def principal() -> Principal:
    """The identity the test ledgers stamp on every event."""
    return Principal("agent-runtime", "service_account")


@pytest.fixture
def ledger(clock: FakeClock, principal: Principal) -> Iterator[Ledger]:
    """An in-memory ledger on the fake clock, with a default source."""
    with memory_ledger(clock=clock, principal=principal, default_source="tests") as ledger:
        yield ledger


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A URL for a new SQLite ledger file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'ledger.db'}"
