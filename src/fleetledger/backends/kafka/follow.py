"""Keeping the id index current in the background: one consumer that follows the partitions
caller-supplied ids are appended to.

An append whose ids the caller chose must see every record stored before it began (see
``dedup``). Fetching each partition to its end before every such append costs a fetch round
(an assignment, then a fetch that waits for the end) whenever anything this process does not
know of was appended since it last looked: another process's records, or the commit marker of
its own last transaction. Instead, the first append to a partition indexes it to its end once;
from then on this thread reads on from where the index stopped, as records arrive, and
reports each end it reaches (``ended``), so that an append's barrier is one ListOffsets answer
the index already covers (``ends``), not a fetch. When the follower is behind, the barrier
fetches the rest itself, as before.

Bounds: at most :data:`MAX_PARTITIONS` partitions are followed, each for :data:`IDLE` seconds
after the last append of a supplied id to it (then it is left, and an append that comes later
fetches what it missed, as a first one does); each pass of the loop takes at most
:data:`BATCH` messages and waits at most :data:`PASS` seconds; the thread stops on
:meth:`IdFollower.close`. What the index keeps of what the follower reads is the index's own
window (``id_window`` records per partition).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from fleetledger.backends.kafka.errors import translated
from fleetledger.backends.kafka.settings import LOG, KafkaSettings
from fleetledger.backends.protocols import TopicPartition as Partition

MAX_PARTITIONS = 256
"""Partitions followed at once; the one appended to least recently is left first."""
IDLE = 30.0
"""Seconds a partition is followed after the last append of a supplied id to it."""
BATCH = 1000
"""Messages taken per pass."""
PASS = 0.05
"""Seconds one pass waits for messages."""
_FETCH_WAIT_MS = 10
"""How long the broker may hold an empty fetch: Tansu answers one only after it (Apache Kafka
answers as soon as a record arrives), so this is how far behind the follower runs."""
_QUIET = frozenset({KafkaError._PARTITION_EOF, KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN})

Indexed = Callable[[Partition, list[Message]], None]
"""Told of the records the follower read from a partition, in offset order."""
Ended = Callable[[Partition, int, "int | None"], None]
"""Told that the follower reached the end of a partition: the end, and the last record's
offset (None: no record read since it began following the partition)."""
StartOf = Callable[[Partition], "int | None"]
"""Where the index of a partition goes on (None: not indexed yet, so not followed)."""


class IdFollower:
    """The follower thread and its consumer, both started by the first :meth:`follow`."""

    def __init__(
        self, settings: KafkaSettings, indexed: Indexed, ended: Ended, start_of: StartOf
    ) -> None:
        self._settings = settings
        self._indexed = indexed
        self._ended = ended
        self._start_of = start_of
        self._lock = threading.Lock()
        self._wanted: dict[Partition, float] = {}
        """Partition -> when an append last asked for it (monotonic seconds)."""
        self._assigned: dict[Partition, int | None] = {}
        """Partition followed -> the offset of the last record read from it."""
        self._closed = threading.Event()
        self._consumer: Consumer | None = None
        self._thread: threading.Thread | None = None
        self._reported: set[tuple[Partition, int]] = set()
        """Errors already logged, by partition and code: said once, not once per pass."""

    def follow(self, partitions: Iterable[Partition]) -> None:
        """Follow ``partitions`` (indexed ones) for the next :data:`IDLE` seconds."""
        now = time.monotonic()
        with self._lock:
            if self._closed.is_set():
                return
            for tp in partitions:
                self._wanted.pop(tp, None)  # re-inserted last: the most recent
                self._wanted[tp] = now
            while len(self._wanted) > MAX_PARTITIONS:
                del self._wanted[next(iter(self._wanted))]
            if self._thread is None:
                self._start()

    def follows(self, partitions: Iterable[Partition]) -> bool:
        """Whether the follower reads every one of ``partitions`` now."""
        with self._lock:
            return all(tp in self._assigned for tp in partitions)

    def _start(self) -> None:
        config = self._settings.config(
            {
                "group.id": f"fleetledger-ids-{uuid.uuid4().hex}",  # never joined: assign()
                "enable.auto.commit": False,
                "enable.auto.offset.store": False,
                "enable.partition.eof": True,
                "isolation.level": "read_committed",
                "fetch.wait.max.ms": _FETCH_WAIT_MS,
                "auto.offset.reset": "earliest",
            }
        )
        with translated("creating the id follower's consumer"):
            self._consumer = Consumer(config)
        self._thread = threading.Thread(target=self._run, name="fleetledger-kafka-ids", daemon=True)
        self._thread.start()

    # -- the thread --------------------------------------------------------------------------

    def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._closed.is_set():
            try:
                self._reassign(consumer)
                # poll returns as the first message arrives (consume would wait out its
                # timeout for a whole batch); what else has arrived is taken without waiting.
                first = consumer.poll(PASS)
                if first is not None:
                    self._take([first, *consumer.consume(BATCH - 1, 0)])
            except Exception:  # the barrier fetches for itself meanwhile: keep following
                LOG.exception("the id follower failed a pass")
                self._closed.wait(PASS)

    def _reassign(self, consumer: Consumer) -> None:
        """Start following what appends asked for, stop following what they no longer do."""
        stale = time.monotonic() - IDLE
        with self._lock:
            wanted = {tp for tp, asked in self._wanted.items() if asked >= stale}
            for tp in self._wanted.keys() - wanted:
                del self._wanted[tp]
            gone = [tp for tp in self._assigned if tp not in wanted]
            starts = {tp: self._start_of(tp) for tp in wanted - self._assigned.keys()}
            new = {tp: start for tp, start in starts.items() if start is not None}
            for tp in gone:
                del self._assigned[tp]
            self._assigned.update(dict.fromkeys(new))
        if gone:
            consumer.incremental_unassign([TopicPartition(t, p) for t, p in gone])
        if new:
            consumer.incremental_assign([TopicPartition(t, p, o) for (t, p), o in new.items()])

    def _take(self, messages: list[Message]) -> None:
        """Index what a pass read, partition by partition, then report the ends it reached."""
        records: dict[Partition, list[Message]] = {}
        ends: dict[Partition, int] = {}
        for message in messages:
            tp = (message.topic() or "", message.partition() or 0)
            error = message.error()
            if error is None:
                records.setdefault(tp, []).append(message)
            elif error.code() == KafkaError._PARTITION_EOF:
                ends[tp] = message.offset() or 0
            elif error.code() not in _QUIET:
                self._report(tp, error)
        for tp, read in records.items():
            if tp in self._assigned:
                self._assigned[tp] = read[-1].offset()
                self._indexed(tp, read)
        for tp, end in ends.items():
            if tp in self._assigned:
                self._ended(tp, end, self._assigned[tp])

    def _report(self, tp: Partition, error: KafkaError) -> None:
        if (tp, error.code()) not in self._reported and len(self._reported) < MAX_PARTITIONS:
            self._reported.add((tp, error.code()))
            LOG.warning("the id follower cannot read %s/%s: %s", tp[0], tp[1], error.str())

    def close(self) -> None:
        """Stop the thread (it ends within a pass) and close the consumer."""
        with self._lock:
            self._closed.set()
            thread, consumer = self._thread, self._consumer
        if thread is not None:
            thread.join(self._settings.timeout)
            if thread.is_alive():
                LOG.warning("the id follower did not stop within %g s", self._settings.timeout)
                return  # closing a consumer another thread uses would crash the process
        if consumer is not None:
            consumer.close()
