"""The ProvableLog conformance tier: leaves, leaf indexes and stored notes, on every backend.

::

    from fleetledger.testing.provable import ProvableConformance

    class TestMyBackend(ProvableConformance):
        def make_backend(self) -> Backend:
            return MyBackend(...)

It runs the whole :class:`~fleetledger.testing.conformance.DurableConformance` suite (a log
that keeps trees keeps its records across reopening) and then the promises of
:class:`~fleetledger.backends.protocols.ProvableLog` and
:class:`~fleetledger.backends.protocols.CheckpointStore`: whether a backend stores its leaves
(SQLite, Kafka's notary) or derives them from its records (Kafka, past the notary's newest
checkpoint), leaf ``i`` of a partition is the RFC 6962 leaf hash of its ``i``-th record, at
that record's offset, so ``verify``, ``prove`` and evidence bundles give the same answers
everywhere.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import pytest

from fleetledger.backends.protocols import (
    PARTITION,
    Backend,
    CheckpointStore,
    Leaf,
    NewCheckpoint,
    ProvableLog,
)
from fleetledger.errors import LedgerClosed
from fleetledger.integrity import Frontier, NoteSigner, leaf_hash, sign_checkpoint
from fleetledger.testing.conformance import DurableConformance
from fleetledger.topics import Cleanup, FamilyPolicy

__all__ = ["ProvableConformance"]


class _Provable(Backend, ProvableLog, CheckpointStore, Protocol):
    """What this tier tests: a backend that is also provable and stores notes."""


class ProvableConformance(DurableConformance):
    """Abstract: :meth:`make_backend` returns a backend that is a ProvableLog and a
    CheckpointStore."""

    def provable(self, backend: Backend) -> _Provable:
        """``backend``, checked to be provable."""
        assert isinstance(backend, ProvableLog)
        assert isinstance(backend, CheckpointStore)
        return cast(_Provable, backend)

    def fill(self, backend: Backend, count: int, partition: int = 0) -> list[Leaf]:
        """Append ``count`` records (singly and in one batch) and return the leaves they
        should have: each body's leaf hash at its offset, by index."""
        backend.append([self.record(partition=partition)])
        backend.append([self.record(partition=partition) for _ in range(count - 1)])
        records = self.stored(backend, self.task, partition)
        return [Leaf(i, leaf_hash(r.body), r.offset) for i, r in enumerate(records)]

    def note(self, topic: str, partition: int, size: int) -> NewCheckpoint:
        """A signed checkpoint of ``topic/partition`` at ``size`` (the root is arbitrary)."""
        signer = NoteSigner.generate("conformance.example.com")
        root = bytes([size % 256]) * 32
        origin = f"{self._prefix}/{topic}/{partition}"
        note = sign_checkpoint(origin, size, root, signer)
        return NewCheckpoint(PARTITION, topic, partition, size, root, note)

    # -- leaves ------------------------------------------------------------------------------

    def test_leaves_are_the_leaf_hashes_of_the_records_in_offset_order(
        self, backend: Backend
    ) -> None:
        expected = self.fill(backend, 7)
        assert self.provable(backend).leaves(self.task, 0, 0, 100) == expected

    def test_leaves_read_in_pages_are_the_leaves_read_at_once(self, backend: Backend) -> None:
        expected = self.fill(backend, 9)
        log = self.provable(backend)
        pages = [log.leaves(self.task, 0, start, 2) for start in range(0, 10, 2)]
        assert [leaf for page in pages for leaf in page] == expected

    def test_leaves_from_an_index_start_at_that_leaf(self, backend: Backend) -> None:
        expected = self.fill(backend, 6)
        assert self.provable(backend).leaves(self.task, 0, 4, 100) == expected[4:]

    def test_an_empty_partition_has_no_leaves(self, backend: Backend) -> None:
        self.fill(backend, 3, partition=0)
        assert self.provable(backend).leaves(self.task, 1, 0, 100) == []

    def test_each_stored_offset_maps_to_its_leaf_index(self, backend: Backend) -> None:
        expected = self.fill(backend, 5)
        log = self.provable(backend)
        assert [log.leaf_index(self.task, 0, leaf.offset) for leaf in expected] == list(range(5))

    def test_an_offset_past_the_end_has_no_leaf(self, backend: Backend) -> None:
        expected = self.fill(backend, 3)
        assert self.provable(backend).leaf_index(self.task, 0, expected[-1].offset + 5) is None

    def test_a_tree_the_log_keeps_is_the_tree_of_its_leaves(self, backend: Backend) -> None:
        expected = self.fill(backend, 11)
        kept = self.provable(backend).tree(self.task, 0)
        if kept is not None:  # a log that derives its leaves keeps no tree of its own
            rebuilt = Frontier()
            rebuilt.extend_hashes(leaf.hash for leaf in expected)
            assert (kept.frontier.size, kept.frontier.root()) == (11, rebuilt.root())

    def test_leaves_survive_reopening(self, backend: Backend) -> None:
        """The stored leaves are the same in a newly opened backend."""
        expected = self.fill(backend, 4)
        backend.close()
        assert self.provable(self.open()).leaves(self.task, 0, 0, 100) == expected

    # -- bodies ------------------------------------------------------------------------------

    def test_bodies_are_the_offsets_and_bodies_read_returns(self, backend: Backend) -> None:
        """bodies() gives each record's offset and stored bytes, byte for byte, in order."""
        bodies = [bytes(range(256)), b"\x00", b'{"a":1}\n', "é€😀".encode() + b"\xff\xfe"]
        backend.append([self.record(body=body) for body in bodies])
        expected = [(r.offset, r.body) for r in self.stored(backend, self.task)]
        got = self.provable(backend).bodies(self.task, 0, 0, 100)
        assert got == expected
        assert [body for _, body in got] == bodies
        assert all(type(offset) is int and type(body) is bytes for offset, body in got)

    def test_bodies_start_at_an_offset_and_return_at_most_limit(self, backend: Backend) -> None:
        """bodies(topic, partition, offset, limit) pages like read."""
        self.fill(backend, 6)
        offsets = self.offsets_of(backend, self.task)
        log = self.provable(backend)
        assert [o for o, _ in log.bodies(self.task, 0, offsets[2], 3)] == offsets[2:5]
        assert [o for o, _ in log.bodies(self.task, 0, offsets[-1] + 1, 3)] == []

    def test_bodies_keep_partitions_apart(self, backend: Backend) -> None:
        """A partition's bodies are only that partition's records."""
        backend.append([self.record(partition=0, body=b"zero"), self.record(partition=1)])
        assert [b for _, b in self.provable(backend).bodies(self.task, 0, 0, 10)] == [b"zero"]

    def test_bodies_after_compaction_are_those_of_the_records_read_returns(
        self, backend: Backend
    ) -> None:
        """A record compaction removed is gone from bodies as from read (where it removes any)."""
        topic = self.topic("state")
        backend.create_topics({topic: _policy("state", cleanup=Cleanup.COMPACT)})
        backend.append([self.record(topic, key=key, body=key.encode()) for key in "abab"])
        backend.enforce_retention(now_ms=0)
        expected = [(r.offset, r.body) for r in self.stored(backend, topic)]
        assert self.provable(backend).bodies(topic, 0, 0, 10) == expected

    def test_a_closed_backend_refuses_bodies(self, backend: Backend) -> None:
        """bodies after close raises LedgerClosed."""
        backend.append([self.record()])
        log = self.provable(backend)
        backend.close()
        with pytest.raises(LedgerClosed):
            log.bodies(self.task, 0, 0, 10)

    # -- stored notes ------------------------------------------------------------------------

    def test_stored_notes_are_read_back_in_order_byte_for_byte(self, backend: Backend) -> None:
        log = self.provable(backend)
        notes = [self.note(self.task, 0, 1), self.note(self.tool, 1, 2)]
        log.store_checkpoints(self._prefix, notes[:1])
        log.store_checkpoints(self._prefix, notes[1:])
        rows = log.checkpoints(self._prefix)
        assert [(r.kind, r.topic, r.partition, r.size, r.root, r.note) for r in rows] == [
            tuple(n[:6]) for n in notes
        ]
        assert rows[0].seq < rows[1].seq

    def test_several_notes_stored_at_once_keep_their_order(self, backend: Backend) -> None:
        log = self.provable(backend)
        notes = [self.note(self.task, p, size) for size in (1, 2) for p in (0, 1)]
        log.store_checkpoints(self._prefix, notes)
        assert [r.note for r in log.checkpoints(self._prefix)] == [n.note for n in notes]

    def test_notes_of_another_namespace_are_not_read(self, backend: Backend) -> None:
        log = self.provable(backend)
        log.store_checkpoints(self._prefix, [self.note(self.task, 0, 1)])
        assert log.checkpoints(self._prefix + "x") == []


def _policy(family: str, **options: Any) -> FamilyPolicy:
    return FamilyPolicy(family=family, partitions=1, **options)
