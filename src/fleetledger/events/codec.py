"""Canonical bytes: the RFC 8785 (JCS) form of an event, so a hash means the same everywhere.

The bytes a ledger stores are exactly these bytes, and integrity proofs hash them; a verifier in
any language can rebuild them from the event alone. msgspec already escapes strings as JCS does;
what needs care is key order (UTF-16 code units) and numbers (ECMAScript ``Number::toString``).

Two things JSON allows in principle are refused with :class:`ContractError` naming where they
sit: text UTF-8 cannot encode (a Python string may hold lone surrogates, which have no UTF-8
form and so no canonical bytes), and objects and arrays nested more than :data:`MAX_DEPTH`
levels deep.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

import msgspec

from fleetledger.errors import ContractError

MAX_SAFE_INTEGER = 2**53 - 1
S = TypeVar("S", bound=msgspec.Struct)

MAX_DEPTH = 100
"""How many levels objects and arrays may nest, counting the outermost value (an event) as one.

Deeper values are refused rather than left to recursion limits: this encoder's, or a reader's
(msgspec and Python's json stop near 1000 levels, serde_json at 128), which would then fail on
stored bytes. An event's ``data`` is level 2, so its own values may nest 98 levels more.
"""
_encode_sorted = msgspec.json.Encoder(order="sorted").encode
_encode = msgspec.json.Encoder().encode


class _Unusual(Exception):
    """Raised by the fast path for anything it leaves to the careful one."""


def canonical_json(value: Any, *, path: str = "$", depth: int = 1) -> bytes:
    """Encode ``value`` (JSON-compatible builtins) as RFC 8785 canonical JSON.

    The fast path lets msgspec sort keys (code-point order equals UTF-16 order unless a key has
    a character beyond the BMP) and only rewrites numbers; anything unusual (such keys, bad
    values) takes the careful path, which also names where a bad value sits. A value encoded
    to sit inside another (an event's data) says where (``path``) and at which level of
    nesting (``depth``: 2 for an event's data), so errors and :data:`MAX_DEPTH` are the
    enclosing document's.
    """
    room = MAX_DEPTH - depth + 1
    try:
        return _encode_sorted(_fast(value, room))
    except (_Unusual, UnicodeEncodeError):  # msgspec cannot write a lone surrogate
        pass
    return _encode(_careful(value, path, room))


class CanonicalEnvelope(msgspec.Struct, omit_defaults=True, gc=False):
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
    datasubject: str | None = None
    orderedafter: str | None = None
    orderedafterleaf: str | None = None

    def attributes(self) -> list[tuple[str, str | int]]:
        """Every attribute but ``data`` that the bytes hold, by name in sorted order."""
        values = msgspec.structs.astuple(self)
        return [(name, values[at]) for name, at in _ATTRIBUTE_FIELDS if values[at] is not None]

    def data_json(self) -> bytes:
        """The canonical bytes of ``data``: exactly the member's value inside the event's."""
        data = self.data
        return bytes(data) if type(data) is msgspec.Raw else _encode_sorted(data)


_ATTRIBUTE_FIELDS = tuple(
    sorted(
        (name, at) for at, name in enumerate(CanonicalEnvelope.__struct_fields__) if name != "data"
    )
)


def canonical_fields(model: S, names: tuple[str, ...]) -> S | None:
    """``model`` (a data model instance) with the attributes in ``names`` ready for RFC 8785
    encoding by msgspec: itself when nothing needs rewriting, else a copy.

    Returns ``None`` when something needs :func:`canonical_json`'s careful path (a key beyond
    the BMP, a value JSON cannot hold, nesting past :data:`MAX_DEPTH`), which also names where
    the fault is. ``model`` is an event's data, so its fields sit inside two levels already.
    A rewritten number may be :class:`msgspec.Raw` in a field typed ``float``: the struct is
    only encoded, never read back as a model.
    """
    changed: dict[str, Any] = {}
    try:
        for name in names:
            value = getattr(model, name)
            ready = _fast(value, MAX_DEPTH - 2)
            if ready is not value:
                changed[name] = ready
    except _Unusual:
        return None
    return msgspec.structs.replace(model, **changed) if changed else model


def encode_event(envelope: CanonicalEnvelope) -> bytes:
    """The canonical bytes of an event: the hot path of every append.

    ``envelope.data`` is a model instance the type proves plain (no floats, large integers or
    free-form keys, so msgspec writes it canonically as it is), a dict from
    :func:`canonical_fields`, or :class:`msgspec.Raw` bytes :func:`canonical_json` wrote (at
    ``depth=2``). The attributes are checked text under fixed ASCII names, which msgspec
    writes canonically.
    """
    return _encode_sorted(envelope)


def _fast(value: Any, room: int) -> Any:
    """``value`` ready for msgspec (itself when it already is: objects and arrays are copied
    only when something inside them changes); ``room`` is how many more levels of nesting may
    open."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value  # a larger int falls through to the final raise
    if kind is dict:
        return _fast_object(value, room)
    if kind is list or kind is tuple:
        return _fast_array(value, room)
    if kind is float:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER and value.is_integer():
            return int(value)  # exact below 2^53, and written without ".0" as JCS wants
        if not math.isfinite(value):
            raise _Unusual
        return msgspec.Raw(es_number(value).encode())
    raise _Unusual


def _fast_object(value: dict[Any, Any], room: int) -> dict[str, Any]:
    if not room:
        raise _Unusual
    out = None
    for key, item in value.items():
        if type(key) is not str or not key.isascii():
            raise _Unusual
        if type(item) is str:
            continue
        ready = _fast(item, room - 1)
        if ready is not item:
            if out is None:
                out = dict(value)
            out[key] = ready
    return value if out is None else out


def _fast_array(value: list[Any] | tuple[Any, ...], room: int) -> list[Any] | tuple[Any, ...]:
    if not room:
        raise _Unusual
    items = None
    for at, item in enumerate(value):
        if type(item) is str:
            continue
        ready = _fast(item, room - 1)
        if ready is not item:
            if items is None:
                items = list(value)
            items[at] = ready
    return value if items is None else items


def _careful(value: Any, path: str, room: int) -> Any:
    kind = type(value)
    if kind is str:
        if not _is_unicode(value):
            raise ContractError(
                f"text at {path} is not valid Unicode (it holds a lone surrogate)", field=path
            )
        return value
    if kind is bool or value is None:
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
        return _careful_object(value, path, _enter(room, path))
    if kind is list or kind is tuple:
        room = _enter(room, path)
        return [_careful(item, f"{path}[{i}]", room) for i, item in enumerate(value)]
    raise ContractError(f"value at {path} of type {kind.__name__} is not JSON", field=path)


def _careful_object(value: dict[Any, Any], path: str, room: int) -> dict[str, Any]:
    # Every key is checked before any path is built from one, so paths are always valid text.
    for key in value:
        if type(key) is not str:
            raise ContractError(f"object key {key!r} at {path} is not a string", field=path)
        if not _is_unicode(key):
            raise ContractError(
                f"object key {key!r} at {path} is not valid Unicode (a lone surrogate)",
                field=path,
            )
    keys = sorted(value, key=_utf16_order)
    return {key: _careful(value[key], f"{path}.{key}", room) for key in keys}


def _enter(room: int, path: str) -> int:
    """The nesting left inside the object or array at ``path``; refused if there is none."""
    if not room:
        raise ContractError(
            f"value at {path} is nested more than {MAX_DEPTH} levels deep", field=path
        )
    return room - 1


def _is_unicode(text: str) -> bool:
    """Whether UTF-8 can encode ``text``: Python strings may hold lone surrogates."""
    if text.isascii():
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


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
