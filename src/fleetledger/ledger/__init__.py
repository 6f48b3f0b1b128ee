"""The ledger: the facade over a backend, the event contract and the proof services.

Everything the command line and the other edges use is exported here; the submodules are
the facade's own.
"""

from fleetledger.audit import ConsistencyProof, InclusionProof, StoredHead
from fleetledger.backends.urls import DEFAULT_URL, default_url, parse_url, redact
from fleetledger.ledger.admin import NewToken, PolicyRecord, Token
from fleetledger.ledger.aio import AsyncConsumer, AsyncLedger
from fleetledger.ledger.consumer import Consumer, Lag
from fleetledger.ledger.filters import EventFilter
from fleetledger.ledger.groups import GroupMove
from fleetledger.ledger.ledger import Appended, Erasure, Ledger, TopicInfo
from fleetledger.ledger.opening import DEFAULT_NAMESPACE, open, open_async
from fleetledger.ledger.replayed import HeadReplay
from fleetledger.ledger.signing import (
    KEY_SUFFIX,
    PUB_SUFFIX,
    WRITER_SUFFIX,
    key_path,
    load_signer,
    load_verifier,
    load_writer_key,
    public_key_path,
    write_key_pair,
    write_writer_key,
)
from fleetledger.ledger.view import LedgerLog

__all__ = [
    "HeadReplay",
    "DEFAULT_NAMESPACE",
    "DEFAULT_URL",
    "KEY_SUFFIX",
    "PUB_SUFFIX",
    "WRITER_SUFFIX",
    "Appended",
    "AsyncConsumer",
    "AsyncLedger",
    "ConsistencyProof",
    "Consumer",
    "Erasure",
    "EventFilter",
    "GroupMove",
    "InclusionProof",
    "Lag",
    "Ledger",
    "LedgerLog",
    "NewToken",
    "PolicyRecord",
    "StoredHead",
    "Token",
    "TopicInfo",
    "default_url",
    "key_path",
    "load_signer",
    "load_verifier",
    "load_writer_key",
    "open",
    "open_async",
    "parse_url",
    "public_key_path",
    "redact",
    "write_key_pair",
    "write_writer_key",
]
