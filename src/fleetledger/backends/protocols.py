"""The small storage Protocols every backend implements, tier by tier.

``ReadableLog`` is what a reader (replay, export, verify) needs; ``AppendableLog`` adds the one
write operation; ``OffsetStore`` keeps consumer-group positions; ``MaintainableLog`` applies
retention and compaction; ``ProvableLog`` exposes the stored Merkle leaves, trees and signed
checkpoints that ``verify`` checks. A backend implements the tiers it can; the ledger composes
them, and ``fleetledger.testing.conformance`` checks each tier the same way on every backend.

Whether a log implements a tier is asked with :func:`supports`, never with ``isinstance``
alone: a wrapper around a backend (the facade's access-checked view, a metrics wrapper)
defines every method and says through :attr:`Tiered.tiers` which its backend really has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, Protocol, runtime_checkable

from fleetledger.events.codec import CanonicalEnvelope
from fleetledger.integrity import Frontier, NoteSigner
from fleetledger.topics import FamilyPolicy
from fleetledger.types import Position, TopicPartition

__all__ = [
    "HANDOVER",
    "HEAD",
    "PARTITION",
    "AlreadyStored",
    "AppendableLog",
    "Backend",
    "CheckpointStore",
    "Commit",
    "DeadLetterLog",
    "FencedGroups",
    "GroupAdmin",
    "GroupMember",
    "Guard",
    "History",
    "Leaf",
    "LeafRun",
    "MaintainableLog",
    "MemberLog",
    "NewCheckpoint",
    "NotarizedLog",
    "NotaryMark",
    "OffsetStore",
    "PartitionOffsets",
    "PartitionTree",
    "Position",
    "ProvableLog",
    "ReadableLog",
    "Record",
    "ScannedLog",
    "SigningLog",
    "StoredCheckpoint",
    "StoredRecord",
    "StoredTree",
    "Tiered",
    "TopicPartition",
    "TreeCopies",
    "WindowedLog",
    "supports",
]


class AlreadyStored(Position):
    """The position :meth:`AppendableLog.append` returns for a record whose id (with the same
    event) was stored before: it equals the original position, and says it was not stored
    again, so a caller can report what it appended truthfully."""

    __slots__ = ()


class Record(NamedTuple):
    """An event ready to append: its encoded bytes plus the columns a backend indexes."""

    topic: str
    partition: int
    key: str
    id: str
    subject: str
    type: str
    recorded_ms: int
    body: bytes
    event: CanonicalEnvelope | None = None
    """The attributes ``body`` encodes, when the ledger's core built it: a binding that stores
    attributes apart from the data (Kafka's binary mode) takes them from here instead of
    parsing the body (see :meth:`CanonicalEnvelope.attributes` and ``data_json``)."""
    minted: bool = False
    """The id was minted by the ledger's core for this record (a UUIDv7), so no record stored
    before can hold it: a backend may skip looking for it."""


History = Callable[[str], list[tuple[str, int, int, bytes]]]
"""A subject's stored records as ``(topic, partition, offset, body)``, in the order they were
appended (as :meth:`ReadableLog.subject_bodies`), read as the write about to happen sees them."""

Guard = Callable[[Sequence[Record], History], Sequence[Record]]
"""Run by :meth:`AppendableLog.append` before it stores a batch: given the batch and a reader
of subjects' histories, returns the records to store instead (as many, with the same ids,
topics, partitions and subjects; their bodies may differ), or raises to refuse the batch.

