"""Producing records: one idempotent producer for single appends, one transaction per batch.

Both producers use ``acks=all`` and the idempotent protocol, so a retry inside one producer
session never writes a message twice, and ``partitioner=murmur2_random`` so the broker-side
partition of a key is the one the ledger computed (the records also name it explicitly).
A call returns only once the broker acknowledged every record: the delivery report gives its
offset. A batch of several records is one Kafka transaction, committed or aborted as a whole;
its records are visible to ``read_committed`` readers only after the commit. A failed batch
whose abort fails too (the cluster stopped answering) leaves its producer behind; the next
batch gets a new one, and the old transaction is fenced as soon as the cluster answers.

A transaction's commit marker takes an offset of its own in each partition it wrote to, so
offsets on Kafka increase but can skip a number after a batch.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from confluent_kafka import (
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)

from fleetledger.backends.kafka.binding import Message as Outgoing
from fleetledger.backends.kafka.ends import InFlight
from fleetledger.backends.kafka.errors import translate, translated
from fleetledger.backends.kafka.settings import LOG, ClientValue, KafkaSettings
from fleetledger.errors import BackendError, LedgerError

_POLL = 0.05
_TRANSACTION_LINGER = 1
_FENCE_PAUSE = 0.5
"""Seconds between two tries to fence a transaction an abandoned producer left open."""
_FENCE_FOR = 75.0
"""Seconds fencing is tried: by then the broker has expired the transaction itself (librdkafka's
``transaction.timeout.ms``, 60 s, plus the broker's 10 s between two checks)."""


def _retriable(exc: KafkaException) -> bool:
    """Whether the call may be made again on the same producer (librdkafka: "retry call to
    resume")."""
    error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
    return error is not None and error.retriable() and not error.fatal()


class Send(NamedTuple):
    """One message to produce to an explicit partition, with its record time (0: now)."""

    topic: str
    partition: int
    message: Outgoing
    timestamp_ms: int
    event_id: str = ""


class GroupCommit(NamedTuple):
    """A consumer group's next offsets to commit inside a transaction, under the transactional
    id of the group's own (so that a later writer of the group fences an earlier one)."""

    transactional_id: str
    offsets: list[TopicPartition]
    group: object
    """The group's metadata, as a consumer of it gives it (opaque)."""


Acked = Callable[[Sequence[Send], Sequence[int]], None]
"""Told of the records the broker acknowledged (a batch: once committed) and their offsets, in
the same order, before the append that wrote them returns."""


class _Reports:
    """The delivery reports of one transaction: one callable serves every message of it
    (they are served before its commit returns)."""

    __slots__ = ("error", "messages")

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.error: KafkaError | None = None

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.messages.append(message)

    def offsets(self, sends: Sequence[Send]) -> list[int]:
        """The offset of each of ``sends``, the messages reported so far, in order.

        Reports name a message by its partition only; the idempotent producer writes a
        partition's messages in the order they were produced, so there the n-th smallest
        offset is the n-th message's.
        """
        if self.error is not None:
            raise translate(self.error, f"appending {len(sends)} records")
        if len(self.messages) != len(sends):
            raise BackendError(
                f"Kafka: {len(sends) - len(self.messages)} of {len(sends)} records got no "
                "delivery report"
            )
        placed: dict[tuple[str | None, int | None], list[int]] = {}
        for message in self.messages:
            placed.setdefault((message.topic(), message.partition()), []).append(
                message.offset() or 0
            )
        order = {tp: iter(sorted(offsets)) for tp, offsets in placed.items()}
        return [next(order[send.topic, send.partition]) for send in sends]


class _Delivery:
    """The delivery report of one single message, waited for by the appending thread.

    Served on the poll thread, which reports the offset (``acked``) and closes the message's
    number in ``in_flight`` before it wakes the appending thread.
    """

    __slots__ = ("acked", "arrived", "done", "error", "in_flight", "number", "offset", "send")

    def __init__(self, send: Send, in_flight: InFlight, acked: Acked) -> None:
        self.done = False
        self.error: KafkaError | None = None
        self.offset = -1
        self.send = send
        self.arrived = threading.Event()
        self.in_flight = in_flight
        self.acked = acked
        self.number = in_flight.start()

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        self.error = error
        self.offset = (message.offset() or 0) if error is None else -1
        self.done = True
        try:
            if error is None:
                self.acked((self.send,), (self.offset,))
        except Exception:  # an exception here would stop the poll thread
            LOG.exception("reporting an acknowledged offset failed")
        finally:
            self.in_flight.end(self.number)
            self.arrived.set()


class Writer:
    """Produces records and waits for the broker's acknowledgement; thread-safe."""

    def __init__(self, settings: KafkaSettings, in_flight: InFlight, acked: Acked) -> None:
        self._settings = settings
        self._timeout = settings.timeout
        self._in_flight = in_flight
        self._acked = acked
        self._closed = threading.Event()
        self._fatal: KafkaError | None = None  # the idempotent producer's, if it failed for good
        # A single append waits for its own acknowledgement: send at once (linger 0); appends
        # from other threads in the meantime still share the next request.
        self._producer = self._new_producer({"linger.ms": 0})
        self._transactional: Producer | None = None
        self._transactional_id = ""
        self._pinned: dict[str, Producer] = {}
        """Producers of fixed transactional ids (one per consumer group committing with its
        appends), each fenced its predecessors when it started."""
        self._fencing: list[threading.Thread] = []
        self._transaction_lock = threading.Lock()
        # Getting a producer id takes librdkafka about half a second: start it now, in the
        # background, rather than in the first append_many.
        self._warming = threading.Thread(target=self._warm, name="fleetledger-kafka-init")
        self._warming.start()
        self._poller = threading.Thread(target=self._poll, name="fleetledger-kafka", daemon=True)
        self._poller.start()

    def send(self, sends: Iterable[Send], count: int) -> list[int]:
        """Produce ``count`` sends (one, or several in one transaction); return their offsets.

        ``sends`` may be lazy: each is made just before it is produced, so that preparing the
        next one overlaps librdkafka sending the previous ones.
        """
        if count == 1:
            (send,) = sends
            return [self._send_one(send)]
        return self.send_linked(sends, None)

    def _new_producer(self, extra: Mapping[str, ClientValue] | None = None) -> Producer:
        config = self._settings.config(
            {
                "enable.idempotence": True,
                "acks": "all",
                "partitioner": "murmur2_random",
                "message.timeout.ms": int(self._timeout * 1000),
                **(extra or {}),
            }
        )
        with translated("creating a producer"):
            return Producer(config)

    def _send_one(self, send: Send) -> int:
        self._check_fatal(send)
        delivery = _Delivery(send, self._in_flight, self._acked)
        try:
            self._produce(self._producer, send, delivery)
        except LedgerError:
            self._in_flight.end(delivery.number)
            raise
        # librdkafka fails the message itself after message.timeout.ms; this is a safety net,
        # and a producer that failed for good (say, refused its producer id) sends nothing.
        deadline = time.monotonic() + self._timeout + 5
        while not delivery.arrived.wait(_POLL):
            self._check_fatal(send)
            if time.monotonic() > deadline:
                raise BackendError(
                    f"Kafka: no acknowledgement for {send.topic}/{send.partition} within "
                    f"{self._timeout:g} s; append it again with the same id to be sure it is"
                    " stored"
                )
        return self._offset(delivery, send)

    def _check_fatal(self, send: Send) -> None:
        """Raise the producer's fatal error (translated: the broker's ACLs refusing the
        producer id is :class:`~fleetledger.AccessDenied`), if it had one."""
        if self._fatal is not None:
            raise translate(self._fatal, f"appending to {send.topic}/{send.partition}")

    def send_linked(
        self, sends: Iterable[Send], then: Callable[[list[int]], list[Send]] | None
    ) -> list[int]:
        """One transaction: ``sends``, then (if given) the records ``then`` makes of their
        offsets (a copied tree's leaves name the offsets of its records), all committed or
        none; returns the offsets of ``sends``."""
        with self._transaction_lock:
            done = self._transact(self._transaction_producer(), sends, then, None)
        return self._report(*done)

    def send_committing(self, sends: Iterable[Send], commit: GroupCommit) -> list[int]:
        """One transaction under ``commit``'s transactional id: ``sends`` (possibly none) and
        the group's offsets (``send_offsets_to_transaction``), both committed or neither;
        returns the offsets of ``sends``. The first use of the id in this process fences an
        earlier writer of it (see :meth:`fence`)."""
        with self._transaction_lock:
            producer = self._pinned_producer(commit.transactional_id)
            done = self._transact(producer, sends, None, commit)
        return self._report(*done)

    def fence(self, transactional_id: str) -> None:
        """Start (once per process) the producer of ``transactional_id``: the broker then
        finishes the transaction an earlier producer of that id left open (aborts it, or
        completes its commit) and refuses that producer's later transactions."""
        with self._transaction_lock:
            self._pinned_producer(transactional_id)

    def _pinned_producer(self, transactional_id: str) -> Producer:
        producer = self._pinned.get(transactional_id)
        if producer is None:
            producer = self._new_producer(
                {"transactional.id": transactional_id, "linger.ms": _TRANSACTION_LINGER}
            )
            with translated(f"starting the transactional producer {transactional_id}"):
                producer.init_transactions(self._timeout)
            self._pinned[transactional_id] = producer
        return producer

    def _transact(
        self,
        producer: Producer,
        sends: Iterable[Send],
        then: Callable[[list[int]], list[Send]] | None,
        commit: GroupCommit | None,
    ) -> tuple[list[Send], list[int], int]:
        """Run one transaction on ``producer`` (see :meth:`send_linked`), with ``commit``'s
        offsets if given; return what it produced, their offsets (``then``'s records last)
        and how many ``sends`` were. The caller holds the transaction lock."""
        produced: list[Send] = []
        reports = _Reports()
        try:
            producer.begin_transaction()
            self._produce_all(producer, sends, produced, reports)
            count = len(produced)
            if then is not None:
                offsets = self._acknowledged(producer, produced, reports)
                self._produce_all(producer, then(offsets), produced, reports)
            if commit is not None:
                producer.send_offsets_to_transaction(commit.offsets, commit.group, self._timeout)
            producer.commit_transaction(self._timeout)
        except KafkaException as exc:
            self._abort(producer, exc)
            raise self._failed(exc, len(produced)) from exc
        except BaseException:  # refused before it was sent (a full queue...): still abort
            self._abort(producer, None)
            raise
        producer.poll(0)
        every = reports.offsets(produced)
        return produced, every, count

    def _report(self, produced: list[Send], offsets: list[int], count: int) -> list[int]:
        """Tell of the records a transaction committed (outside the transaction lock); return
        the offsets of its first ``count``."""
        self._acked(produced, offsets)
        return offsets[:count]

    def _acknowledged(
        self, producer: Producer, produced: list[Send], reports: _Reports
    ) -> list[int]:
        """The offsets of what was produced so far, once the broker acknowledged it all."""
        if producer.flush(self._timeout):
            raise BackendError(f"Kafka: records were not acknowledged within {self._timeout:g} s")
        return reports.offsets(produced)

    def _produce_all(
        self, producer: Producer, sends: Iterable[Send], produced: list[Send], reports: _Reports
    ) -> None:
        produce = self._produce
        for send in sends:
            produced.append(send)
            produce(producer, send, reports)

    def _warm(self) -> None:
        with self._transaction_lock, contextlib.suppress(LedgerError):
            self._transaction_producer()

    def _transaction_producer(self) -> Producer:
        if self._transactional is None:
            # A batch is sent while it is still being produced, a millisecond's worth at a time
            # (measured: 5 or 20 ms of linger make a batch of 1000 slower on a 2-core machine);
            # the commit sends the rest at once (it flushes).
            transactional_id = f"fleetledger-{uuid.uuid4().hex}"
            producer = self._new_producer(
                {"transactional.id": transactional_id, "linger.ms": _TRANSACTION_LINGER}
            )
            with translated("starting the transactional producer"):
                producer.init_transactions(self._timeout)
            self._transactional, self._transactional_id = producer, transactional_id
        return self._transactional

    def _abort(self, producer: Producer, exc: KafkaException | None) -> None:
        """Abort the failed transaction; a producer that cannot abort is replaced next time,
        and the transaction it may leave open is fenced in the background (see :meth:`_fence`).
        """
        error = exc.args[0] if exc and exc.args and isinstance(exc.args[0], KafkaError) else None
        if error is None or not error.fatal():
            try:
                producer.abort_transaction(self._timeout)
            except KafkaException:
                pass
            else:
                return
        pinned = next((tid for tid, p in self._pinned.items() if p is producer), None)
        if pinned is not None:  # the next use starts a producer of the id, which fences this
            del self._pinned[pinned]
            return
        self._transactional = None
        fence = threading.Thread(
            target=self._fence,
            args=(self._transactional_id,),
            name="fleetledger-kafka-fence",
            daemon=True,  # close() stops it; an exit without close must not wait for it
        )
        self._fencing = [thread for thread in self._fencing if thread.is_alive()] + [fence]
        fence.start()

    def _fence(self, transactional_id: str) -> None:
        """End the transaction an abandoned producer may have left open, as soon as the cluster
        answers: a producer of the same transactional id fences it when it starts, and the
        coordinator aborts what it left open.

        Its records would otherwise keep every ``read_committed`` reader of their partitions
        (this process's own appends and reads among them) from seeing past them until the
        broker expires the transaction, a minute later. Tried every :data:`_FENCE_PAUSE`
        seconds, each try bounded by the timeout, until done, the writer closes, or
        :data:`_FENCE_FOR` seconds passed. New batches do not wait for it: they have a
        producer of their own.
        """
        deadline = time.monotonic() + _FENCE_FOR
        producer: Producer | None = None
        while not self._closed.is_set() and time.monotonic() < deadline:
            if producer is None:  # not `or`: a producer's truth is its queue's length
                producer = self._new_producer({"transactional.id": transactional_id})
            try:
                producer.init_transactions(self._timeout)
            except KafkaException as exc:
                LOG.info("fencing transactional id %s: %s", transactional_id, exc)
                if not _retriable(exc):
                    producer = None  # a new one next time; a retriable one resumes the call
            else:
                producer.close()  # it never began a transaction: nothing to abort
                return
            self._closed.wait(_FENCE_PAUSE)
        # Not closed while a call is under way (close() would warn): dropped, as the
        # producers of failed batches are.

    @staticmethod
    def _failed(exc: KafkaException, count: int) -> BackendError:
        error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
        reason = error.str() if error is not None else str(exc)
        return BackendError(
            f"Kafka: the transaction of {count} records failed and was aborted ({reason}); "
            "nothing was acknowledged: append the batch again with the same ids"
        )

    @staticmethod
    def _produce(producer: Producer, send: Send, delivery: _Reports | _Delivery) -> None:
        message = send.message
        try:
            producer.produce(
                send.topic,
                message.value,
                message.key,
                partition=send.partition,
                headers=message.headers,  # type: ignore[arg-type]  # list[tuple[str, bytes]]
                timestamp=max(send.timestamp_ms, 0),
                on_delivery=delivery,
            )
        except (KafkaException, BufferError):  # the context manager only on the rare path
            with translated(f"appending to {send.topic}/{send.partition}"):
                raise

    @staticmethod
    def _offset(delivery: _Delivery, send: Send) -> int:
        if not delivery.done:
            raise BackendError(f"Kafka: {send.topic}/{send.partition} gave no delivery report")
        if delivery.error is not None:
            raise translate(delivery.error, f"appending to {send.topic}/{send.partition}")
        return delivery.offset

    def _poll(self) -> None:
        """Serve the idempotent producer's delivery reports until closed."""
        while not self._closed.is_set():
            try:
                self._producer.poll(_POLL)
            except KafkaException as exc:  # fatal: this producer will never send again
                error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
                self._fatal = error or KafkaError(KafkaError._FATAL, str(exc))
                return

    def close(self) -> None:
        """Wait (bounded) for records in flight, then stop."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._poller.join()
        self._warming.join()
        for fence in self._fencing:
            fence.join()  # it stops after the try under way
        if self._fatal is None:
            self._producer.flush(self._timeout)
        self._producer.close()  # now, not when collected (see Admin.close)
        if self._transactional is not None:
            self._transactional.flush(self._timeout)
            self._transactional.close()
        for producer in self._pinned.values():
            producer.flush(self._timeout)
            producer.close()
        self._pinned.clear()
