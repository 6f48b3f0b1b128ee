"""The facade's view of its backend: what everything above the facade reads and writes through.

Proof services, consumers and mirrors get a :class:`LedgerLog`, never the backend itself, so
one place decides what they may see and change. Today it keeps them to the ledger's namespace
(a store may hold several ledgers), refuses writes to a ledger opened read-only, and stops
working when the ledger is closed; the access rules of the governance layer are enforced
here too. It implements the same storage tiers as the backend it wraps and says which
(:attr:`tiers`), so capability checks see through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, cast

from fleetledger.backends.protocols import (
    Backend,
    CheckpointStore,
    Commit,
    DeadLetterLog,
    FencedGroups,
    GroupAdmin,
    GroupMember,
    Guard,
    Leaf,
    LeafRun,
    MemberLog,
    NewCheckpoint,
    NotarizedLog,
    NotaryMark,
    PartitionOffsets,
    PartitionTree,
    ProvableLog,
    Record,
    ScannedLog,
    SigningLog,
    StoredCheckpoint,
    StoredRecord,
    StoredTree,
    TopicPartition,
    TreeCopies,
    WindowedLog,
    tiers_of,
)
from fleetledger.errors import ConfigurationError, NotFound, ReadOnlyLedger
from fleetledger.integrity import NoteSigner
from fleetledger.topics import FamilyPolicy, in_namespace
from fleetledger.topics.naming import prefix
from fleetledger.types import Position

__all__ = ["LedgerLog"]


class LedgerLog:
    """A ledger's records, leaves, notes and groups, scoped and guarded (see the module)."""

    def __init__(
        self,
        backend: Backend,
        namespace: str,
        *,
        readonly: bool,
        check_open: Callable[[], None],
    ) -> None:
        self._backend = backend
        self.namespace = namespace
        self.readonly = readonly
        self._check_open = check_open
        self._tiers = tiers_of(backend)
        self._prefix = prefix(namespace)

    @property
    def tiers(self) -> frozenset[type[Any]]:
        """The storage tiers the backend implements."""
        return self._tiers

    def __repr__(self) -> str:
        return f"<LedgerLog {self.namespace} on {self._backend!r}>"

    # -- guards ------------------------------------------------------------------------------

    def _read(self) -> Backend:
        self._check_open()
        return self._backend

    def _write(self) -> Backend:
        self.writable()
        return self._backend

    def writable(self) -> None:
        """Raise unless the ledger is open for writing (:class:`ReadOnlyLedger` saying why)."""
        self._check_open()
        if self.readonly:
            raise ReadOnlyLedger(
                "the ledger was opened read-only (by a read command, or readonly=True):"
                " open it again to write"
            )

    def _tier(self, tier: type[Any], write: bool = False) -> Any:
        backend = self._write() if write else self._read()
        if tier not in self._tiers:
            raise ConfigurationError(
                f"{type(backend).__name__} does not support this ({tier.__name__})"
            )
        return backend

    def _own(self, topic: str) -> str:
        if not in_namespace(topic, self.namespace):
            raise NotFound(f"no topic {topic!r} in namespace {self.namespace!r}")
        return topic

    # -- ReadableLog ---------------------------------------------------------------------------

    def topics(self) -> dict[str, FamilyPolicy]:
        """The namespace's topics with their policies."""
        stored = self._read().topics()
        return {t: p for t, p in stored.items() if in_namespace(t, self.namespace)}

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        """See :meth:`ReadableLog.offsets`."""
        return self._read().offsets(self._own(topic))

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        """See :meth:`ReadableLog.read`."""
        return self._read().read(self._own(topic), partition, offset, limit)

    def read_subject(self, subject: str) -> list[StoredRecord]:
        """See :meth:`ReadableLog.read_subject`: the namespace's records only."""
        records = self._read().read_subject(subject)
        prefix = self._prefix
        return [r for r in records if r.topic.startswith(prefix)]

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        """See :meth:`ReadableLog.bodies`."""
        return self._read().bodies(self._own(topic), partition, offset, limit)

    def subject_bodies(self, subject: str) -> list[tuple[str, int, int, bytes]]:
        """See :meth:`ReadableLog.subject_bodies`: the namespace's records only."""
        rows = self._read().subject_bodies(subject)
        prefix = self._prefix
        return [row for row in rows if row[0].startswith(prefix)]

    def find(self, event_id: str) -> StoredRecord | None:
        """See :meth:`ReadableLog.find`: a record of another namespace is not found."""
        found = self._read().find(event_id)
        return found if found is not None and in_namespace(found.topic, self.namespace) else None

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        """See :meth:`ReadableLog.offset_for_time`."""
        return self._read().offset_for_time(self._own(topic), partition, ms)

    def close(self) -> None:
        """Nothing: the view's ledger owns the backend and closes it."""

    # -- AppendableLog -------------------------------------------------------------------------

    def create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        """See :meth:`AppendableLog.create_topics`."""
        for topic in policies:
            self._own(topic)
        self._write().create_topics(policies)

    def append(
        self,
        records: Sequence[Record],
        *,
        guard: Guard | None = None,
        offsets: Commit | None = None,
    ) -> list[Position]:
        """See :meth:`AppendableLog.append`: records as they are (a mirror's copies)."""
        for record in records:
            self._own(record.topic)
        if offsets is None:
            return self._write().append(records, guard=guard)
        for topic, _ in offsets[1]:
            self._own(topic)
        return self._write().append(records, guard=guard, offsets=offsets)

    def fence(self, group: str) -> None:
        """See :meth:`FencedGroups.fence`; nothing to do on a log without that tier (SQLite,
        memory: an append with offsets is one local transaction, never left open)."""
        if FencedGroups in self._tiers:
            cast(FencedGroups, self._write()).fence(group)

    # -- OffsetStore ---------------------------------------------------------------------------

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """See :meth:`OffsetStore.commit`."""
        for topic, _ in offsets:
            self._own(topic)
        self._write().commit(group, offsets)

    def committed(self, group: str) -> dict[TopicPartition, int]:
        """See :meth:`OffsetStore.committed`: the namespace's partitions only."""
        found = self._read().committed(group)
        return {tp: o for tp, o in found.items() if in_namespace(tp[0], self.namespace)}

    def groups(self) -> list[str]:
        """Every group that committed offsets of this namespace's topics."""
        backend = self._read()
        return [g for g in backend.groups() if self.committed(g)]

    def delete_group(self, group: str) -> bool:
        """See :meth:`GroupAdmin.delete_group`."""
        return cast(GroupAdmin, self._tier(GroupAdmin, write=True)).delete_group(group)

    def join(
        self, group: str, topics: Sequence[str], member: str, session_timeout: float
    ) -> GroupMember:
        """See :meth:`MemberLog.join`: a member commits, so the ledger must be writable."""
        for topic in topics:
            self._own(topic)
        log = cast(MemberLog, self._tier(MemberLog, write=True))
        return log.join(group, topics, member, session_timeout)

    # -- DeadLetterLog -------------------------------------------------------------------------

    def add_dead_letters(self, topic: str, records: Sequence[bytes]) -> None:
        """See :meth:`DeadLetterLog.add_dead_letters`."""
        log = cast(DeadLetterLog, self._tier(DeadLetterLog, write=True))
        log.add_dead_letters(self._own(topic), records)

    def dead_letters(self, topic: str) -> list[bytes]:
        """See :meth:`DeadLetterLog.dead_letters`."""
        return cast(DeadLetterLog, self._tier(DeadLetterLog)).dead_letters(self._own(topic))

    # -- MaintainableLog -----------------------------------------------------------------------

    def enforce_retention(self, now_ms: int) -> int:
        """See :meth:`MaintainableLog.enforce_retention`."""
        return self._write().enforce_retention(now_ms)

    # -- ProvableLog, CheckpointStore, NotarizedLog, SigningLog -------------------------------

    def leaves(self, topic: str, partition: int, start: int, limit: int) -> list[Leaf]:
        """See :meth:`ProvableLog.leaves`."""
        return self._provable().leaves(self._own(topic), partition, start, limit)

    def window(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> tuple[list[Leaf], list[tuple[int, bytes]]]:
        """See :meth:`WindowedLog.window`."""
        log = cast(WindowedLog, self._tier(WindowedLog))
        return log.window(self._own(topic), partition, offset, limit)

    def scan(
        self, partitions: Sequence[TopicPartition], limit: int
    ) -> Iterator[tuple[str, int, list[Leaf], list[tuple[int, bytes]]]]:
        """See :meth:`ScannedLog.scan`."""
        log = cast(ScannedLog, self._tier(ScannedLog))
        return log.scan([(self._own(t), p) for t, p in partitions], limit)

    def tree(self, topic: str, partition: int) -> PartitionTree | None:
        """See :meth:`ProvableLog.tree`."""
        return self._provable().tree(self._own(topic), partition)

    def leaf_index(self, topic: str, partition: int, offset: int) -> int | None:
        """See :meth:`ProvableLog.leaf_index`."""
        return self._provable().leaf_index(self._own(topic), partition, offset)

    def checkpoints(self, namespace: str) -> list[StoredCheckpoint]:
        """See :meth:`ProvableLog.checkpoints` (of this namespace only)."""
        return self._provable().checkpoints(self._same(namespace))

    def store_checkpoints(self, namespace: str, notes: Sequence[NewCheckpoint]) -> None:
        """See :meth:`CheckpointStore.store_checkpoints`."""
        store = cast(CheckpointStore, self._tier(CheckpointStore, write=True))
        store.store_checkpoints(self._same(namespace), notes)

    def store_notarized(
        self, namespace: str, runs: Sequence[LeafRun], notes: Sequence[NewCheckpoint]
    ) -> None:
        """See :meth:`NotarizedLog.store_notarized`."""
        for run in runs:
            self._own(run.topic)
        notarized = cast(NotarizedLog, self._tier(NotarizedLog, write=True))
        notarized.store_notarized(self._same(namespace), runs, notes)

    def stored_tree(self, topic: str, partition: int) -> StoredTree:
        """See :meth:`NotarizedLog.stored_tree`."""
        notarized = cast(NotarizedLog, self._tier(NotarizedLog))
        return notarized.stored_tree(self._own(topic), partition)

    def tree_size(self, topic: str, partition: int) -> int:
        """See :meth:`TreeCopies.tree_size`."""
        return cast(TreeCopies, self._tier(TreeCopies)).tree_size(self._own(topic), partition)

    def append_tree(
        self, topic: str, partition: int, items: Sequence[Record | bytes]
    ) -> list[Position]:
        """See :meth:`TreeCopies.append_tree`: a mirror's copy of a tree."""
        copies = cast(TreeCopies, self._tier(TreeCopies, write=True))
        return copies.append_tree(self._own(topic), partition, items)

    def notary_marks(self, namespace: str) -> dict[TopicPartition, NotaryMark]:
        """See :meth:`NotarizedLog.notary_marks`."""
        notarized = cast(NotarizedLog, self._tier(NotarizedLog))
        return notarized.notary_marks(self._same(namespace))

    def sign(self) -> int:
        """See :meth:`SigningLog.sign`."""
        return cast(SigningLog, self._tier(SigningLog, write=True)).sign()

    def rotate(self, signer: NoteSigner) -> None:
        """See :meth:`SigningLog.rotate`."""
        cast(SigningLog, self._tier(SigningLog, write=True)).rotate(signer)

    def _provable(self) -> ProvableLog:
        return cast(ProvableLog, self._tier(ProvableLog))

    def _same(self, namespace: str) -> str:
        if namespace != self.namespace:
            raise NotFound(f"namespace {namespace!r} is not this ledger's ({self.namespace!r})")
        return namespace
