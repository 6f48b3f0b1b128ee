"""Who a request acts as: a bearer token's principal, else the configured default.

The rule, in order:

1. ``Authorization: Bearer flt_<id>_<secret>``: the principal the ledger's token records name
   (:meth:`fleetledger.Ledger.principal_for_token`, read anew each time, so a revocation takes
   effect at the next request). A malformed, unknown, revoked or expired token is 401, never a
   fallback to the default.
2. No token, and the server was given a default principal: that principal.
3. No token, and the ledger has no access policy: the ledger's own principal (an open ledger
   is open to everyone, over HTTP as in-process).
4. No token under an access policy: 401.

Every route then works through ``ledger.acting_for(principal)``, so the ledger's access rules
decide what the request may append, read and administer, exactly as for in-process callers.
"""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from fleetledger import AccessDenied, Ledger, Principal
from fleetledger.server.problems import Unauthorized

SCHEME = "bearer"


def principal_of(ledger: Ledger, authorization: str | None, default: Principal | None) -> Principal:
    """The principal a request with this ``Authorization`` header acts as (rule above)."""
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != SCHEME or not token.strip():
            raise Unauthorized("use Authorization: Bearer flt_<id>_<secret>")
        try:
            return ledger.principal_for_token(token.strip())
        except AccessDenied as exc:
            raise Unauthorized(str(exc)) from exc
    if default is not None:
        return default
    if not ledger.access.configured:
        return ledger.principal
    raise Unauthorized("this ledger has an access policy: give a token (Authorization: Bearer)")


async def acting(request: Request) -> Ledger:
    """The server's ledger acting for the request's principal (a FastAPI dependency).

    Only a token needs the ledger's token records, a read: that one goes to a worker thread.
    Without one the rule is a few attribute lookups, done on the event loop: as a sync
    dependency it cost every request a hand-off to a worker thread and back, 12-15% of the
    server's CPU per single append.
    """
    state = request.app.state
    ledger: Ledger = state.ledger
    authorization = request.headers.get("authorization")
    if authorization:
        principal = await run_in_threadpool(principal_of, ledger, authorization, state.default)
    else:
        principal = principal_of(ledger, None, state.default)
    return ledger.acting_for(principal)
