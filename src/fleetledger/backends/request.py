"""What the ledger asks of a backend it opens: the URL, and what only the ledger knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetledger.backends.urls import LedgerURL
from fleetledger.integrity import NoteSigner

LEDGER_OPTIONS = frozenset(
    {"namespace", "max_event_bytes", "key", "writer_key", "keys", "kek", "encrypt_from"}
)
"""URL options the ledger itself reads, whatever the backend."""

ClientValue = str | int | float | bool
"""A client library setting's value (``kafka_config``)."""


@dataclass(frozen=True)
class OpenRequest:
    """What the ledger asks of a backend it opens: beyond the URL, what only it knows."""

    url: LedgerURL
    namespace: str
    readonly: bool = False
    """Open for reading only: create nothing, write nothing, sign nothing."""
    signer: NoteSigner | None = None
    """The key a backend that signs as it appends (SQLite) signs checkpoints with."""
    writer_key: bytes | None = None
    """The secret a backend whose records anyone could write (Kafka) attests its own with."""
    client: Mapping[str, ClientValue] = field(default_factory=dict)
    """Client library settings given in code (``kafka_config``): credentials, TLS."""
