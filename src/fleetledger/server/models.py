"""The shapes of the server's JSON responses, declared so the OpenAPI document states them and
FastAPI checks every response against them (a response that broke its schema would be a 500,
which the property-based test looks for). Events are CloudEvents structured-mode objects, as
``fleetledger ... --json`` prints them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

CloudEvent = dict[str, Any]


class Problem(BaseModel):
    """An RFC 9457 problem; fleetledger adds ``field``, ``index``, ``rule``, ... when known."""

    type: str
    title: str
    status: int
    detail: str
    field: str | None = None
    index: int | None = None


class PositionOut(BaseModel):
    """Where an event sits; the next offset to read, in a group's positions."""

    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


class AppendedEvent(PositionOut):
    """One appended event: its id, its position, and whether it was stored before (a
    duplicate of the same event, which answers the original position)."""

    id: str
    existing: bool


class AppendResult(BaseModel):
    events: list[AppendedEvent]


class StoredEvent(BaseModel):
    event: CloudEvent
    position: PositionOut


class EventList(BaseModel):
    """Events in the ledger's order, and how many an access policy withheld."""

    events: list[CloudEvent]
    withheld: int = 0


class Offsets(BaseModel):
    start: int
    end: int


class TopicOut(BaseModel):
    topic: str
    family: str
    partitions: int
    key: str
    retention_ms: int | None
    retention_bytes: int | None
    cleanup: str
    classification: str
    events: int
    offsets: list[Offsets]


class LagOut(BaseModel):
    group: str
    topic: str
    partition: int
    committed: int
    end: int
    lag: int


class HeadOut(BaseModel):
    number: int
    size: int
    partitions: int


class Summaries(BaseModel):
    """The latest ``state.summary`` of each task (as ``fleetledger tasks --json``)."""

    tasks: list[dict[str, Any]]
    withheld: int = 0


class FindingOut(BaseModel):
    topic: str
    partition: int
    offset: int | None
    kind: str
    detail: str


class VerificationOut(BaseModel):
    ok: bool
    partitions: int
    events: int
    leaves: int
    checkpoints: int
    signatures_checked: bool
    uncovered: int
    unsigned: int
    findings: list[FindingOut]


class PollRequest(BaseModel):
    families: list[str] | None = None
    max: int = Field(default=100, ge=1, le=1000)
    timeout: float = Field(default=0.0, ge=0.0, le=30.0)


class PollResult(BaseModel):
    """Events for a group, and the next offsets to commit once they are handled."""

    events: list[CloudEvent]
    positions: list[PositionOut]
    withheld: int = 0


class CommitRequest(BaseModel):
    """The next offsets to commit (as a poll returned them)."""

    positions: list[PositionOut] = Field(min_length=1, max_length=10_000)


class Committed(BaseModel):
    group: str
    committed: int


class Health(BaseModel):
    status: str
