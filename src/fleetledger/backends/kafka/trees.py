"""What proofs need on Kafka: each partition's leaves, leaf indexes, and the notary's notes.

No Kafka writer keeps a tree; the notary does (:mod:`fleetledger.audit.notary`). Leaf ``i``
of a partition is its ``i``-th record in offset order (transaction markers are not records).
The leaves the notary has signed are stored apart from the records (``stored``), so they
outlive retention and compaction; leaves past its newest checkpoint are derived from the
records themselves (``leaves``), which are all still there. The notary's signed checkpoints
and heads live in ``{namespace}._checkpoints`` (``notes``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from confluent_kafka import Message

from fleetledger.backends.kafka.admin import Admin
from fleetledger.backends.kafka.attest import HEADER as MAC_HEADER
from fleetledger.backends.kafka.attest import Attestor, Covered
from fleetledger.backends.kafka.leaves import DerivedLeaves, Read, anchors
from fleetledger.backends.kafka.notes import NOTES_POLICY, NoteLog, notes_topic
from fleetledger.backends.kafka.reader import Fetcher
from fleetledger.backends.kafka.stored import StoredLeaves, leaves_policy, sends
from fleetledger.backends.kafka.writer import Send, Writer
from fleetledger.backends.protocols import (
    Leaf,
    LeafRun,
    NewCheckpoint,
    NotaryMark,
    PartitionOffsets,
    Record,
    StoredCheckpoint,
    StoredTree,
    TopicPartition,
)
from fleetledger.errors import IntegrityError
from fleetledger.integrity import leaf_hash
from fleetledger.topics import FamilyPolicy
from fleetledger.topics.naming import leaves_topic, namespace_of

_MISSING_TOPIC_TTL = 1.0
"""Seconds a topic found missing is taken as missing before the metadata is asked again."""


class Trees:
    """Leaves, leaf indexes and notes of a Kafka ledger's partitions; thread-safe."""

    def __init__(
        self,
        admin: Admin,
        fetcher: Fetcher,
        attest: Attestor,
        *,
        read: Read,
        offsets: Callable[[str], list[PartitionOffsets]],
        policy: Callable[[str], FamilyPolicy],
        readonly: bool,
    ) -> None:
        self._admin = admin
        self._policy = policy
        self._fetcher = fetcher
        self._attest = attest
        self._offsets = offsets
        self._readonly = readonly
        self._derived = DerivedLeaves(read)
        self._stored = StoredLeaves(fetcher.fetch, self._exists, self._sealed)
        self._notes: dict[str, NoteLog] = {}
        self._lock = threading.Lock()
        self._known: set[str] = set()
        self._missing: dict[str, float] = {}

    # -- leaves ------------------------------------------------------------------------------

    def leaves(self, tp: TopicPartition, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` leaves from index ``start``: stored ones, then derived ones."""
        stored = self._stored.size(tp)
        found = self._stored.leaves(tp, start, limit) if start < stored else []
        if len(found) < limit:
            rest = max(start, stored)
            found += self._derived.leaves(tp, self._anchors(tp), rest, limit - len(found))
        return found

    def leaf_index(self, tp: TopicPartition, offset: int) -> int | None:
        """The index of the leaf of the record at ``offset`` (``None``: no leaf covers it)."""
        size, after = self._stored.reach(tp)
        if size and offset < after:
            return self._stored.index(tp, offset)
        return self._derived.index(tp, self._anchors(tp), offset)

    def stored_tree(self, tp: TopicPartition) -> StoredTree:
        """How far the partition's stored leaves reach."""
        return StoredTree(*self._stored.reach(tp))

    def size(self, tp: TopicPartition) -> int:
        """The partition's leaves: stored ones, then one per record after them."""
        return self._derived.size(tp, self._anchors(tp))

    def _anchors(self, tp: TopicPartition) -> list[tuple[int, int]]:
        """Where leaf indexes meet offsets: the tree's start, each notary mark, and the end of
        the stored leaves (leaf ``i`` is the first record at or after offset ``o``)."""
        marks = self._note_log(namespace_of(tp[0])).marks(tp)
        first = marks[0][1].first if marks else self._offsets(tp[0])[tp[1]].start
        found = anchors(first, marks)
        size, after = self._stored.reach(tp)
        return sorted({*found, (size, after)}) if size else found

    # -- notes -------------------------------------------------------------------------------

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        """Every note of the namespace, oldest first."""
        return self._note_log(namespace).rows()

    def notary_marks(self, namespace: str) -> dict[TopicPartition, NotaryMark]:
        """The newest notary mark of each partition."""
        return self._note_log(namespace).latest()

    def store_checkpoints(
        self, writer: Writer, namespace: str, notes: Sequence[NewCheckpoint]
    ) -> None:
        """Append notes signed elsewhere (a mirror's copies): one record, or a transaction."""
        if notes:
            writer.send(self._note_log(namespace).sends(notes), len(notes))

    def store_notarized(
        self,
        writer: Writer,
        namespace: str,
        runs: Sequence[LeafRun],
        notes: Sequence[NewCheckpoint],
        policies: Mapping[str, FamilyPolicy],
    ) -> None:
        """The leaves a notary hashed and the notes it signed, in one transaction."""
        wanted = {leaves_topic(run.topic): leaves_policy(policies[run.topic]) for run in runs}
        self._admin.ensure({t: p for t, p in wanted.items() if t not in self._known})
        self._known.update(wanted)
        leaves = [self._seal(sends(run)) for run in runs if run.leaves]
        every = [*leaves, *self._note_log(namespace).sends(notes)]
        if every:
            writer.send(every, len(every))

    def append_tree(
        self, writer: Writer, tp: TopicPartition, records: list[Send], items: list[Record | bytes]
    ) -> list[int]:
        """Produce a copied tree's records and its leaves (with their offsets) in one
        transaction; ``records`` are the sends of the records among ``items``, in order."""
        first = self.size(tp)
        if self._stored.size(tp) != first and first:
            raise IntegrityError(
                f"{tp[0]}/{tp[1]} holds records whose leaves are not stored (appended, not"
                " copied): a tree can only be copied into a partition that holds a copy of it"
            )
        topic_policy = self._policy(tp[0])

        def leaves(offsets: list[int]) -> list[Send]:
            placed = iter(offsets)
            entries = [
                (next(placed), leaf_hash(item.body)) if isinstance(item, Record) else (-1, item)
                for item in items
            ]
            wanted = leaves_topic(tp[0])
            if wanted not in self._known:
                self._admin.ensure({wanted: leaves_policy(topic_policy)})
                self._known.add(wanted)
            return [self._seal(sends(LeafRun(*tp, first, entries)))]

        return writer.send_linked(records, leaves)

    def _note_log(self, namespace: str) -> NoteLog:
        with self._lock:
            log = self._notes.get(namespace)
            if log is None:
                topic = notes_topic(namespace)
                if not self._readonly:
                    self._admin.ensure({topic: NOTES_POLICY})
                log = NoteLog(namespace, self._fetcher.fetch, lambda: self._exists(topic))
                self._notes[namespace] = log
            return log

    # -- helpers -----------------------------------------------------------------------------

    def _exists(self, topic: str) -> bool:
        """Whether ``topic`` exists; a missing one is asked about again after a second."""
        if topic in self._known:
            return True
        checked = self._missing.get(topic)
        if checked is not None and time.monotonic() - checked < _MISSING_TOPIC_TTL:
            return False
        if topic in self._admin.partitions():
            self._known.add(topic)
            return True
        self._missing[topic] = time.monotonic()
        return False

    def _seal(self, send: Send) -> Send:
        message = send.message
        covered = Covered(send.topic, send.partition, message.key, message.value, message.headers)
        headers = [*message.headers, (MAC_HEADER, self._attest.seal(covered))]
        return send._replace(message=message._replace(headers=headers))

    def _sealed(self, message: Message) -> bool:
        headers = cast(list[tuple[str, bytes | None]], message.headers() or [])
        covered = Covered(
            message.topic() or "", message.partition() or 0, message.key(), message.value(), headers
        )
        return self._attest.genuine(covered)
