"""The order of a fleet's history: one key every event carries, the same on every copy.

Partitions order their own events; nothing in Kafka or in a SQLite file orders events of
different partitions, and the local orders (SQLite's insertion sequence, Kafka's append time)
change when a ledger is copied. So the ledger stamps the order into each event's own bytes:

- ``recordedtime`` is a *hybrid logical clock*, in microseconds since the epoch. A writer
  stamps the wall clock, but never a time at or before any event it has written or read
  through the ledger: an effect a writer appends after reading its cause is recorded after
  it, whatever the writers' clocks say. Each event of a batch takes the next microsecond, so
  a batch keeps its order too.
- The **order key** is ``(recordedtime, id)``: the id breaks the rare tie between writers on
  different machines that stamped the same microsecond.

A task's replay, "earlier" in ordering policies, and a whole fleet replayed from a signed head
all sort by this key, so they come out the same on every backend, on every mirrored copy, and
after a round trip. ``recordedtime`` is written in one fixed-width form
(``YYYY-MM-DDTHH:MM:SS.ffffffZ``), so keys compare as text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Protocol, TypeVar

E = TypeVar("E", bound="Ordered")
OrderKey = tuple[str, str]
"""``(recordedtime, id)``: sorts events in the order the ledger recorded them."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_FIXED_WIDTH = len("2025-01-01T00:00:00.000000Z")


class Ordered(Protocol):
    """Anything with the two attributes of the order key (an :class:`Event`)."""

    @property
    def recordedtime(self) -> str | None: ...

    @property
    def id(self) -> str: ...


def order_key(event: Ordered) -> OrderKey:
    """The event's place in the ledger's order (see the module docstring)."""
    recorded = event.recordedtime or ""
    if len(recorded) != _FIXED_WIDTH or recorded[-1] != "Z":
        recorded = _canonical(recorded)
    return recorded, event.id


def in_order(events: Iterable[E]) -> list[E]:
    """``events`` sorted by their order key (:func:`order_key`); compared as they are when
    every recorded time is in the ledger's fixed-width form, as the ledger writes them."""
    ordered = list(events)
    times = list(map(_RECORDED, ordered))
    if all(type(t) is str and len(t) == _FIXED_WIDTH and t[-1] == "Z" for t in times):
        ordered.sort(key=_KEY)
    else:
        ordered.sort(key=order_key)
    return ordered


_RECORDED = attrgetter("recordedtime")
_KEY = attrgetter("recordedtime", "id")


def recorded_us(text: str) -> int:
    """Microseconds since the epoch of a recorded time (``-1`` for text that is no time)."""
    fixed = text if len(text) == _FIXED_WIDTH and text[-1] == "Z" else _canonical(text)
    try:
        moment = datetime.fromisoformat(fixed[:-1] + "+00:00")
    except ValueError:
        return -1
    return (moment - _EPOCH) // _MICROSECOND


def _canonical(text: str) -> str:
    """``text`` rewritten in the fixed-width form, so it compares with the others as text."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # not a time: sorts by its text, deterministically
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return format_us((moment - _EPOCH) // _MICROSECOND)


def format_us(us: int) -> str:
    """Microseconds since the epoch as the fixed-width RFC 3339 the ledger writes."""
    moment = _EPOCH + timedelta(microseconds=us)
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
        f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}Z"
    )


class HybridClock:
    """Recorded times that never repeat and never fall behind what was written or read.

    ``physical`` returns nanoseconds since the epoch (:func:`time.time_ns`, or a test clock).
    Thread-safe: concurrent appends of one process each get their own microseconds.
    """

    def __init__(self, physical: Callable[[], int]) -> None:
        self._physical = physical
        self._lock = threading.Lock()
        self._last = 0
        self._cached = (-1, "")  # (second, its text): one tuple, swapped whole across threads

    def tick(self, count: int = 1) -> int:
        """The first of ``count`` consecutive microseconds, each after every time seen."""
        with self._lock:
            first = max(self._physical() // 1000, self._last + 1)
            self._last = first + max(count, 1) - 1
            return first

    def observe(self, us: int) -> None:
        """Remember that an event recorded at ``us`` exists: later ticks come after it."""
        with self._lock:
            self._last = max(self._last, us)

    def format(self, us: int) -> str:
        """:func:`format_us`, with the second's text cached: a batch shares its second."""
        second, micro = divmod(us, 1_000_000)
        cached, prefix = self._cached
        if second != cached:
            prefix = format_us(second * 1_000_000)[:19]
            self._cached = (second, prefix)
        return f"{prefix}.{micro:06d}Z"
