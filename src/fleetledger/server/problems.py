"""Every error the server answers is an RFC 9457 problem (``application/problem+json``).

fleetledger's typed errors map to statuses here, in one table, so a client in any language
branches on ``status`` and ``type`` instead of parsing messages:

=====================================  ======  ==============================================
error                                  status  why
=====================================  ======  ==============================================
``IdConflict``                         409     the id names another event already
``EventTooLarge``, a body too large    413     the payload is over a configured limit
``ContractError`` (and bad parameters) 400     ``field`` names what to fix
``ConfigurationError``                 400     a bad option of the request (a start, a group)
``NotFound``                           404
no or a bad token                      401     with ``WWW-Authenticate: Bearer``
``PolicyViolation`` of an access rule  403     the principal may not append it
``PolicyViolation`` of an ordering     422     the request is allowed and well formed, but the
rule                                           task's history lacks what the rule needs first
``AccessDenied``                       403
``Fenced``                             409     another member holds the partition now
``IntegrityError``                     422     the proof asked for does not hold (reversed
                                               order, no head separates two events, ...)
``Backpressure``                       429     with ``Retry-After`` (whole seconds)
``ReadOnlyLedger``                     403     the server's ledger takes no writes
``BackendError``, ``LedgerClosed``     503     the storage is out of reach: retry later
anything else                          500     a bug: the detail never shows internals
=====================================  ======  ==============================================
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from fleetledger import (
    AccessDenied,
    BackendError,
    Backpressure,
    ConfigurationError,
    ContractError,
    EventTooLarge,
    Fenced,
    IdConflict,
    IntegrityError,
    LedgerClosed,
    NotFound,
    PolicyViolation,
    ReadOnlyLedger,
)

PROBLEM = "application/problem+json"
TYPES = "https://fleetledger.dev/problems/"
"""Problem types are URIs under this base, named for the error (``.../id-conflict``)."""


class Unauthorized(Exception):
    """The request carries no usable credentials and the server needs some (401)."""


class BodyTooLarge(Exception):
    """The request body is larger than the server's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than the limit of {limit} bytes")
        self.limit = limit


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route's problems (RFC 9457 bodies)."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {"description": "A problem (RFC 9457)", "content": {PROBLEM: {"schema": schema}}}
        for status in statuses
    }


ROUTE_PROBLEMS = problems(400, 401, 403, 404, 409, 413, 422, 429, 503)
"""The problems any route may answer (an append adds 409)."""


def problem(
    status: int,
    name: str,
    title: str,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """One problem response: ``type``, ``title``, ``status``, ``detail`` and extensions."""
    body = {"type": TYPES + name, "title": title, "status": status, "detail": detail}
    body.update({k: v for k, v in extensions.items() if v is not None})
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM)


def for_error(exc: Exception) -> JSONResponse:
    """The problem a fleetledger error (or the server's own) answers with."""
    detail = str(exc)
    if isinstance(exc, BodyTooLarge | EventTooLarge):
        return problem(413, "too-large", "Payload too large", detail)
    if isinstance(exc, IdConflict):
        position = exc.position
        where = None if position is None else _position(position)
        return problem(409, "id-conflict", "Event id conflict", detail, field="id", position=where)
    if isinstance(exc, ContractError):
        title = "The event breaks the contract"
        return problem(400, "contract", title, detail, field=exc.field, index=exc.index)
    if isinstance(exc, ConfigurationError):
        return problem(400, "bad-request", "Bad request", detail)
    if isinstance(exc, NotFound):
        return problem(404, "not-found", "Not found", detail)
    if isinstance(exc, Unauthorized):
        headers = {"WWW-Authenticate": 'Bearer realm="fleetledger"'}
        return problem(401, "unauthorized", "Authentication required", detail, headers=headers)
    if isinstance(exc, PolicyViolation):
        return _policy_violation(exc)
    return _operational(exc, detail)


def _operational(exc: Exception, detail: str) -> JSONResponse:
    """Errors of the ledger's state rather than of the request's shape."""
    if isinstance(exc, AccessDenied):
        return problem(403, "access-denied", "Access denied", detail)
    if isinstance(exc, Fenced):
        return problem(409, "fenced", "Partition held by another member", detail)
    if isinstance(exc, IntegrityError):
        return problem(422, "integrity", "The proof does not hold", detail)
    if isinstance(exc, Backpressure):
        retry = max(1, math.ceil(exc.retry_after))
        title = "The ledger is saturated"
        return problem(429, "backpressure", title, detail, headers={"Retry-After": str(retry)})
    if isinstance(exc, ReadOnlyLedger):
        return problem(403, "read-only", "The ledger takes no writes", detail)
    if isinstance(exc, BackendError | LedgerClosed):
        return problem(503, "unavailable", "The storage is unavailable", detail)
    return problem(500, "internal", "Internal error", "the server failed; see its log")


def _policy_violation(exc: PolicyViolation) -> JSONResponse:
    """An access rule's refusal is 403 (who); an ordering rule's is 422 (what comes first)."""
    status, name = (403, "access-denied") if exc.policy == "access" else (422, "policy-violation")
    return problem(
        status,
        name,
        "A policy refused the event",
        str(exc),
        rule=exc.rule,
        policy=exc.policy,
        event_id=exc.event_id,
        index=exc.index,
    )


def _position(position: Any) -> dict[str, Any]:
    topic, partition, offset = position
    return {"topic": topic, "partition": partition, "offset": offset}


async def on_error(_request: Request, exc: Exception) -> JSONResponse:
    """The exception handler for fleetledger's errors and the server's own."""
    return for_error(exc)


async def on_invalid(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's refusal of a parameter or body, as a 400 problem naming the field."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()))
    detail = f"{where}: {first.get('msg', 'invalid')}" if where else "invalid request"
    return problem(400, "bad-request", "Bad request", detail, field=where or None)


async def on_http(_request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (an unknown route, a wrong method) as problems."""
    assert isinstance(exc, HTTPException)
    name = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, name, str(exc.detail), str(exc.detail), headers=headers)
