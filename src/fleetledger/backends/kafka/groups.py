"""Consumer-group offsets, kept by Kafka itself: commit without joining, read with the admin API.

``commit`` uses a consumer configured with the group's id that never subscribes, so it never
waits for a rebalance: librdkafka commits explicit offsets as a "simple" consumer would. Kafka
refuses such a commit while the group has active members it manages (a real consumer group
reading the same topics under that name). ``committed`` and ``groups`` ask the admin API.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from confluent_kafka import Consumer, TopicPartition

from fleetledger.backends.kafka.admin import Admin
from fleetledger.backends.kafka.errors import translated
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.protocols import TopicPartition as Partition
from fleetledger.errors import BackendError


class GroupOffsets:
    """Commits and reads committed offsets of any number of groups; thread-safe."""

    def __init__(self, settings: KafkaSettings, admin: Admin) -> None:
        self._settings = settings
        self._admin = admin
        self._consumers: dict[str, Consumer] = {}
        self._lock = threading.Lock()

    def commit(self, group: str, offsets: Mapping[Partition, int]) -> None:
        """Store the next offset to read for each partition, in one request."""
        if not offsets:
            return
        partitions = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        with translated(f"committing offsets of group {group!r}"):
            result = self._consumer(group).commit(offsets=partitions, asynchronous=False)
        for tp in result or ():
            if tp.error is not None:
                raise BackendError(f"Kafka: committing {tp.topic}/{tp.partition}: {tp.error}")

    def metadata(self, group: str) -> object:
        """What a producer's ``send_offsets_to_transaction`` needs to commit ``group``'s
        offsets: from the group's consumer, which never joins, so the broker takes the
        commit as a simple consumer's (refused while the group has members it manages)."""
        with translated(f"describing group {group!r}"):
            found: object = self._consumer(group).consumer_group_metadata()
            return found

    def committed(self, group: str) -> dict[Partition, int]:
        """The group's committed next offsets (empty for a group that never committed)."""
        return self._admin.committed(group)

    def groups(self) -> list[str]:
        """Every consumer group of the cluster, sorted."""
        return self._admin.groups()

    def _consumer(self, group: str) -> Consumer:
        with self._lock:
            consumer = self._consumers.get(group)
            if consumer is None:
                config = self._settings.config({"group.id": group, "enable.auto.commit": False})
                with translated(f"creating a consumer for group {group!r}"):
                    consumer = Consumer(config)
                self._consumers[group] = consumer
            return consumer

    def close(self) -> None:
        """Close every group's consumer (none of them ever joined, so none leaves a group)."""
        with self._lock:
            for consumer in self._consumers.values():
                consumer.close()
            self._consumers.clear()
