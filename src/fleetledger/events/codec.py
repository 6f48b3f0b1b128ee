"""Canonical bytes: the RFC 8785 (JCS) form of an event, so a hash means the same everywhere.

The bytes a ledger stores are exactly these bytes, and integrity proofs hash them; a verifier in
any language can rebuild them from the event alone. msgspec already escapes strings as JCS does;
what needs care is key order (UTF-16 code units) and numbers (ECMAScript ``Number::toString``).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec

from fleetledger.errors import ContractError

MAX_SAFE_INTEGER = 2**53 - 1
_encode_sorted = msgspec.json.Encoder(order="sorted").encode
_encode = msgspec.json.Encoder().encode


class _Unusual(Exception):
    """Raised by the fast path for anything it leaves to the careful one."""


def canonical_json(value: Any) -> bytes:
    """Encode ``value`` (JSON-compatible builtins) as RFC 8785 canonical JSON.

    The fast path lets msgspec sort keys (code-point order equals UTF-16 order unless a key has
    a character beyond the BMP) and only rewrites numbers; anything unusual (such keys, bad
    values) takes the careful path, which also names where a bad value sits.
    """
    try:
        return _encode_sorted(_fast(value))
    except _Unusual:
        pass
    try:
        return _encode(_careful(value, "$"))
    except UnicodeEncodeError as exc:
        raise ContractError(f"text is not valid Unicode: {exc.reason}") from None


class CanonicalEnvelope(msgspec.Struct, omit_defaults=True, kw_only=True):
    """The attributes of a stored event, for :func:`encode_event`.

    Encoded with sorted field names, which is RFC 8785 key order for these ASCII names;
    optional extensions left at ``None`` are omitted.
    """

    specversion: str
    id: str
    type: str
    source: str
    subject: str
    time: str
    datacontenttype: str
    dataversion: int
    dataclassification: str
    authid: str
    authtype: str
    recordedtime: str
    data: Any
    tenant: str | None = None
    conversationid: str | None = None
    agentid: str | None = None
    agentversion: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    supersedes: str | None = None


def canonical_data(data: dict[str, Any], walk: tuple[str, ...]) -> dict[str, Any] | None:
    """``data`` with the fields named in ``walk`` made ready for RFC 8785 encoding.

    Returns ``None`` when something needs :func:`canonical_json`'s careful path (a key beyond
    the BMP, a value JSON cannot hold), which also names where the fault is.
    """
    fixed = dict(data)
    try:
        for name in walk:
            fixed[name] = _fast(fixed[name])
    except _Unusual:
        return None
    return fixed


def encode_event(envelope: CanonicalEnvelope, *, careful: bool = False) -> bytes:
    """The canonical bytes of an event: the hot path of every append.

    ``envelope.data`` is a model instance the type proves plain (no floats, large integers or
    free-form keys, so msgspec writes it canonically as it is) or a dict from
    :func:`canonical_data`; ``careful`` sends everything through :func:`canonical_json`.
    """
    if careful:
        fields = msgspec.structs.asdict(envelope)
        return canonical_json({k: v for k, v in fields.items() if v is not None})
    return _encode_sorted(envelope)


def _fast(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        out = {}
        for key, item in value.items():
            if type(key) is not str or not key.isascii():
                raise _Unusual
            out[key] = item if type(item) is str else _fast(item)
        return out
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise _Unusual
    if kind is float:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER and value.is_integer():
            return int(value)  # exact below 2^53, and written without ".0" as JCS wants
        if not math.isfinite(value):
            raise _Unusual
        return msgspec.Raw(es_number(value).encode())
    if kind is list or kind is tuple:
        return [_fast(item) for item in value]
    raise _Unusual


def _careful(value: Any, path: str) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        raise ContractError(
            f"integer at {path} is beyond ±2^53-1 and would lose precision in JSON; "
            "send it as a string",
            field=path,
        )
    if kind is float:
        return msgspec.Raw(es_number(value, path).encode())
    if kind is dict:
        return _careful_object(value, path)
    if kind is list or kind is tuple:
        return [_careful(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise ContractError(f"value at {path} of type {kind.__name__} is not JSON", field=path)


def _careful_object(value: dict[Any, Any], path: str) -> dict[str, Any]:
    for key in value:
        if type(key) is not str:
            raise ContractError(f"object key {key!r} at {path} is not a string", field=path)
    keys = sorted(value, key=_utf16_order)
    return {key: _careful(value[key], f"{path}.{key}") for key in keys}


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def es_number(value: float, path: str = "$") -> str:
    """Format a float as ECMAScript's ``Number.prototype.toString`` does (JCS section 3.2.2.3)."""
    if not math.isfinite(value):
        raise ContractError(f"number at {path} is {value}, which JSON cannot carry", field=path)
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text and not text.endswith(".0"):
        return text  # plain decimal notation: Python and ECMAScript agree on the digits
    sign = "-" if value < 0 else ""
    mantissa, _, exponent = repr(abs(value)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    run = whole + fraction
    stripped = run.lstrip("0")
    digits = stripped.rstrip("0")
    k = len(digits)
    n = len(whole) - (len(run) - len(stripped)) + (int(exponent) if exponent else 0)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = f"{digits[:n]}.{digits[n:]}"
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        rest = f".{digits[1:]}" if k > 1 else ""
        text = f"{digits[0]}{rest}e{'+' if n > 0 else '-'}{abs(n - 1)}"
    return sign + text