Where the backend can, it runs the guard inside its write transaction, with a history that
already holds what that transaction wrote before (SQLite: under the write lock, so no other
writer, thread or process, commits between the guard's read and the batch's commit). A guard
may be run more than once for one append (a group commit that failed is retried batch by
batch), so it must depend on its arguments only. The ledger's ordering rules are a guard; the
storage never sees a rule."""


Commit = tuple[str, Mapping[TopicPartition, int]]
"""A consumer group and the next offsets to commit for it in the same atomic unit as an append
(see :meth:`AppendableLog.append`): how a projection whose output is events consumes exactly
once."""


class StoredRecord(NamedTuple):
    """A record as stored, with its gap-free offset; ``body`` is byte-identical to the append."""

    topic: str
    partition: int
    offset: int
    key: str
    id: str
    subject: str
    type: str
    recorded_ms: int
    body: bytes

    @property
    def position(self) -> Position:
        """Where the record sits."""
        return Position(self.topic, self.partition, self.offset)


class PartitionOffsets(NamedTuple):
    """The readable range of a partition: ``start`` (first kept) up to ``end`` (next to write)."""

    start: int
    end: int


class Leaf(NamedTuple):
    """One leaf of a partition's tree: its dense index, its hash and its event's offset.

    On SQLite ``offset`` is ``start + idx``; on Kafka, whose offsets skip transaction markers,
    it is the record's own offset.
    """

    idx: int
    hash: bytes
    offset: int


class PartitionTree(NamedTuple):
    """A partition's tree as the log keeps it; leaf ``i`` is the event at offset ``start + i``.

    ``start`` is 0 unless the partition's first events expired before the log kept trees.
    """

    start: int
    frontier: Frontier


PARTITION = "partition"
"""The ``kind`` of a stored note that is one partition's checkpoint."""
HEAD = "head"
"""The ``kind`` of a stored note that is a ledger head over every partition."""
HANDOVER = "handover"
"""The ``kind`` of a stored note that hands signing over to a new key
(:mod:`fleetledger.integrity.handover`); the head stored next is signed by both keys. Stored
like a head: ``topic`` is the namespace, ``partition`` and ``root`` are ``None``."""


class StoredCheckpoint(NamedTuple):
    """A stored signed note: a partition checkpoint or a ledger head (``kind``).

    For a head, ``topic`` is the namespace, ``partition`` and ``root`` are ``None`` and
    ``size`` is the total leaf count; the note itself is what a verifier trusts.
    """

    seq: int
    kind: str
    topic: str
    partition: int | None
    size: int
    root: bytes | None
    note: bytes


@runtime_checkable
class ReadableLog(Protocol):
    """Read access to topics, partitions and records."""

    def topics(self) -> dict[str, FamilyPolicy]:
        """Every topic with the policy it was created with."""
        ...

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        """Start and end offsets of every partition of ``topic``, by partition number."""
        ...

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        """Up to ``limit`` records of one partition from ``offset`` on, in offset order."""
        ...

    def read_subject(self, subject: str) -> list[StoredRecord]:
        """Every record of one subject (task) across topics, in the order they were appended.

        In topics partitioned by task the ledger keys a record by its subject, so a backend
        may look for a subject only in the partition its key maps to (Kafka does).
        """
        ...

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """Offset and stored bytes of up to ``limit`` records from ``offset`` on, in order.

        What decoding events and verifying need, without the other columns: the records
        :meth:`read` would return, each as ``(offset, body)``.
        """
        ...

    def subject_bodies(self, subject: str) -> list[tuple[str, int, int, bytes]]:
        """``(topic, partition, offset, body)`` of the records :meth:`read_subject` returns,
        in the same order: what a replay decodes."""
        ...

    def find(self, event_id: str) -> StoredRecord | None:
        """The record with this event id, if the log holds it."""
        ...

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        """The first offset whose record was recorded at or after ``ms`` (or the end offset)."""
        ...

    def close(self) -> None:
        """Release connections and threads; pending appends finish first.

        Afterwards appends, reads and commits raise :class:`~fleetledger.LedgerClosed`; closing
        again does nothing.
        """
        ...


