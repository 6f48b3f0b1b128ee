"""``POST /events``: appends over the CloudEvents HTTP binding.

Every request is one atomic ``append_many``, whatever its mode (see :mod:`.cloudevents`). The
answer is 201 with each event's position; when every event of the request was stored before
(the same id with the same content: a retry), 200 with the original positions, so a client
that lost a response retries safely. An id already stored with other content is 409.

Appends are admitted up to ``max_pending`` at a time: past that the writer is saturated and
the answer is 429 with ``Retry-After``, rather than a queue growing until clients time out.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from fleetledger import AlreadyStored, Backpressure, Ledger
from fleetledger.server.auth import acting
from fleetledger.server.cloudevents import BATCH, STRUCTURED, read_events
from fleetledger.server.models import AppendResult
from fleetledger.server.problems import ROUTE_PROBLEMS, problems

router = APIRouter(tags=["append"], responses=ROUTE_PROBLEMS)

_BODY = {
    "content": {
        STRUCTURED: {"schema": {"type": "object"}},
        BATCH: {"schema": {"type": "array", "items": {"type": "object"}}},
        "application/json": {"schema": {}},
    },
    "required": True,
}


class Admission:
    """At most ``limit`` appends in flight; the next one is refused with :class:`Backpressure`."""

    def __init__(self, limit: int, retry_after: float = 1.0) -> None:
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None
        self.retry_after = retry_after

    def __enter__(self) -> None:
        if self._slots is None or not self._slots.acquire(blocking=False):
            raise Backpressure(
                "too many appends in flight on this server; retry shortly",
                retry_after=self.retry_after,
            )

    def __exit__(self, *_: object) -> None:
        assert self._slots is not None
        self._slots.release()


@router.post(
    "/events",
    status_code=201,
    response_model=AppendResult,
    responses={
        200: {"model": AppendResult, "description": "Every event was stored before"},
        **problems(400, 401, 403, 409, 413, 422, 429),
    },
    openapi_extra={"requestBody": _BODY},
    summary="Append events (CloudEvents structured, binary or batched mode)",
)
async def append(request: Request, ledger: Annotated[Ledger, Depends(acting)]) -> JSONResponse:
    """Append one event (structured or binary mode) or a batch, atomically."""
    body = await request.body()
    events = read_events(request.headers, body)
    admission: Admission = request.app.state.admission
    positions = await run_in_threadpool(_append, admission, ledger, events)
    appended = [
        {
            "id": event["id"],
            "topic": position.topic,
            "partition": position.partition,
            "offset": position.offset,
            "existing": isinstance(position, AlreadyStored),
        }
        for event, position in zip(events, positions, strict=True)
    ]
    status = 200 if all(item["existing"] for item in appended) else 201
    return JSONResponse({"events": appended}, status_code=status)


def _append(admission: Admission, ledger: Ledger, events: list[dict[str, Any]]) -> list[Any]:
    with admission:
        return list(ledger.append_many(events))
