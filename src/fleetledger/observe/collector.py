"""Figures read from the ledger at scrape time: what every process of a fleet sees the same.

Process-local counters (:mod:`fleetledger.observe.metrics`) say what one process did; an SRE
also needs what the ledger holds, whoever wrote it: consumer lag, storage, how far signing
has got. :class:`LedgerCollector` is a ``prometheus_client`` custom collector that computes
those when Prometheus scrapes, from the ledger's log (:attr:`fleetledger.Ledger.log`, which
needs ``admin`` under an access policy):

============================================  ===============================================
metric                                        what it says
============================================  ===============================================
``fleetledger_log_end_offset``                next offset per family and partition: its rate
                                              is the fleet's append rate (every writer)
``fleetledger_stored_events``                 events retained per family
``fleetledger_storage_bytes``                 bytes of the retained events' canonical
                                              encoding per family (the same on every backend)
``fleetledger_partition_skew_ratio``          the hottest partition's share of a family's
                                              appends (1/partitions is perfectly even)
``fleetledger_consumer_lag_events``           end minus committed offset per group, family,
                                              partition
``fleetledger_recorded_policy_denials_total`` ``governance.policy.denied`` events recorded
``fleetledger_signed_tree_size_leaves``       leaves the newest signed head covers, per
                                              partition (the notary's progress)
``fleetledger_unsigned_leaves``               leaves (on Kafka: records) past it, per partition
``fleetledger_signed_heads_total``            ledger heads signed so far
``fleetledger_signed_head_age_seconds``       seconds since the newest event the newest head
                                              covers was recorded (heads carry no time of
                                              their own, so this bounds the head's age from
                                              above: alert on it together with unsigned leaves)
============================================  ===============================================

Storage bytes and recorded denials are summed once over every record and then kept up to date
from where the previous scrape stopped (a partition whose start moved, by retention, is summed
again), so the first scrape of a large ledger reads it all and later ones read what is new.
Compaction holes are noticed on the next full sum (a restart of the exporter).

More figures plug in through ``figures``: each is a callable returning metric families, called
on every scrape (the dead-letter topic's pending count is one)::

    LedgerCollector(ledger, figures=[lambda: [GaugeMetricFamily(...)]])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from fleetledger.backends.protocols import (
    HEAD,
    Leaf,
    NotarizedLog,
    NotaryMark,
    PartitionOffsets,
    PartitionTree,
    ProvableLog,
    StoredCheckpoint,
    StoredRecord,
    TopicPartition,
)
from fleetledger.integrity import LedgerHead, parse_note
from fleetledger.topics import FamilyPolicy
from fleetledger.topics.naming import family_of

__all__ = ["Figure", "LedgerCollector", "ObservedLedger", "ObservedLog"]

Figure = Callable[[], Iterable[Metric]]
"""An extra figure of the ledger: metric families computed on every scrape."""

DENIED = "governance.policy.denied"
_PAGE = 5000


class ObservedLog(Protocol):
    """What the collector reads of a ledger's log (:class:`fleetledger.ledger.LedgerLog`)."""

    @property
    def tiers(self) -> frozenset[type[Any]]: ...

    def topics(self) -> dict[str, FamilyPolicy]: ...

    def offsets(self, topic: str) -> list[PartitionOffsets]: ...

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]: ...

    def groups(self) -> list[str]: ...

    def committed(self, group: str) -> dict[TopicPartition, int]: ...

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]: ...

    def tree(self, topic: str, partition: int) -> PartitionTree | None: ...

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]: ...

    def notary_marks(self, namespace: str) -> dict[TopicPartition, NotaryMark]: ...


class ObservedLedger(Protocol):
    """A ledger the collector reads: its namespace and its log (a :class:`fleetledger.Ledger`).

    A Protocol, so that ``observe`` (below the facade) does not import ``ledger``."""

    @property
    def namespace(self) -> str: ...

    @property
    def log(self) -> ObservedLog: ...


@dataclass
class _Summed:
    """A partition's records summed so far: from ``start`` up to ``next``."""

    start: int
    next: int
    size: int = 0
    denials: int = 0