@runtime_checkable
class AppendableLog(ReadableLog, Protocol):
    """A log that accepts new records."""

    def create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        """Create missing topics; refuse an existing topic whose partition count differs."""
        ...

    def append(
        self,
        records: Sequence[Record],
        *,
        guard: Guard | None = None,
        offsets: Commit | None = None,
    ) -> list[Position]:
        """Append ``records`` atomically: all are stored or none is.

        With a ``guard`` (see :data:`Guard`), what it returns is stored instead, and what it
        raises refuses the append (nothing stored).

        With ``offsets`` (a group and its next offsets, see :data:`Commit`), the group's
        offsets are committed in the same atomic unit as the records: both or neither, even
        when the process dies halfway (SQLite: one write transaction; Kafka: one producer
        transaction with ``send_offsets_to_transaction``). ``records`` may then be empty.

        MUST NOT return before every record is durable. Offsets are assigned gap-free per
        partition in commit order. A record whose id is already stored with the same event
        (:func:`fleetledger.events.identity.same_event`) is not stored again: its original
        position is returned as an :class:`AlreadyStored` (a repeated id inside ``records`` is
        stored once). An id stored with other content MUST raise
        :class:`~fleetledger.errors.IdConflict`, and then nothing of ``records`` is stored.
        """
        ...


@runtime_checkable
class OffsetStore(Protocol):
    """Committed positions of consumer groups."""

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Store the next offset to read for each partition, atomically."""
        ...

    def committed(self, group: str) -> dict[TopicPartition, int]:
        """The group's committed next offsets (empty for a group that never committed)."""
        ...

    def groups(self) -> list[str]:
        """Every group that ever committed, sorted."""
        ...


@runtime_checkable
class FencedGroups(Protocol):
    """A log on which an append with offsets (:meth:`AppendableLog.append`) can be left open by
    a writer that died in the middle (Kafka: a producer transaction, which the broker would
    only expire a minute later), and whose group offsets may then not be the last word yet."""

    def fence(self, group: str) -> None:
        """Become the only writer appending with ``group``'s offsets: finish whatever an earlier
        writer of the group left open (its records and offsets are aborted, or their commit
        completed), and make that writer's later appends fail. Call it before reading the
        group's committed offsets to resume from them."""
        ...


@runtime_checkable
class MaintainableLog(Protocol):
    """A log that applies its topics' retention and compaction when asked."""

    def enforce_retention(self, now_ms: int) -> int:
        """Delete expired records and compact compacted topics; return how many were removed.

        Per partition: compaction keeps the latest record of each key; ``retention_ms`` removes
        records recorded before ``now_ms - retention_ms``; ``retention_bytes`` removes the
        oldest records until the bodies left total at most that many bytes. Survivors keep
        their offsets, and a partition's end offset never moves back, even when left empty.
        """
        ...


@runtime_checkable
class ProvableLog(Protocol):
    """A log that keeps each partition's Merkle leaves, its tree and signed checkpoints."""

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]:
        """Up to ``limit`` stored leaves of one partition from leaf index ``start`` on, in order.

        Leaves are never removed by retention or compaction.
        """
        ...

    def tree(self, topic: str, partition: int) -> PartitionTree | None:
        """The partition's tree as the log maintains it beside its leaves.

        ``None`` when it keeps none: a partition never appended to, or a log whose leaves are
        derived from the records themselves and whose trees exist only as signed checkpoints
        (Kafka, where the notary signs them).
        """
        ...

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        """The index of the leaf of the event at ``offset`` (``None`` if no leaf covers it)."""
        ...

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        """Every stored checkpoint and ledger head of ``namespace``, oldest first."""
        ...


class NotaryMark(NamedTuple):
    """Where a notary's checkpoint of a partition left off: enough to resume without rereading.

    ``first`` is the offset of leaf 0, ``next`` the offset after the last record covered, and
    ``frontier`` the tree over the ``frontier.size`` leaves between.
    """

    first: int
    next: int
    frontier: Frontier


class NewCheckpoint(NamedTuple):
    """A signed note to store: a partition checkpoint or a ledger head (``kind``).

    Fields as in :class:`StoredCheckpoint`; ``mark`` is set on the checkpoints a notary signs.
    """

    kind: str
    topic: str
    partition: int | None
    size: int
    root: bytes | None
    note: bytes
    mark: NotaryMark | None = None


