"""Rows from stored events: one function turns ``(place, leaf, body)`` slots into a family's
Arrow table, for the exporter and, from the exported bodies alone, for the verifier.

The columns are read from the stored body, never from a decoded or decrypted event: encrypted
fields stay ciphertext, erased ones stay erased, and ``data`` is the body's own bytes for the
member (not a re-encoding), so the row says exactly what the leaf hash covers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import msgspec

from fleetledger.lake._deps import need
from fleetledger.lake.columns import (
    ATTRIBUTES,
    EVENT,
    FOREIGN,
    Kind,
    schema_for,
    typed_value,
)


class Slot(NamedTuple):
    """One leaf of a partition and what the exporter shows of it (``body`` ``None``: a
    hash-only row of ``kind`` withheld or removed)."""

    topic: str
    partition: int
    offset: int
    leaf_index: int
    leaf_hash: bytes
    head: int | None
    kind: str
    body: bytes | None


class _Stored(msgspec.Struct, gc=False):
    """The attributes a stored body may carry, ``data`` as its raw JSON bytes."""

    specversion: str | None = None
    id: str | None = None
    type: str | None = None
    source: str | None = None
    subject: str | None = None
    time: str | None = None
    datacontenttype: str | None = None
    dataversion: int | None = None
    dataclassification: str | None = None
    tenant: str | None = None
    conversationid: str | None = None
    agentid: str | None = None
    agentversion: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    supersedes: str | None = None
    datasubject: str | None = None
    authid: str | None = None
    authtype: str | None = None
    recordedtime: str | None = None
    orderedafter: str | None = None
    orderedafterleaf: str | None = None
    data: msgspec.Raw = msgspec.Raw(b"")


_decode_stored = msgspec.json.Decoder(_Stored).decode
_decode = msgspec.json.decode
_ATTRIBUTE_AT = tuple(_Stored.__struct_fields__.index(name) for name in ATTRIBUTES)


def stored(body: bytes) -> _Stored | None:
    """The attributes of a stored body; ``None`` when it is not a ledger writer's event."""
    try:
        return _decode_stored(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def kind_of_body(body: bytes) -> str:
    """``event`` for a ledger writer's body, ``foreign`` for anything else."""
    return EVENT if stored(body) is not None else FOREIGN


def build(family: str, slots: Sequence[Slot], typed: Mapping[str, Kind]) -> Any:
    """The Arrow table of ``slots`` (all of ``family``) with the ``typed`` columns."""
    pa = need("pyarrow")
    pc = need("pyarrow.compute")
    columns: dict[str, list[Any]] = {name: [] for name in ATTRIBUTES}
    data_column: list[str | None] = []
    typed_columns: dict[str, list[Any]] = {name: [] for name in typed}
    typed_items = [(name, name[5:], kind, typed_columns[name]) for name, kind in typed.items()]
    attribute_columns = [
        (at, columns[name]) for name, at in zip(ATTRIBUTES, _ATTRIBUTE_AT, strict=False)
    ]
    for slot in slots:
        event = None if slot.body is None or slot.kind != EVENT else stored(slot.body)
        values = msgspec.structs.astuple(event) if event is not None else None
        for at, column in attribute_columns:
            column.append(None if values is None else values[at])
        raw = None if event is None or not event.data else event.data
        data_column.append(None if raw is None else bytes(raw).decode())
        fields = _fields(raw) if typed_items else None
        for _, field, kind, column in typed_items:
            column.append(None if fields is None else typed_value(fields.get(field), kind))
    schema = schema_for(typed)
    recorded = _timestamps(columns["recordedtime"], schema.field("recorded_at").type)
    arrays = {
        "family": pa.array([family] * len(slots), pa.string()),
        "day": pc.cast(recorded, pa.date32()),
        "topic": pa.array([s.topic for s in slots], pa.string()),
        "partition": pa.array([s.partition for s in slots], pa.int32()),
        "offset": pa.array([s.offset for s in slots], pa.int64()),
        "leaf_index": pa.array([s.leaf_index for s in slots], pa.int64()),
        "leaf_hash": pa.array([s.leaf_hash for s in slots], pa.binary()),
        "head": pa.array([s.head for s in slots], pa.int64()),
        "row_kind": pa.array([s.kind for s in slots], pa.string()),
        "body": pa.array([s.body for s in slots], pa.binary()),
        **{name: pa.array(values, schema.field(name).type) for name, values in columns.items()},
        "data": pa.array(data_column, pa.string()),
        "recorded_at": recorded,
        **{
            name: pa.array(values, schema.field(name).type)
            for name, values in typed_columns.items()
        },
    }
    return pa.table([arrays[name] for name in schema.names], schema=schema)


def _fields(raw: msgspec.Raw | None) -> dict[str, Any] | None:
    """The event's data as an object, if it is one."""
    if raw is None:
        return None
    value = _decode(raw)
    return value if isinstance(value, dict) else None


def _timestamps(values: list[str | None], arrow: Any) -> Any:
    """Recorded times as timestamps; one that does not parse (a forged body's) is null."""
    pa = need("pyarrow")
    pc = need("pyarrow.compute")
    try:
        return pc.cast(pa.array(values, pa.string()), arrow)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return pa.array([_timestamp(value) for value in values], arrow)


def _timestamp(value: str | None) -> datetime | None:
    try:
        return None if value is None else datetime.fromisoformat(value)
    except ValueError:
        return None
