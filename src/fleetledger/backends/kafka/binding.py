"""The CloudEvents Kafka protocol binding (binary mode) and its exact inverse. Pure, no I/O.

A ledger event is stored on Kafka the way any CloudEvents consumer expects: each attribute in a
``ce_<name>`` header (UTF-8 text), ``datacontenttype`` in the ``content-type`` header, the event's
``data`` as the message value (its JSON), and the partition key as the message key. The ledger
hashes the RFC 8785 canonical structured form, so :func:`body_from_binary` rebuilds exactly those
bytes from headers and value; ``dataversion`` is the one integer attribute and is turned back
into a number. :func:`to_message` only chooses binary mode after checking that this inverse gives
back the record's body byte for byte, and that the record's columns (id, subject, type, recorded
time) are what the headers say.

Anything else (a body that is not a canonical CloudEvent, as the backend conformance suite
appends) is stored *raw*: the body is the value untouched and the columns travel in ``fl_``
headers, so every record round-trips, whatever its bytes.

Every message also carries ``fl_appended`` (the appending process's clock in nanoseconds,
strictly increasing within that process) and, last, ``fl_mac``: the writer's attestation (see
``attest``). A message read back without a valid attestation, or that cannot be read as what
a ledger writer produces, is *foreign*: :func:`from_message` returns it as a record whose
bytes are the canonical encoding of its key, headers and value
(:mod:`fleetledger.events.foreign`), and :func:`to_message` gives such a record back verbatim,
unattested, so a mirror copies it as the foreign record it is. Reading never raises on what is
in a message: anyone can produce to a topic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec

from fleetledger.backends.kafka.attest import HEADER as MAC_HEADER
from fleetledger.backends.kafka.attest import Attestor, Covered
from fleetledger.backends.protocols import Record, StoredRecord
from fleetledger.errors import LedgerError
from fleetledger.events import foreign
from fleetledger.events.codec import CanonicalEnvelope, canonical_json

Headers = list[tuple[str, bytes]]
"""Kafka message headers as confluent-kafka takes them."""

CE_PREFIX = "ce_"
CONTENT_TYPE = "content-type"
JSON = "application/json"
RAW_CONTENT_TYPE = b"application/octet-stream"
INTEGER_ATTRIBUTES = frozenset({"dataversion"})
"""Attributes the ledger writes as JSON integers; every other attribute is a string."""

APPENDED = "fl_appended"
RAW_ID = "fl_id"
RAW_SUBJECT = "fl_subject"
RAW_TYPE = "fl_type"
RAW_RECORDED_MS = "fl_recorded_ms"

_MAX_NAMES = 1024
_HEADER_NAMES: dict[str, str] = {"datacontenttype": CONTENT_TYPE}
"""Attribute name -> header name, for the valid names seen so far (bounded)."""
_ATTRIBUTE_NAMES: dict[str, str] = {CONTENT_TYPE: "datacontenttype"}
"""Header name -> attribute name: the inverse."""

_decode_any = msgspec.json.decode
_encode_sorted = msgspec.json.Encoder(order="sorted").encode
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DIGITS = re.compile(r"[0-9]{1,19}\Z")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)
UNATTESTED = Attestor(None)
"""The attestor of a ledger with no writer key configured (unkeyed seals)."""


class Message(NamedTuple):
    """What to produce for one record: key, value and headers (partition comes from the record)."""

    key: bytes
    value: bytes
    headers: Headers


class _Data(msgspec.Struct):
    """Only the ``data`` member of a body, as its raw JSON bytes."""

    data: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)


_decode_data = msgspec.json.Decoder(_Data).decode


def to_message(record: Record, appended_ns: int, attestor: Attestor = UNATTESTED) -> Message:
    """Binary mode when it round-trips exactly, raw mode otherwise, attested; a foreign record
    (a mirror's copy of one) verbatim."""
    verbatim = foreign.decode(record.body) if foreign.is_foreign(record.body) else None
    if verbatim is not None:
        key, fields, data = verbatim
        return Message(key, data, fields)  # type: ignore[arg-type]  # Kafka takes nulls
    binary = _from_event(record) or _ledger_binary(record) or _binary(record)
    if binary is not None:
        value, headers = binary
    else:
        value, headers = record.body, _raw_headers(record)
    headers.append((APPENDED, str(appended_ns).encode()))
    key = record.key.encode("utf-8", "surrogateescape")
    seal = attestor.seal(Covered(record.topic, record.partition, key, value, headers))
    headers.append((MAC_HEADER, seal))
    return Message(key, value, headers)


def from_message(
    topic: str,
    partition: int,
    offset: int,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]] | None,
    timestamp_ms: int,
    attestor: Attestor = UNATTESTED,
) -> StoredRecord:
    """The stored record a Kafka message holds: the inverse of :func:`to_message`. Never
    raises on the message's content: what a ledger writer did not produce is foreign."""
    read = Covered(topic, partition, key, value, list(headers or ()))
    if attestor.genuine(read):
        try:
            return _stored(read, offset, timestamp_ms)
        except (ValueError, RecursionError, LedgerError):
            pass  # sealed, but not what a ledger writer produces: foreign all the same
    body = foreign.encode(key, read.headers, value)
    return StoredRecord(
        topic, partition, offset, "", foreign.foreign_id(body, offset), "", "", timestamp_ms, body
    )


