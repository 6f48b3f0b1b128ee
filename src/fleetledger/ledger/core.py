"""The sans-I/O heart of a ledger: validate, stamp, encode and place an event.

Everything here is pure computation shared by :class:`Ledger` and :class:`AsyncLedger`: the
same input yields the same bytes whatever backend stores them. The encoded body is the RFC 8785
form of the CloudEvents structured JSON, ledger stamps included, position excluded; backends
store exactly those bytes.
"""

from __future__ import annotations

import builtins
import re
import time as _time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from fleetledger.backends.protocols import Record, StoredRecord
from fleetledger.errors import ConfigurationError, ContractError, EventTooLarge
from fleetledger.events.codec import CanonicalEnvelope, canonical_data, encode_event
from fleetledger.events.envelope import (
    CONTENT_TYPE,
    LEDGER_ATTRIBUTES,
    SPECVERSION,
    WRITER_ATTRIBUTES,
    Event,
    Position,
    format_time,
    parse_time,
)
from fleetledger.events.ids import uuid7
from fleetledger.events.registry import Classification, EventType, TypeRegistry
from fleetledger.governance.principal import Principal
from fleetledger.topics import FamilyPolicy, partition_for, topic_name

Clock = Callable[[], int]
"""Returns the current time in nanoseconds since the epoch (``time.time_ns`` by default)."""

DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
MAX_ATTRIBUTE_LENGTH = 1024
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$")
_CLASSIFICATION_RANK = {c.value: i for i, c in enumerate(Classification)}
_CORE_FIELDS = frozenset({"type", "source", "subject", "data", "id", "time", "dataclassification"})
APPEND_FIELDS = _CORE_FIELDS | frozenset(WRITER_ATTRIBUTES)
_decode = msgspec.json.Decoder(Event).decode
_set = msgspec.structs.force_setattr


class _Route:
    """What appending one type needs, computed once per type: spec, policy, topic, key."""

    __slots__ = ("classification", "key_attribute", "policy", "spec", "topic")

    def __init__(self, spec: EventType, policy: FamilyPolicy, topic: str, key_attribute: str):
        self.spec = spec
        self.policy = policy
        self.topic = topic
        self.key_attribute = key_attribute
        self.classification = spec.classification.value


