"""Fixtures shared by the whole suite: a fake clock, a principal, and ledgers to write to."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The conformance suite lives in the package; rewrite its asserts so failures show values.
pytest.register_assert_rewrite("fleetledger.testing.conformance", "fleetledger.testing.provable")

from fleetledger import Ledger, Principal  # noqa: E402
from fleetledger.backends.protocols import StoredRecord  # noqa: E402
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


Contents = Callable[[Ledger], dict[tuple[str, int], list[tuple[object, ...]]]]


@pytest.fixture
def contents() -> Contents:
    """Every record of a ledger by partition, without offsets: what a mirror keeps exactly."""

    def read(ledger: Ledger) -> dict[tuple[str, int], list[tuple[object, ...]]]:
        found: dict[tuple[str, int], list[tuple[object, ...]]] = {}
        for info in ledger.topics():
            for partition in range(len(info.partitions)):
                rows = ledger.log.read(info.topic, partition, 0, 1_000_000)
                found[(info.topic, partition)] = [_without_offset(r) for r in rows]
        return found

    return read


def _without_offset(record: StoredRecord) -> tuple[object, ...]:
    return (*record[:2], *record[3:])