def _stored(read: Covered, offset: int, timestamp_ms: int) -> StoredRecord:
    """The record a genuine message holds (raises ValueError if it cannot be read so)."""
    topic, partition, key, value, headers = read
    attributes, fields = _split(headers)
    text_key = (key or b"").decode()
    if RAW_ID in fields:
        return StoredRecord(
            topic,
            partition,
            offset,
            text_key,
            fields[RAW_ID].decode(),
            (fields.get(RAW_SUBJECT) or b"").decode(),
            (fields.get(RAW_TYPE) or b"").decode(),
            _count(fields.get(RAW_RECORDED_MS) or b"0"),
            value or b"",
        )
    recorded = attributes.get("recordedtime")
    recorded_ms = timestamp_ms if recorded is None else millis(str(recorded))
    if recorded_ms < 0:
        raise ValueError(f"recordedtime {recorded!r} is not an RFC 3339 time")
    return StoredRecord(
        topic,
        partition,
        offset,
        text_key,
        str(attributes.get("id", "")),
        str(attributes.get("subject", "")),
        str(attributes.get("type", "")),
        recorded_ms,
        # fleetledger checked its own values are the body's data bytes: splice them back.
        body_from_binary(attributes, value, spliced=APPENDED in fields),
    )


def _count(text: bytes) -> int:
    """A non-negative decimal header value, ASCII digits only."""
    decoded = text.decode("ascii")
    if not _DIGITS.match(decoded):
        raise ValueError(f"not a decimal count: {decoded!r}")
    return int(decoded)


def appended_ns(headers: Sequence[tuple[str, bytes]] | None, timestamp_ms: int) -> int:
    """When the record was appended, for ordering across partitions (Kafka time as fallback)."""
    for name, item in headers or ():
        if name == APPENDED and item:
            try:
                return _count(item)
            except ValueError:
                break
    return timestamp_ms * 1_000_000


def header(headers: Sequence[tuple[str, bytes]] | None, *names: str) -> bytes | None:
    """The first of the named headers present (an event's id is ``ce_id`` or ``fl_id``)."""
    for name, item in headers or ():
        if name in names:
            return item
    return None


ID_HEADERS = ("ce_id", RAW_ID)
SUBJECT_HEADERS = ("ce_subject", RAW_SUBJECT)


def attributes_from_headers(fields: dict[str, bytes]) -> dict[str, Any]:
    """CloudEvents attributes from binary-mode headers, integers restored."""
    return _split(fields.items())[0]


