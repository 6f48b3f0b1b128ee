"""The CloudEvents 1.0 envelope every ledger event wears, and where an event sits in the log.

Attributes fall in three groups: those a writer sets (``id``, ``type``, ``source``, ``subject``,
``time``, the scoping and attribution extensions), the one the contract sets
(``dataclassification``, from the type unless the writer raises it), and those only the ledger
may set (``authid``, ``authtype``, ``recordedtime``, and ``orderedafter`` with
``orderedafterleaf`` when an ordering rule was checked): a writer that tries to set one of the
last group is refused, which is what makes attribution trustworthy.
"""

from __future__ import annotations

import builtins
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from fleetledger.errors import ContractError
from fleetledger.events.order import format_us
from fleetledger.types import Position

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

WRITER_ATTRIBUTES = (
    "tenant",
    "conversationid",
    "agentid",
    "agentversion",
    "correlationid",
    "causationid",
    "traceparent",
    "supersedes",
    "datasubject",
)
"""Optional extension attributes a writer may set."""

LEDGER_ATTRIBUTES = ("authid", "authtype", "recordedtime", "orderedafter", "orderedafterleaf")
"""Attributes only the ledger stamps; callers cannot set them.

``orderedafter`` and ``orderedafterleaf`` are stamped when an ordering rule is satisfied at
append (:mod:`fleetledger.governance.ordering`): the id of the earlier event that satisfied it
and that event's leaf hash (SHA-256 of 0x00 and its stored bytes, in standard base64), so the
later event's own bytes commit to the earlier one.
"""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

__all__ = [
    "LEDGER_ATTRIBUTES",
    "WRITER_ATTRIBUTES",
    "Event",
    "Position",
    "format_time",
    "parse_time",
]


class Event(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """One coordination fact or intent, as recorded.

    Not tracked by the garbage collector (``gc=False``: an event refers to its data, never
    back to itself): reads make events by the hundred thousand, and collections that had to
    walk every one of them cost replays and consumers about a tenth of their time.

    ``position`` is where the ledger stored it; it is not part of the event's bytes, so the same
    event is byte-identical (and hashes the same) on every backend.
    """

    id: str
    type: str
    source: str
    subject: str
    time: str
    specversion: str = SPECVERSION
    datacontenttype: str = CONTENT_TYPE
    dataversion: int = 1
    dataclassification: str = "internal"
    tenant: str | None = None
    conversationid: str | None = None
    agentid: str | None = None
    agentversion: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    supersedes: str | None = None
    datasubject: str | None = None
    authid: str | None = None
    authtype: str | None = None
    recordedtime: str | None = None
    orderedafter: str | None = None
    orderedafterleaf: str | None = None
    data: Any = None
    position: Position | None = None

    @property
    def family(self) -> str:
        """The family (and so the topic) this event belongs to."""
        return self.type.split(".", 1)[0]

    @property
    def recorded_at(self) -> datetime | None:
        """When the ledger accepted the event, as an aware datetime."""
        return parse_time(self.recordedtime) if self.recordedtime else None

    def data_as(self, model: builtins.type[Any]) -> Any:
        """Return ``data`` converted to a typed model (a msgspec Struct or dataclass)."""
        return msgspec.convert(self.data, model)

    def to_dict(self) -> dict[str, Any]:
        """The CloudEvents structured-mode JSON object (no position)."""
        fields = msgspec.structs.asdict(self)
        fields.pop("position")
        return {k: v for k, v in fields.items() if v is not None}


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with four year digits and microseconds: the one form the ledger writes."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ContractError(
            f"not an aware datetime: {moment!r}; give a timezone (datetime.now(UTC))"
        )
    try:
        return format_us((moment - _EPOCH) // _MICROSECOND)
    except OverflowError:
        raise ContractError(f"{moment} is out of range in UTC") from None


def parse_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp (``Z`` or an offset) into an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone offset")
    return moment
