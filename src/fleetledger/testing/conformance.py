"""The backend conformance suite: one abstract pytest class every backend subclasses unchanged.

::

    from fleetledger.testing.conformance import BackendConformance

    class TestMyBackend(BackendConformance):
        def make_backend(self) -> Backend:
            return MyBackend(...)

Each test checks one promise of the Protocols in :mod:`fleetledger.backends.protocols`, directly
with :class:`~fleetledger.backends.Record` values, and asserts only what their docstrings
promise, so memory, SQLite and Kafka are held to the same contract. Topic names are fresh in
every test, so a backend may share one broker or directory across tests.

A persistent backend subclasses :class:`DurableConformance` instead: calling
:meth:`make_backend` again within one test must then open the same stored log, which its
durability tests use.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from fleetledger.backends.protocols import (
    AlreadyStored,
    Backend,
    PartitionOffsets,
    Record,
    StoredRecord,
)
from fleetledger.errors import ConfigurationError, IdConflict, LedgerClosed, LedgerError
from fleetledger.events.envelope import Position
from fleetledger.testing import make_record
from fleetledger.topics import Cleanup, FamilyPolicy, partition_for

__all__ = ["BackendConformance", "DurableConformance"]


class BackendConformance:
    """Abstract: subclass it as ``Test...`` and implement :meth:`make_backend`."""

    gap_free_offsets: ClassVar[bool] = True
    """False for a backend whose offsets increase with gaps between appends (Kafka: a
    transaction's commit marker takes an offset). Such a backend is held to offsets that
    strictly increase in append order instead of to exact numbers after an earlier append."""

    def make_backend(self) -> Backend:
        """A new backend (for a durable one, the same stored log on every call in a test)."""
        raise NotImplementedError

    # -- fixtures and helpers ----------------------------------------------------------------

    @pytest.fixture
    def backend(self) -> Iterator[Backend]:
        """A fresh backend with two topics of two partitions each, closed after the test."""
        self._prefix = f"c{uuid.uuid4().hex[:12]}"
        self._opened: list[Backend] = []
        backend = self.open()
        backend.create_topics({self.task: _policy("task"), self.tool: _policy("tool")})
        yield backend
        for opened in self._opened:
            opened.close()

    def open(self) -> Backend:
        """:meth:`make_backend`, remembered so the fixture closes it."""
        backend = self.make_backend()
        self._opened.append(backend)
        return backend

    def topic(self, family: str) -> str:
        """This test's topic for ``family``."""
        return f"{self._prefix}.{family}"

    @property
    def task(self) -> str:
        """A topic of two partitions, kept forever."""
        return self.topic("task")

    @property
    def tool(self) -> str:
        """A second topic of two partitions, kept forever."""
        return self.topic("tool")

    def record(self, topic: str | None = None, partition: int = 0, **columns: Any) -> Record:
        """A record for ``topic`` (the task topic by default) with a fresh id."""
        return make_record(topic or self.task, partition, **columns)

    def group(self, name: str) -> str:
        """This test's name for consumer group ``name`` (brokers keep groups across tests)."""
        return f"{self._prefix}-{name}"

    def assert_continues(self, position: Position, expected: Position) -> None:
        """``position`` is ``expected`` on a gap-free backend, else at or after it."""
        if self.gap_free_offsets:
            assert position == expected
        else:
            assert position[:2] == expected[:2]
            assert position.offset >= expected.offset

    def timed(self, backend: Backend, policy: FamilyPolicy, times: list[int]) -> str:
        """Create a one-partition topic under ``policy``; append one record per recorded time."""
        topic = self.topic(policy.family)
        backend.create_topics({topic: policy})
        backend.append([self.record(topic, recorded_ms=ms, key=f"k{ms}") for ms in times])
        return topic

    @staticmethod
    def stored(backend: Backend, topic: str, partition: int = 0) -> list[StoredRecord]:
        """Every record a partition holds."""
        return backend.read(topic, partition, 0, 1_000_000)

    @staticmethod
    def offsets_of(backend: Backend, topic: str, partition: int = 0) -> list[int]:
        """The offsets a partition holds, in read order."""
        return [r.offset for r in backend.read(topic, partition, 0, 1_000_000)]

    # -- topics ------------------------------------------------------------------------------

    def test_created_topics_are_listed_with_their_policies(self, backend: Backend) -> None:
        """topics() returns every created topic with the policy it was created with."""
        topics = backend.topics()
        assert topics[self.task] == _policy("task")
        assert topics[self.tool] == _policy("tool")

    def test_a_new_topic_has_every_partition_empty_at_offset_zero(self, backend: Backend) -> None:
        """A created topic's partitions all start and end at offset 0."""
        assert backend.offsets(self.task) == [PartitionOffsets(0, 0), PartitionOffsets(0, 0)]

    def test_creating_existing_topics_again_changes_nothing(self, backend: Backend) -> None:
        """create_topics is idempotent: stored records and offsets survive a second call."""
        backend.append([self.record()])
        backend.create_topics({self.task: _policy("task"), self.tool: _policy("tool")})
        assert backend.offsets(self.task) == [PartitionOffsets(0, 1), PartitionOffsets(0, 0)]
        assert len(self.stored(backend, self.task)) == 1

    def test_creating_a_topic_with_another_partition_count_is_refused(
        self, backend: Backend
    ) -> None:
        """Changing an existing topic's partition count raises ConfigurationError."""
        with pytest.raises(ConfigurationError):
            backend.create_topics({self.task: _policy("task", partitions=3)})
        assert len(backend.offsets(self.task)) == 2

    def test_creating_topics_adds_new_ones_next_to_existing_ones(self, backend: Backend) -> None:
        """A later create_topics call adds its topics and keeps the earlier ones."""
        backend.create_topics({self.topic("extra"): _policy("extra", partitions=1)})
        assert {self.task, self.tool, self.topic("extra")} <= set(backend.topics())
        assert backend.offsets(self.topic("extra")) == [PartitionOffsets(0, 0)]

    # -- append ------------------------------------------------------------------------------

    def test_append_assigns_gap_free_offsets_per_partition_from_zero(
        self, backend: Backend
    ) -> None:
        """Each partition numbers its records 0, 1, 2, ... independently of the others."""
        records = [self.record(partition=p) for p in (0, 1, 0, 0, 1)]
        positions = backend.append(records)
        assert [p.offset for p in positions] == [0, 0, 1, 2, 1]
        assert self.offsets_of(backend, self.task, 0) == [0, 1, 2]
        assert self.offsets_of(backend, self.task, 1) == [0, 1]

    def test_append_returns_each_records_position_in_order(self, backend: Backend) -> None:
        """The positions returned name the topic and partition of each record, in order."""
        records = [self.record(self.task, 1), self.record(self.tool, 0)]
        assert backend.append(records) == [Position(self.task, 1, 0), Position(self.tool, 0, 0)]

    def test_offsets_continue_across_appends(self, backend: Backend) -> None:
        """A later append continues where the previous one ended."""
        backend.append([self.record(), self.record()])
        (position,) = backend.append([self.record()])
        self.assert_continues(position, Position(self.task, 0, 2))
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, position.offset + 1)

    def test_appending_nothing_returns_no_positions(self, backend: Backend) -> None:
        """An empty batch stores nothing and returns an empty list."""
        assert backend.append([]) == []
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 0)

    def test_a_batch_naming_a_missing_topic_stores_nothing(self, backend: Backend) -> None:
        """Atomic batches: one record for a missing topic fails the whole batch."""
        batch = [self.record(), self.record(self.topic("missing"))]
        with pytest.raises(LedgerError):
            backend.append(batch)
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 0)
        assert backend.find(batch[0].id) is None

    def test_a_batch_naming_a_missing_partition_stores_nothing(self, backend: Backend) -> None:
        """Atomic batches: one record for a partition past the last fails the whole batch."""
        batch = [self.record(partition=0), self.record(partition=2)]
        with pytest.raises(LedgerError):
            backend.append(batch)
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 0)
        assert backend.find(batch[0].id) is None

    def test_reappending_a_stored_id_returns_its_original_position(self, backend: Backend) -> None:
        """A record whose id is stored with the same bytes is not stored again; its first
        position is returned, marked as already stored."""
        first = self.record()
        backend.append([first, self.record()])
        (again,) = backend.append([first._replace(recorded_ms=99)])
        assert again == Position(self.task, 0, 0)
        assert isinstance(again, AlreadyStored)
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 2)

    def test_a_stored_id_with_other_bytes_is_a_conflict(self, backend: Backend) -> None:
        """An id stored with other content is refused, naming where the original is, and
        nothing of the batch is stored."""
        first = self.record()
        backend.append([first])
        other = first._replace(body=b'{"other":"body"}')
        with pytest.raises(IdConflict) as caught:
            backend.append([self.record(), other])
        assert caught.value.position == Position(self.task, 0, 0)
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 1)
        assert backend.read(self.task, 0, 0, 1)[0].body == first.body

    def test_an_id_repeated_with_other_bytes_in_one_batch_is_a_conflict(
        self, backend: Backend
    ) -> None:
        """Two records of one id with different bytes in one batch: nothing is stored."""
        first = self.record()
        with pytest.raises(IdConflict):
            backend.append([first, first._replace(body=b'{"other":"body"}')])
        assert backend.offsets(self.task)[0] == PartitionOffsets(0, 0)

    def test_a_stored_id_in_a_new_batch_does_not_stop_the_others(self, backend: Backend) -> None:
        """A batch mixing a stored id with new ones stores only the new ones, gap-free."""
        first = self.record()
        backend.append([first])
        positions = backend.append([self.record(), first, self.record()])
        assert [p.offset for p in positions] == [1, 0, 2]
        assert self.offsets_of(backend, self.task) == [0, 1, 2]

    def test_an_id_is_unique_across_topics(self, backend: Backend) -> None:
        """An id stored in one topic is not stored again in another: the log holds it once."""
        first = self.record(self.task)
        backend.append([first])
        assert backend.append([first._replace(topic=self.tool)]) == [Position(self.task, 0, 0)]
        assert backend.offsets(self.tool)[0] == PartitionOffsets(0, 0)

    def test_an_id_repeated_inside_one_batch_is_stored_once(self, backend: Backend) -> None:
        """Both occurrences of a repeated id get the position of the first."""
        twice = self.record()
        positions = backend.append([twice, self.record(), twice])
        first, second = Position(self.task, 0, 0), Position(self.task, 0, 1)
        assert positions == [first, second, first]
        assert self.offsets_of(backend, self.task) == [0, 1]

    def test_concurrent_appends_get_gap_free_offsets(self, backend: Backend) -> None:
        """Appends from many threads at once still number each partition 0..n-1."""
        results: list[Position] = []
        lock = threading.Lock()

        def write(partition: int) -> None:
            for _ in range(25):
                positions = backend.append([self.record(partition=partition) for _ in range(2)])
                with lock:
                    results.extend(positions)

        threads = [threading.Thread(target=write, args=(n % 2,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for partition in (0, 1):
            returned = sorted(p.offset for p in results if p.partition == partition)
            assert self.offsets_of(backend, self.task, partition) == returned
            assert len(set(returned)) == 200
            if self.gap_free_offsets:
                assert returned == list(range(200))

    def test_a_record_is_read_back_exactly_as_appended(self, backend: Backend) -> None:
        """Every column comes back unchanged, with the offset the append returned."""
        record = self.record(
            partition=1, key="clé-1", subject="tâche 1", type="task.started", recorded_ms=12345
        )
        (position,) = backend.append([record])
        (stored,) = backend.read(self.task, 1, 0, 10)
        assert stored == StoredRecord(record.topic, 1, position.offset, *record[2:8])
        assert stored.position == position

    def test_bodies_are_byte_identical_on_read(self, backend: Backend) -> None:
        """Bodies are opaque bytes: any byte value, including invalid UTF-8, round-trips."""
        bodies = [bytes(range(256)), b"\x00", b'{"a":1}\n', "é€😀".encode() + b"\xff\xfe"]
        records = [self.record(body=body) for body in bodies]
        backend.append(records)
        assert [r.body for r in self.stored(backend, self.task)] == bodies
        assert all(type(r.body) is bytes for r in self.stored(backend, self.task))
        found = backend.find(records[0].id)
        assert found is not None
        assert found.body == bodies[0]

    # -- read --------------------------------------------------------------------------------

    def test_read_returns_records_from_an_offset_in_offset_order(self, backend: Backend) -> None:
        """read(topic, partition, offset, limit) starts at offset and keeps offset order."""
        records = [self.record() for _ in range(5)]
        backend.append(records)
        assert [r.id for r in backend.read(self.task, 0, 2, 10)] == [r.id for r in records[2:]]

    def test_read_returns_at_most_limit_records(self, backend: Backend) -> None:
        """read never returns more than limit records."""
        backend.append([self.record() for _ in range(5)])
        assert [r.offset for r in backend.read(self.task, 0, 1, 2)] == [1, 2]

    def test_read_at_the_end_returns_nothing(self, backend: Backend) -> None:
        """Reading from the end offset (or past it) returns an empty list."""
        backend.append([self.record() for _ in range(3)])
        assert backend.read(self.task, 0, 3, 10) == []
        assert backend.read(self.task, 0, 50, 10) == []

    def test_read_keeps_partitions_apart(self, backend: Backend) -> None:
        """A partition's read returns only that partition's records."""
        backend.append([self.record(partition=0), self.record(partition=1)])
        assert [r.partition for r in self.stored(backend, self.task, 1)] == [1]

    def test_offsets_give_start_and_end_of_every_partition(self, backend: Backend) -> None:
        """offsets(topic) lists (start, end) by partition number; end is the next to write."""
        backend.append([self.record(partition=1) for _ in range(3)])
        assert backend.offsets(self.task) == [PartitionOffsets(0, 0), PartitionOffsets(0, 3)]

    def test_read_subject_follows_append_order_across_topics(self, backend: Backend) -> None:
        """A subject's records come back in the order they were appended, whatever the topic."""

        def of(topic: str, subject: str) -> Record:
            # As the ledger does for task-keyed topics: the key is the subject.
            return self.record(topic, partition_for(subject, 2), key=subject, subject=subject)

        order = [of(self.task, "s-1"), of(self.tool, "s-1"), of(self.task, "other")]
        order.append(of(self.task, "s-1"))
        backend.append(order[:2])
        backend.append(order[2:3])
        backend.append(order[3:])
        last = of(self.tool, "s-1")
        backend.append([last])
        ids = [r.id for r in backend.read_subject("s-1")]
        assert ids == [order[0].id, order[1].id, order[3].id, last.id]

    def test_read_subject_of_an_unknown_subject_is_empty(self, backend: Backend) -> None:
        """A subject with no records reads as an empty list."""
        backend.append([self.record(subject="s-1")])
        assert backend.read_subject("nobody") == []

    def test_bodies_are_the_offsets_and_bytes_of_the_records_read_returns(
        self, backend: Backend
    ) -> None:
        """bodies() pages through a partition as read() does, without the other columns."""
        backend.append([self.record(partition=1, body=f"b{n}".encode()) for n in range(5)])
        records = backend.read(self.task, 1, 0, 100)
        assert backend.bodies(self.task, 1, 0, 100) == [(r.offset, r.body) for r in records]
        second = records[2].offset
        assert backend.bodies(self.task, 1, second, 2) == [
            (second, b"b2"),
            (records[3].offset, b"b3"),
        ]

    def test_subject_bodies_are_the_records_read_subject_returns(self, backend: Backend) -> None:
        """subject_bodies() gives each record of a subject's position and bytes, in order."""
        key = partition_for("s-1", 2)
        backend.append([self.record(self.task, key, key="s-1", subject="s-1")])
        backend.append([self.record(self.tool, key, key="s-1", subject="s-1")])
        backend.append([self.record(self.task, key, key="s-2", subject="s-2")])
        expected = [(r.topic, r.partition, r.offset, r.body) for r in backend.read_subject("s-1")]
        assert backend.subject_bodies("s-1") == expected
        assert len(expected) == 2
        assert backend.subject_bodies("nobody") == []

    def test_find_returns_the_stored_record_with_that_id(self, backend: Backend) -> None:
        """find(id) returns the record and its position."""
        records = [self.record(), self.record(partition=1)]
        backend.append(records)
        found = backend.find(records[1].id)
        assert found is not None
        assert found.position == Position(self.task, 1, 0)
        assert found.body == records[1].body

    def test_find_of_an_unknown_id_returns_none(self, backend: Backend) -> None:
        """find returns None for an id the log does not hold."""
        backend.append([self.record()])
        assert backend.find("no-such-id") is None

    def test_offset_for_time_finds_the_first_record_at_or_after(self, backend: Backend) -> None:
        """offset_for_time returns the first offset recorded at or after the time."""
        backend.append([self.record(recorded_ms=ms) for ms in (100, 200, 200, 300)])
        assert backend.offset_for_time(self.task, 0, 200) == 1
        assert backend.offset_for_time(self.task, 0, 201) == 3
        assert backend.offset_for_time(self.task, 0, 50) == 0

    def test_offset_for_time_after_the_last_record_is_the_end(self, backend: Backend) -> None:
        """A time later than every record maps to the end offset."""
        backend.append([self.record(recorded_ms=ms) for ms in (100, 200)])
        assert backend.offset_for_time(self.task, 0, 201) == 2
        assert backend.offset_for_time(self.task, 1, 0) == 0

    # -- consumer groups ---------------------------------------------------------------------

    def test_a_group_that_never_committed_has_no_offsets(self, backend: Backend) -> None:
        """committed() of an unknown group is empty."""
        assert backend.committed(self.group("readers")) == {}

    def test_commit_stores_the_next_offset_of_each_partition(self, backend: Backend) -> None:
        """committed() returns what commit() stored."""
        backend.commit(
            self.group("readers"), {(self.task, 0): 3, (self.task, 1): 0, (self.tool, 1): 7}
        )
        assert backend.committed(self.group("readers")) == {
            (self.task, 0): 3,
            (self.task, 1): 0,
            (self.tool, 1): 7,
        }

    def test_a_later_commit_moves_only_the_partitions_it_names(self, backend: Backend) -> None:
        """Committing one partition keeps the group's other partitions where they were."""
        backend.commit(self.group("readers"), {(self.task, 0): 3, (self.task, 1): 2})
        backend.commit(self.group("readers"), {(self.task, 0): 5})
        assert backend.committed(self.group("readers")) == {(self.task, 0): 5, (self.task, 1): 2}

    def test_groups_commit_independently(self, backend: Backend) -> None:
        """One group's commit does not move another group."""
        backend.commit(self.group("audit"), {(self.task, 0): 1})
        backend.commit(self.group("runtime"), {(self.task, 0): 9})
        assert backend.committed(self.group("audit")) == {(self.task, 0): 1}

    def test_groups_lists_every_group_that_committed_sorted(self, backend: Backend) -> None:
        """groups() names each group that ever committed, in sorted order."""
        ours = [self.group(name) for name in ("runtime", "audit", "eval")]
        for group in ours:
            backend.commit(group, {(self.task, 0): 0})
        names = backend.groups()
        assert [g for g in names if g in ours] == sorted(ours)
        assert names == sorted(names)

    def test_an_append_with_offsets_commits_them_with_its_records(self, backend: Backend) -> None:
        """append(..., offsets=(group, ...)) stores the records and commits the group's next
        offsets (what a projection whose output is events relies on)."""
        group = self.group("projection")
        positions = backend.append([self.record(self.tool)], offsets=(group, {(self.task, 1): 4}))
        assert [p[:2] for p in positions] == [(self.tool, 0)]
        assert len(self.stored(backend, self.tool)) == 1
        assert backend.committed(group) == {(self.task, 1): 4}

    def test_an_append_of_nothing_with_offsets_commits_them(self, backend: Backend) -> None:
        """A batch that produced no records still commits its offsets."""
        group = self.group("projection")
        assert backend.append([], offsets=(group, {(self.task, 0): 2})) == []
        assert backend.committed(group) == {(self.task, 0): 2}

    def test_a_refused_append_commits_none_of_its_offsets(self, backend: Backend) -> None:
        """An append refused for an id conflict stores nothing and leaves the group where it
        was: records and offsets go together or not at all."""
        group = self.group("projection")
        first = self.record()
        backend.append([first], offsets=(group, {(self.task, 0): 1}))
        other = first._replace(body=b'{"other":"body"}')
        with pytest.raises(IdConflict):
            backend.append([self.record(), other], offsets=(group, {(self.task, 0): 5}))
        assert backend.committed(group) == {(self.task, 0): 1}
        assert [r.id for r in self.stored(backend, self.task)] == [first.id]

    # -- retention and compaction ------------------------------------------------------------

    def test_time_retention_removes_records_recorded_before_the_window(
        self, backend: Backend
    ) -> None:
        """Records older than now - retention_ms go; the count removed is returned."""
        policy = _policy("diag", partitions=1, retention_ms=1000)
        topic = self.timed(backend, policy, [0, 500, 1500, 2000])
        assert backend.enforce_retention(now_ms=2400) == 2
        assert self.offsets_of(backend, topic) == [2, 3]
        assert backend.offsets(topic) == [PartitionOffsets(2, 4)]

    def test_time_retention_keeps_a_record_exactly_at_the_window_edge(
        self, backend: Backend
    ) -> None:
        """A record recorded exactly retention_ms ago is still retained."""
        policy = _policy("diag", partitions=1, retention_ms=1000)
        topic = self.timed(backend, policy, [999, 1000, 1001])
        assert backend.enforce_retention(now_ms=2000) == 1
        assert self.offsets_of(backend, topic) == [1, 2]

    def test_size_retention_keeps_the_newest_records_within_the_limit(
        self, backend: Backend
    ) -> None:
        """With retention_bytes, the oldest records go until the bodies fit the limit."""
        topic = self.topic("sized")
        backend.create_topics({topic: _policy("sized", partitions=1, retention_bytes=25)})
        backend.append([self.record(topic, body=b"x" * 10) for _ in range(5)])
        assert backend.enforce_retention(now_ms=0) == 3
        assert self.offsets_of(backend, topic) == [3, 4]

    def test_retention_leaves_topics_kept_forever_alone(self, backend: Backend) -> None:
        """A topic without retention keeps every record however old."""
        backend.append([self.record(recorded_ms=0) for _ in range(3)])
        assert backend.enforce_retention(now_ms=10**15) == 0
        assert self.offsets_of(backend, self.task) == [0, 1, 2]

    def test_retention_with_nothing_expired_removes_nothing(self, backend: Backend) -> None:
        """enforce_retention returns 0 when no record is past its policy.

        The records are recorded now and kept a day: a broker that applies retention on its
        own clock (Kafka) must not remove them either while the test runs.
        """
        now = int(time.time() * 1000)
        policy = _policy("diag", partitions=1, retention_ms=_DAY_MS)
        topic = self.timed(backend, policy, [now, now + 500])
        assert backend.enforce_retention(now_ms=now + 800) == 0
        assert self.offsets_of(backend, topic) == [0, 1]

    def test_expired_records_can_no_longer_be_found(self, backend: Backend) -> None:
        """A removed record is gone from find, read and read_subject."""
        topic = self.topic("diag")
        backend.create_topics({topic: _policy("diag", partitions=1, retention_ms=10)})
        old = self.record(topic, recorded_ms=0, subject="s-1")
        backend.append([old, self.record(topic, recorded_ms=100, subject="s-1")])
        backend.enforce_retention(now_ms=100)
        assert backend.find(old.id) is None
        assert [r.offset for r in backend.read_subject("s-1")] == [1]
        assert self.offsets_of(backend, topic) == [1]

    def test_offsets_never_restart_after_retention_empties_a_partition(
        self, backend: Backend
    ) -> None:
        """When every record expired, start = end = the old end, and appends continue from it."""
        policy = _policy("diag", partitions=1, retention_ms=10)
        topic = self.timed(backend, policy, [0, 1, 2])
        assert backend.enforce_retention(now_ms=1000) == 3
        assert backend.offsets(topic) == [PartitionOffsets(3, 3)]
        assert backend.append([self.record(topic, recorded_ms=1000)]) == [Position(topic, 0, 3)]

    def test_compaction_keeps_only_the_latest_record_of_each_key(self, backend: Backend) -> None:
        """A compacted topic keeps the newest record per key; survivors keep their offsets."""
        topic = self.topic("state")
        backend.create_topics({topic: _policy("state", partitions=1, cleanup=Cleanup.COMPACT)})
        keys = ["a", "b", "a", "c", "b", "a"]
        records = [self.record(topic, key=key) for key in keys]
        backend.append(records)
        assert backend.enforce_retention(now_ms=0) == 3
        survivors = self.stored(backend, topic)
        assert [(r.offset, r.key) for r in survivors] == [(3, "c"), (4, "b"), (5, "a")]
        assert [r.id for r in survivors] == [records[i].id for i in (3, 4, 5)]
        assert backend.offsets(topic) == [PartitionOffsets(3, 6)]

    def test_compaction_keeps_the_latest_record_of_a_key_in_each_partition(
        self, backend: Backend
    ) -> None:
        """Compaction works per partition: a key's latest record survives in every partition."""
        topic = self.topic("state")
        backend.create_topics({topic: _policy("state", partitions=2, cleanup=Cleanup.COMPACT)})
        backend.append([self.record(topic, p, key="a") for p in (0, 1, 0, 1)])
        assert backend.enforce_retention(now_ms=0) == 2
        assert self.offsets_of(backend, topic, 0) == [1]
        assert self.offsets_of(backend, topic, 1) == [1]

    def test_compaction_does_not_touch_a_delete_topic(self, backend: Backend) -> None:
        """Records sharing a key in a topic that deletes (not compacts) are all kept."""
        backend.append([self.record(key="same") for _ in range(3)])
        assert backend.enforce_retention(now_ms=0) == 0
        assert self.offsets_of(backend, self.task) == [0, 1, 2]

    def test_appends_after_compaction_continue_the_offsets(self, backend: Backend) -> None:
        """Compaction never changes where the next record goes."""
        topic = self.topic("state")
        backend.create_topics({topic: _policy("state", partitions=1, cleanup=Cleanup.COMPACT)})
        backend.append([self.record(topic, key="a") for _ in range(3)])
        backend.enforce_retention(now_ms=0)
        (position,) = backend.append([self.record(topic, key="a")])
        self.assert_continues(position, Position(topic, 0, 3))

    # -- lifecycle ---------------------------------------------------------------------------

    def test_a_closed_backend_refuses_appends(self, backend: Backend) -> None:
        """append after close raises LedgerClosed."""
        backend.close()
        with pytest.raises(LedgerClosed):
            backend.append([self.record()])

    def test_a_closed_backend_refuses_reads(self, backend: Backend) -> None:
        """read, find and offsets after close raise LedgerClosed."""
        record = self.record()
        backend.append([record])
        backend.close()
        with pytest.raises(LedgerClosed):
            backend.read(self.task, 0, 0, 10)
        with pytest.raises(LedgerClosed):
            backend.find(record.id)
        with pytest.raises(LedgerClosed):
            backend.offsets(self.task)

    def test_a_closed_backend_refuses_commits(self, backend: Backend) -> None:
        """commit after close raises LedgerClosed."""
        backend.close()
        with pytest.raises(LedgerClosed):
            backend.commit(self.group("readers"), {(self.task, 0): 1})

    def test_closing_twice_is_harmless(self, backend: Backend) -> None:
        """close() may be called again without error."""
        backend.close()
        backend.close()


class DurableConformance(BackendConformance):
    """For a backend whose stored log outlives the object: a second :meth:`make_backend` in
    one test opens the same stored log, which these tests use. Subclass it instead of
    :class:`BackendConformance` for such a backend."""

    def test_acknowledged_records_survive_reopening(self, backend: Backend) -> None:
        """Every acknowledged record is there, unchanged, in a newly opened backend."""
        records = [self.record(partition=p) for p in (0, 1, 0)]
        backend.append(records)
        backend.close()
        reopened = self.open()
        assert [r.id for r in self.stored(reopened, self.task)] == [records[0].id, records[2].id]
        assert reopened.topics()[self.task] == _policy("task")
        found = reopened.find(records[1].id)
        assert found is not None
        assert found.body == records[1].body

    def test_an_append_is_visible_to_another_open_backend_when_it_returns(
        self, backend: Backend
    ) -> None:
        """A second backend on the same store sees a record as soon as append returned."""
        other = self.open()
        record = self.record()
        backend.append([record])
        found = other.find(record.id)
        assert found is not None
        assert found.position == Position(self.task, 0, 0)

    def test_offsets_continue_after_reopening(self, backend: Backend) -> None:
        """A reopened backend appends after the last stored offset."""
        backend.append([self.record(), self.record()])
        backend.close()
        (position,) = self.open().append([self.record()])
        self.assert_continues(position, Position(self.task, 0, 2))

    def test_idempotent_ids_survive_reopening(self, backend: Backend) -> None:
        """Re-appending a stored id after reopening still returns its first position."""
        record = self.record(partition=1)
        backend.append([record])
        backend.close()
        assert self.open().append([record]) == [Position(self.task, 1, 0)]

    def test_offsets_never_restart_after_retention_and_reopening(self, backend: Backend) -> None:
        """A partition emptied by retention continues from its old end after reopening."""
        topic = self.timed(backend, _policy("diag", partitions=1, retention_ms=10), [0, 1])
        backend.enforce_retention(now_ms=1000)
        backend.close()
        reopened = self.open()
        assert reopened.offsets(topic) == [PartitionOffsets(2, 2)]
        assert reopened.append([self.record(topic, recorded_ms=1000)]) == [Position(topic, 0, 2)]

    def test_committed_offsets_survive_reopening(self, backend: Backend) -> None:
        """A group's committed offsets are there in a newly opened backend."""
        backend.commit(self.group("readers"), {(self.task, 1): 4})
        backend.close()
        assert self.open().committed(self.group("readers")) == {(self.task, 1): 4}


_DAY_MS = 86_400_000


def _policy(family: str, partitions: int = 2, **options: Any) -> FamilyPolicy:
    return FamilyPolicy(family=family, partitions=partitions, **options)
