"""The backend conformance suite against real Kafka-protocol brokers: Tansu and Apache Kafka.

Every promise the suite checks runs here unchanged, on both. The few this backend cannot keep
are listed with the reason, marked ``xfail(strict=True)`` (so they are reported, and the mark
must go as soon as they pass): ``backend_capability`` for what Kafka does differently by design
(on both brokers), ``tansu_deviation`` for Tansu's departures from Apache Kafka (on Tansu only:
the same tests pass on Apache Kafka).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from fleetledger.backends import Backend
from fleetledger.backends.kafka.backend import KafkaBackend
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.testing.provable import ProvableConformance
from interop.brokers import KafkaCluster

from .conftest import forget_groups, start_broker


def _tansu(reason: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.tansu_deviation, pytest.mark.xfail(strict=True, reason=f"Tansu: {reason}")]


def _kafka(reason: str) -> list[pytest.MarkDecorator]:
    return [
        pytest.mark.backend_capability,
        pytest.mark.xfail(strict=True, reason=f"Kafka backend: {reason}"),
    ]


_RETENTION = _kafka(
    "the broker applies retention and compaction itself, on its own clock; "
    "enforce_retention(now_ms) removes nothing and returns 0"
)
_TIME_LOOKUP = _tansu(
    "ListOffsets by timestamp answers offset 0 whatever the time (Apache Kafka answers the "
    "first offset at or after it, or -1 past the end)"
)

CAPABILITIES: dict[str, list[pytest.MarkDecorator]] = {
    "test_time_retention_removes_records_recorded_before_the_window": _RETENTION,
    "test_time_retention_keeps_a_record_exactly_at_the_window_edge": _RETENTION,
    "test_size_retention_keeps_the_newest_records_within_the_limit": _RETENTION,
    "test_expired_records_can_no_longer_be_found": _RETENTION,
    "test_offsets_never_restart_after_retention_empties_a_partition": _RETENTION,
    "test_compaction_keeps_only_the_latest_record_of_each_key": _RETENTION,
    "test_compaction_keeps_the_latest_record_of_a_key_in_each_partition": _RETENTION,
    "test_offsets_never_restart_after_retention_and_reopening": _RETENTION,
}
TANSU_DEVIATIONS: dict[str, list[pytest.MarkDecorator]] = {
    "test_offset_for_time_finds_the_first_record_at_or_after": _TIME_LOOKUP,
    "test_offset_for_time_after_the_last_record_is_the_end": _TIME_LOOKUP,
}


class TestKafkaBackendOnTansu(ProvableConformance):
    """The Kafka backend on Tansu: each test has a broker of its own (it starts in well under
    a second); make_backend opens a new client.

    The suite gives every test fresh topic names but reuses group names ("readers"), and
    Kafka keeps a group's offsets for every topic it ever committed (Tansu cannot delete a
    group), so tests sharing one broker would see each other's commits.
    """

    gap_free_offsets = False  # a transaction's commit marker takes an offset
    known_failures: ClassVar[dict[str, list[pytest.MarkDecorator]]] = {
        **CAPABILITIES,
        **TANSU_DEVIATIONS,
    }

    @pytest.fixture(autouse=True)
    def _broker(self, tmp_path: Path) -> Iterator[None]:
        broker = start_broker(tmp_path / "broker.log")
        self.bootstrap = broker.address
        yield
        broker.stop()

    def make_backend(self) -> Backend:
        """A new Kafka backend on this test's broker."""
        return KafkaBackend(KafkaSettings(self.bootstrap, timeout=10.0))


class TestKafkaBackendOnApacheKafka(ProvableConformance):
    """The Kafka backend on Apache Kafka: the session's single KRaft node, shared (it takes
    seconds to start); every test has fresh topics, and the consumer groups a test committed
    are deleted after it, so that tests reusing a group name start clean."""

    gap_free_offsets = False
    known_failures: ClassVar[dict[str, list[pytest.MarkDecorator]]] = CAPABILITIES

    @pytest.fixture(autouse=True)
    def _broker(self, apache_kafka: KafkaCluster) -> Iterator[None]:
        self.bootstrap = apache_kafka.address
        yield
        forget_groups(self.bootstrap)

    def make_backend(self) -> Backend:
        """A new Kafka backend on the shared broker, scoped to this test's topics (its
        namespace is the test's topic prefix), as ledgers sharing a cluster are."""
        return KafkaBackend(KafkaSettings(self.bootstrap, timeout=10.0, namespace=self._prefix))
