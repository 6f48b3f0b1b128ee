"""``GET /events/stream``: Server-Sent Events of new events, resumable without gap or duplicate.

Each event's SSE ``id`` is a cursor, not an event id: the next offset of every partition the
stream reads, as base64url of compact JSON ``{"topic": [offset, ...]}``. A client that
reconnects with ``Last-Event-ID`` (browsers' ``EventSource`` do so by themselves) resumes at
exactly those offsets. Why a cursor: events of different partitions have no offsets in common,
so only the position in every partition says what was seen. The cursor of an event advances
only its own partition, so a cut between two events of one batch loses nothing; events passed
over (another type, withheld by the access policy) are covered by an ``id``-only message, which
moves the client's last id without an event.

Without ``Last-Event-ID`` the stream starts at the end: only events appended from then on. A
stream lasts at most the server's ``stream_seconds``; the client reconnects and resumes.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

import msgspec
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from fleetledger import Consumer, ContractError, Event, EventFilter, Ledger
from fleetledger.server.auth import acting
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["stream"], responses=ROUTE_PROBLEMS)
Acting = Annotated[Ledger, Depends(acting)]
Cursor = dict[tuple[str, int], int]
POLL_SECONDS = 0.1
KEEPALIVE_SECONDS = 15.0
BATCH = 500


def encode_cursor(cursor: Cursor) -> str:
    """The SSE id of a position in every partition."""
    by_topic: dict[str, list[int]] = {}
    for (topic, partition), offset in sorted(cursor.items()):
        offsets = by_topic.setdefault(topic, [])
        offsets.extend([0] * (partition + 1 - len(offsets)))
        offsets[partition] = offset
    raw = msgspec.json.encode(by_topic)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(text: str) -> Cursor:
    """The positions of an SSE id; :class:`ContractError` for one this server did not write."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        by_topic = msgspec.json.decode(raw, type=dict[str, list[int]])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise ContractError(
            "Last-Event-ID is not a cursor of this stream", field="Last-Event-ID"
        ) from None
    cursor = {(t, p): o for t, offsets in by_topic.items() for p, o in enumerate(offsets)}
    if any(offset < 0 for offset in cursor.values()):
        raise ContractError("a cursor's offsets are 0 or more", field="Last-Event-ID")
    return cursor


def open_stream(ledger: Ledger, families: list[str] | None, last: str | None) -> Consumer:
    """A consumer of ``families`` (never committing) at the cursor ``last``, or at the end."""
    if families:
        ledger.authorize("read", families)  # naming a family it may not read is 403
    consumer = ledger.consumer(
        f"sse-{uuid.uuid4().hex}", families or None, start="earliest" if last else "latest"
    )
    if last:
        cursor = decode_cursor(last)
        unknown = [tp for tp in cursor if tp not in consumer.positions]
        if unknown:
            consumer.close()
            raise ContractError(
                f"Last-Event-ID names {unknown[0][0]}/{unknown[0][1]}, not read by this stream",
                field="Last-Event-ID",
            )
        for (topic, partition), offset in cursor.items():
            consumer.seek(topic, partition, offset)
    return consumer


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
)
async def stream(
    request: Request,
    ledger: Acting,
    family: Annotated[list[str] | None, Query()] = None,
    type: Annotated[list[str] | None, Query(description="Type globs: tool.*")] = None,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """New events as they are appended, as Server-Sent Events (resume with Last-Event-ID)."""
    where = EventFilter.of(types=type or None)
    consumer = await run_in_threadpool(open_stream, ledger, family, last_event_id)
    seconds: float = request.app.state.stream_seconds
    return StreamingResponse(
        _messages(consumer, where, seconds),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _messages(consumer: Consumer, where: EventFilter, seconds: float) -> AsyncIterator[str]:
    """The SSE messages of one connection, until it closes or ``seconds`` have passed."""
    deadline = time.monotonic() + seconds
    quiet_since = time.monotonic()
    cursor: Cursor = consumer.positions
    try:
        yield f"retry: 1000\nid: {encode_cursor(cursor)}\n\n"
        while time.monotonic() < deadline:
            events = await run_in_threadpool(consumer.poll, BATCH)
            for event in events:
                if where.empty or where.matches(event):
                    cursor[_partition(event)] = _offset(event) + 1
                    yield _message(event, cursor)
            if consumer.positions != cursor:
                cursor = consumer.positions
                yield f"id: {encode_cursor(cursor)}\n\n"
            if events:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield ": keepalive\n\n"
            else:
                await asyncio.sleep(POLL_SECONDS)
    finally:
        consumer.close()


def _partition(event: Event) -> tuple[str, int]:
    assert event.position is not None
    return event.position.topic, event.position.partition


def _offset(event: Event) -> int:
    assert event.position is not None
    return event.position.offset


def _message(event: Event, cursor: Cursor) -> str:
    data = msgspec.json.encode(event.to_dict()).decode()
    return f"id: {encode_cursor(cursor)}\ndata: {data}\n\n"
