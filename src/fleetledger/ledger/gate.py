"""Access control at the facade: every operation that touches events asks the access policy.

The rules themselves are pure (:mod:`fleetledger.governance.access`); this module applies them
where the ledger's operations meet events: appends at the write path's authorize stage (each
event for the principal it is appended as), reads event by event. Reads never skip silently:
what the principal may not see is *withheld*, and counted (``Shown.withheld``,
``Consumer.withheld``), so a reader always knows its view is partial. Decisions are cached per
(principal, action, family, classification, tenant): a policy and a principal do not change
while a ledger is open, and a replay asks for every event.

Where these checks bind is the README's trust model: a process holding the ledger file or full
broker rights is trusted; the checks bind for principals that reach the ledger through a
process that enforces them (the server, the CLI with a configured principal).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import msgspec

from fleetledger.errors import PolicyViolation
from fleetledger.events.envelope import Event
from fleetledger.governance import Action, Decision, Policy, Principal, Resource, decide
from fleetledger.types import Classification

if TYPE_CHECKING:
    from fleetledger.ledger.core import Valid

_LOG = logging.getLogger("fleetledger.access")
_SORTED = msgspec.json.Encoder(order="sorted").encode
"""The refused event as its writer gave it, keys sorted: what a refusal's digest is of."""
_said_open = False
T = TypeVar("T")
_Key = tuple[str, Action, str, str, str | None]


class Gate:
    """The access policy of an open ledger, applied to the operations of its principals (the
    opener's, or that of a delegate acting for another)."""

    def __init__(self, policy: Policy | None) -> None:
        global _said_open  # noqa: PLW0603  # said once per process, not once per ledger
        self.policy = policy if policy is not None else Policy.open()
        self._decisions: dict[_Key, Decision] = {}
        if not self.policy.configured and not _said_open:
            _said_open = True
            _LOG.info("no access policy configured: every principal may append, read and admin")

    @property
    def open(self) -> bool:
        """Whether no policy is configured (everything allowed, as before policies)."""
        return not self.policy.configured

    def decide(
        self,
        who: Principal,
        action: Action,
        family: str,
        classification: str = Classification.INTERNAL.value,
        tenant: str | None = None,
    ) -> Decision:
        """The policy's decision (cached) for principal ``who``."""
        key = (who.id, action, family, classification, tenant)
        found = self._decisions.get(key)
        if found is None or found.principal != who:
            resource = Resource(family, Classification(classification), tenant)
            found = decide(self.policy, who, action, resource)
            self._decisions[key] = found
        return found

    def require(self, who: Principal, action: Action, families: Iterable[str]) -> None:
        """Raise :class:`AccessDenied` unless ``who`` may do ``action`` on each of
        ``families`` (of the default classification: acts on a family, not on events)."""
        if not self.open:
            for family in families:
                self.decide(who, action, family).check()

    def readable(self, who: Principal, event: Event, family: str) -> bool:
        """Whether ``who`` may read ``event`` (of ``family``)."""
        if self.open:
            return True
        decision = self.decide(who, Action.READ, family, event.dataclassification, event.tenant)
        return decision.allowed

    def require_read(self, who: Principal, event: Event, family: str) -> None:
        """Raise :class:`AccessDenied` unless ``who`` may read ``event``."""
        if not self.open:
            self.decide(who, Action.READ, family, event.dataclassification, event.tenant).check()

    def screen(
        self, who: Principal, events: list[Event], family: Callable[[str], str]
    ) -> tuple[list[Event], int]:
        """The events ``who`` may read, and how many were withheld."""
        if self.open:
            return events, 0
        shown = [e for e in events if self.readable(who, e, family(_topic(e)))]
        return shown, len(events) - len(shown)

    def authorize(self, principal: Principal, batch: Sequence[Valid]) -> None:
        """The authorize stage: every event of the batch may be appended by ``principal``,
        or the whole batch is refused (naming the first event refused)."""
        if self.open:
            return
        for index, valid in enumerate(batch):
            decision = self.decide(
                principal, Action.APPEND, valid.family, valid.classification, valid.extensions[0]
            )
            if not decision.allowed:
                where = f" (event {index + 1} of {len(batch)})" if len(batch) > 1 else ""
                event = valid.event
                raise PolicyViolation(
                    decision.message + where,
                    rule="(no rule allows it)" if decision.rule is None else decision.reason,
                    event_id=event.id or "",
                    event_type=event.type,
                    subject=event.subject,
                    index=index,
                    digest=hashlib.sha256(_SORTED(event)).hexdigest(),
                    policy="access",
                )


def _topic(event: Event) -> str:
    assert event.position is not None  # events read from a ledger have their position
    return event.position.topic


class Shown(Iterator[T], Generic[T]):
    """What a read shows: an iterator over the readable items, and ``withheld``, how many
    the principal may not see (counted as the iteration passes them)."""

    def __init__(self, items: Iterable[T], keep: Callable[[T], bool]) -> None:
        self._items = iter(items)
        self._keep = keep
        self.withheld = 0

    def __iter__(self) -> Shown[T]:
        return self

    def __next__(self) -> T:
        while True:
            item = next(self._items)
            if self._keep(item):
                return item
            self.withheld += 1

    def close(self) -> None:
        """Stop early: a following tail stops waiting for new events."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()


class Page(list[Event]):
    """A page of events as :meth:`Ledger.read` shows it: the readable events, in order, and
    ``withheld``, how many of the page the principal may not see."""

    def __init__(self, events: Iterable[Event] = (), withheld: int = 0) -> None:
        super().__init__(events)
        self.withheld = withheld
