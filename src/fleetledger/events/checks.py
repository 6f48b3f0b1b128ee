"""The contract's checks on what a writer gives: each attribute, the time, and the data.

Attributes travel as Kafka headers, land in terminals and log lines, and key partitions, so
they are short text without control characters. ``source`` is a URI-reference (CloudEvents
§3.1.1: RFC 3986, so spaces and other characters outside its grammar are percent-encoded).
``time`` is RFC 3339 with a zone, written back in UTC with four year digits and
microseconds. Every refusal is a :class:`ContractError` whose ``field`` names the attribute
(``data.path`` for the data), so no bad input ends in a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from fleetledger.errors import ContractError
from fleetledger.events.codec import canonical_fields
from fleetledger.events.envelope import WRITER_ATTRIBUTES, format_time
from fleetledger.events.registry import EventType
from fleetledger.types import Classification

MAX_ATTRIBUTE_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
"""Control characters, line separators and lone surrogates: none belongs in an attribute."""
_TRACEPARENT = re.compile(r"[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\Z")
# RFC 3986 URI-reference, by its grammar: [scheme ":"] ["//" authority] path ["?" query]
# ["#" fragment]; "[" and "]" only around an IP literal host, "#" only once, %HH escapes only.
_U = r"A-Za-z0-9\-._~!$&'()*+,;="  # unreserved and sub-delims
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_U}:@]|{_PCT})"
_IP_LITERAL = rf"\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\.[{_U}:]+)\]"
_AUTHORITY = rf"(?:(?:[{_U}:]|{_PCT})*@)?(?:{_IP_LITERAL}|(?:[{_U}]|{_PCT})*)(?::[0-9]*)?"
_URI_REFERENCE = re.compile(
    rf"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?(?://{_AUTHORITY})?(?:{_PCHAR}|/)*"
    rf"(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?\Z"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})\Z"
)
_CLASSIFICATIONS = {c.value: c for c in Classification}
_TRACE_AT = WRITER_ATTRIBUTES.index("traceparent")
_SOURCES: set[str] = set()
_MAX_SOURCES = 4096


def text(name: str, value: object) -> str:
    """``value`` if it is 1 to 1024 characters of text without control characters."""
    if type(value) is str and 0 < len(value) <= MAX_ATTRIBUTE_LENGTH:
        # isprintable() is False for every character _CONTROL finds (and for some it allows,
        # such as format characters): a fast yes for nearly every attribute.
        if (value.isprintable() or not _CONTROL.search(value)) and not value.isspace():
            return value
        if not _encodable(value):
            raise ContractError(f"{name!r} holds a lone surrogate, not text", field=name)
        if value.isspace():
            raise ContractError(f"{name!r} must not be blank", field=name)
        raise ContractError(f"{name!r} must not hold control characters", field=name)
    if value is None:
        raise ContractError(f"{name!r} is required", field=name)
    if type(value) is not str:
        raise ContractError(f"{name!r} must be a string, not {type(value).__name__}", field=name)
    raise ContractError(f"{name!r} must be 1 to {MAX_ATTRIBUTE_LENGTH} characters", field=name)


def source(value: object) -> str:
    """``value`` if it is an attribute text that is an RFC 3986 URI-reference."""
    if type(value) is str and value in _SOURCES:
        return value
    checked = text("source", value)
    if not _URI_REFERENCE.match(checked) or _bad_scheme(checked):
        raise ContractError(
            f"'source' must be a URI-reference (RFC 3986), such as agents/planner or"
            f" urn:agent:planner; percent-encode other characters: {checked!r}",
            field="source",
        )
    if len(_SOURCES) < _MAX_SOURCES:
        _SOURCES.add(checked)  # a fleet has few sources: each is parsed once
    return checked


def _bad_scheme(value: str) -> bool:
    """A colon before any slash makes a scheme, which must start with a letter."""
    head = value.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" in head and not _SCHEME.match(head)


def extension_values(values: Sequence[str | None]) -> None:
    """Check the writer's extension attributes, given in :data:`WRITER_ATTRIBUTES` order
    (``None`` where unset)."""
    for name, value in zip(WRITER_ATTRIBUTES, values, strict=True):
        if value is not None:
            text(name, value)
    trace = values[_TRACE_AT]
    if trace is not None and not _TRACEPARENT.match(trace):
        raise ContractError(
            "traceparent must be W3C trace context: 00-<32 hex>-<16 hex>-<2 hex>",
            field="traceparent",
        )


def classification(default: Classification, given: object) -> str:
    """The event's classification: the type's, or the writer's if it raises it."""
    if given is None:
        return default.value
    chosen = _CLASSIFICATIONS.get(given) if isinstance(given, str) else None
    if chosen is None:
        raise ContractError(
            f"dataclassification {given!r} is not one of "
            + ", ".join(c.value for c in Classification),
            field="dataclassification",
        )
    if chosen.rank < default.rank:
        raise ContractError(
            f"dataclassification may be raised, not lowered below the type's {default.value!r}",
            field="dataclassification",
        )
    return chosen.value


