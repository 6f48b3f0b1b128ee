"""The Kafka backend: a ledger on any Kafka-compatible cluster, through confluent-kafka.

Topics, partitions, keys and offsets are Kafka's own: a family's topic is a Kafka topic, an
event's partition is murmur2 of its key (as the Java client computes it), its offset is the
broker's. Events are CloudEvents in the Kafka binding's binary mode (see ``binding``), so any
Kafka consumer or CloudEvents SDK reads them; the ledger re-derives each event's canonical bytes
from headers and value, so proofs are the same as on SQLite.

**Appends.** One record: the idempotent producer (``acks=all``). Several (``append_many``): one
Kafka transaction, all or nothing. Either returns only once the broker acknowledged every
record. A transaction's commit marker takes an offset, so offsets increase but can skip one
after a batch; ``offsets()`` reports ``end`` as the offset after the last *record*, so a reader
that read everything has no lag.

**Idempotency by event id** is the id barrier's job (see ``dedup``): an id already stored
with the same event returns its position, with other content it is refused.

**Reads** use one consumer with ``assign()`` (never a group join) and ``read_committed``,
stop at an end ListOffsets proves or the fetch finds, and keep what a fetch brought past a
page for the next page (see ``reader``).
``read_subject`` relies on how the ledger places events: a task-keyed family keeps a task's
events in the partition its subject hashes to, so only that partition of such a topic is
scanned (every partition of a family keyed otherwise), then events are put in append order by
the ``fl_appended`` header. ``find(id)`` looks in the id index after catching up with every
partition, and otherwise scans the older records of every partition: cheap for recent events,
a full scan for an id the ledger does not hold. ``offset_for_time`` asks the broker
(``ListOffsets`` by timestamp: each record's Kafka timestamp is its recorded time).

**Scope.** With a ``namespace`` (``fleetledger.open`` passes the ledger's), ``topics``,
``find`` and ``read_subject`` see only ``{namespace}.*`` topics, so ledgers can share a
cluster; topic policies live in the ``_fleetledger.topics`` registry (see ``admin``).

**Proofs.** Kafka stores no leaves: leaf ``i`` of a partition is the hash of its ``i``-th
record (see ``leaves``), and the trees exist as the checkpoints and heads a notary signs into
``{namespace}._checkpoints`` (see ``notes`` and :mod:`fleetledger.audit.notary`), so
``verify`` recomputes every tree from the records and checks it against what was signed.

**Ordering guards** (``append(records, guard=...)``, the ledger's ordering rules): the guard
reads its subjects' histories with ``read_subject``, which reads every partition it looks in up
to its end (the last stable offset, ``read_committed``), then the batch is produced. So every
record the broker acknowledged before the guard's read began is seen. What Kafka cannot give is
a write lock over the read and the produce: a record another writer (another process, or an
unguarded append of this one) gets acknowledged between the guard's read and this batch's
acknowledgement is not seen. Guarded appends of one backend are serialized with each other, so
two guarded appends of one process never race. The contract this rests on: an approval must
be acknowledged before the tool call it approves is attempted; a rejection racing a tool call
within that window can land after it (on SQLite it cannot: the guard runs under the write
lock).

**Consumer groups** are Kafka consumer groups (see ``groups``); an append that commits a group's
offsets is one transaction under the group's own transactional id, the offsets sent with
``send_offsets_to_transaction`` (a consume-process-produce loop). **Retention and compaction**
are the broker's job from the topic configs; ``enforce_retention`` does nothing and returns 0.
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Iterator, Mapping, Sequence
from typing import cast

from confluent_kafka import Message, TopicPartition

from fleetledger.backends.kafka import binding
from fleetledger.backends.kafka.admin import REGISTRY_POLICY, REGISTRY_TOPIC, Admin
from fleetledger.backends.kafka.attest import Attestor, Covered
from fleetledger.backends.kafka.dedup import IdBarrier
from fleetledger.backends.kafka.ends import InFlight
from fleetledger.backends.kafka.groups import GroupOffsets
from fleetledger.backends.kafka.members import DeadLetterTopics, KafkaMember
from fleetledger.backends.kafka.policies import PolicyRegistry
from fleetledger.backends.kafka.reader import Fetcher
from fleetledger.backends.kafka.settings import LOG, KafkaSettings
from fleetledger.backends.kafka.trees import Trees
from fleetledger.backends.kafka.writer import GroupCommit, Send, Writer
from fleetledger.backends.protocols import (
    AlreadyStored,
    Commit,
    Guard,
    Leaf,
    LeafRun,
    NewCheckpoint,
    NotaryMark,
    PartitionOffsets,
    PartitionTree,
    Record,
    StoredCheckpoint,
    StoredRecord,
    StoredTree,
)
from fleetledger.backends.protocols import (
    TopicPartition as Partition,
)
from fleetledger.errors import (
    BackendError,
    IntegrityError,
    LedgerClosed,
    LedgerError,
    NotFound,
    ReadOnlyLedger,
)
from fleetledger.topics import FamilyPolicy, PartitionKey, partition_for
from fleetledger.types import Position

_PROBE = 2
"""Offsets before the high watermark that can hold the last record: one commit marker."""
_CLAIM_WAIT = 1.0


_OPEN: weakref.WeakSet[KafkaBackend] = weakref.WeakSet()


@atexit.register
def _close_forgotten() -> None:
    """Close the backends nobody closed, while the interpreter still runs.

    librdkafka clients left to the collector at shutdown stop their threads while Python is
    finalizing, and their last log lines (routed to a Python logger) can crash the process.
    """
    for backend in list(_OPEN):
        try:
            backend.close()
        except LedgerError as exc:  # exiting anyway: say so, do not mask the exit status
            LOG.warning("closing %r at exit: %s", backend, exc)


class KafkaBackend:
    """A ledger log on a Kafka cluster; thread-safe. Open it with ``fleetledger.open``.

    Opened read-only (``settings.readonly``) it creates no topic and starts no producer.
    """

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._closed = False
        self._admin = Admin(settings)
        self._reach()
        self._in_flight = InFlight()
        self._fetcher = Fetcher(settings, self._admin.latest, self._in_flight)
        self._writer: Writer | None = None
        self._policies = PolicyRegistry(self._fetcher, settings.bootstrap)
        self._attest = Attestor(settings.writer_key)
        self._ids = IdBarrier(
            settings, self._fetcher, self._admin.watermarks, self._at, self._id_of
        )
        self._clock_lock = threading.Lock()
        self._guarded = threading.Lock()
        self._last_ns = 0
        self._groups = GroupOffsets(settings, self._admin)
        self._dead = DeadLetterTopics(
            self._admin, self._fetcher, lambda topic: topic in self._admin.partitions()
        )
        self._trees = Trees(
            self._admin,
            self._fetcher,
            self._attest,
            read=self.read,
            offsets=self.offsets,
            policy=self._policies.policy,
            readonly=settings.readonly,
        )
        _OPEN.add(self)
        if settings.readonly:
            return
        try:
            self._writer = Writer(settings, self._in_flight, acked=self._acked)
            self._admin.ensure({REGISTRY_TOPIC: REGISTRY_POLICY})
        except BaseException:
            self.close()  # the writer's thread and the clients must not outlive the failure
            raise

    def _reach(self) -> None:
        """Fail fast, and say so plainly, when no broker answers."""
        try:
            self._admin.partitions()
        except BackendError as exc:
            raise BackendError(
                f"cannot reach the Kafka brokers at {self.settings.bootstrap} within "
                f"{self.settings.timeout:g} s: {exc}"
            ) from exc

    def _write(self) -> Writer:
        """The writer; :class:`ReadOnlyLedger` for a backend opened to read."""
        self._check_open()
        if self._writer is None:
            raise ReadOnlyLedger(f"the Kafka ledger {self.settings.bootstrap} was opened read-only")
        return self._writer

    # -- topics ------------------------------------------------------------------------------

    def create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        writer = self._write()
        self._admin.ensure(policies)
        self._policies.save(policies, lambda sends: writer.send(sends, len(sends)))

    def topics(self) -> dict[str, FamilyPolicy]:
        self._check_open()
        registered = self._policies.load()
        existing = self._admin.partitions()
        scoped = self.settings.in_scope
        return {t: p for t, p in sorted(registered.items()) if t in existing and scoped(t)}

    def _check_partition(self, topic: str, partition: int) -> None:
        if not 0 <= partition < self._policies.policy(topic).partitions:
            raise NotFound(f"topic {topic!r} has no partition {partition}")

    # -- append ------------------------------------------------------------------------------

    def append(
        self,
        records: Sequence[Record],
        *,
        guard: Guard | None = None,
        offsets: Commit | None = None,
    ) -> list[Position]:
        writer = self._write()
        if not records and offsets is None:
            return []
        places = {(r.topic, r.partition) for r in records} | set(offsets[1] if offsets else ())
        for topic, partition in places:
            self._check_partition(topic, partition)
        if guard is None:
            return self._append(writer, records, offsets)
        with self._guarded:  # see the module: guarded appends never race each other
            return self._append(writer, guard(records, self.subject_bodies), offsets)

    def fence(self, group: str) -> None:
        """See :meth:`FencedGroups.fence`: starts the producer of the group's transactional id."""
        self._write().fence(_transactional_id(group))

    def _append(
        self, writer: Writer, records: Sequence[Record], offsets: Commit | None = None
    ) -> list[Position]:
        known, fresh = self._ids.claim(records)
        try:
            if offsets is None:
                stored = self._produce(writer, fresh)  # indexed as acknowledged (see _acked)
            else:
                stored = self._produce_committing(writer, fresh, offsets)
        finally:
            self._ids.release(fresh)
        if not known and len(fresh) == len(records):
            return stored  # every record new, each id once: minted ids always are
        known.update((r.id, position) for r, position in zip(fresh, stored, strict=True))
        return _positions(records, known, fresh)

    def _produce(self, writer: Writer, records: Sequence[Record]) -> list[Position]:
        if not records:
            return []
        offsets = writer.send(self._sends(records), len(records))
        return [Position(r.topic, r.partition, o) for r, o in zip(records, offsets, strict=True)]

    def _produce_committing(
        self, writer: Writer, records: Sequence[Record], offsets: Commit
    ) -> list[Position]:
        """``records`` and the group's offsets in one transaction of the group's own."""
        group, positions = offsets
        commit = GroupCommit(
            _transactional_id(group),
            [TopicPartition(t, p, o) for (t, p), o in positions.items()],
            self._groups.metadata(group),
        )
        placed = writer.send_committing(self._sends(records), commit)
        self._admin.committed(group, positions)  # returns once the commit reads back: stable
        return [Position(r.topic, r.partition, o) for r, o in zip(records, placed, strict=True)]

    def _sends(self, records: Sequence[Record]) -> Iterator[Send]:
        """What to produce for ``records``: encoded one by one as the writer produces them,
        each attested, with strictly increasing ``fl_appended`` times."""
        first = self._ticks(len(records))
        for n, r in enumerate(records):
            message = binding.to_message(r, first + n, self._attest)
            yield Send(r.topic, r.partition, message, r.recorded_ms, r.id)

    def _ticks(self, count: int) -> int:
        """The first of ``count`` consecutive nanoseconds for ``fl_appended``: the wall clock,
        strictly increasing per process."""
        with self._clock_lock:
            first = max(time.time_ns(), self._last_ns + 1)
            self._last_ns = first + count - 1
            return first

    def _acked(self, sends: Sequence[Send], offsets: Sequence[int]) -> None:
        """Records the broker acknowledged: their offsets move the ends the fetcher knows, and
        their ids are indexed at once (on the poll thread for a single append), so that a
        concurrent append's catch-up finds both known and has nothing to fetch."""
        self._fetcher.appended(
            ((s.topic, s.partition), offset) for s, offset in zip(sends, offsets, strict=True)
        )
        self._ids.acked(sends, offsets)

    # -- read --------------------------------------------------------------------------------

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        self._check_open()
        count = self._policies.policy(topic).partitions
        marks = self._admin.watermarks([(topic, p) for p in range(count)])
        probes = {tp: max(low, high - _PROBE) for tp, (low, high) in marks.items()}
        batches = self._fetcher.fetch(probes)
        result = []
        for p in range(count):
            low, high = marks[(topic, p)]
            batch = batches[(topic, p)]
            end = _offset(batch.messages[-1]) + 1 if batch.messages else (batch.end or high)
            result.append(PartitionOffsets(min(low, end), max(end, low)))
        return result

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        self._check_open()
        self._check_partition(topic, partition)
        if limit <= 0:
            return []
        tp = (topic, partition)
        # The fetcher starts at the first record at or after offset (the first retained one
        # when offset is older), and never fetches past the end.
        batch = self._fetcher.fetch({tp: offset}, limit)[tp]
        return self._ids.first_only(tp, offset, [self._record(m) for m in batch.messages])

    def read_subject(self, subject: str) -> list[StoredRecord]:
        self._check_open()
        wanted = subject.encode()
        starts = dict.fromkeys(self._subject_partitions(subject), 0)
        batches = self._fetcher.fetch(
            starts, keep=lambda m: binding.header(_headers(m), *binding.SUBJECT_HEADERS) == wanted
        )
        found: list[tuple[int, StoredRecord]] = []
        for tp, batch in batches.items():
            records = [self._record(m) for m in batch.messages]
            order = [binding.appended_ns(_headers(m), m.timestamp()[1]) for m in batch.messages]
            kept = {r.offset for r in self._ids.first_only(tp, 0, records) if r.subject == subject}
            found += [(n, r) for n, r in zip(order, records, strict=True) if r.offset in kept]
        found.sort(key=lambda pair: (pair[0], pair[1].topic, pair[1].partition, pair[1].offset))
        return [record for _, record in found]

    def _subject_partitions(self, subject: str) -> list[Partition]:
        """The key partition of each task-keyed topic, every partition of the others."""
        partitions: list[Partition] = []
        for topic, policy in self.topics().items():
            if policy.key is PartitionKey.TASK:
                partitions.append((topic, partition_for(subject, policy.partitions)))
            else:
                partitions += [(topic, p) for p in range(policy.partitions)]
        return partitions

    def find(self, event_id: str) -> StoredRecord | None:
        self._check_open()
        everything = [
            (t, p) for t, policy in self.topics().items() for p in range(policy.partitions)
        ]
        self._ids.catch_up(set(everything))
        position = self._ids.position(event_id)
        if position is not None:
            return self._at(position, event_id)
        return self._scan_for(event_id, everything)

    def _at(self, position: Position, event_id: str) -> StoredRecord | None:
        """The record of ``event_id`` at ``position``, if it is there."""
        tp = (position.topic, position.partition)
        batch = self._fetcher.fetch({tp: position.offset}, limit=1)[tp]
        for message in batch.messages:
            record = self._record(message)
            if record.offset == position.offset and record.id == event_id:
                return record
        return None

    def _scan_for(self, event_id: str, partitions: list[Partition]) -> StoredRecord | None:
        """Look for an id below the index window of every partition: a scan of old records."""
        ends = {tp: self._ids.window_start(tp) for tp in partitions}
        starts = {tp: 0 for tp, end in ends.items() if end is not None and end > 0}
        wanted = event_id.encode()
        batches = self._fetcher.fetch(
            starts, keep=lambda m: binding.header(_headers(m), *binding.ID_HEADERS) == wanted
        )
        hits = [self._record(m) for b in batches.values() for m in b.messages]
        hits = [r for r in hits if r.offset < (ends[(r.topic, r.partition)] or 0)]
        return min(hits, key=lambda r: r.offset, default=None)

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        self._check_open()
        self._check_partition(topic, partition)
        offset = self._fetcher.offset_for_time(topic, partition, ms)
        if offset < 0:
            return self.offsets(topic)[partition].end
        return offset

    def _record(self, message: Message) -> StoredRecord:
        return binding.from_message(
            message.topic() or "",
            message.partition() or 0,
            _offset(message),
            key=message.key(),
            value=message.value(),
            headers=_headers(message),
            timestamp_ms=message.timestamp()[1],
            attestor=self._attest,
        )

    def _id_of(self, message: object) -> tuple[int, str]:
        """``(offset, event id)`` of a fetched message, for the id index: a foreign record's
        id headers are anyone's, so it gets none (it can never stand for an event's id)."""
        fetched = cast(Message, message)
        headers = _headers(fetched)
        topic, partition = fetched.topic() or "", fetched.partition() or 0
        found = binding.header(headers, *binding.ID_HEADERS)
        covered = Covered(topic, partition, fetched.key(), fetched.value(), headers)
        if found is None or not self._attest.genuine(covered):
            return _offset(fetched), ""
        return _offset(fetched), found.decode("utf-8", "replace")

    # -- proofs ------------------------------------------------------------------------------

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]:
        """The notary's stored leaves, then leaves derived from the records (see ``trees``)."""
        self._check_open()
        self._check_partition(topic, partition)
        return self._trees.leaves((topic, partition), start, limit)

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """The records' offsets and bodies, from :meth:`read`: a fetch returns whole messages."""
        return [(r.offset, r.body) for r in self.read(topic, partition, offset, limit)]

    def subject_bodies(self, subject: str) -> list[tuple[str, int, int, bytes]]:
        """From :meth:`read_subject`, as :meth:`bodies` is from :meth:`read`."""
        return [(r.topic, r.partition, r.offset, r.body) for r in self.read_subject(subject)]

    def tree(self, topic: str, partition: int) -> PartitionTree | None:
        """None: on Kafka a partition's tree exists only as the notary's signed checkpoints."""
        self._check_open()
        return None

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        self._check_open()
        self._check_partition(topic, partition)
        return self._trees.leaf_index((topic, partition), offset)

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        self._check_open()
        return self._trees.checkpoints(namespace)

    def store_checkpoints(self, namespace: str, notes: Sequence[NewCheckpoint]) -> None:
        """Append ``notes`` to ``{namespace}._checkpoints``: one record, or one transaction."""
        self._trees.store_checkpoints(self._write(), namespace, notes)

    def store_notarized(
        self, namespace: str, runs: Sequence[LeafRun], notes: Sequence[NewCheckpoint]
    ) -> None:
        """Store a notary's leaves (``{namespace}._leaves.{family}``) and notes, all or none."""
        writer = self._write()
        policies = {run.topic: self._policies.policy(run.topic) for run in runs}
        self._trees.store_notarized(writer, namespace, runs, notes, policies)

    def notary_marks(self, namespace: str) -> dict[Partition, NotaryMark]:
        self._check_open()
        return self._trees.notary_marks(namespace)

    def stored_tree(self, topic: str, partition: int) -> StoredTree:
        self._check_open()
        self._check_partition(topic, partition)
        return self._trees.stored_tree((topic, partition))

    # -- tree copies -------------------------------------------------------------------------

    def tree_size(self, topic: str, partition: int) -> int:
        self._check_open()
        self._check_partition(topic, partition)
        return self._trees.size((topic, partition))

    def append_tree(
        self, topic: str, partition: int, items: Sequence[Record | bytes]
    ) -> list[Position]:
        """Produce a copied tree's records and leaves in one transaction (see ``trees``)."""
        writer = self._write()
        self._check_partition(topic, partition)
        batch = list(items)
        records = [item for item in batch if isinstance(item, Record)]
        known, fresh = self._ids.claim(records)
        try:
            if known:
                event_id = next(iter(known))
                raise IntegrityError(
                    f"event {event_id} is already stored at {known[event_id]}: the destination"
                    " holds other data under the same ids"
                )
            sends = list(self._sends(records))
            offsets = self._trees.append_tree(writer, (topic, partition), sends, batch)
        finally:
            self._ids.release(fresh)
        return [Position(topic, partition, offset) for offset in offsets]

    # -- consumer groups ---------------------------------------------------------------------

    def commit(self, group: str, offsets: Mapping[Partition, int]) -> None:
        self._write()
        self._groups.commit(group, offsets)

    def committed(self, group: str) -> dict[Partition, int]:
        self._check_open()
        return self._groups.committed(group)

    def groups(self) -> list[str]:
        self._check_open()
        return self._groups.groups()

    def delete_group(self, group: str) -> bool:
        self._write()
        return self._admin.delete_group(group)

    def join(
        self, group: str, topics: Sequence[str], member: str, session_timeout: float
    ) -> KafkaMember:
        """Join ``group`` through Kafka's group protocol (see ``members``)."""
        self._check_open()
        return KafkaMember(self.settings, group, topics, member, session_timeout)

    def add_dead_letters(self, topic: str, records: Sequence[bytes]) -> None:
        """Append to the one-partition dead-letter topic ``topic`` (see ``members``)."""
        self._dead.add(self._write(), topic, records)

    def dead_letters(self, topic: str) -> list[bytes]:
        """Every record of the dead-letter topic ``topic``."""
        self._check_open()
        return self._dead.read(topic)

    def enforce_retention(self, now_ms: int) -> int:
        """The broker applies retention and compaction from the topic configs: nothing to do."""
        self._check_open()
        return 0

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        _OPEN.discard(self)
        if self._writer is not None:
            self._writer.close()
        self._ids.close()
        self._fetcher.close()
        self._groups.close()
        self._admin.close()

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerClosed(f"the Kafka ledger {self.settings.bootstrap} is closed")

    def __repr__(self) -> str:
        return f"<KafkaBackend {self.settings.bootstrap}>"


def _transactional_id(group: str) -> str:
    """The transactional id of the appends that commit ``group``'s offsets: one per group, so
    that the producer of a new process fences the one of a process that died mid-transaction
    (group names are per cluster, as transactional ids are)."""
    return f"fleetledger-group-{group}"


def _offset(message: Message) -> int:
    """A consumed message's offset (confluent-kafka types it as optional)."""
    return message.offset() or 0


def _headers(message: Message) -> list[tuple[str, bytes]]:
    """A consumed message's headers, as librdkafka returns them: a list of (name, bytes)."""
    return cast(list[tuple[str, bytes]], message.headers() or [])


def _positions(
    records: Sequence[Record], known: Mapping[str, Position], fresh: Sequence[Record]
) -> list[Position]:
    """One position per record: a record repeated in the batch after its first occurrence was
    not stored again, so it says so (:class:`AlreadyStored`)."""
    produced = {record.id for record in fresh}
    positions: list[Position] = []
    for record in records:
        position = known[record.id]
        if record.id in produced:
            produced.discard(record.id)
        elif not isinstance(position, AlreadyStored):
            position = AlreadyStored(*position)
        positions.append(position)
    return positions
