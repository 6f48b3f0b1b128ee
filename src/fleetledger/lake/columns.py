"""The columns of a family's table: the stored event's place and proof, every CloudEvents
attribute, the data as JSON, and a typed column per scalar data field of the family's types.

Typed columns are named ``data_<field>``. Only fields whose every type in the family agrees on
one scalar kind (text, whole number, number, true/false) get one; objects, lists and fields the
types disagree on are read from the ``data`` JSON column. The kind of a typed column is its
Arrow type, so a verifier with no ledger (and no type registry) rebuilds it from the body alone.
A type that gains a version with a new field gains a column; older rows read it as null.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec.inspect as mi

from fleetledger.events.envelope import LEDGER_ATTRIBUTES, WRITER_ATTRIBUTES
from fleetledger.events.registry import EventType
from fleetledger.lake._deps import need

Kind = Literal["str", "int", "float", "bool"]

ATTRIBUTES: tuple[str, ...] = (
    "specversion",
    "id",
    "type",
    "source",
    "subject",
    "time",
    "datacontenttype",
    "dataversion",
    "dataclassification",
    *WRITER_ATTRIBUTES,
    *LEDGER_ATTRIBUTES,
)
"""Every CloudEvents attribute an event may carry, standard ones first, then the extensions."""

PLACE: tuple[str, ...] = (
    "family",
    "day",
    "topic",
    "partition",
    "offset",
    "leaf_index",
    "leaf_hash",
    "head",
    "row_kind",
    "body",
)
"""Where the row's event sits, what proves it, and what the row holds (``row_kind``)."""

EVENT = "event"
"""A row holding an event: its stored body and every column read from it."""
FOREIGN = "foreign"
"""A row holding a record no ledger writer produced: its body, no attributes."""
WITHHELD = "withheld"
"""A hash-only row: the access policy does not let the exporter show the event."""
REMOVED = "removed"
"""A hash-only row: retention or compaction removed the event; its leaf stays."""

TYPED_PREFIX = "data_"


def base_schema() -> Any:
    """The Arrow schema of the columns every family table has, in order."""
    pa = need("pyarrow")
    place = [
        pa.field("family", pa.string()),
        pa.field("day", pa.date32()),
        pa.field("topic", pa.string()),
        pa.field("partition", pa.int32()),
        pa.field("offset", pa.int64()),
        pa.field("leaf_index", pa.int64()),
        pa.field("leaf_hash", pa.binary()),
        pa.field("head", pa.int64()),
        pa.field("row_kind", pa.string()),
        pa.field("body", pa.binary()),
    ]
    attributes = [
        pa.field(name, pa.int64() if name == "dataversion" else pa.string()) for name in ATTRIBUTES
    ]
    tail = [pa.field("data", pa.string()), pa.field("recorded_at", pa.timestamp("us", tz="UTC"))]
    return pa.schema(place + attributes + tail)


def arrow_type(kind: Kind) -> Any:
    """The Arrow type of a typed column of ``kind``."""
    pa = need("pyarrow")
    return {"str": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}[kind]


def kind_of(arrow: Any) -> Kind | None:
    """The kind of a typed column read back from a table (``None``: not a typed column's)."""
    pa = need("pyarrow")
    if pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        return "str"
    if pa.types.is_integer(arrow):
        return "int"
    if pa.types.is_floating(arrow):
        return "float"
    if pa.types.is_boolean(arrow):
        return "bool"
    return None


def typed_fields(event_types: Iterable[EventType]) -> dict[str, dict[str, Kind]]:
    """Per family, the typed columns (``data_<field>``) and their kinds, in field order."""
    seen: dict[str, dict[str, Kind | None]] = {}
    for event_type in event_types:
        family = seen.setdefault(event_type.type.split(".", 1)[0], {})
        info = mi.type_info(event_type.model)
        assert isinstance(info, mi.StructType)
        for field in info.fields:
            kind = _scalar(field.type)
            name = TYPED_PREFIX + field.name
            if name in family and family[name] != kind:
                family[name] = None  # types of the family disagree: JSON only
            else:
                family.setdefault(name, kind)
    return {f: {n: k for n, k in cols.items() if k is not None} for f, cols in seen.items()}


def _scalar(info: mi.Type) -> Kind | None:
    """The scalar kind of a field's type (optional ones by what they hold), else ``None``."""
    if isinstance(info, mi.UnionType):
        held = [t for t in info.types if not isinstance(t, mi.NoneType)]
        return _scalar(held[0]) if len(held) == 1 else None
    if isinstance(info, mi.StrType):
        return "str"
    if isinstance(info, mi.BoolType):
        return "bool"
    if isinstance(info, mi.IntType):
        return "int"
    if isinstance(info, mi.FloatType):
        return "float"
    if isinstance(info, mi.LiteralType):
        values = {type(v) for v in info.values}
        return "str" if values == {str} else "int" if values == {int} else None
    return None


def schema_for(typed: Mapping[str, Kind]) -> Any:
    """The Arrow schema of a family table with ``typed`` columns."""
    pa = need("pyarrow")
    extra = [pa.field(name, arrow_type(kind)) for name, kind in typed.items()]
    return pa.schema(list(base_schema()) + extra)


def typed_value(value: Any, kind: Kind) -> Any:
    """``value`` as a typed column of ``kind`` holds it: ``None`` when it is not of that kind
    (an encrypted field's ciphertext, an erased one, a field the event does not have)."""
    if kind == "str":
        return value if type(value) is str else None
    if kind == "bool":
        return value if type(value) is bool else None
    if kind == "int":
        return value if type(value) is int and -(2**63) <= value < 2**63 else None
    if type(value) in (int, float):
        return float(value)
    return None


__all__ = [
    "ATTRIBUTES",
    "EVENT",
    "FOREIGN",
    "PLACE",
    "REMOVED",
    "TYPED_PREFIX",
    "WITHHELD",
    "Kind",
    "base_schema",
    "kind_of",
    "schema_for",
    "typed_fields",
    "typed_value",
]
