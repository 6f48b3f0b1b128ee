"""Where each partition ends, as far as this process can prove without a fetch. No I/O.

Every read, and every append's duplicate check, must see what was appended before it began:
it needs a barrier, an answer from the broker given after it asked. Kafka has two.

* A **fetch that reaches the end** (librdkafka's partition EOF) gives the exact end of what a
  ``read_committed`` reader sees, but an empty fetch waits ``fetch.wait.max.ms`` on the broker
  before it answers: a few milliseconds, more than the rest of a small read.
* **ListOffsets** (the high watermark) answers at once. On Apache Kafka it is the log's end.
  Tansu reports the base offset of the partition's last record batch plus one, so after a batch
  of several records it is short (KAFKA-TESTING.md); its ``read_committed`` answer is not even
  usable (0 while any transaction is open), so the ``read_uncommitted`` one is what is asked.

This class keeps, per partition, an offset :meth:`end` that is a proven end: the end a fetch
met (``reached``), pushed forward over records this process appended itself (``appended``), in
offset order with no gap. A ListOffsets answer ``latest <= end()`` then proves that no record
this process does not know of lies at or after ``end()``, on both brokers:

* Apache Kafka: ``latest`` is the end of the log, so nothing lies at or after it.
* Tansu: ``latest - 1`` is the first offset of the last batch. If it is below the fetched end,
  the whole last batch is (a fetch's end is a batch boundary: batches are appended whole). If
  it is at or after the fetched end, the last batch starts with a record of this process's own
  (everything from the fetched end to ``end()`` is), so all of it is this process's: a batch
  comes from one producer. Its records past ``end()`` belong to appends that have not returned
  yet, which no reader is owed.

When the proof fails the reader fetches to the EOF, the exact barrier. :meth:`last` is the
offset of the last record before ``end()`` when known: a read that reaches it is done without
waiting for the EOF that a transaction's commit marker would otherwise make it wait for.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fleetledger.backends.protocols import TopicPartition

_MAX_AHEAD = 100_000
"""Own records remembered past a partition's proven end (waiting for the gap to close)."""


@dataclass
class _End:
    end: int
    last: int | None
    ahead: set[int] = field(default_factory=set)
    """Offsets of this process's records past ``end``, not contiguous with it yet."""


class Ends:
    """Proven ends of partitions, from fetches that reached them and from own appends."""

    def __init__(self) -> None:
        self._ends: dict[TopicPartition, _End] = {}

    def end(self, tp: TopicPartition) -> int | None:
        """The proven end of ``tp`` (None: no fetch has reached it yet)."""
        found = self._ends.get(tp)
        return None if found is None else found.end

    def last(self, tp: TopicPartition) -> int | None:
        """The offset of the last record below :meth:`end`, when known."""
        found = self._ends.get(tp)
        return None if found is None else found.last

    def unchanged(self, tp: TopicPartition, latest: int) -> bool:
        """Whether a ListOffsets answer proves nothing unknown was appended after :meth:`end`."""
        found = self._ends.get(tp)
        return found is not None and latest <= found.end

    def reached(self, tp: TopicPartition, end: int, last: int | None) -> None:
        """A fetch met the end of ``tp`` at ``end``; ``last`` is the last record it delivered.

        ``last`` None: the fetch delivered nothing, so the last record is still the one known,
        if the end did not move.
        """
        found = self._ends.get(tp)
        if found is None:
            self._ends[tp] = _End(end, last)
            return
        if end < found.end:
            return  # an end proven by own appends already covers it
        if last is None and end != found.end:
            found.last = None
        elif last is not None:
            found.last = last
        found.end = end
        self._close_gap(found)

    def appended(self, tp: TopicPartition, offset: int) -> None:
        """This process's acknowledged record at ``offset``."""
        found = self._ends.get(tp)
        if found is None or offset < found.end:
            return
        if offset > found.end:
            if len(found.ahead) >= _MAX_AHEAD:
                found.ahead.clear()  # the proof only weakens: more fetches, never fewer
            found.ahead.add(offset)
            return
        found.end, found.last = offset + 1, offset
        self._close_gap(found)

    @staticmethod
    def _close_gap(found: _End) -> None:
        """Move the end over own records that now follow it; forget those it passed."""
        while found.end in found.ahead:
            found.ahead.discard(found.end)
            found.last = found.end
            found.end += 1
        if found.ahead:
            found.ahead = {offset for offset in found.ahead if offset > found.end}


class InFlight:
    """Single appends of this process that were produced and are not acknowledged yet.

    The proof above only counts records this process *knows* it appended. Under concurrent
    appends some are always in flight: the broker has them, so ListOffsets counts them, but
    their delivery reports have not arrived. A barrier that finds ``latest`` past the proven
    end first lets the appends produced before it asked finish (:meth:`settle`, usually well
    under a millisecond) and checks again, instead of fetching to the end. Messages are
    numbered in the order they are produced; thread-safe.
    """

    def __init__(self) -> None:
        self._next = 0
        self._open: set[int] = set()
        self._changed = threading.Condition()

    def start(self) -> int:
        """Number a message about to be produced."""
        with self._changed:
            number = self._next
            self._next += 1
            self._open.add(number)
            return number

    def end(self, number: int) -> None:
        """The message was acknowledged (its offset already reported to :class:`Ends`) or failed."""
        with self._changed:
            self._open.discard(number)
            self._changed.notify_all()

    def mark(self) -> int:
        """A mark: every message produced before it is older than it."""
        with self._changed:
            return self._next

    def settle(self, mark: int, timeout: float) -> bool:
        """Wait up to ``timeout`` s until no message produced before ``mark`` is in flight."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not any(number < mark for number in self._open), timeout
            )
