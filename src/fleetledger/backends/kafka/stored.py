"""Leaf hashes a notary keeps apart from the records: ``{namespace}._leaves.{family}``.

A broker deletes records by retention and compaction; a Merkle tree must keep every leaf, so
that a partition's tree can be rebuilt, its old checkpoints proved consistent with new ones,
and a record removed by the broker told apart from one that went missing. So the notary
stores each partition's leaves in a topic of their own, kept forever and never compacted, with
the same partitions as the family's topic: the leaves of ``{namespace}.{family}`` partition
``p`` are in partition ``p``. It writes them in the transaction that also stores the
checkpoints signing them.

Each record holds a run of consecutive leaves of one partition: its key is
``<topic>/<partition>``, its ``fl_first`` header the index of the run's first leaf, and its
value, per leaf, the 8-byte big-endian (two's complement) offset of the leaf's record followed
by the 32-byte leaf hash; the offset is -1 for a leaf copied from another ledger's tree whose
record that ledger no longer held (see ``TreeCopies``). Runs are read once and remembered as an
index of where each starts, so finding a leaf reads one record.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections.abc import Callable, Mapping

from confluent_kafka import Message

from fleetledger.backends.kafka import binding
from fleetledger.backends.kafka.reader import Batch
from fleetledger.backends.kafka.settings import LOG
from fleetledger.backends.kafka.writer import Send
from fleetledger.backends.protocols import Leaf, LeafRun, TopicPartition
from fleetledger.topics import FamilyPolicy
from fleetledger.topics.naming import leaves_topic

Fetch = Callable[[Mapping[TopicPartition, int], int], Mapping[TopicPartition, Batch]]
"""``(starts, limit) -> batches``: the fetcher's ``fetch``."""

_ENTRY = 40
_HASH = 32
FIRST = "fl_first"


def leaves_policy(policy: FamilyPolicy) -> FamilyPolicy:
    """The leaves topic of a family: its partitions, kept forever, never compacted."""
    return FamilyPolicy(family=policy.family, partitions=policy.partitions)


def sends(run: LeafRun) -> Send:
    """The record that stores one run."""
    value = b"".join(
        offset.to_bytes(8, "big", signed=True) + hashed for offset, hashed in run.leaves
    )
    key = f"{run.topic}/{run.partition}".encode()
    message = binding.Message(key, value, [(FIRST, str(run.first).encode())])
    return Send(leaves_topic(run.topic), run.partition, message, 0)


class _Runs:
    """The runs stored for one partition: where each starts, in leaves and in the topic."""

    __slots__ = ("firsts", "next", "next_record", "offsets", "positions", "size")

    def __init__(self) -> None:
        self.next = 0
        """The offset of the leaves topic to read new runs from."""
        self.size = 0
        """Leaves stored, from index 0 without a gap."""
        self.next_record = 0
        """The offset after the last record a stored leaf is of (leaves of records the source
        of a copied tree no longer held carry the offset -1)."""
        self.firsts: list[int] = []
        """The first leaf index of each run."""
        self.offsets: list[int] = []
        """The offset of the first record a leaf of each run is of (runs are in offset order)."""
        self.positions: list[int] = []
        """Where each run's record sits in the leaves topic."""


class StoredLeaves:
    """Reads the leaves a notary stored, partition by partition; thread-safe."""

    def __init__(
        self, fetch: Fetch, exists: Callable[[str], bool], genuine: Callable[[Message], bool]
    ) -> None:
        self._fetch = fetch
        self._exists = exists
        self._genuine = genuine
        self._lock = threading.Lock()
        self._runs: dict[TopicPartition, _Runs] = {}

    def size(self, tp: TopicPartition) -> int:
        """How many leaves of the partition are stored (0 when none ever were)."""
        return self._refresh(tp).size

    def reach(self, tp: TopicPartition) -> tuple[int, int]:
        """``(size, next)``: the leaves stored, and the offset after the last record of one."""
        runs = self._refresh(tp)
        return runs.size, runs.next_record

    def leaves(self, tp: TopicPartition, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` stored leaves from index ``start`` on."""
        runs = self._refresh(tp)
        if start >= runs.size or limit <= 0:
            return []
        at = bisect_right(runs.firsts, start) - 1
        found: list[Leaf] = []
        for first, leaves in self._read(tp, runs, runs.positions[at]):
            for n, (offset, hashed) in enumerate(leaves):
                if first + n >= start:
                    found.append(Leaf(first + n, hashed, offset))
                    if len(found) == limit:
                        return found
        return found

    def index(self, tp: TopicPartition, offset: int) -> int | None:
        """The index of the stored leaf of the record at ``offset``, if one is stored."""
        runs = self._refresh(tp)
        at = bisect_right(runs.offsets, offset) - 1
        if at < 0:
            return None
        for first, leaves in self._read(tp, runs, runs.positions[at], 1):
            for n, (stored, _) in enumerate(leaves):
                if stored == offset:
                    return first + n
        return None

    def _refresh(self, tp: TopicPartition) -> _Runs:
        """The partition's runs, reading what was stored since the last look."""
        with self._lock:
            runs = self._runs.setdefault(tp, _Runs())
            topic = leaves_topic(tp[0])
            if not self._exists(topic):
                return runs
            while True:
                batch = self._fetch({(topic, tp[1]): runs.next}, 1000)[(topic, tp[1])]
                for message in batch.messages:
                    self._add(runs, message)
                if not batch.messages:
                    return runs

    def _add(self, runs: _Runs, message: Message) -> None:
        position = message.offset() or 0
        runs.next = position + 1
        first, leaves = _decode(message) if self._genuine(message) else (-1, [])
        if first != runs.size or not leaves:
            LOG.warning(
                "ignoring a record at %s offset %d: not a notary's run of leaves from leaf %d",
                message.topic(),
                position,
                runs.size,
            )
            return
        present = [offset for offset, _ in leaves if offset >= 0]
        runs.firsts.append(first)
        runs.offsets.append(present[0] if present else runs.next_record)
        runs.positions.append(position)
        runs.size += len(leaves)
        if present:
            runs.next_record = max(runs.next_record, present[-1] + 1)

    def _read(
        self, tp: TopicPartition, runs: _Runs, position: int, limit: int = 1000
    ) -> list[tuple[int, list[tuple[int, bytes]]]]:
        """The runs stored from ``position`` of the leaves topic on (up to ``limit`` records),
        only those :meth:`_refresh` accepted."""
        topic = leaves_topic(tp[0])
        batch = self._fetch({(topic, tp[1]): position}, limit)[(topic, tp[1])]
        accepted = set(runs.positions)
        return [_decode(m) for m in batch.messages if (m.offset() or 0) in accepted]


def _decode(message: Message) -> tuple[int, list[tuple[int, bytes]]]:
    """``(first leaf index, [(offset, hash), ...])`` of a run record; ``(-1, [])`` if it is
    not one (anyone can write to a topic: a malformed record is skipped, never trusted)."""
    value = message.value() or b""
    header = binding.header(message.headers() or [], FIRST)  # type: ignore[arg-type]
    if header is None or not header.isdigit() or len(value) % _ENTRY:
        return -1, []
    entries = [value[i : i + _ENTRY] for i in range(0, len(value), _ENTRY)]
    return int(header), [(int.from_bytes(e[:8], "big", signed=True), e[8:]) for e in entries]
