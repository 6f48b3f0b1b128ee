"""The sans-I/O heart of a ledger: the staged write path, and decoding what is stored.

Everything here is pure computation shared by :class:`Ledger` and :class:`AsyncLedger`: the
same input yields the same bytes whatever backend stores them. A writer's event goes through
named stages, each with one job:

1. **validate**: the attributes and the data against the contract (:mod:`.checks`);
2. **authorize**: may the principal append it (the governance layer's rules plug in here);
3. **stamp**: ``recordedtime`` from the hybrid logical clock, ``authid``/``authtype`` from
   the principal;
4. **encrypt**: confidential data fields for their data subject (a seam for governance);
5. **encode**: the RFC 8785 bytes of the CloudEvents structured JSON, stamps included,
   position excluded: what every backend stores and every proof hashes;
6. **route**: the topic, partition and key it goes to.

Reading goes the other way: :meth:`LedgerCore.decode` turns stored bytes back into an
:class:`Event`, or a :class:`ForeignRecord` when no ledger writer produced them.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from fleetledger.backends.protocols import Record, StoredRecord
from fleetledger.errors import ConfigurationError, ContractError, EventTooLarge
from fleetledger.events import checks
from fleetledger.events.codec import CanonicalEnvelope, canonical_json, encode_event
from fleetledger.events.envelope import CONTENT_TYPE, SPECVERSION, Event
from fleetledger.events.foreign import ForeignRecord, is_foreign
from fleetledger.events.ids import uuid7
from fleetledger.events.new import NewEvent
from fleetledger.events.order import HybridClock
from fleetledger.events.registry import EventType, TypeRegistry
from fleetledger.governance.principal import Principal
from fleetledger.topics import FamilyPolicy, family_of, partition_for, topic_name
from fleetledger.topics.naming import check_namespace
from fleetledger.types import Position

Clock = Callable[[], int]
"""Returns the current time in nanoseconds since the epoch (``time.time_ns`` by default)."""

Rule = Callable[[Principal, "Sequence[Valid]"], None]
"""An authorization rule: raises :class:`~fleetledger.errors.AccessDenied` to refuse a batch."""

DEFAULT_MAX_EVENT_BYTES = 1024 * 1024
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
        self.classification = spec.classification


class Valid:
    """An event that passed validation: what the later stages need, nothing re-checked."""

    __slots__ = ("careful", "classification", "data", "event", "extensions", "route", "source")

    def __init__(
        self,
        event: NewEvent,
        route: _Route,
        *,
        source: str,
        classification: str,
        extensions: dict[str, str],
        data: Any,
        careful: bool,
    ) -> None:
        self.event = event
        self.route = route
        self.source = source
        self.classification = classification
        self.extensions = extensions
        self.data = data
        self.careful = careful
        """Whether the data needs the careful canonical encoder (see ``checks.data``)."""

    @property
    def family(self) -> str:
        """The family (topic) the event goes to."""
        return self.route.spec.family

    @property
    def key(self) -> str:
        """The partition key: the attribute the family is partitioned by."""
        if self.route.key_attribute == "subject":
            return self.event.subject
        return self.extensions[self.route.key_attribute]


class LedgerCore:
    """Turns writers' events into :class:`Record` values, and stored records back into events."""

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
        if max_event_bytes < 1024:
            raise ConfigurationError(
                f"max_event_bytes must be at least 1024, not {max_event_bytes}"
            )
        if default_source is not None:
            checks.source(default_source)
        self.namespace = check_namespace(namespace)
        self.registry = registry
        self.policies = dict(policies)
        self.principal = principal
        self.max_event_bytes = max_event_bytes
        self.default_source = default_source
        self.clock = HybridClock(clock)
        self.rules: list[Rule] = []
        """Authorization rules run at the authorize stage, in order (none: open ledger)."""
        self._physical = clock
        self._routes: dict[str, _Route] = {}

    def topic(self, family: str) -> str:
        """The topic a family's events go to."""
        return topic_name(self.namespace, family)

    def topics(self) -> dict[str, FamilyPolicy]:
        """Every topic this ledger's families need, with its policy."""
        return {self.topic(family): policy for family, policy in self.policies.items()}

    @staticmethod
    def family(topic: str) -> str:
        """The family of one of this ledger's topics."""
        return family_of(topic)

    def now_ms(self) -> int:
        """The ledger clock's current (physical) time in milliseconds since the epoch."""
        return self._physical() // 1_000_000

    # -- the write path ----------------------------------------------------------------------

    def prepare(self, event: NewEvent, *, principal: Principal | None = None) -> Record:
        """One event through every stage; :class:`ContractError` names the fault."""
        return self.prepare_many([event], principal=principal)[0]

    def prepare_many(
        self, events: Sequence[NewEvent | Mapping[str, Any]], *, principal: Principal | None = None
    ) -> list[Record]:
        """Events through every stage, as one batch: each is validated before any is stamped,
        and they take consecutive recorded times in batch order. A fault in event ``i`` of
        several says ``event i:`` and sets the error's ``index``."""
        who, count = principal or self.principal, len(events)
        valid: list[Valid] = []
        try:
            for event in events:
                valid.append(self.validate(event))
        except ContractError as exc:
            raise _numbered(exc, len(valid), count) from None
        self.authorize(who, valid)
        first = self.clock.tick(count)
        records: list[Record] = []
        try:
            for checked in valid:
                records.append(self._build(checked, who, first + len(records)))
        except ContractError as exc:
            raise _numbered(exc, len(records), count) from None
        return records

    def validate(self, event: NewEvent | Mapping[str, Any]) -> Valid:
        """Stage 1: the event's attributes and data, checked against the contract."""
        new = NewEvent.of(event)
        route = self._routes.get(new.type) if type(new.type) is str else None
        route = route or self._route(new.type)
        checks.text("subject", new.subject)
        source = new.source if new.source is not None else self.default_source
        checks.source(source)
        if new.id is not None:
            checks.text("id", new.id)
        extensions = checks.extensions(new)
        classification = checks.classification(route.classification, new.dataclassification)
        data, careful = checks.data(route.spec, new.data)
        valid = Valid(
            new,
            route,
            source=source,  # type: ignore[arg-type]  # checks.source refused None
            classification=classification,
            extensions=extensions,
            data=data,
            careful=careful,
        )
        if route.key_attribute != "subject" and route.key_attribute not in extensions:
            raise ContractError(
                f"family {route.spec.family!r} is partitioned by {route.policy.key.value}: "
                f"set {route.key_attribute!r} on {new.type} events",
                field=route.key_attribute,
            )
        return valid

    def authorize(self, principal: Principal, batch: Sequence[Valid]) -> None:
        """Stage 2: every rule may refuse the batch (raising); none is an open ledger."""
        for rule in self.rules:
            rule(principal, batch)

    def _build(self, valid: Valid, principal: Principal, recorded_us: int) -> Record:
        """Stages 3 to 6 for one validated event: stamp, encrypt, encode, route."""
        envelope = self._stamp(valid, principal, recorded_us)
        envelope, body = self._encode(self.encrypt(envelope), valid)
        route = valid.route
        key = valid.key
        return Record(
            route.topic,
            partition_for(key, route.policy.partitions),
            key,
            envelope.id,
            envelope.subject,
            envelope.type,
            recorded_us // 1000,
            body,
            envelope,
            valid.event.id is None,
        )

    def _stamp(self, valid: Valid, principal: Principal, recorded_us: int) -> CanonicalEnvelope:
        """Stage 3: the ledger's own attributes, and the defaults a writer left out."""
        event, spec = valid.event, valid.route.spec
        recorded = self.clock.format(recorded_us)
        return CanonicalEnvelope(
            specversion=SPECVERSION,
            id=uuid7() if event.id is None else event.id,
            type=spec.type,
            source=valid.source,
            subject=event.subject,
            time=recorded if event.time is None else checks.time(event.time),
            datacontenttype=CONTENT_TYPE,
            dataversion=spec.version,
            dataclassification=valid.classification,
            authid=principal.id,
            authtype=principal.type,
            recordedtime=recorded,
            data=valid.data,
            **valid.extensions,
        )

    def encrypt(self, envelope: CanonicalEnvelope) -> CanonicalEnvelope:
        """Stage 4: confidential fields encrypted for their data subject (none yet)."""
        return envelope

    def _encode(self, envelope: CanonicalEnvelope, valid: Valid) -> tuple[CanonicalEnvelope, bytes]:
        """Stage 5: the canonical bytes, within the size limit (data that needs the careful
        encoder is encoded first and carried as raw JSON, so the envelope says what the bytes
        hold)."""
        try:
            if valid.careful:
                data = canonical_json(envelope.data, path="$.data", depth=2)
                envelope = msgspec.structs.replace(envelope, data=msgspec.Raw(data))
            body = encode_event(envelope)
        except (ContractError, UnicodeEncodeError, RecursionError) as exc:
            raise checks.encoding_error(msgspec.structs.asdict(envelope), valid.data, exc) from None
        if len(body) > self.max_event_bytes:
            raise EventTooLarge(len(body), self.max_event_bytes)
        return envelope, body

    def _route(self, type_: object) -> _Route:
        spec = self.registry.get(checks.text("type", type_))
        policy = self.policies.get(spec.family)
        if policy is None:
            raise ContractError(f"family {spec.family!r} has no topic policy", field="type")
        route = _Route(spec, policy, self.topic(spec.family), policy.key.attribute)
        self._routes[spec.type] = route
        return route

    def forget_routes(self) -> None:
        """Drop cached type routes after a type or policy changed."""
        self._routes.clear()

    # -- the read path -----------------------------------------------------------------------

    def decode(self, record: StoredRecord) -> Event | ForeignRecord:
        """The event a stored record holds, with its position; a :class:`ForeignRecord` when
        its bytes are not a ledger event (see :mod:`fleetledger.events.foreign`)."""
        position = Position(record.topic, record.partition, record.offset)
        body = record.body
        if is_foreign(body):
            return ForeignRecord(position=position, body=body, reason=_FOREIGN)
        try:
            event = _decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            return ForeignRecord(position=position, body=body, reason=f"not a ledger event: {exc}")
        _set(event, "position", position)
        return event

    def events(self, records: Iterable[StoredRecord]) -> list[Event]:
        """The events among ``records`` (foreign records left out), the clock told of them."""
        return self.read(records)[0]

    def read(self, records: Iterable[StoredRecord]) -> tuple[list[Event], list[ForeignRecord]]:
        """``records`` decoded: the events, and the foreign records; reading events moves the
        clock past them (:meth:`observe`), so what is appended next is recorded after."""
        events: list[Event] = []
        strangers: list[ForeignRecord] = []
        latest = -1
        for record in records:
            decoded = self.decode(record)
            if isinstance(decoded, Event):
                events.append(decoded)
                latest = max(latest, record.recorded_ms)
            else:
                strangers.append(decoded)
        if latest >= 0:
            self.observe(latest)
        return events, strangers

    def observe(self, recorded_ms: int) -> None:
        """Tell the clock an event recorded in millisecond ``recorded_ms`` was read: later
        appends are stamped after it."""
        self.clock.observe(recorded_ms * 1000 + 999)


_FOREIGN = "written into a ledger topic by a producer that is not a ledger writer"


def _numbered(exc: ContractError, index: int, count: int) -> ContractError:
    """``exc``, about event ``index`` of ``count``, saying which when there are several (its
    type and attributes kept)."""
    if count > 1 and exc.index is None:
        exc.args = (f"event {index}: {exc}", *exc.args[1:])
        exc.index = index
    return exc
