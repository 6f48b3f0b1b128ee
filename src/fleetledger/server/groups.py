"""Consumer groups over HTTP, for languages without a Kafka client.

``POST /groups/{group}/poll`` reads from the group's committed offsets and returns the events
with the next offsets to commit; ``POST /groups/{group}/commit`` commits them once the events
are handled. The server keeps no session between the two: a poll that is not followed by a
commit is read again by the next poll (at-least-once, like a Kafka consumer that crashes before
committing). The commit is the ledger's atomic ``append_many(commit=...)``, which needs read
on the families committed, like the consumer that read them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from fleetledger import Ledger
from fleetledger.server.auth import acting
from fleetledger.server.models import (
    CommitRequest,
    Committed,
    PollRequest,
    PollResult,
    PositionOut,
)
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["groups"], responses=ROUTE_PROBLEMS)
Acting = Annotated[Ledger, Depends(acting)]


@router.post("/groups/{group}/poll", response_model=PollResult)
async def poll(group: str, request: PollRequest, ledger: Acting) -> PollResult:
    """Up to ``max`` events for ``group`` from its committed offsets (waiting up to
    ``timeout`` seconds for the first), and the positions to commit after them."""
    return await run_in_threadpool(_poll, ledger, group, request)


def _poll(ledger: Ledger, group: str, request: PollRequest) -> PollResult:
    consumer = ledger.consumer(group, request.families or None)
    try:
        events = consumer.poll(request.max, timeout=request.timeout)
        positions = [
            PositionOut(topic=topic, partition=partition, offset=offset)
            for (topic, partition), offset in sorted(consumer.positions.items())
        ]
        return PollResult(
            events=[event.to_dict() for event in events],
            positions=positions,
            withheld=consumer.withheld,
        )
    finally:
        consumer.close()


@router.post("/groups/{group}/commit", response_model=Committed)
def commit(group: str, request: CommitRequest, ledger: Acting) -> Committed:
    """Commit the group's next offsets (as a poll returned them), atomically."""
    offsets = {(p.topic, p.partition): p.offset for p in request.positions}
    ledger.append_many([], commit=(group, offsets))
    return Committed(group=group, committed=len(offsets))
