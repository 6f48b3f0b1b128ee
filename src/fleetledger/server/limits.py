"""The request body limit, enforced while the body streams in (a missing or false
``Content-Length`` does not get past it): larger bodies are 413 before they are buffered."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fleetledger.server.problems import BodyTooLarge, for_error

DEFAULT_MAX_BODY = 4 * 1024 * 1024
"""4 MiB: room for a batch of events at the ledger's default event size limit."""


class BodyLimit:
    """ASGI middleware refusing request bodies above ``limit`` bytes."""

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await for_error(BodyTooLarge(self.limit))(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counted, send)
