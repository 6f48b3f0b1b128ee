"""The read routes: an event, a task's replay and state, tasks, topics, groups and lag.

Each acts as the request's principal, so events it may not read are withheld and counted
(``withheld``) exactly as the library and the command line do; naming something it may not
read at all (an event, a group of another family) is 403.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query

from fleetledger import ContractError, Event, Ledger, TopicInfo
from fleetledger.consumers.tasks import latest_summaries
from fleetledger.server.auth import acting
from fleetledger.server.models import (
    EventList,
    HeadOut,
    LagOut,
    PositionOut,
    StoredEvent,
    Summaries,
    TopicOut,
)
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["read"], responses=ROUTE_PROBLEMS)
Acting = Annotated[Ledger, Depends(acting)]
Time = Annotated[str | None, Query(description="RFC 3339 with a zone, e.g. 2026-01-01T00:00:00Z")]


def moment(text: str | None, name: str) -> datetime | None:
    """An RFC 3339 time of a query parameter; 400 naming it when malformed or without a zone."""
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ContractError(f"{name} is not an RFC 3339 time: {text!r}", field=name) from None
    if parsed.tzinfo is None:
        raise ContractError(f"{name} needs a timezone (Z or an offset)", field=name)
    return parsed


def position_of(event: Event) -> PositionOut:
    assert event.position is not None
    topic, partition, offset = event.position
    return PositionOut(topic=topic, partition=partition, offset=offset)


@router.get("/events/{event_id}", response_model=StoredEvent)
def get_event(event_id: str, ledger: Acting) -> StoredEvent:
    """One event by id, with its position."""
    event = ledger.get(event_id)
    return StoredEvent(event=event.to_dict(), position=position_of(event))


@router.get("/tasks/{task}/events", response_model=EventList)
def replay(  # noqa: PLR0917 -- FastAPI reads query parameters from the signature
    task: str,
    ledger: Acting,
    family: Annotated[list[str] | None, Query()] = None,
    type: Annotated[list[str] | None, Query(description="Type globs: tool.*")] = None,
    agent: str | None = None,
    tenant: str | None = None,
    since: Time = None,
    until: Time = None,
    corrected: bool = False,
) -> EventList:
    """A task's events across families in the ledger's order (``fleetledger replay``)."""
    shown = ledger.replay(
        task,
        families=family or None,
        corrected=corrected,
        types=type or None,
        agent=agent,
        tenant=tenant,
        since=moment(since, "since"),
        until=moment(until, "until"),
    )
    events = [event.to_dict() for event in shown]
    return EventList(events=events, withheld=shown.withheld)


@router.get("/tasks/{task}/state", response_model=dict[str, Any])
def state(task: str, ledger: Acting, as_of: Time = None, corrected: bool = False) -> Any:
    """Where a task stood (now, or ``as_of``), folded from its events (``fleetledger state``)."""
    found = ledger.state_at(task, as_of=moment(as_of, "as_of"), corrected=corrected)
    return msgspec.to_builtins(found)


@router.get("/tasks", response_model=Summaries)
def tasks(ledger: Acting) -> Summaries:
    """The latest summary of each task, newest first (``fleetledger tasks``; needs the
    ``tasks`` projection running to be current)."""
    read = latest_summaries(ledger)
    rows = [{"task": event.subject, **event.data} for event in reversed(read.events)]
    return Summaries(tasks=rows, withheld=read.withheld)


@router.get("/topics", response_model=list[TopicOut])
def topics(ledger: Acting) -> list[TopicOut]:
    """Every topic with its policy and partition offsets."""
    return [_topic(info) for info in ledger.topics()]


def _topic(info: TopicInfo) -> TopicOut:
    policy = info.policy
    return TopicOut(
        topic=info.topic,
        family=info.family,
        partitions=len(info.partitions),
        key=policy.key.value,
        retention_ms=policy.retention_ms,
        retention_bytes=policy.retention_bytes,
        cleanup=policy.cleanup.value,
        classification=str(policy.classification),
        events=info.events,
        offsets=[{"start": p.start, "end": p.end} for p in info.partitions],  # type: ignore[misc]
    )


@router.get("/groups", response_model=list[str])
def groups(ledger: Acting) -> list[str]:
    """Every consumer group that has committed offsets."""
    return ledger.groups()


@router.get("/lag", response_model=list[LagOut])
def lag(ledger: Acting, group: str | None = None) -> list[LagOut]:
    """Committed-offset lag per group, topic and partition."""
    return [LagOut(**row._asdict(), lag=row.lag) for row in ledger.lag(group)]


@router.get("/heads", response_model=list[HeadOut])
def heads(ledger: Acting) -> list[HeadOut]:
    """The signed ledger heads, oldest first."""
    return [HeadOut(**row._asdict()) for row in ledger.heads()]
