"""The app factory: one FastAPI application over one ledger.

The server opens (or is given) one ledger with the delegation right (``delegate=True``) and
serves every request through ``ledger.acting_for(principal)`` (see :mod:`.auth`), so what a
request may do is what the ledger's access policy says its principal may do.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException

import fleetledger
from fleetledger import Ledger, LedgerError, Principal
from fleetledger.server import appends, groups, ops, proofs, reads, series, stream, ui
from fleetledger.server.limits import DEFAULT_MAX_BODY, BodyLimit
from fleetledger.server.models import Problem
from fleetledger.server.problems import BodyTooLarge, Unauthorized, on_error, on_http, on_invalid

DEFAULT_PENDING = 64
"""Appends in flight at most before the server answers 429 (the SQLite writer is one)."""
DEFAULT_STREAM_SECONDS = 3600.0
"""How long one SSE connection lasts before the client reconnects (and resumes)."""


def create_app(
    ledger: str | Ledger | None = None,
    *,
    default_principal: Principal | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_pending: int = DEFAULT_PENDING,
    stream_seconds: float = DEFAULT_STREAM_SECONDS,
    sample_seconds: float = series.DEFAULT_INTERVAL,
    **open_options: Any,
) -> FastAPI:
    """The HTTP API over ``ledger``: an open :class:`Ledger` (opened with ``delegate=True``;
    the caller closes it), or a URL the app opens with ``open_options`` and closes on shutdown.

    ``default_principal`` is whom a request without a token acts as (see :mod:`.auth`);
    ``sample_seconds`` how often the operations page's figures are sampled (0: never).
    """
    owned = not isinstance(ledger, Ledger)
    opened = (
        fleetledger.open(ledger, delegate=True, **open_options)
        if not isinstance(ledger, Ledger)
        else ledger
    )

    figures = series.Series(opened, interval=sample_seconds) if sample_seconds > 0 else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        sampler = asyncio.create_task(series.sampling(figures)) if figures else None
        try:
            yield
        finally:
            if sampler is not None:
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
            if owned:
                opened.close()

    app = FastAPI(
        title="fleetledger",
        version=fleetledger.__version__,
        summary="The coordination ledger for fleets of AI agents, over HTTP.",
        lifespan=lifespan,
    )
    app.state.ledger = opened
    app.state.default = default_principal
    app.state.admission = appends.Admission(max_pending)
    app.state.stream_seconds = stream_seconds
    app.state.series = figures
    for error in (LedgerError, Unauthorized, BodyTooLarge, Exception):
        app.add_exception_handler(error, on_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(HTTPException, on_http)
    for module in (appends, stream, proofs, reads, groups, ops, series):
        app.include_router(module.router)
    app.mount(ui.ASSETS, ui.assets(), name="ui-assets")
    app.include_router(ui.router)
    app.add_middleware(BodyLimit, limit=max_body)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def openapi_text() -> str:
    """The OpenAPI document as checked into the repository (``server/openapi.json``): sorted,
    indented, the same for every ledger. Regenerate it with ``python -c "from
    fleetledger.server.app import openapi_text; print(openapi_text(), end='')" >
    src/fleetledger/server/openapi.json``."""
    app = create_app("memory://")
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the problem schema the routes' error responses name."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema()
        app.openapi_schema = document
    return app.openapi_schema
