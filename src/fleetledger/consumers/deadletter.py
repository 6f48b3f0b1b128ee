"""Dead letters: the events a consumer group gave up on, and what operators did about them.

The dead-letter topic ``{namespace}._deadletter`` is append-only. Its records are JSON, each
naming a dead letter by ``id`` (the same id for the same event, group and handler, so a
runner that dead-letters an event twice after a crash makes one entry):

- ``recorded``: the entry. Where the event is (``topic``, ``partition``, ``offset``), its
  ``event_id``, ``event_type`` and ``subject``, the ``group`` and ``handler`` (``module:qualname``)
  that failed, the ``error`` (``type``, ``message``, a short ``traceback``) and the ``attempts``.
  Never the event's data: a confidential payload must not leak into the dead-letter topic.
  The event itself stays where it is, readable by those allowed to read it.
- ``retry-requested``: an operator asked for redelivery; the group's runner calls the handler
  again on its next loop, then records ``resolved`` (it succeeded) or ``attempted`` (it failed
  again: a new attempt with its error, and the entry is open again).
- ``dropped``: an operator gave up on it; the entry is kept for audit.

The current state of each entry is the fold of its records (:func:`fold`). Who may do what
follows the access policy (see :meth:`fleetledger.Ledger.dead_letters` and the methods
below): seeing an entry needs read on the event's family, recording one what committing the
group needs, retrying or dropping one what moving a group needs (admin), recorded as an
administrative act.
"""

from __future__ import annotations

import hashlib
import time
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from fleetledger.errors import AccessDenied, ContractError, NotFound
from fleetledger.events.envelope import Event
from fleetledger.ledger import Ledger
from fleetledger.topics.naming import family_of

__all__ = [
    "DeadLetter",
    "DeadLetters",
    "Failure",
    "DeadLetterStatus",
    "dead_letter_id",
    "fold",
]

_TRACEBACK_LINES = 12
"""How much of a traceback an entry keeps: its last lines, where the error was raised."""


class DeadLetterStatus(StrEnum):
    """Where a dead letter stands."""

    RECORDED = "recorded"
    RETRY_REQUESTED = "retry-requested"
    RESOLVED = "resolved"
    DROPPED = "dropped"


