"""What the checklist asks of a ledger, read through the public API into plain values.

The checks of :mod:`.checklist` are pure functions of :class:`Facts`, so a test builds the
facts by hand; :func:`read_facts` is the one place that asks a live ledger (and a measured
workload) for them. A fact the principal may not read, or a backend cannot give, is ``None``
("unknown"), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from fleetledger.errors import LedgerError
from fleetledger.ledger import Ledger
from fleetledger.planning.workload import Workload
from fleetledger.topics import FamilyPolicy
from fleetledger.types import Classification

TYPE_REGISTERED = "governance.type.registered"


@dataclass(frozen=True)
class Facts:
    """The ledger's configuration and what its history shows, as the checklist needs them."""

    backend: str
    """The URL's scheme: ``sqlite``, ``kafka`` or ``memory``."""
    families: Mapping[str, FamilyPolicy] = field(default_factory=dict)
    events: int = 0
    bytes: int = 0
    signed_heads: int | None = None
    access_policy: bool | None = None
    """Whether the last recorded policy has access rules (None: not readable here)."""
    ordering_rules: bool | None = None
    groups: Mapping[str, int] = field(default_factory=dict)
    """Each consumer group's total lag."""
    rewinds: int = 0
    confidential_types: int = 0
    restricted_events: int = 0
    erasures: int = 0
    denials: int = 0
    registered_types: int = 0
    """User event types stored in the ledger (``governance.type.registered`` events)."""

    @property
    def on_kafka(self) -> bool:
        """Whether the ledger lives on a Kafka-compatible cluster."""
        return self.backend == "kafka"


def read_facts(ledger: Ledger, workload: Workload) -> Facts:
    """The facts of ``ledger``, with the counts ``workload`` measured from it."""
    access, ordering = _recorded_policy(ledger)
    return Facts(
        backend=urlsplit(ledger.url).scheme or "memory",
        families=ledger.families(),
        events=workload.events,
        bytes=workload.bytes,
        signed_heads=_signed_heads(ledger),
        access_policy=access,
        ordering_rules=ordering,
        groups={group.group: group.lag for group in workload.groups},
        rewinds=sum(group.rewinds for group in workload.groups),
        confidential_types=workload.confidential_types,
        restricted_events=workload.classifications.get(Classification.RESTRICTED.value, 0),
        erasures=workload.erasures,
        denials=workload.denials,
        registered_types=workload.types.get(TYPE_REGISTERED, 0),
    )


def _signed_heads(ledger: Ledger) -> int | None:
    """How many ledger heads were signed (None: the backend or principal cannot tell)."""
    try:
        return len(ledger.heads())
    except LedgerError:
        return None


def _recorded_policy(ledger: Ledger) -> tuple[bool | None, bool | None]:
    """Whether the last recorded policy has access rules, and ordering rules."""
    try:
        history = ledger.policy_history()
    except LedgerError:
        return None, None
    if not history:
        return ledger.access.configured, False
    last = history[-1]
    return bool(last.access), bool(last.ordering)
