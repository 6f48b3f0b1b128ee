"""The backend conformance suite, run unchanged against the memory and SQLite backends."""

from pathlib import Path

import pytest

from fleetledger.backends import Backend
from fleetledger.backends.memory import MemoryBackend
from fleetledger.backends.sqlite import SQLiteBackend
from fleetledger.testing.conformance import BackendConformance
from fleetledger.testing.provable import ProvableConformance


class TestMemoryBackend(BackendConformance):
    """The in-process reference backend."""

    def make_backend(self) -> Backend:
        """A fresh, empty memory backend."""
        return MemoryBackend()


class TestSQLiteBackend(ProvableConformance):
    """The embedded backend: one SQLite file per test, reopened by each make_backend call."""

    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.path = tmp_path / "ledger.db"

    def make_backend(self) -> Backend:
        """The SQLite backend on this test's file."""
        return SQLiteBackend(self.path)