@runtime_checkable
class CheckpointStore(Protocol):
    """A log that stores signed notes it did not sign itself (a notary's, or a mirror's copy)."""

    def store_checkpoints(self, namespace: str, notes: Sequence[NewCheckpoint]) -> None:
        """Append ``notes`` to the namespace's checkpoints, all or none, after those stored."""
        ...


class LeafRun(NamedTuple):
    """Consecutive leaves of one partition a notary hashed: leaf ``first`` is the first of
    ``leaves``, each ``(offset of its record, leaf hash)``."""

    topic: str
    partition: int
    first: int
    leaves: list[tuple[int, bytes]]


@runtime_checkable
class NotarizedLog(ProvableLog, CheckpointStore, Protocol):
    """A log whose trees a notary outside it keeps and signs (Kafka)."""

    def notary_marks(self, namespace: str) -> dict[TopicPartition, NotaryMark]:
        """The mark of the newest notary checkpoint of each partition of ``namespace``."""
        ...

    def stored_tree(self, topic: str, partition: int) -> StoredTree:
        """How far the partition's stored leaves reach (``size`` 0: none are stored)."""
        ...

    def store_notarized(
        self, namespace: str, runs: Sequence[LeafRun], notes: Sequence[NewCheckpoint]
    ) -> None:
        """Store the leaves a notary hashed and the notes it signed over them, all or none.

        The leaves are kept where retention and compaction of the records do not reach, so a
        partition's tree can still be rebuilt, and an event removed by the broker be told
        from one that is missing, after its record is gone.
        """
        ...


class StoredTree(NamedTuple):
    """How far a partition's stored leaves reach: ``size`` leaves, the last of a record before
    offset ``next`` (the record at ``next``, if any, would be leaf ``size``)."""

    size: int
    next: int


@runtime_checkable
class TreeCopies(Protocol):
    """A log that can hold a copy of another log's tree: its leaves, with the records still
    there, and leaves whose records the source no longer holds (removed by retention or
    compaction), so the copy's trees, roots and proofs are the source's."""

    def tree_size(self, topic: str, partition: int) -> int:
        """How many leaves the partition's tree holds: the index the next leaf gets."""
        ...

    def append_tree(
        self, topic: str, partition: int, items: Sequence[Record | bytes]
    ) -> list[Position]:
        """Append the next leaves of the partition's tree, all or none: a :class:`Record` is
        stored with its leaf (the hash of its body), ``bytes`` is the leaf hash of an event
        the source no longer holds, stored as a leaf without a record. Returns the positions of
        the records, in order. Refuses (:class:`~fleetledger.errors.IntegrityError`) a
        partition that holds records outside its tree, and an id stored elsewhere."""
        ...


@runtime_checkable
class GroupAdmin(Protocol):
    """A log whose consumer groups can be deleted (``fleetledger groups delete``)."""

    def delete_group(self, group: str) -> bool:
        """Forget every committed offset of ``group``; whether it had any."""
        ...


