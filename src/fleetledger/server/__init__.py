"""``fleetledger serve``: the ledger over HTTP, for agents in any language.

CloudEvents appends (structured, binary, batched), reads, proofs, consumer groups and a
resumable Server-Sent Events stream, every route acting as the principal a bearer token
authenticates; errors are RFC 9457 problems. Needs the ``[server]`` extra (FastAPI, uvicorn).
"""

from fleetledger.server.app import create_app

__all__ = ["create_app"]
