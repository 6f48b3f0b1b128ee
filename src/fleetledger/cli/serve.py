"""``fleetledger serve``: the ledger over HTTP (the ``[server]`` extra: FastAPI and uvicorn).

Agents in any language append CloudEvents (structured, binary or batched mode), read, prove,
poll and commit consumer groups, and follow a Server-Sent Events stream; the routes and their
shapes are in the OpenAPI document the server serves at ``/openapi.json``. Requests act as the
principal their bearer token authenticates (``fleetledger tokens create``); a request without
one acts as ``--default-principal``, else is refused (401) when the configuration has an access
policy, else acts as the server's own principal. It listens on loopback unless you say.
"""

from __future__ import annotations

from typing import Annotated

import typer

import fleetledger
from fleetledger import MissingExtra
from fleetledger.cli.common import (
    LedgerURL,
    acting_principal,
    configuration,
    json_option,
    ledger_url,
    output,
    write_json,
)

DEFAULT_PORT = 8077
SERVE_JSON = "one JSON object when listening: {url}"


def serve(
    *,
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (loopback unless you say).")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")
    ] = DEFAULT_PORT,
    default_principal: Annotated[
        str | None,
        typer.Option(
            "--default-principal",
            help="A principal of the configuration file that requests without a token act as.",
            show_default="none: 401 under an access policy",
        ),
    ] = None,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1, help="Largest request body, in bytes (else 413).")
    ] = 4 * 1024 * 1024,
    sample_seconds: Annotated[
        float,
        typer.Option(
            "--sample-seconds",
            min=0,
            help="How often the UI's operations charts are sampled (0: never).",
        ),
    ] = 10.0,
    ledger: LedgerURL = None,
    as_json: Annotated[bool, json_option(SERVE_JSON)] = False,
) -> None:
    """Serve the ledger over HTTP: CloudEvents appends, reads, proofs, groups, SSE, the web UI."""
    try:
        import uvicorn  # noqa: PLC0415 -- the [server] extra

        from fleetledger.server import create_app  # noqa: PLC0415 -- it imports FastAPI
    except ImportError as exc:
        raise MissingExtra("server", exc.name or "fastapi") from exc
    config = configuration()
    default = None if default_principal is None else config.principal(default_principal)
    opened = fleetledger.open(
        ledger_url(ledger),
        default_source="server",
        principal=acting_principal(),
        access=config.access,
        delegate=True,
    )
    try:
        app = create_app(
            opened, default_principal=default, max_body=max_body, sample_seconds=sample_seconds
        )
        settings = uvicorn.Config(
            app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=2
        )
        server = uvicorn.Server(settings)
        where = f"http://{host}:{port}"
        if as_json:
            write_json({"url": where})
        else:
            output().print(
                f"serving {opened.namespace} at {where}, the UI at {where}/ui/ (Ctrl-C stops)"
            )
        server.run()
    finally:
        opened.close()