def time(value: object) -> str:
    """A writer's ``time`` (aware ``datetime`` or RFC 3339 text) in the ledger's form."""
    if isinstance(value, datetime):
        moment = value
    elif type(value) is str and _RFC3339.match(value):
        moment = _parse(value)
    else:
        raise ContractError(
            f"'time' must be an RFC 3339 timestamp with a zone (2025-01-31T12:00:00Z) or an"
            f" aware datetime, not {value!r}",
            field="time",
        )
    try:
        return format_time(moment)
    except ContractError as exc:
        raise ContractError(f"'time': {exc}", field="time") from None


def _parse(value: str) -> datetime:
    fraction = re.search(r"\.([0-9]+)", value)
    if fraction is not None and len(fraction[1]) > 6:  # Python keeps microseconds
        value = value.replace(fraction[0], "." + fraction[1][:6])
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ContractError(f"'time' is not a valid moment: {exc}", field="time") from None


def data(spec: EventType, value: Any) -> tuple[Any, bool]:
    """The data checked against the type's model, ready to encode, and whether it needs the
    careful canonical encoder (floats, big integers or odd keys the fast path leaves alone)."""
    try:
        model = spec.check(value)
        if not spec.unplain_fields:
            return model, False
        ready = canonical_fields(model, spec.unplain_fields)
        if ready is not None:
            return ready, False
        return spec.validate(value), True
    except RecursionError:
        raise ContractError(f"{spec.type}: data is nested too deeply", field="data") from None


def encoding_error(envelope: Mapping[str, Any], data: Any, exc: Exception) -> ContractError:
    """Name the attribute or data field the canonical encoder could not write."""
    if isinstance(exc, ContractError) and exc.field is not None:
        # The encoder's paths start at the event ("$.data.score"); fields are "data.score".
        return type(exc)(str(exc), field=exc.field.removeprefix("$."))
    if isinstance(exc, RecursionError):
        return ContractError("data is nested too deeply to encode", field="data")
    field = _invalid_text(envelope, "") or _invalid_text(data, "data")
    if field is None:
        return exc if isinstance(exc, ContractError) else ContractError(str(exc))
    return ContractError(
        f"{field!r} holds text that is not valid Unicode (a lone surrogate)", field=field
    )


def _encodable(value: str) -> bool:
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _invalid_text(value: object, path: str, depth: int = 0) -> str | None:
    """The dotted path of the first string (or key) in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        return None if _encodable(value) else path
    if depth > 200:
        return None
    children: list[tuple[str, object]] = []
    if isinstance(value, msgspec.Struct):  # a data model, as the fast path hands it on
        value = msgspec.structs.asdict(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            children += [(path, key), (f"{path}.{key}" if path else str(key), item)]
    elif isinstance(value, list | tuple):
        children = [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    for child_path, child in children:
        found = _invalid_text(child, child_path, depth + 1)
        if found is not None:
            return found
    return None
