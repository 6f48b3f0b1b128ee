"""Narrowing what a replay or a tail shows: by type (globs), agent, tenant and recorded time."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fnmatch import fnmatchcase

from fleetledger.errors import ContractError
from fleetledger.events.envelope import Event, format_time
from fleetledger.events.order import order_key

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class EventFilter:
    """Which events to show: each given condition must hold (none given: every event).

    ``types`` are globs over the type (``tool.*``, ``*.failed``); ``agent`` is the ``agentid``;
    ``since`` (inclusive) and ``until`` (exclusive) bound the recorded time, as text in the
    ledger's fixed-width form so they compare with it directly.
    """

    types: tuple[str, ...] = ()
    agent: str | None = None
    tenant: str | None = None
    since: str | None = None
    until: str | None = None

    @classmethod
    def of(
        cls,
        *,
        types: Iterable[str] | None = None,
        agent: str | None = None,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> EventFilter:
        """A filter from the options of ``replay`` and ``tail``; naive datetimes are refused."""
        if isinstance(types, str):
            types = [types]
        return cls(
            types=tuple(types or ()),
            agent=agent,
            tenant=tenant,
            since=None if since is None else _bound(since, "since"),
            until=None if until is None else _bound(until, "until"),
        )

    @property
    def empty(self) -> bool:
        """Whether no condition is set: every event passes."""
        return not (self.types or self.agent or self.tenant or self.since or self.until)

    def apply(self, events: list[Event]) -> list[Event]:
        """The events that pass, in their order (all of them, at once, for an empty filter)."""
        return events if self.empty else [event for event in events if self.matches(event)]

    def matches(self, event: Event) -> bool:
        """Whether ``event`` passes every condition."""
        if self.types and not any(fnmatchcase(event.type, glob) for glob in self.types):
            return False
        if self.agent is not None and event.agentid != self.agent:
            return False
        if self.tenant is not None and event.tenant != self.tenant:
            return False
        recorded = order_key(event)[0]
        if self.since is not None and recorded < self.since:
            return False
        return self.until is None or recorded < self.until


def _bound(moment: datetime, name: str) -> str:
    aware_ms(moment, name)
    return format_time(moment)


def aware_ms(moment: datetime, name: str) -> int:
    """Milliseconds since the epoch of an aware datetime; a naive one is refused, naming
    ``name``, since the ledger cannot guess its zone."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ContractError(
            f"{name} must be a datetime with a timezone (e.g. datetime.now(UTC)), not {moment!r}",
            field=name,
        )
    return (moment - _EPOCH) // _MILLISECOND
