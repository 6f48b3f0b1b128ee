"""Ordering rules enforced at append: the guard a ledger hands its backend, and what a refusal
or a flag leaves in the ledger.

:mod:`fleetledger.governance.ordering` decides (pure); this module applies it. For an append
with an event some rule's ``when`` may match, the ledger passes the backend a guard
(:data:`~fleetledger.backends.protocols.Guard`): the backend runs it where no other write can
come between its read and the batch's commit (SQLite: inside the write transaction), with the
subject's history as that transaction sees it. For each event a rule applies to, the guard
checks every rule against the events of the task before it (those stored, and those earlier in
the same batch), and then:

- a ``refuse`` rule that fails raises :class:`~fleetledger.errors.PolicyViolation` (nothing of
  the batch is stored); the ledger records a ``governance.policy.denied`` event naming the
  rule and a digest of the refused event, at most :data:`DENIALS_PER_MINUTE` per principal a
  minute (the next one recorded counts those left out);
- a ``flag`` rule that fails lets the event in; the ledger records a
  ``governance.policy.flagged`` event right after (a second append: a process that dies in
  between leaves the event without its flag);
- a satisfied rule stamps the satisfying event's id and leaf hash into the event
  (``orderedafter``, ``orderedafterleaf``: the first satisfied rule's, in the rules' order),
  so the event's own bytes commit to the earlier one and an order proof exists for the pair
  (:mod:`fleetledger.integrity.order`, method ``hash-link``).
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any, NamedTuple

import msgspec

from fleetledger.backends.protocols import History, Record
from fleetledger.errors import EventTooLarge, PolicyViolation
from fleetledger.events.codec import canonical_json, encode_event
from fleetledger.governance.ordering import OrderingRule, Verdict, check_all
from fleetledger.integrity import leaf_hash

DENIALS_PER_MINUTE = 10
"""How many refusals of one principal a ledger records a minute; the rest are counted."""
POLICY = "ordering"
"""The ``policy`` named by the events ordering rules leave (denied, flagged)."""
SOURCE = "fleetledger/ordering"
"""The ``source`` of those events."""

_decode = msgspec.json.Decoder(dict[str, Any]).decode
_replace = msgspec.structs.replace


class Flag(NamedTuple):
    """A ``flag`` rule that did not hold for an event appended all the same."""

    verdict: Verdict
    record: Record


class OrderingRules:
    """A ledger's ordering rules: which appends need a guard, and the guard for them."""

    def __init__(self, rules: Iterable[OrderingRule], *, max_event_bytes: int) -> None:
        self.rules = tuple(rules)
        self.max_event_bytes = max_event_bytes
        self._applies: dict[str, bool] = {}
        """Whether some rule's ``when`` may match events of a type (by its ``type`` glob)."""

    def applies(self, event_type: str) -> bool:
        """Whether some rule may apply to events of ``event_type``."""
        found = self._applies.get(event_type)
        if found is None:
            if len(self._applies) > 4096:
                self._applies.clear()
            found = self._applies[event_type] = any(
                all(
                    fnmatchcase(event_type, glob)
                    for path, glob in rule.when.fields
                    if path == "type"
                )
                for rule in self.rules
            )
        return found

    def guard(self, records: Sequence[Record]) -> OrderingGuard | None:
        """The guard for an append of ``records``, or ``None`` when no rule may apply."""
        if any(self.applies(record.type) for record in records):
            return OrderingGuard(self)
        return None


class OrderingGuard:
    """One append's guard (see the module); :attr:`flags` holds what its last run flagged."""

    def __init__(self, rules: OrderingRules) -> None:
        self._rules = rules
        self.flags: list[Flag] = []

    def __call__(self, records: Sequence[Record], history: History) -> list[Record]:
        self.flags = []  # a retried group runs the guard again: only the last run counts
        out: list[Record] = []
        seen: dict[str, list[tuple[dict[str, Any], bytes]]] = {}
        """Each subject's events as the guard reads them: stored, then this batch's so far."""
        for index, given in enumerate(records):
            record = given
            if self._rules.applies(given.type):
                events = seen.get(given.subject)
                if events is None:
                    events = seen[given.subject] = _history(given.subject, history, out)
                record = self._checked(index, given, _before(events, given.id))
            out.append(record)
            events = seen.get(record.subject)
            if events is not None:
                events.append((_decode(record.body), record.body))
        return out

    def _checked(
        self, index: int, record: Record, history: Sequence[tuple[dict[str, Any], bytes]]
    ) -> Record:
        """``record`` stamped with what satisfied its rules; :class:`PolicyViolation` if one
        refuses it."""
        candidate = _decode(record.body)
        verdicts = check_all(self._rules.rules, candidate, [event for event, _ in history])
        for verdict in verdicts:
            if verdict.refused:
                raise _violation(index, record, verdict)
        self.flags += [Flag(verdict, record) for verdict in verdicts if verdict.flagged]
        for verdict in verdicts:
            if verdict.satisfied and verdict.index is not None and verdict.satisfied_by:
                leaf = leaf_hash(history[verdict.index][1])
                return self._stamped(record, candidate, verdict.satisfied_by, leaf)
        return record

    def _stamped(
        self, record: Record, candidate: dict[str, Any], earlier: str, leaf: bytes
    ) -> Record:
        """``record`` with ``orderedafter`` and ``orderedafterleaf`` in its bytes."""
        link = base64.b64encode(leaf).decode("ascii")
        event = record.event
        if event is not None:
            event = _replace(event, orderedafter=earlier, orderedafterleaf=link)
            body = encode_event(event)
        else:  # a record the core did not build: stamp its JSON
            body = canonical_json({**candidate, "orderedafter": earlier, "orderedafterleaf": link})
        if len(body) > self._rules.max_event_bytes:
            raise EventTooLarge(len(body), self._rules.max_event_bytes)
        return record._replace(body=body, event=event)


