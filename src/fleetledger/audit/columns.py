"""The columns a backend indexes an event by must say what the event's own bytes say.

Proofs cover the stored bytes only. Lookups do not read them: ``get`` finds an event by its
``id`` column, ``replay`` a task by its ``subject`` column, ``offset_for_time`` bisects the
``recorded_ms`` column, and an event's partition is where its ``key`` column hashes. On
SQLite those are plain columns beside the body (on Kafka, headers, key and timestamp beside
the value), so someone who edits a column, not the bytes, would leave every proof intact yet
hide an event from its task's replay or show it in another's. ``verify --deep`` compares each
stored event's columns with its bytes; it decodes every body, so it is not the default.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from fleetledger.backends.protocols import StoredRecord
from fleetledger.topics import FamilyPolicy, partition_for

_decode = msgspec.json.Decoder().decode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def mismatches(
    records: Iterable[StoredRecord], policy: FamilyPolicy
) -> list[tuple[StoredRecord, str]]:
    """Each record whose indexed columns contradict its bytes, with what differs."""
    found = []
    for record in records:
        problem = _problem(record, policy)
        if problem is not None:
            found.append((record, problem))
    return found


def _problem(record: StoredRecord, policy: FamilyPolicy) -> str | None:
    try:
        event = _decode(record.body)
    except msgspec.DecodeError:
        return "its bytes are not JSON"  # also a leaf mismatch, unless the leaf was forged too
    if not isinstance(event, dict):
        return "its bytes are not a JSON object"
    said = {
        "id": event.get("id"),
        "subject": event.get("subject"),
        "type": event.get("type"),
        "key": event.get(policy.key.attribute),
        "recorded_ms": _ms(event.get("recordedtime")),
    }
    stored = {
        "id": record.id,
        "subject": record.subject,
        "type": record.type,
        "key": record.key,
        "recorded_ms": record.recorded_ms,
    }
    for name, value in said.items():
        if stored[name] != value:
            return f"its {name} column is {stored[name]!r}, its bytes say {value!r}"
    home = partition_for(record.key, policy.partitions)
    if record.partition != home:
        return f"its key {record.key!r} belongs in partition {home}"
    return None


def _ms(value: Any) -> int | None:
    """Milliseconds since the epoch of an RFC 3339 ``recordedtime``, as the ledger stamps it."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - _EPOCH) // _MICROSECOND // 1000
