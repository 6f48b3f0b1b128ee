"""The ledger: a backend composed with the event contract, sync and async."""

from fleetledger.ledger.aio import AsyncConsumer, AsyncLedger
from fleetledger.ledger.consumer import Consumer, Lag
from fleetledger.ledger.ledger import Ledger, TopicInfo
from fleetledger.ledger.opening import open, open_async
from fleetledger.ledger.prove import ConsistencyProof, InclusionProof
from fleetledger.ledger.urls import DEFAULT_URL, default_url, parse_url

__all__ = [
    "DEFAULT_URL",
    "AsyncConsumer",
    "AsyncLedger",
    "ConsistencyProof",
    "Consumer",
    "InclusionProof",
    "Lag",
    "Ledger",
    "TopicInfo",
    "default_url",
    "open",
    "open_async",
    "parse_url",
]
