"""Idempotency by event id on Kafka: the barrier appends of chosen ids pass, and the copies it
drops.

Kafka's idempotent producer guarantees that its own retries never duplicate a message within
one producer session; it knows nothing of event ids, and a new process is a new session. So the
backend keeps an id index (see ``index``).

An id the ledger's core minted for the record (a new UUIDv7, ``Record.minted``) cannot be
stored yet: such records pass no barrier and claim nothing, they are only indexed once
acknowledged. Before an append of ids the caller chose, the index catches up with what was
written to the partitions it appends to since it last looked, and an id already among the
newest ``id_window`` records of a partition it has read (or anywhere this process appended it)
is not produced again. If the stored record holds the same event its position is returned (an
:class:`AlreadyStored`); if not, the append is refused
(:class:`~fleetledger.errors.IdConflict`) before anything is produced.

Catching up: the first append to a partition reads it to its end (from ``id_window`` records
before it); from then on a follower thread (see ``follow``) reads on in the background and
reports each end it reaches. The barrier is then one ListOffsets answer, asked after the append
began, that proves the index already holds everything before it (see ``ends``), with no fetch.
When it does not (a record appended a moment ago that the follower has not read yet: another
process's, or this one's own last commit marker), the barrier reads the rest itself at once:
on Tansu the follower reports an end only after an empty fetch has waited out its
``fetch.wait.max.ms``, longer than such a read takes.

Concurrent appends of one process share the barrier, and an id being appended is *claimed*
until its append ends, so a concurrent append of the same id waits and then finds it. Two
processes appending the same id at the same instant can both pass the check; a reader then
drops the later copy of an id within the window (:meth:`IdBarrier.first_only`). Ids re-sent
after more than ``id_window`` newer records of their partition are outside this guarantee.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

from confluent_kafka import Message

from fleetledger.backends.kafka.follow import IdFollower
from fleetledger.backends.kafka.index import IdIndex
from fleetledger.backends.kafka.reader import Fetcher
from fleetledger.backends.kafka.settings import KafkaSettings
from fleetledger.backends.kafka.writer import Send
from fleetledger.backends.protocols import AlreadyStored, Record, StoredRecord, TopicPartition
from fleetledger.errors import BackendError, IdConflict
from fleetledger.events.identity import same_event
from fleetledger.types import Position

_CLAIM_WAIT = 1.0

At = Callable[[Position, str], "StoredRecord | None"]
"""Reads the record of an id at a position (``None`` if it is not there)."""
Watermarks = Callable[[Iterable[TopicPartition]], dict[TopicPartition, tuple[int, int]]]
IdOf = Callable[[object], tuple[int, str]]
"""``(offset, event id)`` of a fetched message."""


class IdBarrier:
    """The id index, the claims on ids being appended, and the catch-up that keeps both true."""

    def __init__(
        self,
        settings: KafkaSettings,
        fetcher: Fetcher,
        watermarks: Watermarks,
        at: At,
        id_of: IdOf,
    ) -> None:
        self._settings = settings
        self._fetcher = fetcher
        self._watermarks = watermarks
        self._at = at
        self._id_of = id_of
        self._index = IdIndex(settings.id_window)
        self._lock = threading.RLock()
        self._synced: dict[TopicPartition, float] = {}
        self._sync = threading.Condition()
        self._syncing = False
        self._wanted: set[TopicPartition] = set()
        self._claims: dict[str, threading.Event] = {}
        self._follower = IdFollower(settings, self._followed, self._ended, self._next)

    # -- appends -------------------------------------------------------------------------------

    def claim(self, records: Sequence[Record]) -> tuple[dict[str, Position], list[Record]]:
        """Split a batch into ids already stored (their positions, as :class:`AlreadyStored`)
        and records to produce, which stay claimed until :meth:`release`.

        :class:`IdConflict` when a stored id (or one earlier in the batch) holds another event.
        Records of minted ids are all fresh, and claim nothing.
        """
        chosen = {(r.topic, r.partition) for r in records if not r.minted}
        if not chosen:
            return {}, list(records)
        deadline = time.monotonic() + self._settings.timeout
        while True:
            self.catch_up(chosen)
            self._follower.follow(chosen)
            with self._lock:
                busy = next((self._claims[r.id] for r in records if r.id in self._claims), None)
                if busy is None:
                    known, fresh = self._split(records)
                    break
            if not busy.wait(_CLAIM_WAIT) and time.monotonic() > deadline:
                raise BackendError("Kafka: an append of the same event id did not finish in time")
        try:
            self._refuse_conflicts(records, known)
        except BaseException:
            self.release(fresh)
            raise
        return known, fresh

    def _split(self, records: Sequence[Record]) -> tuple[dict[str, Position], list[Record]]:
        known: dict[str, Position] = {}
        fresh: list[Record] = []
        claim = threading.Event()  # one for the whole append: released together
        for record in records:
            if record.minted:
                fresh.append(record)
                continue
            if record.id in known or record.id in self._claims:
                continue
            position = self._index.get(record.id)
            if position is not None:
                known[record.id] = AlreadyStored(*position)
            else:
                self._claims[record.id] = claim
                fresh.append(record)
        return known, fresh

    def _refuse_conflicts(self, records: Sequence[Record], known: dict[str, Position]) -> None:
        """Compare each repeated id's bytes with the stored (or first) record of the id."""
        first: dict[str, Record] = {}
        for record in records:
            if record.minted:
                continue
            earlier = first.setdefault(record.id, record)
            if earlier is not record and not same_event(earlier.body, record.body):
                raise IdConflict(record.id, f"{record.topic}/{record.partition} (in this batch)")
        for event_id, position in known.items():
            stored = self._at(position, event_id)
            if stored is not None and not same_event(stored.body, first[event_id].body):
                raise IdConflict(event_id, Position(*position))

    def release(self, fresh: Sequence[Record]) -> None:
        """End the claims :meth:`claim` took on ``fresh`` (appended or not)."""
        chosen = [record.id for record in fresh if not record.minted]
        if not chosen:
            return
        with self._lock:
            claims = {self._claims.pop(event_id, None) for event_id in chosen}
        for claim in claims:
            if claim is not None:
                claim.set()

    def acked(self, sends: Sequence[Send], offsets: Sequence[int]) -> None:
        """Index records the broker acknowledged, at once, so that a concurrent append's
        catch-up finds them (in partitions the index covers: the others start from the log)."""
        with self._lock:
            index = self._index
            partitions = {(s.topic, s.partition) for s in sends}
            covered = {tp for tp in partitions if index.next(tp) is not None}
            if not covered:
                return
            for send, offset in zip(sends, offsets, strict=True):
                if send.event_id and (send.topic, send.partition) in covered:
                    index.remember(Position(send.topic, send.partition, offset), send.event_id)

    # -- lookups -------------------------------------------------------------------------------

    def position(self, event_id: str) -> Position | None:
        """The indexed position of ``event_id``, if the index holds it."""
        with self._lock:
            return self._index.get(event_id)

    def window_start(self, tp: TopicPartition) -> int | None:
        """The first offset of ``tp`` whose id the index still holds (None: never read)."""
        with self._lock:
            return self._index.start(tp)

    def first_only(
        self, tp: TopicPartition, start: int, records: list[StoredRecord]
    ) -> list[StoredRecord]:
        """Index what a read brought, and drop later copies of an id within one partition."""
        with self._lock:
            following = self._index.next(tp)
            if following is not None and start <= following and records:
                ids = [(r.offset, r.id) for r in records]
                self._index.add(tp, ids, records[-1].offset + 1)
            return [r for r in records if not self._is_copy(r)]

    def _is_copy(self, record: StoredRecord) -> bool:
        first = self._index.get(record.id)
        return (
            first is not None
            and (first.topic, first.partition) == (record.topic, record.partition)
            and first.offset < record.offset
        )

    # -- the catch-up --------------------------------------------------------------------------

    def catch_up(self, partitions: set[TopicPartition]) -> None:
        """Index what was appended to ``partitions`` since this backend last read them.

        The read must start after the caller asked. Concurrent callers share one: a thread
        that finds a catch-up running waits for it, and the next one covers the partitions of
        every thread that waited, so N appends at once cost one or two barriers, not N (a
        barrier is one ListOffsets request for all of them when it proves the end, see
        ``ends``, and a fetch otherwise).
        """
        asked = time.monotonic()
        deadline = asked + self._settings.timeout
        with self._sync:
            while stale := {tp for tp in partitions if self._synced.get(tp, -1.0) < asked}:
                self._wanted |= stale
                if not self._syncing:
                    self._syncing = True
                    break
                if not self._sync.wait(deadline - time.monotonic()):
                    raise BackendError("Kafka: catching up with the log did not finish in time")
            else:
                return
        self._lead_catch_up()

    def _lead_catch_up(self) -> None:
        """Run one catch-up for every partition waited for, then wake the threads that waited."""
        with self._sync:
            wanted, self._wanted = self._wanted, set()
        began = time.monotonic()
        caught = False
        try:
            self._index_since(wanted)
            caught = True
        finally:
            with self._sync:
                if caught:
                    self._synced.update(dict.fromkeys(wanted, began))
                else:
                    self._wanted |= wanted  # a waiting thread tries again
                self._syncing = False
                self._sync.notify_all()

    def _index_since(self, partitions: set[TopicPartition]) -> None:
        """Read ``partitions`` from where the index stopped to their end, and index the ids.

        The barrier comes first, so that what this process appended in the meantime (indexed
        as acknowledged) is not fetched again: a partition whose proven end the index has
        reached needs no fetch at all.
        """
        with self._lock:
            new = [tp for tp in partitions if self._index.next(tp) is None]
        if new:
            self._begin(new)
        latest = self._fetcher.latest(partitions)
        starts = self._behind(latest)
        if not starts:
            return
        batches = self._fetcher.fetch(starts, latest=latest)
        with self._lock:
            for tp, batch in batches.items():
                ids = [self._id_of(message) for message in batch.messages]
                last = ids[-1][0] + 1 if ids else starts[tp]
                self._index.add(tp, ids, batch.end if batch.end is not None else last)

    def _behind(self, latest: dict[TopicPartition, int]) -> dict[TopicPartition, int]:
        """Where the index of each partition it is behind on goes on, given ListOffsets
        answers ``latest``: those whose end they do not prove, or that end the index has not
        reached."""
        ends = self._fetcher.proven_ends(latest)
        with self._lock:
            starts = {tp: self._index.next(tp) or 0 for tp in latest}
        return {tp: n for tp, n in starts.items() if (end := ends[tp]) is None or n < end}

    def _next(self, tp: TopicPartition) -> int | None:
        """Where the index of ``tp`` goes on (None: never read)."""
        with self._lock:
            return self._index.next(tp)

    def _followed(self, tp: TopicPartition, messages: list[Message]) -> None:
        """Index what the follower read (ids it has not indexed yet: their seals are checked
        outside the lock)."""
        start = self._next(tp)
        if start is None:
            return
        ids = [self._id_of(m) for m in messages if (m.offset() or 0) >= start]
        with self._lock:
            self._index.add(tp, ids, (messages[-1].offset() or 0) + 1)

    def _ended(self, tp: TopicPartition, end: int, last: int | None) -> None:
        """The follower read ``tp`` to its end (``last``: its last record): the index holds
        everything before ``end``, which is the proven end ListOffsets answers are held to."""
        with self._lock:
            if self._index.next(tp) is not None:
                self._index.add(tp, (), end)
        self._fetcher.reached(tp, end, last)

    def close(self) -> None:
        """Stop the follower."""
        self._follower.close()

    def _begin(self, partitions: Iterable[TopicPartition]) -> None:
        """Start indexing new partitions ``id_window`` records before their end."""
        marks = self._watermarks(partitions)
        with self._lock:
            for tp, (low, high) in marks.items():
                self._index.begin(tp, max(low, high - self._settings.id_window))
