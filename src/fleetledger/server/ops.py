"""Operations: ``/healthz`` (the process answers), ``/readyz`` (the ledger answers too) and
``/metrics`` (Prometheus text, as ``fleetledger metrics`` serves it, with the dead-letter figure).

``/metrics`` reads the ledger as the request's principal: under an access policy the storage
figures need ``admin`` (give Prometheus a token: ``authorization.credentials`` in its scrape
config), so a reader of one family cannot learn the others' volumes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from fleetledger import Ledger
from fleetledger.consumers.figures import dead_letter_figure
from fleetledger.observe.exposition import exposition
from fleetledger.server.auth import acting
from fleetledger.server.models import Health
from fleetledger.server.problems import ROUTE_PROBLEMS

router = APIRouter(tags=["operations"], responses=ROUTE_PROBLEMS)
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (liveness)."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health)
async def readyz(request: Request) -> Health:
    """The ledger answers a read (readiness); 503 when its storage is out of reach."""
    ledger: Ledger = request.app.state.ledger
    await run_in_threadpool(ledger.heads)
    return Health(status="ready")


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {PROMETHEUS: {"schema": {"type": "string"}}}}},
)
def metrics(ledger: Annotated[Ledger, Depends(acting)]) -> PlainTextResponse:
    """The ledger's Prometheus metrics, read now."""
    text = exposition(ledger, figures=[dead_letter_figure(ledger)])
    return PlainTextResponse(text, media_type=PROMETHEUS)