def _history(
    subject: str, history: History, batch: Sequence[Record]
) -> list[tuple[dict[str, Any], bytes]]:
    """The subject's stored events, then those of ``batch`` (placed before), decoded."""
    bodies = [body for _, _, _, body in history(subject)]
    bodies += [record.body for record in batch if record.subject == subject]
    return [(_decode(body), body) for body in bodies]


def _before(
    events: list[tuple[dict[str, Any], bytes]], event_id: str
) -> Sequence[tuple[dict[str, Any], bytes]]:
    """The events before ``event_id`` if it is among them (an append repeated: it is checked
    against the history it had, so it is stamped the same), else all of them."""
    for at, (event, _) in enumerate(events):
        if event.get("id") == event_id:
            return events[:at]
    return events


def _violation(index: int, record: Record, verdict: Verdict) -> PolicyViolation:
    return PolicyViolation(
        f"refused {record.type} {record.id} of task {record.subject}: {verdict.reason()}",
        rule=verdict.rule.name,
        event_id=record.id,
        event_type=record.type,
        subject=record.subject,
        index=index,
        digest=hashlib.sha256(record.body).hexdigest(),
    )


# -- what refusals and flags leave -------------------------------------------------------------


class DenialLimiter:
    """At most ``per_minute`` recorded refusals per principal a minute (a fixed window); the
    first recorded after the window counts those left out."""

    def __init__(
        self, per_minute: int = DENIALS_PER_MINUTE, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def admit(self, principal: str, exc: PolicyViolation) -> int | None:
        """``None`` to leave the refusal ``exc`` out; else how many were left out before it."""
        now = self._clock()
        with self._lock:
            window = self._windows.get(principal)
            if window is None or now - window.start >= 60:
                left_out = 0 if window is None else window.left_out
                window = self._windows[principal] = _Window(now, left_out)
            if window.recorded >= self.per_minute:
                window.left_out += 1
                window.last = exc
                return None
            window.recorded += 1
            left_out, window.left_out, window.last = window.left_out, 0, None
            return left_out

    def drain(self) -> list[tuple[PolicyViolation, int]]:
        """The last refusal left out and how many were, per principal with any; forgotten."""
        with self._lock:
            pending = [(w.last, w.left_out) for w in self._windows.values() if w.last]
            self._windows.clear()
        return [(exc, count) for exc, count in pending if exc is not None]


class _Window:
    """One principal's minute: when it started, refusals recorded in it, refusals left out
    since the last recorded one (and the last of them)."""

    __slots__ = ("last", "left_out", "recorded", "start")

    def __init__(self, start: float, left_out: int) -> None:
        self.start = start
        self.recorded = 0
        self.left_out = left_out
        self.last: PolicyViolation | None = None


def denial(exc: PolicyViolation, left_out: int, *, summary: bool = False) -> dict[str, Any]:
    """The ``governance.policy.denied`` event recording ``exc`` (``left_out`` refusals were
    not recorded before it); a ``summary`` records only that count, ``exc`` being the last of
    them."""
    reason = str(exc)
    if summary:
        reason = f"{left_out} refusal(s) not recorded one by one (rate limit); the last: {exc}"
    data: dict[str, Any] = {
        "policy": exc.policy,
        "action": "append",
        "reason": reason,
        "rule": exc.rule,
        "event_id": exc.event_id,
        "event_type": exc.event_type,
        "digest": exc.digest,
    }
    if left_out:
        data["suppressed"] = left_out
    return {
        "type": "governance.policy.denied",
        "subject": exc.subject,
        "source": f"fleetledger/{exc.policy}",
        "data": {k: v for k, v in data.items() if v not in (None, "")},
    }


def flagged(flag: Flag) -> dict[str, Any]:
    """The ``governance.policy.flagged`` event recording ``flag``."""
    record = flag.record
    return {
        "type": "governance.policy.flagged",
        "subject": record.subject,
        "source": SOURCE,
        "data": {
            "policy": POLICY,
            "rule": flag.verdict.rule.name,
            "reason": flag.verdict.reason(),
            "event_id": record.id,
            "event_type": record.type,
        },
    }