@dataclass(frozen=True)
class Failure:
    """Why a handler failed: the exception's type and message, and a short traceback."""

    type: str
    message: str
    traceback: str

    @classmethod
    def of(cls, exc: BaseException) -> Failure:
        """The failure of a raised exception."""
        lines = traceback.format_exception(exc)
        short = "".join(lines[-_TRACEBACK_LINES:])
        return cls(type(exc).__qualname__, str(exc), short)

    def as_dict(self) -> dict[str, str]:
        """The JSON form."""
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter as its records fold: where the event is, who failed, and its state."""

    id: str
    group: str
    handler: str
    topic: str
    partition: int
    offset: int
    event_id: str
    event_type: str
    subject: str
    error: Failure
    attempts: int
    status: DeadLetterStatus
    recorded_ms: int
    updated_ms: int
    history: tuple[tuple[str, int, str | None], ...] = ()
    """Every record's ``(kind, at_ms, by)``, oldest first."""

    @property
    def family(self) -> str:
        """The family of the event."""
        return family_of(self.topic)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (``--json``)."""
        return {
            "id": self.id,
            "group": self.group,
            "handler": self.handler,
            "family": self.family,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "subject": self.subject,
            "error": self.error.as_dict(),
            "attempts": self.attempts,
            "status": self.status.value,
            "recorded_ms": self.recorded_ms,
            "updated_ms": self.updated_ms,
            "history": [{"kind": k, "at_ms": at, "by": by} for k, at, by in self.history],
        }


def dead_letter_id(group: str, topic: str, partition: int, offset: int, handler: str) -> str:
    """The id of the dead letter of one event for one group's handler (stable, so recording
    it again after a crash names the same entry)."""
    key = f"{group}\n{topic}\n{partition}\n{offset}\n{handler}".encode()
    return hashlib.sha256(key).hexdigest()[:20]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _failure(raw: Any) -> Failure:
    raw = raw if isinstance(raw, Mapping) else {}
    return Failure(
        str(raw.get("type", "")), str(raw.get("message", "")), str(raw.get("traceback", ""))
    )


def fold(records: Iterable[Mapping[str, Any]]) -> dict[str, DeadLetter]:
    """The current state of every dead letter, from its records in order. A state change of
    an entry not recorded (yet, or not visible) is passed over."""
    letters: dict[str, DeadLetter] = {}
    for record in records:
        kind, at, by = str(record.get("kind")), int(record.get("at_ms", 0)), record.get("by")
        found = letters.get(str(record.get("id")))
        if kind == "recorded":
            letter = _entry(record, at)
            if found is not None:  # recorded again (a runner crashed after writing it)
                letter = replace(letter, history=found.history, recorded_ms=found.recorded_ms)
        elif found is None:
            continue
        elif kind == "attempted":
            attempts = int(record.get("attempts", found.attempts + 1))
            letter = replace(
                found,
                status=DeadLetterStatus.RECORDED,
                error=_failure(record.get("error")),
                attempts=attempts,
            )
        elif kind in (
            DeadLetterStatus.RETRY_REQUESTED,
            DeadLetterStatus.RESOLVED,
            DeadLetterStatus.DROPPED,
        ):
            letter = replace(found, status=DeadLetterStatus(kind))
        else:
            continue
        history = (*letter.history, (kind, at, by if isinstance(by, str) else None))
        letters[letter.id] = replace(letter, updated_ms=at, history=history)
    return letters


def _entry(record: Mapping[str, Any], at: int) -> DeadLetter:
    return DeadLetter(
        id=str(record["id"]),
        group=str(record.get("group", "")),
        handler=str(record.get("handler", "")),
        topic=str(record.get("topic", "")),
        partition=int(record.get("partition", 0)),
        offset=int(record.get("offset", 0)),
        event_id=str(record.get("event_id", "")),
        event_type=str(record.get("event_type", "")),
        subject=str(record.get("subject", "")),
        error=_failure(record.get("error")),
        attempts=int(record.get("attempts", 0)),
        status=DeadLetterStatus.RECORDED,
        recorded_ms=at,
        updated_ms=at,
    )


@dataclass(frozen=True)
class Shown:
    """A dead letter, and its original event when the principal may read it (``None``: it
    may not, or the event is no longer stored)."""

    letter: DeadLetter
    event: Event | None


class DeadLetters:
    """A ledger's dead letters: list, show, retry and drop them; runners record them."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def _letters(self) -> dict[str, DeadLetter]:
        return fold(self._ledger.dead_letters())

    def list(
        self, group: str | None = None, status: DeadLetterStatus | str | None = None
    ) -> list[DeadLetter]:
        """The dead letters the principal may see, oldest first, of one ``group`` and in one
        ``status`` if given."""
        wanted = None if status is None else DeadLetterStatus(status)
        return sorted(
            (
                letter
                for letter in self._letters().values()
                if (group is None or letter.group == group)
                and (wanted is None or letter.status is wanted)
            ),
            key=lambda letter: (letter.recorded_ms, letter.id),
        )

    def get(self, letter_id: str) -> DeadLetter:
        """One dead letter; :class:`NotFound` if there is none the principal may see."""
        found = self._letters().get(letter_id)
        if found is None:
            raise NotFound(f"no dead letter {letter_id!r} (fleetledger dlq list shows them)")
        return found

    def show(self, letter_id: str) -> Shown:
        """One dead letter and, if the principal may read it and it is still stored, its event."""
        letter = self.get(letter_id)
        try:
            event: Event | None = self._ledger.get(letter.event_id)
        except (AccessDenied, NotFound):
            event = None
        return Shown(letter, event)

    def retry(self, letter_id: str) -> DeadLetter:
        """Ask the group's runner to call the handler again (admin on the event's family)."""
        letter = self.get(letter_id)
        if letter.status in (DeadLetterStatus.RESOLVED, DeadLetterStatus.DROPPED):
            raise ContractError(
                f"dead letter {letter_id} is {letter.status.value}: only an open one is retried",
                field="id",
            )
        return self._act(letter, DeadLetterStatus.RETRY_REQUESTED)

    def drop(self, letter_id: str) -> DeadLetter:
        """Give up on a dead letter; it is kept for audit (admin on the event's family)."""
        letter = self.get(letter_id)
        if letter.status is DeadLetterStatus.RESOLVED:
            raise ContractError(f"dead letter {letter_id} is resolved already", field="id")
        return self._act(letter, DeadLetterStatus.DROPPED)

    def _act(self, letter: DeadLetter, status: DeadLetterStatus) -> DeadLetter:
        record = self._change(letter, status.value)
        self._ledger.act_on_dead_letter(record, letter.topic)
        return self.get(letter.id)

    def _change(self, letter: DeadLetter, kind: str, **more: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "id": letter.id,
            "at_ms": _now_ms(),
            "by": self._ledger.principal.id,
            **more,
        }

    # -- what runners record -------------------------------------------------------------------

    def record(self, group: str, handler: str, event: Event, error: Failure, attempts: int) -> str:
        """Record that ``group``'s ``handler`` gave up on ``event``; the entry's id."""
        assert event.position is not None  # events read from a ledger have their position
        topic, partition, offset = event.position
        letter_id = dead_letter_id(group, topic, partition, offset, handler)
        record = {
            "kind": "recorded",
            "id": letter_id,
            "at_ms": _now_ms(),
            "by": self._ledger.principal.id,
            "group": group,
            "handler": handler,
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "event_id": event.id,
            "event_type": event.type,
            "subject": event.subject,
            "error": error.as_dict(),
            "attempts": attempts,
        }
        self._ledger.add_dead_letter(record, topic)
        return letter_id

    def resolved(self, letter: DeadLetter) -> None:
        """The handler succeeded on a retry."""
        self._ledger.add_dead_letter(
            self._change(letter, DeadLetterStatus.RESOLVED.value), letter.topic
        )

    def attempted(self, letter: DeadLetter, error: Failure) -> None:
        """The handler failed again on a retry."""
        change = self._change(
            letter, "attempted", error=error.as_dict(), attempts=letter.attempts + 1
        )
        self._ledger.add_dead_letter(change, letter.topic)
