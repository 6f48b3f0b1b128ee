"""Event types: the built-in catalogue plus user types, versioned and checked for compatibility.

A type is ``family.name`` (``tool.call.completed`` is family ``tool``); its data model is a
``msgspec.Struct`` deriving from :class:`EventData`. Registering a new version of a type must keep
every event already written readable by the new model, so the check below refuses the changes
that would break old events: a new required field, a removed field, a narrowed type.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import msgspec
from msgspec import inspect as mi

from fleetledger.errors import ContractError, IncompatibleSchema, UnknownEventType
from fleetledger.types import Classification

_TYPE_NAME = re.compile(r"[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+\Z")


class EventData(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every event data model: unknown fields are refused so typos surface at append."""


class Kind(StrEnum):
    """Intents say something should happen; facts say it did."""

    INTENT = "intent"
    FACT = "fact"


@dataclass(frozen=True)
class EventType:
    """One version of one event type and the model its data must satisfy."""

    type: str
    model: builtins.type[EventData]
    kind: Kind = Kind.FACT
    classification: Classification = Classification.INTERNAL
    version: int = 1
    description: str = ""
    confidential: tuple[str, ...] = ()
    """Top-level data fields holding personal or confidential content: encrypted for the
    event's data subject when its classification calls for it. Never a field rules join on."""

    def __post_init__(self) -> None:
        if not _TYPE_NAME.match(self.type):
            raise ContractError(
                f"event type {self.type!r} must look like 'family.name' "
                "(lowercase segments separated by dots)",
                field="type",
            )
        if not (isinstance(self.model, type) and issubclass(self.model, EventData)):
            raise ContractError(f"the data model of {self.type!r} must subclass EventData")
        if self.version < 1:
            raise ContractError(f"{self.type!r}: version must be 1 or more, not {self.version}")
        _check_confidential(self.type, self.model, self.confidential)

    @cached_property
    def family(self) -> str:
        """The first segment of the type: the topic family it is appended to."""
        return self.type.split(".", 1)[0]

    @cached_property
    def unplain_fields(self) -> tuple[str, ...]:
        """Attributes of the model whose values may need canonical rewriting (floats, big
        ints, odd keys).

        Fields the model proves plain (strings, booleans, bounded integers, ...) are encoded as
        they are, which keeps canonical encoding off the hot path for most events.
        """
        info = _struct_info(self.model)
        return tuple(f.name for f in info.fields if not _plain(f.type))

    def check(self, data: Any) -> EventData:
        """Return ``data`` converted to the model (defaults filled in), or raise
        :class:`ContractError` naming the data field at fault."""
        if isinstance(data, msgspec.Struct):
            # convert() hands a model instance back unchecked; its Meta constraints must run.
            data = msgspec.to_builtins(data)
        try:
            return msgspec.convert({} if data is None else data, self.model)
        except msgspec.ValidationError as exc:
            raise _data_error(self.type, exc) from None

    def validate(self, data: Any) -> dict[str, Any]:
        """Return ``data`` checked against the model, as JSON-ready builtins with defaults."""
        value = self.check(data)
        try:
            result: dict[str, Any] = msgspec.to_builtins(value)
        except TypeError as exc:  # a free-form (Any) field holds something JSON cannot
            field = _first_unjson(data, "data") or "data"
            raise ContractError(
                f"{self.type}: invalid data at {field}: {exc}", field=field
            ) from None
        return result


JOIN_FIELDS = frozenset({"call_id", "tool", "approval_id"})
"""Data fields that ordering rules join on and routing reads: never encrypted."""