@runtime_checkable
class WindowedLog(Protocol):
    """A provable log that reads a partition's leaves and events together, a window of offsets
    at a time (SQLite: one query per window, the leaves being columns of the events)."""

    def window(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> tuple[list[Leaf], list[tuple[int, bytes]]]:
        """The leaves and the events (``(offset, body)``) at offsets from ``offset`` on, each
        in offset order: at most ``limit`` of each, and every one at an offset up to the last
        returned (both empty past the partition's end)."""
        ...


@runtime_checkable
class ScannedLog(WindowedLog, Protocol):
    """A windowed log that reads many partitions in one pass over its storage (SQLite: one
    scan of the events table in the order it is stored, instead of an index walk per
    partition)."""

    def scan(
        self, partitions: Sequence[TopicPartition], limit: int
    ) -> Iterator[tuple[str, int, list[Leaf], list[tuple[int, bytes]]]]:
        """Windows (see :meth:`WindowedLog.window`) of every partition in ``partitions``, as
        ``(topic, partition, leaves, events)``: up to ``limit`` events each, the windows of a
        partition in offset order unless its rows were stored out of it, partitions
        interleaved as stored. A partition's leaves past its last event come last."""
        ...


@runtime_checkable
class SigningLog(Protocol):
    """A log that signs its own checkpoints as it appends (SQLite opened with a key)."""

    def sign(self) -> int:
        """Sign a checkpoint of every partition changed since its last one, and a ledger head,
        now; return how many partition checkpoints were signed (0: nothing new)."""
        ...

    def rotate(self, signer: NoteSigner) -> None:
        """Hand signing over to ``signer``: store a key handover and a head signed by both the
        current key and ``signer``, in one transaction; sign with ``signer`` from then on."""
        ...


class GroupMember(Protocol):
    """One process's membership of a consumer group whose partitions are split among the
    members alive (see :class:`MemberLog`); made by :meth:`MemberLog.join`."""

    @property
    def name(self) -> str:
        """The member's name, unique in its group."""
        ...

    def assignment(self) -> list[TopicPartition]:
        """Show the member alive and return the partitions it holds now, after giving up
        those the group's split gives to others and taking those it gives to this member
        that no live member holds. Call it between batches: a partition it stops returning
        must not be processed any more (its next holder resumes at the committed offset)."""
        ...

    def commit(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Store the group's next offset for partitions this member holds, atomically.

        MUST refuse (:class:`~fleetledger.errors.Fenced`, nothing stored) when the member no
        longer holds one of them: another member may already be processing it."""
        ...

    def leave(self) -> None:
        """Leave the group now: its partitions go to the other members at once."""
        ...


@runtime_checkable
class MemberLog(Protocol):
    """A log whose consumer groups have members that split the partitions among them, and
    take over the partitions of a member that stopped (left, or stopped showing itself
    alive for ``session_timeout`` seconds)."""

    def join(
        self, group: str, topics: Sequence[str], member: str, session_timeout: float
    ) -> GroupMember:
        """Join ``group`` as ``member``, reading ``topics`` (every member of a group reads the
        same topics)."""
        ...


@runtime_checkable
class DeadLetterLog(Protocol):
    """A log that keeps a namespace's dead-letter topic (``{namespace}._deadletter``): an
    append-only sequence of opaque records, never removed by retention or compaction."""

    def add_dead_letters(self, topic: str, records: Sequence[bytes]) -> None:
        """Append ``records`` to the dead-letter topic ``topic``, durably, all or none."""
        ...

    def dead_letters(self, topic: str) -> list[bytes]:
        """Every record of the dead-letter topic ``topic``, in the order appended."""
        ...


class Backend(AppendableLog, OffsetStore, MaintainableLog, Protocol):
    """Everything a :class:`fleetledger.Ledger` needs from its storage."""


class Tiered(Protocol):
    """A wrapper around a log that tells which tiers the log it wraps implements."""

    @property
    def tiers(self) -> frozenset[type[Any]]:
        """The tier Protocols (``ProvableLog``, ``NotarizedLog``, ...) that are really there."""
        ...


TIERS: tuple[type[Any], ...] = (
    ReadableLog,
    AppendableLog,
    OffsetStore,
    FencedGroups,
    MaintainableLog,
    ProvableLog,
    CheckpointStore,
    NotarizedLog,
    GroupAdmin,
    SigningLog,
    TreeCopies,
    WindowedLog,
    ScannedLog,
    MemberLog,
    DeadLetterLog,
)
"""Every tier a log may implement."""


def tiers_of(log: object) -> frozenset[type[Any]]:
    """The tiers ``log`` implements (those it says, for a wrapper)."""
    said = getattr(log, "tiers", None)
    if isinstance(said, frozenset):
        return said
    return frozenset(tier for tier in TIERS if isinstance(log, tier))


def supports(log: object, tier: type[Any]) -> bool:
    """Whether ``log`` implements ``tier`` (see the module docstring)."""
    return tier in tiers_of(log)
