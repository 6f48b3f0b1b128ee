"""The in-process backend: the reference semantics of the Protocols, for tests and examples.

Nothing survives the process; everything else (gap-free offsets, idempotent ids, atomic
batches, retention, compaction, groups) behaves as on SQLite and Kafka.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Mapping, Sequence

from fleetledger.backends.leases import LeasedMember, now_ms, rebalance
from fleetledger.backends.protocols import (
    AlreadyStored,
    Commit,
    Guard,
    PartitionOffsets,
    Record,
    StoredRecord,
    TopicPartition,
)
from fleetledger.errors import ConfigurationError, Fenced, IdConflict, LedgerClosed, NotFound
from fleetledger.events.identity import same_event
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy
from fleetledger.types import Position


class _Partition:
    def __init__(self) -> None:
        self.records: list[StoredRecord] = []
        self.next_offset = 0

    @property
    def start(self) -> int:
        return self.records[0].offset if self.records else self.next_offset


class MemoryBackend:
    """Thread-safe in-memory log."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._policies: dict[str, FamilyPolicy] = {}
        self._partitions: dict[TopicPartition, _Partition] = {}
        self._by_id: dict[str, StoredRecord] = {}
        self._seq: list[StoredRecord] = []
        self._groups: dict[str, dict[TopicPartition, int]] = {}
        self._members: dict[str, dict[str, int]] = {}
        """Per group, each member's expiry (ms) (see :mod:`fleetledger.backends.leases`)."""
        self._leases: dict[str, dict[TopicPartition, tuple[str, int]]] = {}
        """Per group, each partition's lease: its holder and epoch."""
        self._dead: dict[str, list[bytes]] = {}
        self._closed = False

    def create_topics(self, policies: Mapping[str, FamilyPolicy]) -> None:
        with self._lock:
            self._check_open()
            for topic, policy in policies.items():
                existing = self._policies.get(topic)
                if existing is not None and existing.partitions != policy.partitions:
                    raise ConfigurationError(
                        f"topic {topic!r} has {existing.partitions} partitions, "
                        f"the policy asks for {policy.partitions}",
                    )
                self._policies[topic] = policy
                for p in range(policy.partitions):
                    self._partitions.setdefault((topic, p), _Partition())

    def topics(self) -> dict[str, FamilyPolicy]:
        with self._lock:
            self._check_open()
            return dict(self._policies)

    def offsets(self, topic: str) -> list[PartitionOffsets]:
        with self._lock:
            self._check_open()
            policy = self._policy(topic)
            parts = [self._partitions[(topic, p)] for p in range(policy.partitions)]
            return [PartitionOffsets(part.start, part.next_offset) for part in parts]

    def append(
        self,
        records: Sequence[Record],
        *,
        guard: Guard | None = None,
        offsets: Commit | None = None,
    ) -> list[Position]:
        with self._lock:  # re-entrant: the guard reads histories under it
            self._check_open()
            if guard is not None:
                records = guard(records, self.subject_bodies)
            for record in records:
                self._partition(record.topic, record.partition)
            self._refuse_conflicts(records)
            if offsets is not None:  # nothing can fail from here on: both happen or neither
                for topic, partition in offsets[1]:
                    self._partition(topic, partition)
                self._groups.setdefault(offsets[0], {}).update(offsets[1])
            positions: list[Position] = []
            for r in records:
                stored = self._by_id.get(r.id)
                if stored is not None:
                    positions.append(AlreadyStored(*stored.position))
                    continue
                part = self._partitions[(r.topic, r.partition)]
                stored = StoredRecord(
                    r.topic,
                    r.partition,
                    part.next_offset,
                    r.key,
                    r.id,
                    r.subject,
                    r.type,
                    r.recorded_ms,
                    r.body,
                )
                part.records.append(stored)
                part.next_offset += 1
                self._by_id[r.id] = stored
                self._seq.append(stored)
                positions.append(stored.position)
            return positions

    def _refuse_conflicts(self, records: Sequence[Record]) -> None:
        """Raise :class:`IdConflict` before anything is stored if an id is taken otherwise."""
        seen: dict[str, tuple[Position | None, bytes]] = {}
        for r in records:
            stored = self._by_id.get(r.id)
            first = (stored.position, stored.body) if stored is not None else seen.get(r.id)
            if first is None:
                seen[r.id] = (None, r.body)
            elif not same_event(first[1], r.body):
                where = first[0] or f"{r.topic}/{r.partition} (earlier in this batch)"
                raise IdConflict(r.id, where)

    def read(self, topic: str, partition: int, offset: int, limit: int) -> list[StoredRecord]:
        with self._lock:
            self._check_open()
            records = self._partition(topic, partition).records
            i = bisect_left(records, offset, key=lambda r: r.offset)
            return records[i : i + limit]

    def read_subject(self, subject: str) -> list[StoredRecord]:
        with self._lock:
            self._check_open()
            return [r for r in self._seq if r.subject == subject and self._by_id.get(r.id) is r]

    def bodies(
        self, topic: str, partition: int, offset: int, limit: int
    ) -> list[tuple[int, bytes]]:
        return [(r.offset, r.body) for r in self.read(topic, partition, offset, limit)]

    def subject_bodies(self, subject: str) -> list[tuple[str, int, int, bytes]]:
        return [(r.topic, r.partition, r.offset, r.body) for r in self.read_subject(subject)]

    def find(self, event_id: str) -> StoredRecord | None:
        with self._lock:
            self._check_open()
            return self._by_id.get(event_id)

    def offset_for_time(self, topic: str, partition: int, ms: int) -> int:
        with self._lock:
            self._check_open()
            part = self._partition(topic, partition)
            i = bisect_left(part.records, ms, key=lambda r: r.recorded_ms)
            return part.records[i].offset if i < len(part.records) else part.next_offset

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        with self._lock:
            self._check_open()
            self._groups.setdefault(group, {}).update(offsets)

    def committed(self, group: str) -> dict[TopicPartition, int]:
        with self._lock:
            self._check_open()
            return dict(self._groups.get(group, {}))

    def groups(self) -> list[str]:
        with self._lock:
            self._check_open()
            return sorted(self._groups)

    def delete_group(self, group: str) -> bool:
        with self._lock:
            self._check_open()
            return self._groups.pop(group, None) is not None

    # -- members (see fleetledger.backends.leases) --------------------------------------------

    def join(
        self, group: str, topics: Sequence[str], member: str, session_timeout: float
    ) -> LeasedMember:
        partitions = [(t, p) for t in topics for p in range(self._policy(t).partitions)]
        return LeasedMember(self, group, member, partitions, session_timeout)

    def renew(self, group: str, member: str, session_ms: int, *, join: bool) -> bool:
        with self._lock:
            self._check_open()
            members = self._members.setdefault(group, {})
            expires = members.get(member)
            if not join and (expires is None or expires <= now_ms()):
                return False
            members[member] = now_ms() + session_ms
            return True

    def take(
        self, group: str, member: str, partitions: Sequence[TopicPartition], session_ms: int
    ) -> dict[TopicPartition, int]:
        with self._lock:
            self.renew(group, member, session_ms, join=True)
            members = self._members[group]
            live = sorted(m for m, expires in members.items() if expires > now_ms())
            for gone in set(members) - set(live):
                del members[gone]
            leases = self._leases.setdefault(group, {})
            holders = {tp: holder for tp, (holder, _) in leases.items()}
            moves = rebalance(member, live, partitions, holders)
            for tp in moves.release:
                del leases[tp]
            for tp in moves.claim:
                leases[tp] = (member, leases.get(tp, ("", 0))[1] + 1)
            return {tp: epoch for tp, (holder, epoch) in leases.items() if holder == member}

    def commit_leased(
        self,
        group: str,
        member: str,
        epochs: Mapping[TopicPartition, int],
        offsets: Mapping[TopicPartition, int],
    ) -> None:
        with self._lock:
            self._check_open()
            if self._members.get(group, {}).get(member, 0) <= now_ms():
                raise Fenced(f"member {member} of group {group!r} is no longer a member")
            leases = self._leases.get(group, {})
            for tp in offsets:
                if leases.get(tp) != (member, epochs.get(tp)):
                    raise Fenced(
                        f"member {member} of group {group!r} no longer holds {tp[0]}/{tp[1]}"
                    )
            self.commit(group, offsets)

    def part(self, group: str, member: str) -> None:
        with self._lock:
            self._check_open()
            self._members.get(group, {}).pop(member, None)
            leases = self._leases.get(group, {})
            for tp in [tp for tp, (holder, _) in leases.items() if holder == member]:
                del leases[tp]

    # -- dead letters ------------------------------------------------------------------------

    def add_dead_letters(self, topic: str, records: Sequence[bytes]) -> None:
        with self._lock:
            self._check_open()
            self._dead.setdefault(topic, []).extend(records)

    def dead_letters(self, topic: str) -> list[bytes]:
        with self._lock:
            self._check_open()
            return list(self._dead.get(topic, ()))

    def enforce_retention(self, now_ms: int) -> int:
        with self._lock:
            self._check_open()
            removed: set[str] = set()
            for (topic, _), part in self._partitions.items():
                policy = self._policies[topic]
                keep = _retained(part.records, policy, now_ms)
                removed.update(r.id for r in part.records if r.id not in keep)
                part.records = [r for r in part.records if r.id in keep]
            for event_id in removed:
                del self._by_id[event_id]
            self._seq = [r for r in self._seq if r.id not in removed]
            return len(removed)

    def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerClosed("the memory backend is closed")

    def _policy(self, topic: str) -> FamilyPolicy:
        policy = self._policies.get(topic)
        if policy is None:
            raise NotFound(f"no topic {topic!r}")
        return policy

    def _partition(self, topic: str, partition: int) -> _Partition:
        part = self._partitions.get((topic, partition))
        if part is None:
            raise NotFound(f"no partition {partition} in topic {topic!r}")
        return part


def _retained(records: list[StoredRecord], policy: FamilyPolicy, now_ms: int) -> set[str]:
    """Ids that survive the policy: compaction first, then time, then size from the oldest."""
    kept = records
    if policy.cleanup is Cleanup.COMPACT:
        latest = {r.key: r.offset for r in records}
        kept = [r for r in records if latest[r.key] == r.offset]
    if policy.retention_ms != FOREVER:
        kept = [r for r in kept if r.recorded_ms >= now_ms - policy.retention_ms]
    if policy.retention_bytes != FOREVER:
        total = sum(len(r.body) for r in kept)
        while kept and total > policy.retention_bytes:
            total -= len(kept[0].body)
            kept = kept[1:]
    return {r.id for r in kept}