def _check_confidential(type_: str, model: type[EventData], names: tuple[str, ...]) -> None:
    """Refuse confidential fields that are not the model's own, or that rules join on."""
    if isinstance(names, str) or not isinstance(names, tuple):
        raise ContractError(f"{type_}: confidential must be a tuple of data field names")
    fields = {f.name: f.encode_name for f in _struct_info(model).fields}
    for name in names:
        if fields.get(name) != name:
            raise ContractError(
                f"{type_}: confidential field {name!r} is not a field of {model.__name__}",
                field="confidential",
            )
        if name in JOIN_FIELDS:
            raise ContractError(
                f"{type_}: {name!r} cannot be confidential: rules join events on it",
                field="confidential",
            )


_AT_PATH = re.compile(r" - at (?:`key` in )?`\$\.?(?P<path>[^`]*)`$")
_NAMED_FIELD = re.compile(r"(?:missing required field|contains unknown field) `(?P<path>[^`]+)`")


def _data_error(type_: str, exc: msgspec.ValidationError) -> ContractError:
    message = str(exc)
    field = None
    located = _AT_PATH.search(message)
    if located:
        message = message[: located.start()]
        field = "data." + located["path"] if located["path"] else "data"
    named = _NAMED_FIELD.search(message)
    if named:
        field = (field or "data") + "." + named["path"]
    field = field or "data"  # no path: the data as a whole is wrong (e.g. not an object)
    where = f" at {field}"
    return ContractError(f"{type_}: invalid data{where}: {message}", field=field)


_JSON_SCALARS = (str, int, float, bool, type(None))


