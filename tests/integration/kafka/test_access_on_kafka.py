"""Access enforcement on a Kafka ledger, on each broker (the suite is tests/access_suite.py)."""

import uuid

import pytest

from tests.access_suite import AccessEnforcement

from .conftest import Broker


class TestAccessOnKafka(AccessEnforcement):
    @pytest.fixture(autouse=True)
    def _broker(self, broker: Broker) -> None:
        self.broker = broker

    def url(self) -> str:
        return f"{self.broker.url}?namespace=a{uuid.uuid4().hex[:10]}&timeout=10"