class LedgerCollector(Collector):
    """Ledger-state figures for Prometheus, computed at scrape time (see the module)."""

    def __init__(
        self,
        ledger: ObservedLedger,
        *,
        figures: Sequence[Figure] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ledger = ledger
        self._figures = list(figures)
        self._clock = clock
        self._summed: dict[TopicPartition, _Summed] = {}
        self._lock = threading.Lock()  # the HTTP server scrapes from a thread per request

    def add_figure(self, figure: Figure) -> None:
        """Serve ``figure``'s metric families too, from the next scrape on."""
        self._figures.append(figure)

    def collect(self) -> Iterator[Metric]:
        """Every figure, read now (one scrape at a time)."""
        with self._lock:
            metrics = list(self._figures_now())
        yield from metrics

    def _figures_now(self) -> Iterator[Metric]:
        log = self._ledger.log
        ends = {topic: log.offsets(topic) for topic in sorted(log.topics())}
        yield from self._volumes(log, ends)
        yield from self._lag(log, ends)
        if ProvableLog in log.tiers:
            yield from self._signing(log, ends)
        for figure in self._figures:
            yield from figure()

    # -- volumes: offsets, storage, skew, denials -------------------------------------------

    def _volumes(
        self, log: ObservedLog, ends: Mapping[str, list[PartitionOffsets]]
    ) -> Iterator[Metric]:
        end_offset = GaugeMetricFamily(
            "fleetledger_log_end_offset",
            "The next offset of each partition: how many records it was ever appended"
            " (its rate is the whole fleet's append rate).",
            labels=["family", "partition"],
        )
        stored = GaugeMetricFamily(
            "fleetledger_stored_events",
            "Events retained per family (removed by retention or compaction: no longer counted).",
            labels=["family"],
        )
        storage = GaugeMetricFamily(
            "fleetledger_storage_bytes",
            "Bytes of the canonical encoding of the events retained per family (the same"
            " on every backend; a broker's own files add indexes and framing).",
            labels=["family"],
        )
        skew = GaugeMetricFamily(
            "fleetledger_partition_skew_ratio",
            "The hottest partition's share of a family's appends, 0 to 1 (1/partitions is"
            " even; near 1 one key takes every append): hot partitions.",
            labels=["family"],
        )
        denials = CounterMetricFamily(
            "fleetledger_recorded_policy_denials",
            "governance.policy.denied events recorded in the ledger, by every writer.",
        )
        denied = 0
        for topic, partitions in ends.items():
            family = family_of(topic)
            size = 0
            for partition, offsets in enumerate(partitions):
                end_offset.add_metric([family, str(partition)], offsets.end)
                summed = self._sum(log, topic, partition, offsets)
                size += summed.size
                denied += summed.denials
            appended = [offsets.end for offsets in partitions]
            stored.add_metric([family], sum(o.end - o.start for o in partitions))
            storage.add_metric([family], size)
            skew.add_metric([family], max(appended) / sum(appended) if sum(appended) else 0.0)
        denials.add_metric([], denied)
        yield from (end_offset, stored, storage, skew, denials)

    def _sum(
        self, log: ObservedLog, topic: str, partition: int, offsets: PartitionOffsets
    ) -> _Summed:
        """The partition's records summed up to its end, reading only what is new."""
        summed = self._summed.get((topic, partition))
        if summed is None or summed.start != offsets.start or summed.next > offsets.end:
            summed = self._summed[(topic, partition)] = _Summed(offsets.start, offsets.start)
        while summed.next < offsets.end:
            page = log.read(topic, partition, summed.next, _PAGE)
            if not page:
                break
            summed.size += sum(len(record.body) for record in page)
            summed.denials += sum(record.type == DENIED for record in page)
            summed.next = page[-1].offset + 1
        return summed

    # -- consumer lag ------------------------------------------------------------------------

    def _lag(
        self, log: ObservedLog, ends: Mapping[str, list[PartitionOffsets]]
    ) -> Iterator[Metric]:
        lag = GaugeMetricFamily(
            "fleetledger_consumer_lag_events",
            "Events a consumer group has yet to commit per family and partition: end"
            " offset minus committed offset.",
            labels=["group", "family", "partition"],
        )
        for group in sorted(log.groups()):
            for (topic, partition), committed in sorted(log.committed(group).items()):
                partitions = ends.get(topic)
                if partitions is None or partition >= len(partitions):
                    continue
                behind = max(partitions[partition].end - committed, 0)
                lag.add_metric([group, family_of(topic), str(partition)], behind)
        yield lag

    # -- signing -----------------------------------------------------------------------------

    def _signing(
        self, log: ObservedLog, ends: Mapping[str, list[PartitionOffsets]]
    ) -> Iterator[Metric]:
        namespace = self._ledger.namespace
        heads = [row for row in log.checkpoints(namespace) if row.kind == HEAD]
        newest = LedgerHead.parse(parse_note(heads[-1].note)[0]) if heads else None
        signed_sizes = (
            {} if newest is None else {(h.topic, h.partition): h.size for h in newest.partitions}
        )
        signed = GaugeMetricFamily(
            "fleetledger_signed_tree_size_leaves",
            "Leaves of each partition's tree the newest signed ledger head covers: the"
            " notary's progress.",
            labels=["family", "partition"],
        )
        unsigned = GaugeMetricFamily(
            "fleetledger_unsigned_leaves",
            "Leaves of each partition's tree past the newest signed ledger head (on Kafka:"
            " records past the notary's last checkpoint, transaction markers included).",
            labels=["family", "partition"],
        )
        behind = self._unsigned(log, namespace, ends, signed_sizes)
        for (topic, partition), count in sorted(behind.items()):
            labels = [family_of(topic), str(partition)]
            signed.add_metric(labels, signed_sizes.get((topic, partition), 0))
            unsigned.add_metric(labels, count)
        total = CounterMetricFamily(
            "fleetledger_signed_heads", "Ledger heads signed so far (by the ledger or a notary)."
        )
        total.add_metric([], len(heads))
        yield from (signed, unsigned, total)
        age = self._head_age(log, newest)
        if age is not None:
            yield _gauge(
                "fleetledger_signed_head_age_seconds",
                "Seconds since the newest event the newest signed ledger head covers was"
                " recorded: an upper bound of the head's age (heads carry no time).",
                age,
            )

    def _unsigned(
        self,
        log: ObservedLog,
        namespace: str,
        ends: Mapping[str, list[PartitionOffsets]],
        signed: Mapping[TopicPartition, int],
    ) -> dict[TopicPartition, int]:
        """Leaves (or, without trees kept by the log, records) past the newest head."""
        marks = log.notary_marks(namespace) if NotarizedLog in log.tiers else {}
        found: dict[TopicPartition, int] = {}
        for topic, partitions in ends.items():
            for partition, offsets in enumerate(partitions):
                tree = log.tree(topic, partition)
                if tree is not None:
                    size = tree.frontier.size
                    found[(topic, partition)] = max(size - signed.get((topic, partition), 0), 0)
                else:
                    mark = marks.get((topic, partition))
                    first = offsets.start if mark is None else mark.next
                    found[(topic, partition)] = max(offsets.end - first, 0)
        return found

    def _head_age(self, log: ObservedLog, head: LedgerHead | None) -> float | None:
        """Seconds since the newest recorded event ``head`` covers (None: no head, or none of
        the events it covers is still held)."""
        if head is None:
            return None
        newest = None
        for line in head.partitions:
            if line.size == 0:
                continue
            leaves = log.leaves(line.topic, line.partition, line.size - 1, 1)
            records = log.read(line.topic, line.partition, leaves[0].offset, 1) if leaves else []
            if records and records[0].offset == leaves[0].offset:
                newest = max(newest or 0, records[0].recorded_ms)
        return None if newest is None else max(self._clock() - newest / 1000, 0.0)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(name, documentation)
    gauge.add_metric([], value)
    return gauge
