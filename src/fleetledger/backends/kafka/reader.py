"""Reading partitions with one long-lived ``assign()``-only consumer: no group join, committed
records only, as few fetches as the guarantees allow.

The consumer never subscribes, so it never waits for a group rebalance. A read adds exactly the
partitions it needs to the assignment, at the offsets it starts from, and removes them when it
is done (``incremental_assign`` / ``incremental_unassign``). Adding a partition is also a
barrier: librdkafka drops whatever an earlier fetch of it brought, so a read only sees what a
fetch made after it began returned. (Partitions are not kept assigned and paused between
reads: librdkafka notices a ``resume()`` only at its fetcher's next wake-up, up to a second
later, where an assignment wakes it at once.) ``isolation.level=read_committed`` hides the
records of transactions that are still open (and, on Apache Kafka, of aborted ones).

**Reading one's own writes.** On Apache Kafka a committed transaction's records become visible
to ``read_committed`` readers only once the coordinator has written its commit markers, a
moment *after* the commit returned: until then the partition's end as such a reader sees it
(the last stable offset) lies before them. A read that meets that end below a record this
process has had acknowledged (:meth:`Fetcher.appended`) waits on, bounded, until the markers
are written, so that every read sees every append that returned before it began.

**Where a read stops.** At its limit, or at the partition's end *as of the read*. A fetch that
finds nothing new waits ``fetch.wait.max.ms`` on the broker before it says so (librdkafka's
partition EOF), so a read first asks ListOffsets, which answers at once, and stops at the end
:class:`~fleetledger.backends.kafka.ends.Ends` proves from it; only when the answer proves
nothing does it read on to the EOF. Reads never fetch past an offset known to exist (Tansu
never answers a fetch past the end).

**Read-ahead.** A fetch brings more than a paged read asks for (up to a megabyte per
partition). What a read returned and what had already arrived past its limit are kept for the
partition (bounded) and serve the next read that starts within them, the next page above all,
without a request: records at an offset never change, so nothing stale can be served. A read
that needs more than was kept asks the broker as above.

Every wait is bounded by the backend's ``timeout``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from fleetledger.backends.kafka.ends import Ends, InFlight
from fleetledger.backends.kafka.errors import translate, translated
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.protocols import TopicPartition as Partition
from fleetledger.errors import BackendError

_BATCH = 1000
_WAIT = 0.001
"""Seconds one consume call waits for more messages: small, the loop checks for the end."""
_IGNORED = frozenset({KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN})
"""Errors librdkafka recovers from by itself; the read's deadline bounds the wait."""
_MAX_AHEAD = 2000
"""Messages kept ahead per partition."""
_TOP_UPS = 4
"""Batches taken from librdkafka's queue, without waiting, to fill what is kept ahead."""
_SETTLE_PAUSE = 0.005
"""Between two asks whether a transaction's commit markers are written (Apache Kafka writes
them a moment after the commit returns)."""
_SETTLE = 0.02
"""Seconds a barrier waits for this process's own appends in flight before it fetches instead."""
_MAX_AHEAD_PARTITIONS = 32
"""Partitions with messages kept ahead; the least recently read ones are dropped first."""

Latest = Callable[[Iterable[Partition]], dict[Partition, int]]
"""ListOffsets: the latest offset of each partition, asked of the broker now."""


@dataclass
class Batch:
    """What one partition gave: its messages in offset order and, if reached, its end offset."""

    messages: list[Message] = field(default_factory=list)
    end: int | None = None


@dataclass
class _Ahead:
    """Messages a read fetched, kept: every record from offset ``next`` on, in order, up to
    the last one (what follows was not fetched yet)."""

    next: int
    messages: list[Message] = field(default_factory=list)


