"""The event contract: the CloudEvents envelope, the catalogue of types, canonical bytes."""

from fleetledger.events.catalogue import BUILTIN_TYPES
from fleetledger.events.codec import canonical_json
from fleetledger.events.envelope import Event, Position, format_time, parse_time
from fleetledger.events.ids import uuid7
from fleetledger.events.registry import (
    EventData,
    EventType,
    Kind,
    TypeRegistry,
)
from fleetledger.types import Classification

__all__ = [
    "BUILTIN_TYPES",
    "Classification",
    "Event",
    "EventData",
    "EventType",
    "Kind",
    "Position",
    "TypeRegistry",
    "canonical_json",
    "format_time",
    "parse_time",
    "uuid7",
]
