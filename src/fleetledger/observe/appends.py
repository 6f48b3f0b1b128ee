"""What the facade's write path records: one call when an append succeeds, one when it fails.

The hook is on the hot path of every append, so it does as little as it can: one histogram
observation per call, and two counter increments per family in the batch (a batch of one,
the common single append, takes a path without the tally). Counter children are looked up
once per topic and kept, because ``labels()`` costs more than ``inc()``.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import Counter

from fleetledger.backends.protocols import Record
from fleetledger.errors import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    IdConflict,
    IntegrityError,
    LedgerClosed,
    PolicyViolation,
    ReadOnlyLedger,
)
from fleetledger.observe.metrics import (
    APPEND_FAILURES,
    APPEND_SECONDS,
    APPENDED_BYTES,
    APPENDED_EVENTS,
    POLICY_DENIALS,
)
from fleetledger.topics.naming import family_of

__all__ = ["appended", "denied", "failed", "reason_of"]

_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (PolicyViolation, "policy"),
    (AccessDenied, "access"),
    (IdConflict, "conflict"),
    (ContractError, "contract"),
    (Backpressure, "backpressure"),
    (ReadOnlyLedger, "readonly"),
    (BackendError, "backend"),
    (IntegrityError, "integrity"),
    (LedgerClosed, "closed"),
    (ConfigurationError, "configuration"),
)
"""Most specific first: the reason label of a failed append, by the error class raised."""

_children: dict[str, tuple[Counter, Counter]] = {}
"""The (events, bytes) counters of each topic's family, looked up once."""


def reason_of(error: BaseException) -> str:
    """The ``reason`` label of a failed append: the kind of error, never its message."""
    for kind, reason in _REASONS:
        if isinstance(error, kind):
            return reason
    return "other"


def _counters(topic: str) -> tuple[Counter, Counter]:
    found = _children.get(topic)
    if found is None:
        family = family_of(topic)
        found = _children[topic] = (
            APPENDED_EVENTS.labels(family),
            APPENDED_BYTES.labels(family),
        )
    return found


def appended(records: Sequence[Record], seconds: float) -> None:
    """Count a successful append of ``records`` that took ``seconds``."""
    APPEND_SECONDS.observe(seconds)
    if len(records) == 1:
        record = records[0]
        events, size = _counters(record.topic)
        events.inc()
        size.inc(len(record.body))
        return
    tally: dict[str, list[int]] = {}
    for record in records:
        counts = tally.get(record.topic)
        if counts is None:
            tally[record.topic] = [1, len(record.body)]
        else:
            counts[0] += 1
            counts[1] += len(record.body)
    for topic, (count, total) in tally.items():
        events, size = _counters(topic)
        events.inc(count)
        size.inc(total)


def failed(error: BaseException) -> None:
    """Count an append that stored nothing because of ``error``."""
    APPEND_FAILURES.labels(reason_of(error)).inc()


def denied() -> None:
    """Count an append a policy rule refused."""
    POLICY_DENIALS.inc()
