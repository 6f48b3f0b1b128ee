"""The ledger's own type registry on SQLite (the suite is tests/type_registry_suite.py)."""

from pathlib import Path

import pytest

from tests.type_registry_suite import TypeRegistryInTheLedger


class TestTypeRegistryOnSQLite(TypeRegistryInTheLedger):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path: Path) -> None:
        self.directory = tmp_path

    def url(self) -> str:
        return f"sqlite:///{self.directory / 'ledger.db'}"