class LedgerCore:
    """Turns a writer's event into a :class:`Record`, and stored records back into events."""

    def __init__(
        self,
        *,
        namespace: str,
        registry: TypeRegistry,
        policies: Mapping[str, FamilyPolicy],
        principal: Principal,
        clock: Clock = _time.time_ns,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        default_source: str | None = None,
    ) -> None:
        if not _NAMESPACE.match(namespace):
            raise ConfigurationError(
                f"namespace {namespace!r} must be letters, digits, '_' or '-' (at most 100)",
            )
        if max_event_bytes < 1024:
            raise ConfigurationError(
                f"max_event_bytes must be at least 1024, not {max_event_bytes}"
            )
        self.namespace = namespace
        self.registry = registry
        self.policies = dict(policies)
        self.principal = principal
        self.max_event_bytes = max_event_bytes
        self.default_source = default_source
        self._clock = clock
        self._routes: dict[str, _Route] = {}
        self._last_us = 0
        self._second = -1
        self._second_text = ""

    def topic(self, family: str) -> str:
        """The topic a family's events go to."""
        return topic_name(self.namespace, family)

    def topics(self) -> dict[str, FamilyPolicy]:
        """Every topic this ledger's families need, with its policy."""
        return {self.topic(family): policy for family, policy in self.policies.items()}

    def family(self, topic: str) -> str:
        """The family of one of this ledger's topics."""
        return topic.removeprefix(self.namespace + ".")

    def now_ms(self) -> int:
        """The ledger clock's current time in milliseconds since the epoch."""
        return self._clock() // 1_000_000

    def prepare(
        self,
        type: str,
        *,
        subject: str,
        source: str | None = None,
        data: Any = None,
        id: str | None = None,
        time: datetime | str | None = None,
        dataclassification: str | None = None,
        **extensions: str | None,
    ) -> Record:
        """Validate, stamp and encode one event; raise :class:`ContractError` naming the fault."""
        event = {
            "type": type,
            "subject": subject,
            "source": source,
            "data": data,
            "id": id,
            "time": time,
            "dataclassification": dataclassification,
            **extensions,
        }
        return self.prepare_many([event])[0]

    def prepare_many(self, events: Sequence[Mapping[str, Any]]) -> list[Record]:
        """Validate, stamp and encode events given as mappings of :meth:`prepare`'s arguments.

        The events of one call are accepted together, so they share one ``recordedtime``.
        A :class:`ContractError` from event ``i`` says ``event i:`` when there are several.
        """
        recorded_us = self._now_us()
        stamps = {
            "recordedtime": self._format_us(recorded_us),
            "authid": self.principal.id,
            "authtype": self.principal.type,
        }
        records = []
        for index, event in enumerate(events):
            try:
                records.append(self._build(event, stamps, recorded_us // 1000))
            except ContractError as exc:
                if len(events) > 1:  # keep the error's type and attributes (size, limit, field)
                    exc.args = (f"event {index}: {exc}", *exc.args[1:])
                    exc.index = index
                raise
        return records

    def _build(self, event: Mapping[str, Any], stamps: dict[str, str], recorded_ms: int) -> Record:
        if builtins.type(event) is not dict and not isinstance(event, Mapping):
            raise ContractError(
                f"an event must be a mapping of attributes, not {builtins.type(event).__name__}"
            )
        plain = event.keys() <= _CORE_FIELDS
        if not plain and not event.keys() <= APPEND_FIELDS:
            raise _unknown_attributes(set(event) - APPEND_FIELDS)
        get = event.get
        type_ = get("type")
        cached = self._routes.get(type_) if builtins.type(type_) is str else None
        route = cached or self._route(type_)
        spec = route.spec
        source = get("source")
        event_id = get("id")
        classification = get("dataclassification")
        moment = get("time")
        subject = _text("subject", get("subject"))
        extensions = {} if plain else _extensions(event)
        if classification is not None:
            classification = _classification(spec.classification, classification)
        data: Any
        validated: Any
        if spec.unplain_fields:
            validated = spec.validate(get("data"))
            data = canonical_data(validated, spec.unplain_fields)
        else:
            data = validated = spec.check(get("data"))
        envelope = CanonicalEnvelope(
            specversion=SPECVERSION,
            id=uuid7() if event_id is None else _text("id", event_id),
            type=spec.type,
            source=_text("source", self.default_source if source is None else source),
            subject=subject,
            time=stamps["recordedtime"] if moment is None else _time_text(moment),
            datacontenttype=CONTENT_TYPE,
            dataversion=spec.version,
            dataclassification=route.classification if classification is None else classification,
            data=validated if data is None else data,
            **stamps,
            **extensions,
        )
        key = subject if route.key_attribute == "subject" else extensions.get(route.key_attribute)
        if key is None:
            raise ContractError(
                f"family {spec.family!r} is partitioned by {route.policy.key.value}: "
                f"set {route.key_attribute!r} on {type_} events",
                field=route.key_attribute,
            )
        try:
            body = encode_event(envelope, careful=data is None)
        except (ContractError, UnicodeEncodeError) as exc:
            fields = msgspec.structs.asdict(envelope)
            raise _encoding_error(fields, validated, exc) from None
        if len(body) > self.max_event_bytes:
            raise EventTooLarge(len(body), self.max_event_bytes)
        return Record(
            route.topic,
            partition_for(key, route.policy.partitions),
            key,
            envelope.id,
            subject,
            spec.type,
            recorded_ms,
            body,
        )

    def _route(self, type_: object) -> _Route:
        spec = self.registry.get(_text("type", type_))
        policy = self.policies.get(spec.family)
        if policy is None:
            raise ContractError(f"family {spec.family!r} has no topic policy", field="type")
        route = _Route(spec, policy, self.topic(spec.family), policy.key.attribute)
        self._routes[spec.type] = route
        return route

    def forget_routes(self) -> None:
        """Drop cached type routes after a type or policy changed."""
        self._routes.clear()

    @staticmethod
    def decode(record: StoredRecord) -> Event:
        """The event a stored record holds, with its position."""
        event = _decode(record.body)
        _set(event, "position", Position(record.topic, record.partition, record.offset))
        return event

    def _now_us(self) -> int:
        # Recorded times never go backwards within a ledger, so time lookups can bisect offsets.
        now = self._clock() // 1000
        now = max(now, self._last_us)
        self._last_us = now
        return now

    def _format_us(self, us: int) -> str:
        second, micro = divmod(us, 1_000_000)
        if second != self._second:
            self._second = second
            self._second_text = _time.strftime("%Y-%m-%dT%H:%M:%S", _time.gmtime(second))
        return f"{self._second_text}.{micro:06d}Z"


def _text(name: str, value: object) -> str:
    if type(value) is str and 0 < len(value) <= MAX_ATTRIBUTE_LENGTH and not value.isspace():
        return value
    if type(value) is not str:
        if value is None:
            raise ContractError(f"{name!r} is required", field=name)
        raise ContractError(f"{name!r} must be a string, not {type(value).__name__}", field=name)
    if not value or len(value) > MAX_ATTRIBUTE_LENGTH or value.isspace():
        raise ContractError(
            f"{name!r} must be 1 to {MAX_ATTRIBUTE_LENGTH} characters and not blank", field=name
        )
    return value


def _extensions(event: Mapping[str, Any]) -> dict[str, str]:
    """The writer's extension attributes that are set, checked."""
    found = {}
    for name in event.keys() - _CORE_FIELDS:
        value = event[name]
        if value is not None:
            found[name] = _text(name, value)
    trace = found.get("traceparent")
    if trace is not None and not _TRACEPARENT.match(trace):
        raise ContractError(
            "traceparent must be W3C trace context: 00-<32 hex>-<16 hex>-<2 hex>",
            field="traceparent",
        )
    return found


def _encoding_error(envelope: Mapping[str, Any], data: Any, exc: Exception) -> ContractError:
    """Name the attribute or data field the canonical encoder could not write."""
    if isinstance(exc, ContractError) and exc.field is not None:
        # The encoder's paths start at the event ("$.data.score"); fields are "data.score".
        return type(exc)(str(exc), field=exc.field.removeprefix("$."))
    field = _invalid_text(envelope, "") or _invalid_text(data, "data")
    if field is None:
        return exc if isinstance(exc, ContractError) else ContractError(str(exc))
    return ContractError(
        f"{field!r} holds text that is not valid Unicode (a lone surrogate)", field=field
    )


def _invalid_text(value: object, path: str) -> str | None:
    """The dotted path of the first string (or key) in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path
        return None
    children: list[tuple[str, object]] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            children += [(path, key), (f"{path}.{key}" if path else str(key), item)]
    elif isinstance(value, list | tuple):
        children = [(f"{path}[{i}]", item) for i, item in enumerate(value)]
    for child_path, child in children:
        found = _invalid_text(child, child_path)
        if found is not None:
            return found
    return None


def _unknown_attributes(names: set[str]) -> ContractError:
    stamped = sorted(names & set(LEDGER_ATTRIBUTES))
    if stamped:
        return ContractError(
            f"{', '.join(stamped)}: stamped by the ledger from its principal and clock; "
            "writers cannot set it",
            field=stamped[0],
        )
    return ContractError(
        f"unknown event attribute(s) {', '.join(sorted(names))}; "
        f"allowed: {', '.join(sorted(APPEND_FIELDS))}",
        field=sorted(names)[0],
    )


def _classification(default: Classification, given: str | None) -> str:
    if given is None:
        return default.value
    rank = _CLASSIFICATION_RANK.get(given)
    if rank is None:
        raise ContractError(
            f"dataclassification {given!r} is not one of "
            + ", ".join(c.value for c in Classification),
            field="dataclassification",
        )
    if rank < _CLASSIFICATION_RANK[default.value]:
        raise ContractError(
            f"dataclassification may be raised, not lowered below the type's {default.value!r}",
            field="dataclassification",
        )
    return given


def _time_text(value: datetime | str) -> str:
    try:
        moment = value if isinstance(value, datetime) else parse_time(_text("time", value))
        return format_time(moment)
    except (ValueError, TypeError) as exc:
        if isinstance(exc, ContractError):
            raise
        raise ContractError(
            f"'time' must be an RFC 3339 timestamp with a zone: {exc}", field="time"
        ) from None
