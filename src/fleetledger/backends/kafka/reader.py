"""Reading partitions with one ``assign()``-only consumer: no group join, committed records only.

The consumer never subscribes, so it never waits for a group rebalance; it is assigned exactly
the partitions and offsets a call asks for and reads them to their end (librdkafka's partition
EOF event) or to a limit. ``isolation.level=read_committed`` hides the records of transactions
that are still open (and, on Apache Kafka, of aborted ones). Every wait is bounded by the
backend's ``timeout``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from fleetledger.backends.kafka.errors import translate, translated
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.protocols import TopicPartition as Partition
from fleetledger.errors import BackendError

_BATCH = 1000
_WAIT = 0.001
"""Seconds one consume call waits for more messages: small, the loop checks for the end."""
_IGNORED = frozenset({KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN})
"""Errors librdkafka recovers from by itself; the read's deadline bounds the wait."""


@dataclass
class Batch:
    """What one partition gave: its messages in offset order and, if reached, its end offset."""

    messages: list[Message] = field(default_factory=list)
    end: int | None = None


class Fetcher:
    """Reads chosen partitions from chosen offsets; thread-safe (one read at a time)."""

    def __init__(self, settings: KafkaSettings) -> None:
        self._timeout = settings.timeout
        self._lock = threading.Lock()
        self._known: set[str] = set()
        config = settings.config(
            {
                "group.id": f"fleetledger-reader-{uuid.uuid4().hex}",  # never joined
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
                "fetch.wait.max.ms": 1,
                "auto.offset.reset": "earliest",
            }
        )
        with translated("creating a consumer"):
            self._consumer = Consumer(config)

    def watermarks(self, partitions: Iterable[Partition]) -> dict[Partition, tuple[int, int]]:
        """The low and high watermark of each partition, asked of the broker now."""
        marks = {}
        with self._lock, translated("reading watermarks"):
            for topic, partition in partitions:
                low, high = self._consumer.get_watermark_offsets(
                    TopicPartition(topic, partition), timeout=self._timeout, cached=False
                )
                marks[(topic, partition)] = (low, high)
        return marks

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        """The broker's first offset with a timestamp at or after ``ms`` (-1: none)."""
        with self._lock, translated(f"looking up {topic}/{partition} by time"):
            (found,) = self._consumer.offsets_for_times(
                [TopicPartition(topic, partition, ms)], timeout=self._timeout
            )
        if found.error is not None:
            raise translate(found.error, f"looking up {topic}/{partition} by time")
        return int(found.offset)

    def fetch(
        self,
        starts: Mapping[Partition, int],
        limit: int | None = None,
        keep: Callable[[Message], bool] | None = None,
    ) -> dict[Partition, Batch]:
        """Messages of each partition from its start offset up to ``limit`` or its end.

        ``keep`` filters messages as they arrive, so whole partitions can be scanned without
        holding them. Raises :class:`BackendError` when the broker does not deliver in time.
        """
        batches = {tp: Batch() for tp in starts}
        if not starts:
            return batches
        with self._lock, translated("reading"):
            self._learn({topic for topic, _ in starts})
            self._consumer.assign([TopicPartition(t, p, o) for (t, p), o in starts.items()])
            try:
                self._drain(batches, limit, keep)
            finally:
                self._consumer.unassign()
        return batches

    def _learn(self, topics: set[str]) -> None:
        """Ask for the metadata of topics new to this consumer before assigning them.

        librdkafka otherwise looks a newly assigned topic up on its next periodic refresh, up
        to a second later, which every first read of a new topic would wait for.
        """
        for topic in topics - self._known:
            self._consumer.list_topics(topic, timeout=self._timeout)
            self._known.add(topic)

    def _drain(
        self,
        batches: dict[Partition, Batch],
        limit: int | None,
        keep: Callable[[Message], bool] | None,
    ) -> None:
        pending = set(batches)
        deadline = time.monotonic() + self._timeout
        while pending:
            if time.monotonic() > deadline:
                names = ", ".join(f"{t}/{p}" for t, p in sorted(pending))
                raise BackendError(
                    f"Kafka: reading {names} did not finish within {self._timeout:g} s"
                )
            for message in self._consumer.consume(_BATCH, _WAIT):
                tp = (message.topic() or "", message.partition() or 0)
                if tp not in pending:
                    continue
                batch = batches[tp]
                error = message.error()
                if error is not None:
                    if self._at_end(error, message, batch):
                        pending.discard(tp)
                    continue
                if keep is None or keep(message):
                    batch.messages.append(message)
                if limit is not None and len(batch.messages) >= limit:
                    pending.discard(tp)

    @staticmethod
    def _at_end(error: KafkaError, message: Message, batch: Batch) -> bool:
        """Whether the error event marks the partition's end; raise on a real error."""
        if error.code() == KafkaError._PARTITION_EOF:
            batch.end = message.offset() or 0
            return True
        if error.code() in _IGNORED:
            return False
        raise translate(error, f"reading {message.topic()}/{message.partition()}")

    def close(self) -> None:
        """Leave no connection behind."""
        with self._lock:
            self._consumer.close()
