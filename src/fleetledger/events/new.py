"""What a writer gives to append one event: the attributes only writers set.

Every way into the ledger (``Ledger.append`` and ``append_many``, the async twin, the command
line, later the HTTP server and the framework adapters) builds one :class:`NewEvent`, so the
writer's attributes are named and documented once. The ledger adds the rest: ``recordedtime``,
``authid`` and ``authtype`` (writers cannot set them), and the defaults (``id``, ``time``,
``source``, ``dataclassification``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

from fleetledger.errors import ContractError
from fleetledger.events.envelope import LEDGER_ATTRIBUTES


class NewEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One event as its writer describes it, before the ledger validates and stamps it."""

    type: str
    """``family.name``, e.g. ``task.requested``: picks the data model and the topic."""
    subject: str
    """The task the event is about; a task's events share one partition per family."""
    source: str | None = None
    """Who wrote it (a URI-reference, e.g. ``agents/planner``); the ledger's default if None."""
    data: Any = None
    """The event's data, checked against the type's model."""
    id: str | None = None
    """The idempotency key; a new UUIDv7 if None."""
    time: Any = None
    """When it happened: an aware ``datetime`` or RFC 3339 text; the recorded time if None."""
    dataclassification: str | None = None
    """Raise the type's classification (never lower it)."""
    tenant: str | None = None
    conversationid: str | None = None
    agentid: str | None = None
    agentversion: str | None = None
    correlationid: str | None = None
    """The run the event belongs to."""
    causationid: str | None = None
    """The id of the event that caused this one."""
    traceparent: str | None = None
    """W3C trace context: links the event to an OpenTelemetry trace."""
    supersedes: str | None = None
    """On a correction: the id of the event it corrects (of the same task and family)."""
    datasubject: str | None = None
    """The person or customer the event's confidential fields are about, pseudonymously
    (never a name or an address): their fields are encrypted under this data subject's key,
    which ``forget`` destroys. The event's ``subject`` if None."""

    @classmethod
    def of(cls, attributes: object) -> NewEvent:
        """The event a mapping of attribute names describes; :class:`ContractError` names an
        attribute that is not a writer's."""
        if type(attributes) is dict and attributes.keys() <= _FIELDS:
            try:  # the common case, checked in C: the names, then the required ones
                return cls(**attributes)
            except TypeError:
                pass
        if isinstance(attributes, NewEvent):
            return attributes
        if not isinstance(attributes, Mapping):
            raise ContractError(
                f"an event must be a mapping of attributes, not {type(attributes).__name__}"
            )
        unknown = [name for name in attributes if name not in _FIELDS]
        if unknown:
            raise _unknown(unknown)
        for required in ("type", "subject"):
            if required not in attributes:
                raise ContractError(f"{required!r} is required", field=required)
        return cls(**attributes)  # every name is one of the fields: checked above


_FIELDS = frozenset(NewEvent.__struct_fields__)
WRITER_FIELDS = tuple(sorted(_FIELDS))
"""Every attribute a writer may give, sorted."""


def _unknown(names: list[Any]) -> ContractError:
    shown = sorted(str(name) for name in names)
    stamped = [name for name in shown if name in LEDGER_ATTRIBUTES]
    if stamped:
        return ContractError(
            f"{', '.join(stamped)}: stamped by the ledger (from its principal, its clock or an"
            " ordering rule); writers cannot set it",
            field=stamped[0],
        )
    return ContractError(
        f"unknown event attribute(s) {', '.join(shown)}; allowed: {', '.join(WRITER_FIELDS)}",
        field=shown[0],
    )
