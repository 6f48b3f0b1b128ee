"""Test helpers for code that uses fleetledger: an in-memory ledger, a fake clock, records.

::

    from fleetledger.testing import FakeClock, memory_ledger

    clock = FakeClock()
    ledger = memory_ledger(clock=clock, default_source="tests")
    ledger.append("task.requested", subject="t-1", data={"goal": "write the report"})
    clock.advance(60)

:mod:`fleetledger.testing.conformance` holds the backend conformance suite (it needs pytest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from fleetledger.backends.protocols import Record
from fleetledger.events.ids import uuid7
from fleetledger.events.new import NewEvent
from fleetledger.ledger import Ledger, open

__all__ = ["FakeClock", "make_record", "memory_ledger", "prepared"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_SECOND = 1_000_000_000
DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
"""Where a :class:`FakeClock` starts unless told otherwise: a fixed moment, so runs repeat."""


def memory_ledger(**open_options: Any) -> Ledger:
    """A fresh in-memory ledger; ``open_options`` are those of :func:`fleetledger.open`."""
    return open("memory://", **open_options)


def prepared(
    events: Iterable[NewEvent | Mapping[str, Any]], ledger: Ledger | None = None
) -> list[Record]:
    """The records ``ledger`` (a fresh memory ledger by default) would append for ``events``:
    validated, stamped and encoded as ``append_many`` does, but not stored. For tests of
    backends and bindings that need real, stamped records."""
    target = ledger or memory_ledger(default_source="tests")
    try:
        return target._core.prepare_many(list(events))  # the write path, without the write
    finally:
        if ledger is None:
            target.close()


class FakeClock:
    """A clock for the ``clock=`` option of :func:`fleetledger.open` that moves only when told.

    Calling it returns nanoseconds since the epoch, as :func:`time.time_ns` does.
    """

    def __init__(self, start: datetime = DEFAULT_START) -> None:
        self._ns = _to_ns(start)

    def __call__(self) -> int:
        return self._ns

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (fractions allowed)."""
        if seconds < 0:
            raise ValueError(f"a clock advances by zero or more seconds, not {seconds}; use set()")
        self._ns += round(seconds * _NS_PER_SECOND)

    def set(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (a timezone-aware datetime), forward or back."""
        self._ns = _to_ns(moment)

    def now(self) -> datetime:
        """The clock's time as an aware UTC datetime (microsecond precision)."""
        return _EPOCH + timedelta(microseconds=self._ns // 1000)

    def __repr__(self) -> str:
        return f"FakeClock({self.now().isoformat()})"


def _to_ns(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: give a timezone (e.g. datetime(2025, 1, 1, tzinfo=UTC))")
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


def make_record(
    topic: str = "test.task",
    partition: int = 0,
    *,
    key: str = "task-1",
    id: str | None = None,
    subject: str | None = None,
    type: str = "task.requested",
    recorded_ms: int = 0,
    body: bytes | None = None,
) -> Record:
    """A :class:`~fleetledger.backends.Record` for backend tests, with a fresh UUIDv7 id by default.

    ``subject`` defaults to ``key`` and ``body`` to a small JSON object naming the id.
    """
    event_id = uuid7() if id is None else id
    if body is None:
        body = b'{"id":"' + event_id.encode() + b'"}'
    return Record(
        topic,
        partition,
        key,
        event_id,
        key if subject is None else subject,
        type,
        recorded_ms,
        body,
    )
