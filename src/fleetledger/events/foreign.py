"""Foreign records: what sits in a ledger topic without a ledger writer having produced it.

Anyone who can write to a Kafka topic can put anything there; a row can be added to a SQLite
file with plain ``sqlite3``. Such a record is *foreign*: it is shown (marked) by ``tail``,
reported by ``verify``, hashed by the notary as a leaf like any record (so proofs of the
partition stay complete) and mirrored verbatim, but it is never an event: replay, consumers,
policies and projections never count it.

A foreign Kafka record's stored bytes, which its leaf hashes (SHA-256 of 0x00 and them), are
this canonical encoding of what the record holds (RFC 8785 JSON; bytes in standard padded
base64, RFC 4648 §4; ``null`` for a Kafka null)::

    {"foreign":"fleetledger/1",
     "headers":[[<base64 of the header name's UTF-8>, <base64 of the value> | null], ...],
     "key":<base64> | null,
     "value":<base64> | null}

with the headers in the record's order. A ledger event's bytes always start with
``{"a`` (``agentid`` or ``authid``, which the ledger stamps), so the two never collide.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from typing import Any

import msgspec

from fleetledger.types import Position

PREFIX = b'{"foreign":"fleetledger/1",'
"""What the canonical bytes of every foreign record start with."""

Header = tuple[str, bytes | None]


class ForeignRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A record of a ledger topic that no ledger writer produced (see the module docstring)."""

    position: Position | None
    body: bytes
    """Its stored bytes: the canonical encoding, or the stored bytes that are no event."""
    reason: str
    """Why it is foreign, for a person."""

    @property
    def fields(self) -> tuple[bytes | None, list[Header], bytes | None] | None:
        """``(key, headers, value)`` of an encoded Kafka record; ``None`` for other bytes."""
        return decode(self.body)

    def cloudevent(self) -> dict[str, Any] | None:
        """The CloudEvent another producer wrote, for display: structured mode (a JSON object
        as the value, ``content-type: application/cloudevents+json``), which the Kafka binding
        says a consumer SHOULD accept, or binary mode (``ce_`` headers, data as the value).
        ``None`` when the record is neither. Shown, never counted as a ledger event."""
        fields = self.fields
        if fields is None:
            return None
        _, headers, value = fields
        named = {name: item for name, item in headers if item is not None}
        kind = named.get("content-type", b"").split(b";")[0].strip()
        if kind == b"application/cloudevents+json":
            parsed = _json(value)
            return parsed if isinstance(parsed, dict) else None
        attributes = {
            name[3:]: _text(item) for name, item in named.items() if name.startswith("ce_")
        }
        if not attributes:
            return None
        data = _json(value) if kind in (b"", b"application/json") else None
        return {**attributes, "data": data if data is not None else _text(value or b"")}


def encode(key: bytes | None, headers: Sequence[Header], value: bytes | None) -> bytes:
    """The canonical bytes of a foreign Kafka record (see the module docstring)."""
    document = {
        "foreign": "fleetledger/1",
        "headers": [
            [_b64(name.encode("utf-8", "surrogateescape")), _b64(v)] for name, v in headers
        ],
        "key": _b64(key),
        "value": _b64(value),
    }
    return msgspec.json.encode(document, order="sorted")


def decode(body: bytes) -> tuple[bytes | None, list[Header], bytes | None] | None:
    """``(key, headers, value)`` from :func:`encode`'s bytes; ``None`` for any other bytes."""
    if not body.startswith(PREFIX):
        return None
    try:
        document = msgspec.json.decode(body, type=_Encoded)
        headers = [
            (_unb64(name).decode("utf-8", "surrogateescape"), _unb64(value))
            for name, value in document.headers
        ]
        return _unb64(document.key), headers, _unb64(document.value)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError, AttributeError):
        return None


def is_foreign(body: bytes) -> bool:
    """Whether ``body`` is the canonical encoding of a foreign record."""
    return body.startswith(PREFIX)


def foreign_id(body: bytes, offset: int) -> str:
    """The id a foreign record goes by: it names none itself, so its bytes and first offset
    make one (two identical foreign records are still two records)."""
    return f"foreign-{hashlib.sha256(body).hexdigest()[:32]}-{offset}"


class _Encoded(msgspec.Struct, forbid_unknown_fields=True):
    foreign: str
    headers: list[tuple[str, str | None]]
    key: str | None
    value: str | None


def _json(value: bytes | None) -> Any:
    """``value`` parsed as JSON, or ``None`` when it is not (bounded: never raises)."""
    if value is None:
        return None
    try:
        return msgspec.json.decode(value)
    except (msgspec.DecodeError, RecursionError):
        return None


def _text(value: bytes) -> str:
    return value.decode("utf-8", "replace")


def _b64(value: bytes | None) -> str | None:
    return None if value is None else base64.b64encode(value).decode()


def _unb64(value: Any) -> Any:
    return None if value is None else base64.b64decode(value, validate=True)
