"""The ledger's own type registry on Kafka, on each broker (tests/type_registry_suite.py)."""

import uuid

import pytest

from tests.type_registry_suite import TypeRegistryInTheLedger

from .conftest import Broker


class TestTypeRegistryOnKafka(TypeRegistryInTheLedger):
    @pytest.fixture(autouse=True)
    def _broker(self, broker: Broker) -> None:
        self.broker = broker

    def url(self) -> str:
        return f"{self.broker.url}?namespace=r{uuid.uuid4().hex[:10]}&timeout=10"