@dataclass
class _Read:
    """One partition's part of a fetch, while it runs."""

    tp: Partition
    start: int
    limit: int | None
    keep: Callable[[Message], bool] | None
    batch: Batch = field(default_factory=Batch)
    position: int = 0
    """The next offset this read has not seen: where to fetch from."""
    seen: int | None = None
    """The offset of the last message seen (kept or not)."""
    stop: int | None = None
    """A proven end: the read is complete once it has seen ``stop_last`` (or reached ``stop``)."""
    stop_last: int | None = None
    done: bool = False

    def take(self, message: Message) -> None:
        """Count one message of this partition, in offset order."""
        offset = message.offset() or 0
        if self.seen is not None and offset <= self.seen:
            return  # fetched again from an earlier offset (see Fetcher._bound)
        self.seen, self.position = offset, offset + 1
        if offset >= self.start and (self.keep is None or self.keep(message)):
            self.batch.messages.append(message)
            if self.limit is not None and len(self.batch.messages) >= self.limit:
                self.done = True
        if self.stop_last is not None and offset >= self.stop_last:
            self.finish(self.stop)

    def finish(self, end: int | None) -> None:
        self.done = True
        if end is not None:
            self.batch.end = end
            self.position = max(self.position, end)


class Fetcher:
    """Reads chosen partitions from chosen offsets; thread-safe (one read at a time)."""

    def __init__(self, settings: KafkaSettings, latest: Latest, in_flight: InFlight) -> None:
        self._timeout = settings.timeout
        self._latest = latest
        self._in_flight = in_flight
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._ahead: OrderedDict[Partition, _Ahead] = OrderedDict()
        self._ends = Ends()
        self._ends_lock = threading.Lock()
        self._own: dict[Partition, int] = {}
        """Per partition, the offset after this process's last acknowledged record."""
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

    def reached(self, tp: Partition, end: int, last: int | None) -> None:
        """Another consumer of this process (the id follower) read ``tp`` to its end,
        ``last`` being the last record it read (see :meth:`Ends.reached`)."""
        with self._ends_lock:
            self._ends.reached(tp, end, last)

    def appended(self, positions: Iterable[tuple[Partition, int]]) -> None:
        """This process's acknowledged records: the ends moved past them."""
        with self._ends_lock:
            own = self._own
            for tp, offset in positions:
                self._ends.appended(tp, offset)
                if offset >= own.get(tp, 0):
                    own[tp] = offset + 1

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        """The broker's first offset with a timestamp at or after ``ms`` (-1: none)."""
        with self._lock, translated(f"looking up {topic}/{partition} by time"):
            self._settle((topic, partition))
            (found,) = self._consumer.offsets_for_times(
                [TopicPartition(topic, partition, ms)], timeout=self._timeout
            )
        if found.error is not None:
            raise translate(found.error, f"looking up {topic}/{partition} by time")
        return int(found.offset)

    def _settle(self, tp: Partition) -> None:
        """Wait (bounded) until ``read_committed`` readers see every record of ``tp`` this
        process has had acknowledged: the commit markers of its last transaction written."""
        own = self._own.get(tp)
        if own is None:
            return
        deadline = time.monotonic() + self._timeout
        while True:
            _, stable = self._consumer.get_watermark_offsets(
                TopicPartition(*tp), timeout=self._timeout, cached=False
            )
            if stable >= own or time.monotonic() >= deadline:
                return
            time.sleep(_SETTLE_PAUSE)

    def fetch(
        self,
        starts: Mapping[Partition, int],
        limit: int | None = None,
        keep: Callable[[Message], bool] | None = None,
        latest: Mapping[Partition, int] | None = None,
    ) -> dict[Partition, Batch]:
        """Messages of each partition from its start offset up to ``limit`` or its end.

        ``keep`` filters messages as they arrive, so whole partitions can be scanned without
        holding them; ``limit`` counts kept messages. ``latest``: answers of :meth:`latest`
        the caller got after it began, to use as the barrier instead of asking again. Raises
        :class:`BackendError` when the broker does not deliver in time.
        """
        reads = [_Read(tp, max(start, 0), limit, keep) for tp, start in starts.items()]
        with self._lock, translated("reading"):
            pending = [read for read in reads if not self._from_ahead(read)]
            if pending:
                self._bound(pending, latest)
            pending = [read for read in pending if not read.done]
            if pending:
                self._drain(pending)
        return {read.tp: read.batch for read in reads}

    # -- read-ahead --------------------------------------------------------------------------

    def _from_ahead(self, read: _Read) -> bool:
        """Serve ``read`` from the messages kept for its partition; whether that completes it."""
        read.position = read.start
        ahead = self._ahead.pop(read.tp, None)
        if ahead is None or not ahead.next <= read.start <= _next_after(ahead):
            return False
        for message in ahead.messages:
            if not read.done and (message.offset() or 0) >= read.start:
                read.take(message)
        if read.done:
            self._keep_ahead(read, ahead.messages)  # returned and not yet returned: kept
        else:  # fetch on from the end of what was kept
            read.position = max(read.position, _next_after(ahead))
        return read.done

    def _keep_ahead(self, read: _Read, rest: Iterable[Message]) -> None:
        """Keep what ``read`` returned and the messages past it for the partition's next read.

        A filtered read returned only some messages: then only those past it are kept.
        """
        start = read.start if read.keep is None else read.position
        kept = read.batch.messages if read.keep is None else []
        kept = [*kept, *(m for m in rest if (m.offset() or 0) >= read.position)][:_MAX_AHEAD]
        self._ahead[read.tp] = _Ahead(start, kept)
        self._ahead.move_to_end(read.tp)
        while len(self._ahead) > _MAX_AHEAD_PARTITIONS:
            self._ahead.popitem(last=False)

    # -- where to stop, and where to fetch from ----------------------------------------------

    def proven_ends(self, latest: Mapping[Partition, int]) -> dict[Partition, int | None]:
        """The end of each partition, where a ListOffsets answer (:meth:`latest`) proves it.

        None for a partition whose end only a fetch can tell (see ``ends``).
        """
        with self._ends_lock:
            return {
                tp: self._ends.end(tp) if self._ends.unchanged(tp, answer) else None
                for tp, answer in latest.items()
            }

    def latest(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """A barrier without a fetch: ListOffsets for ``partitions``, asked now, once this
        process's appends in flight, if any, are known.

        When an answer goes past the proven end, this process's own appends produced before
        the question may be why: once they are acknowledged (so their offsets are known), the
        same answer is good to check again.
        """
        partitions = list(partitions)
        mark = self._in_flight.mark()
        latest = self._latest(partitions)
        with self._ends_lock:
            proven = all(self._ends.unchanged(tp, latest.get(tp, 0)) for tp in partitions)
        if not proven:
            self._in_flight.settle(mark, _SETTLE)
        return {tp: latest.get(tp, 0) for tp in partitions}

    def _bound(self, reads: list[_Read], latest: Mapping[Partition, int] | None) -> None:
        """Ask ListOffsets once for every read (unless the caller just did): stop where it
        proves the end is, if it does.

        Each read's fetch position is also capped at an offset known to exist: the proven
        end, or the answer itself (never past the end, even where it is short).
        """
        if latest is None or any(read.tp not in latest for read in reads):
            latest = self.latest(read.tp for read in reads)
        with self._ends_lock:
            for read in reads:
                end = self._ends.end(read.tp)
                if self._ends.unchanged(read.tp, latest[read.tp]):
                    read.stop, read.stop_last = end, self._ends.last(read.tp)
                    self._stop_early(read)
                known = max(end or 0, latest[read.tp])
                read.position = min(read.position, known)  # never past the end

    @staticmethod
    def _stop_early(read: _Read) -> None:
        """Complete a read that starts at or past its proven end's last record."""
        assert read.stop is not None
        last = read.stop_last
        if read.position >= read.stop or (last is not None and read.position > last):
            read.finish(read.stop)

    # -- fetching ----------------------------------------------------------------------------

    def _drain(self, reads: list[_Read]) -> None:
        by_tp = {read.tp: read for read in reads}
        self._learn({topic for topic, _ in by_tp})
        self._consumer.incremental_assign([_at(read.tp, read.position) for read in reads])
        try:
            self._consume(by_tp)
        finally:
            self._consumer.incremental_unassign([TopicPartition(t, p) for t, p in by_tp])
        for read in reads:
            if read.batch.end is not None:
                with self._ends_lock:
                    self._ends.reached(read.tp, read.batch.end, read.seen)

    def _learn(self, topics: set[str]) -> None:
        """Ask for the metadata of topics new to this consumer before assigning them.

        librdkafka otherwise looks a newly assigned topic up on its next periodic refresh, up
        to a second later, which every first read of a new topic would wait for.
        """
        for topic in topics - self._known:
            self._consumer.list_topics(topic, timeout=self._timeout)
            self._known.add(topic)

    def _consume(self, by_tp: dict[Partition, _Read]) -> None:
        pending = set(by_tp)
        deadline = time.monotonic() + self._timeout
        while pending:
            if time.monotonic() > deadline:
                names = ", ".join(f"{t}/{p}" for t, p in sorted(pending))
                raise BackendError(
                    f"Kafka: reading {names} did not finish within {self._timeout:g} s"
                )
            for message in self._consumer.consume(_BATCH, _WAIT):
                self._dispatch(by_tp, message, pending)
        self._top_up(by_tp)

    def _dispatch(
        self, by_tp: dict[Partition, _Read], message: Message, pending: set[Partition]
    ) -> None:
        tp = (message.topic() or "", message.partition() or 0)
        read = by_tp.get(tp)
        if read is None:
            return
        if read.done:
            self._extend_ahead(read, message)
            return
        self._route(read, message)
        if read.done:
            pending.discard(tp)
            if read.batch.end is None:  # stopped at its limit: keep what comes after
                self._keep_ahead(read, ())

    def _extend_ahead(self, read: _Read, message: Message) -> None:
        """Keep a message past a read's limit for the next read, if it continues the kept ones."""
        ahead = self._ahead.get(read.tp)
        if ahead is None or read.batch.end is not None or message.error() is not None:
            return
        if len(ahead.messages) < _MAX_AHEAD and (message.offset() or 0) >= _next_after(ahead):
            ahead.messages.append(message)

    def _top_up(self, by_tp: dict[Partition, _Read]) -> None:
        """Keep what the fetches already brought past the reads that stopped at their limit.

        A fetch brings up to a megabyte per partition, often far more than one page: taking
        it from librdkafka's queue costs no wait, where fetching it again costs a request.
        """
        if all(read.batch.end is not None for read in by_tp.values()):
            return
        for _ in range(_TOP_UPS):
            messages = self._consumer.consume(_BATCH, 0)
            if not messages:
                return
            for message in messages:
                read = by_tp.get((message.topic() or "", message.partition() or 0))
                if read is not None:
                    self._extend_ahead(read, message)

    def _route(self, read: _Read, message: Message) -> None:
        error = message.error()
        if error is None:
            read.take(message)
        elif error.code() == KafkaError._PARTITION_EOF:
            end = message.offset() or 0
            if end >= self._own.get(read.tp, 0):  # else: commit markers still to come
                read.finish(end)
        elif error.code() not in _IGNORED:
            raise translate(error, f"reading {message.topic()}/{message.partition()}")

    def close(self) -> None:
        """Leave no connection behind."""
        with self._lock:
            self._consumer.close()


def _at(tp: Partition, offset: int) -> TopicPartition:
    return TopicPartition(tp[0], tp[1], offset)


def _next_after(ahead: _Ahead) -> int:
    """The offset the kept messages continue to: the next one to fetch."""
    return (ahead.messages[-1].offset() or 0) + 1 if ahead.messages else ahead.next
