"""The ``{namespace}._checkpoints`` topic: signed checkpoints and ledger heads on Kafka.

On Kafka no writer computes trees inline: a notary (:mod:`fleetledger.audit.notary`) reads
each partition in offset order and appends what it signs here, in one transaction per signing
(the partition checkpoints, then the ledger head over them). The topic has one partition, keeps
its records forever and is not a family: it is not in the policy registry, so ``topics()``,
``find`` and mirrors of events never see it.

Each record's value is the signed note exactly as signed; its key is ``head`` or
``<topic>/<partition>``, and headers say what the note is about without parsing it:

- ``fl_kind`` (``partition`` or ``head``), ``fl_topic``, ``fl_partition``, ``fl_size``;
- on a notary's partition checkpoints, its mark (:class:`NotaryMark`): ``fl_first`` (offset
  of leaf 0), ``fl_next`` (offset after the last record covered) and ``fl_frontier`` (the
  tree's frontier), so a restarted notary resumes without rereading the partition, and leaf
  indexes map to offsets from the nearest checkpoint.

Headers are hints for speed; a verifier trusts only the note and recomputes the rest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import cast

from confluent_kafka import Message

from fleetledger.backends.kafka import binding
from fleetledger.backends.kafka.reader import Batch
from fleetledger.backends.kafka.settings import LOG
from fleetledger.backends.kafka.writer import Send
from fleetledger.backends.protocols import (
    HANDOVER,
    HEAD,
    NewCheckpoint,
    NotaryMark,
    StoredCheckpoint,
    TopicPartition,
)
from fleetledger.errors import NoteError
from fleetledger.integrity import Checkpoint, Frontier, parse_note
from fleetledger.topics import FamilyPolicy

SUFFIX = "._checkpoints"
NOTES_POLICY = FamilyPolicy(family="checkpoints", partitions=1)
"""One partition (one order for every note), kept forever, never compacted."""


Fetch = Callable[[Mapping[TopicPartition, int]], Mapping[TopicPartition, Batch]]


def notes_topic(namespace: str) -> str:
    """The checkpoints topic of ``namespace``."""
    return namespace + SUFFIX


def to_message(note: NewCheckpoint) -> binding.Message:
    """The Kafka record of one note (see the module docstring)."""
    key = note.kind if note.partition is None else f"{note.topic}/{note.partition}"
    headers: list[tuple[str, bytes]] = [
        ("fl_kind", note.kind.encode()),
        ("fl_topic", note.topic.encode()),
        ("fl_size", str(note.size).encode()),
    ]
    if note.partition is not None:
        headers.append(("fl_partition", str(note.partition).encode()))
    if note.mark is not None:
        headers += [
            ("fl_first", str(note.mark.first).encode()),
            ("fl_next", str(note.mark.next).encode()),
            ("fl_frontier", note.mark.frontier.to_bytes()),
        ]
    return binding.Message(key.encode(), note.note, headers)


class NoteLog:
    """The notes of one namespace, read once and then only what was appended since."""

    def __init__(
        self, namespace: str, fetch: Fetch, exists: Callable[[], bool] = lambda: True
    ) -> None:
        self.topic = notes_topic(namespace)
        self._fetch = fetch
        self._exists = exists
        """Whether the notes topic exists: a reader may not create it, and then reads none."""
        self._lock = threading.Lock()
        self._next = 0
        self._rows: list[StoredCheckpoint] = []
        self._marks: dict[TopicPartition, list[tuple[int, NotaryMark]]] = {}

    def sends(self, notes: Sequence[NewCheckpoint]) -> list[Send]:
        """What to produce to append ``notes``."""
        return [Send(self.topic, 0, to_message(note), 0) for note in notes]

    def rows(self) -> list[StoredCheckpoint]:
        """Every note, oldest first (``seq`` is its offset in the topic)."""
        with self._lock:
            self._refresh()
            return list(self._rows)

    def marks(self, tp: TopicPartition) -> list[tuple[int, NotaryMark]]:
        """``(size, mark)`` of every notary checkpoint of ``tp``, oldest first."""
        with self._lock:
            self._refresh()
            return list(self._marks.get(tp, ()))

    def latest(self) -> dict[TopicPartition, NotaryMark]:
        """The newest mark of every partition a notary checkpointed."""
        with self._lock:
            self._refresh()
            return {tp: marks[-1][1] for tp, marks in self._marks.items()}

    def _refresh(self) -> None:
        if not self._exists():
            return
        batch = self._fetch({(self.topic, 0): self._next})[(self.topic, 0)]
        for message in batch.messages:
            self._add(message)
            self._next = (message.offset() or 0) + 1
        self._next = max(self._next, batch.end or 0)

    def _add(self, message: Message) -> None:
        headers = dict(cast(list[tuple[str, bytes]], message.headers() or []))
        try:
            row = _row(message.offset() or 0, headers, message.value() or b"")
        except (KeyError, ValueError) as exc:
            LOG.warning("ignoring an unreadable record in %s: %s", self.topic, exc)
            return
        self._rows.append(row)
        if row.partition is not None and "fl_next" in headers:
            mark = NotaryMark(
                int(headers["fl_first"]),
                int(headers["fl_next"]),
                Frontier.from_bytes(headers["fl_frontier"]),
            )
            if mark.frontier.size != row.size or mark.frontier.root() != row.root:
                # The note is still read (verify judges it); only the hint is not trusted.
                LOG.warning(
                    "%s offset %d: the notary's frontier does not match the checkpoint of"
                    " %s/%d it was stored with; not resuming from it",
                    self.topic,
                    row.seq,
                    row.topic,
                    row.partition,
                )
                return
            self._marks.setdefault((row.topic, row.partition), []).append((row.size, mark))


def _row(seq: int, headers: dict[str, bytes], note: bytes) -> StoredCheckpoint:
    """A stored note from its record; ``root`` is read from the note's own body."""
    kind = headers["fl_kind"].decode()
    topic = headers["fl_topic"].decode()
    size = int(headers["fl_size"])
    if kind in (HEAD, HANDOVER):
        return StoredCheckpoint(seq, kind, topic, None, size, None, note)
    partition = int(headers["fl_partition"])
    return StoredCheckpoint(seq, kind, topic, partition, size, _root(note), note)


def _root(note: bytes) -> bytes | None:
    """The root a checkpoint note states, unverified (``None`` if it is not a checkpoint)."""
    try:
        return Checkpoint.parse(parse_note(note)[0]).root
    except NoteError:
        return None