def _split(
    headers: Iterable[tuple[str, bytes | None]],
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Headers in one pass (a read does this for every record): the CloudEvents attributes,
    decoded, integers restored, and every other header as it is. A repeated header counts
    once, with its last value."""
    names = _ATTRIBUTE_NAMES
    attributes: dict[str, Any] = {}
    others: dict[str, bytes] = {}
    for name, item in headers:
        attribute = names.get(name)
        if attribute is None:
            if not name.startswith(CE_PREFIX):
                others[name] = item or b""
                continue
            attribute = _attribute_name(name)
        attributes[attribute] = item.decode() if item else ""
    for name in INTEGER_ATTRIBUTES & attributes.keys():
        text = attributes[name]
        if _DIGITS.match(text):
            attributes[name] = int(text)
    return attributes, others


def body_from_binary(
    attributes: dict[str, Any], value: bytes | None, *, spliced: bool = False
) -> bytes:
    """The canonical structured-mode bytes (RFC 8785) of the event headers and value carry.

    A value fleetledger wrote is already the canonical JSON of the data (:func:`to_message`
    checked it), so it is spliced in as it is (``spliced``). Any other producer's value is
    parsed and canonicalized, giving the bytes a verifier computes from the event alone.
    """
    if value is None:  # a Kafka null value: an event without data
        return canonical_json(attributes)
    if spliced:
        return _encode_sorted({**attributes, "data": msgspec.Raw(value)})
    return canonical_json({**attributes, "data": _decode_any(value)})


def millis(text: str) -> int:
    """Milliseconds since the epoch of an RFC 3339 time (-1 if it does not parse).

    The ledger's own format (``2025-01-01T00:00:00.123456Z``) takes a cached fast path: a read
    computes this for every record.
    """
    if not _RFC3339.match(text):
        return -1
    if len(text) == 27 and text[19] == "." and text[26] == "Z":
        second = _second(text[:19])
        if second is not None:
            return second * 1000 + int(text[20:23])
    fraction = re.search(r"\.([0-9]+)", text)
    if fraction is not None and len(fraction[1]) > 6:  # Python keeps microseconds
        text = text.replace(fraction[0], "." + fraction[1][:6])
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return -1
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@lru_cache(maxsize=4096)
def _second(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text + "+00:00")
    except ValueError:
        return None
    return (moment - _EPOCH) // timedelta(seconds=1)


class _LedgerEvent(msgspec.Struct, omit_defaults=True):
    """The attributes the ledger writes, and ``data`` as raw JSON: :func:`_ledger_binary`'s view.

    Every field is optional, so any body of the ledger's own shape decodes; a body with other
    attributes or other types does not round-trip through this struct, and takes the general
    path.
    """

    agentid: str | None = None
    agentversion: str | None = None
    authid: str | None = None
    authtype: str | None = None
    causationid: str | None = None
    conversationid: str | None = None
    correlationid: str | None = None
    data: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    dataclassification: str | None = None
    datacontenttype: str | None = None
    datasubject: str | None = None
    dataversion: int | None = None
    id: str | None = None
    orderedafter: str | None = None
    orderedafterleaf: str | None = None
    recordedtime: str | None = None
    source: str | None = None
    specversion: str | None = None
    subject: str | None = None
    supersedes: str | None = None
    tenant: str | None = None
    time: str | None = None
    traceparent: str | None = None
    type: str | None = None


_LEDGER_HEADERS = tuple(
    _HEADER_NAMES.get(name, CE_PREFIX + name) for name in _LedgerEvent.__struct_fields__
)
"""The header of each field of :class:`_LedgerEvent`, in field order (``data``'s is unused)."""
_ENVELOPE_HEADERS = tuple(
    (at, _HEADER_NAMES.get(name, CE_PREFIX + name))
    for name, at in sorted(
        (name, at) for at, name in enumerate(CanonicalEnvelope.__struct_fields__) if name != "data"
    )
)
"""``(field index, header)`` of each attribute of the core's envelope, in name order."""
_ENVELOPE_VERSION = CanonicalEnvelope.__struct_fields__.index("dataversion")
_DATA_FIELD = _LedgerEvent.__struct_fields__.index("data")
_VERSION_FIELD = _LedgerEvent.__struct_fields__.index("dataversion")
_decode_ledger_event = msgspec.json.Decoder(_LedgerEvent).decode


def _from_event(record: Record) -> tuple[bytes, Headers] | None:
    """Binary mode straight from the attributes the ledger's core encoded into the body
    (``record.event``), with no parse and no re-encoding: the same headers, in the same
    order (the attributes' sorted names, :meth:`CanonicalEnvelope.attributes`), and the same
    value as :func:`_ledger_binary` makes of that body.

    The core's envelope is canonical by construction (checked text, ``dataversion`` a
    catalogue version): what is left to check is what a record's columns or an odd attribute
    may change, as in :func:`_ledger_binary`. None: no envelope, or one that takes the other
    paths.
    """
    event = record.event
    if (
        event is None
        or event.id != record.id
        or event.subject != record.subject
        or event.type != record.type
        or event.datacontenttype != JSON
        or event.dataversion < 0
        or millis(event.recordedtime) != record.recorded_ms
    ):
        return None
    values: list[Any] = list(msgspec.structs.astuple(event))
    values[_ENVELOPE_VERSION] = str(event.dataversion)
    try:
        headers = [
            (name, values[at].encode()) for at, name in _ENVELOPE_HEADERS if values[at] is not None
        ]
    except UnicodeEncodeError:  # a lone surrogate has no UTF-8 form
        return None
    return event.data_json(), headers


def _ledger_binary(record: Record) -> tuple[bytes, Headers] | None:
    """:func:`_binary` for bodies of the ledger's own shape, about four times faster.

    One typed decode instead of two untyped ones, no per-attribute checks: a body that encodes
    back to itself byte for byte through :class:`_LedgerEvent` is canonical, names only
    attributes the ledger writes, as strings (``dataversion`` a non-negative integer). Anything
    else returns None and :func:`_binary` decides.
    """
    try:
        event = _decode_ledger_event(record.body)
    except (ValueError, RecursionError):  # msgspec's errors are ValueErrors, as is bad UTF-8
        return None
    data = event.data
    if (
        not data
        or _encode_sorted(event) != record.body
        or event.datacontenttype not in (None, JSON)
        or (event.dataversion is not None and event.dataversion < 0)
        or event.id != record.id
        or event.subject != record.subject
        or event.type != record.type
        or event.recordedtime is None
        or millis(event.recordedtime) != record.recorded_ms
    ):
        return None
    values: list[Any] = list(msgspec.structs.astuple(event))
    values[_DATA_FIELD] = None  # the message value, not a header
    if event.dataversion is not None:
        values[_VERSION_FIELD] = str(event.dataversion)
    try:
        headers = [
            (name, value.encode())
            for name, value in zip(_LEDGER_HEADERS, values, strict=True)
            if value is not None
        ]
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape has no UTF-8 form
        return None
    return bytes(data), headers


def _binary(record: Record) -> tuple[bytes, Headers] | None:
    """Binary-mode value and headers, or None when they would not give back the exact body."""
    try:
        event = _decode_any(record.body)
        data = _decode_data(record.body).data
    except (ValueError, RecursionError):
        return None
    if type(event) is not dict or not data:
        return None
    del event["data"]
    if not _plain(event) or not _columns_match(record, event):
        return None
    if _encode_sorted({**event, "data": data}) != record.body:
        return None  # not canonical JSON: splicing the value would not give the body back
    try:
        headers = [(_header_name(name), str(value).encode()) for name, value in event.items()]
    except UnicodeEncodeError:  # a lone surrogate from a JSON escape has no UTF-8 form
        return None
    return bytes(data), headers


def _plain(event: dict[str, Any]) -> bool:
    """Whether every attribute survives the trip through a text header and back."""
    if not event.keys() <= _HEADER_NAMES.keys() and not all(map(_valid_name, event)):
        return False
    if event.get("datacontenttype", JSON) != JSON:
        return False
    # An integer attribute comes back from its header as a number only from digits: a negative
    # number, or digits in a string, would not give back the same body.
    for name in INTEGER_ATTRIBUTES & event.keys():
        value = event[name]
        if type(value) is not int or value < 0:
            return False
    return all(
        type(value) is str for name, value in event.items() if name not in INTEGER_ATTRIBUTES
    )


def _valid_name(name: str) -> bool:
    """CloudEvents attribute names are lowercase ASCII letters and digits."""
    if name in _HEADER_NAMES:
        return True
    if not (name.isascii() and name.isalnum() and name.islower()):
        return False
    _attribute_name(CE_PREFIX + name)
    return True


def _attribute_name(header: str) -> str:
    """``ce_subject`` -> ``subject``, remembered (a ledger uses a handful of names)."""
    name = header[len(CE_PREFIX) :]
    if len(_ATTRIBUTE_NAMES) < _MAX_NAMES:
        _ATTRIBUTE_NAMES[header] = name
        _HEADER_NAMES[name] = header
    return name


def _header_name(attribute: str) -> str:
    return _HEADER_NAMES.get(attribute) or CE_PREFIX + attribute


def _columns_match(record: Record, attributes: dict[str, Any]) -> bool:
    recorded = attributes.get("recordedtime")
    return (
        attributes.get("id") == record.id
        and attributes.get("subject") == record.subject
        and attributes.get("type") == record.type
        and isinstance(recorded, str)
        and millis(recorded) == record.recorded_ms
    )


def _raw_headers(record: Record) -> Headers:
    return [
        (CONTENT_TYPE, RAW_CONTENT_TYPE),
        (RAW_ID, record.id.encode("utf-8", "surrogateescape")),
        (RAW_SUBJECT, record.subject.encode("utf-8", "surrogateescape")),
        (RAW_TYPE, record.type.encode("utf-8", "surrogateescape")),
        (RAW_RECORDED_MS, str(record.recorded_ms).encode()),
    ]
