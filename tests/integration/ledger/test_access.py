"""Access enforcement on a SQLite ledger (the suite is tests/access_suite.py)."""

from pathlib import Path

import pytest

from tests.access_suite import AccessEnforcement


class TestAccessOnSQLite(AccessEnforcement):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def url(self) -> str:
        return f"sqlite:///{self.directory / 'ledger.db'}"