def _first_unjson(value: Any, path: str) -> str | None:
    """The dotted path of the first value inside ``value`` that JSON cannot hold."""
    if isinstance(value, dict):
        for key, item in value.items():
            found = path if not isinstance(key, str) else _first_unjson(item, f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_unjson(item, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if isinstance(value, _JSON_SCALARS) else path


class TypeRegistry:
    """The types a ledger accepts: each type name maps to its versions, newest last."""

    def __init__(self, types: Iterable[EventType] = ()) -> None:
        self._versions: dict[str, list[EventType]] = {}
        for event_type in types:
            self.register(event_type)

    def register(self, event_type: EventType) -> EventType:
        """Add a type, or a new version of one after checking it can read the previous one."""
        versions = self._versions.setdefault(event_type.type, [])
        if versions:
            previous = versions[-1]
            if event_type.version <= previous.version:
                raise IncompatibleSchema(
                    f"{event_type.type}: version {event_type.version} is not newer than the "
                    f"registered version {previous.version}",
                    field="version",
                )
            reasons = incompatibilities(previous.model, event_type.model)
            if reasons:
                raise IncompatibleSchema(
                    f"{event_type.type} v{event_type.version} cannot read events written with "
                    f"v{previous.version}: " + "; ".join(reasons),
                )
        versions.append(event_type)
        return event_type

    def get(self, type_: str, version: int | None = None) -> EventType:
        """Return the newest (or the given) version of a type."""
        versions = self._versions.get(type_)
        if not versions:
            raise UnknownEventType(
                f"unknown event type {type_!r}; register it first, or use one of the "
                f"built-in types ({', '.join(sorted(self._versions)[:6])}, ...)",
                field="type",
            )
        if version is None:
            return versions[-1]
        for candidate in versions:
            if candidate.version == version:
                return candidate
        raise UnknownEventType(f"{type_!r} has no version {version}", field="version")

    def __contains__(self, type_: object) -> bool:
        return type_ in self._versions

    def types(self) -> Mapping[str, EventType]:
        """The newest version of every type, by name."""
        return {name: versions[-1] for name, versions in sorted(self._versions.items())}

    def families(self) -> set[str]:
        """Every family some registered type belongs to."""
        return {versions[-1].family for versions in self._versions.values()}


def incompatibilities(old: type[EventData], new: type[EventData]) -> list[str]:
    """Say why ``new`` cannot decode data written for ``old`` (empty when it can)."""
    old_fields = {f.name: f for f in _struct_info(old).fields}
    new_fields = {f.name: f for f in _struct_info(new).fields}
    reasons = [
        f"field {name!r} was removed (old events carry it)"
        for name in old_fields
        if name not in new_fields and _struct_info(new).forbid_unknown_fields
    ]
    for name, field in new_fields.items():
        before = old_fields.get(name)
        if before is None:
            if field.required:
                reasons.append(
                    f"new field {name!r} is required (old events lack it; give it a default)"
                )
        elif field.required and not before.required:
            reasons.append(f"field {name!r} became required (old events may lack it)")
        elif not _widens(before.type, field.type):
            reasons.append(f"field {name!r} changed type in a way old values may not satisfy")
    return reasons


def _struct_info(model: type[EventData]) -> mi.StructType:
    info = mi.type_info(model)
    assert isinstance(info, mi.StructType)
    return info


_LOWER_BOUNDS = ("ge", "gt", "min_length")
_UPPER_BOUNDS = ("le", "lt", "max_length")
_EXACT_CONSTRAINTS = ("pattern", "multiple_of", "tz")


def _widens(old: mi.Type, new: mi.Type) -> bool:
    """True when every value valid for ``old`` is valid for ``new``."""
    if old == new or isinstance(new, mi.AnyType):
        return True
    if isinstance(new, mi.UnionType):
        olds = old.types if isinstance(old, mi.UnionType) else (old,)
        return all(any(_widens(o, n) for n in new.types) for o in olds)
    if isinstance(old, mi.LiteralType):
        if isinstance(new, mi.LiteralType):
            return set(old.values) <= set(new.values)
        return all(_widens(_literal_type(v), new) for v in old.values)
    if isinstance(old, mi.IntType) and isinstance(new, mi.FloatType):
        return _loosens(old, new)
    if type(old) is not type(new) or not _loosens(old, new):
        return False
    if isinstance(old, mi.StructType) and isinstance(new, mi.StructType):
        return not incompatibilities(old.cls, new.cls)  # type: ignore[arg-type]
    if isinstance(old, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return _widens(old.item_type, new.item_type)  # type: ignore[attr-defined]
    if isinstance(old, mi.DictType) and isinstance(new, mi.DictType):
        return _widens(old.key_type, new.key_type) and _widens(old.value_type, new.value_type)
    return isinstance(old, mi.StrType | mi.IntType | mi.FloatType | mi.BoolType | mi.NoneType)


def _loosens(old: mi.Type, new: mi.Type) -> bool:
    """True when ``new``'s constraints (bounds, lengths, patterns) admit all ``old`` admits."""
    for name in _LOWER_BOUNDS + _UPPER_BOUNDS + _EXACT_CONSTRAINTS:
        after = getattr(new, name, None)
        if after is None:
            continue
        before = getattr(old, name, None)
        if before is None:
            return False
        if name in _LOWER_BOUNDS and before < after:
            return False
        if name in _UPPER_BOUNDS and before > after:
            return False
        if name in _EXACT_CONSTRAINTS and before != after:
            return False
    return True


def _literal_type(value: object) -> mi.Type:
    return mi.type_info(type(value))


_SAFE_INTEGER = 2**53 - 1


def _plain(info: mi.Type) -> bool:
    """True when every value of this type encodes canonically as msgspec writes it."""
    if isinstance(info, mi.StrType | mi.BoolType | mi.NoneType):
        return True
    if isinstance(info, mi.IntType):
        low = info.ge if info.ge is not None else info.gt
        high = info.le if info.le is not None else info.lt
        return (
            low is not None and high is not None and -_SAFE_INTEGER <= low <= high <= _SAFE_INTEGER
        )
    if isinstance(info, mi.LiteralType):
        return all(
            isinstance(v, str) or (isinstance(v, int) and abs(v) <= _SAFE_INTEGER)
            for v in info.values
        )
    if isinstance(info, mi.UnionType):
        return all(_plain(t) for t in info.types)
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return _plain(info.item_type)
    if isinstance(info, mi.StructType):
        return all(f.encode_name.isascii() and _plain(f.type) for f in info.fields)
    return False
