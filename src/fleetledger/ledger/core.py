"""The sans-I/O heart of a ledger: the staged write path, and decoding what is stored.

Everything here is pure computation shared by :class:`Ledger` and :class:`AsyncLedger`: the
same input yields the same bytes whatever backend stores them. A writer's event goes through
named stages, each with one job:

1. **validate**: the attributes and the data against the contract (:mod:`.checks`);
2. **authorize**: may the principal append it (the governance layer's rules plug in here);
3. **stamp**: ``recordedtime`` from the hybrid logical clock, ``authid``/``authtype`` from
   the principal;
4. **encrypt**: confidential data fields sealed for their data subject when the event's
   classification calls for it (:mod:`.fields`), so the bytes below hold the ciphertext;
5. **encode**: the RFC 8785 bytes of the CloudEvents structured JSON, stamps included,
   position excluded: what every backend stores and every proof hashes;
6. **route**: the topic, partition and key it goes to.

Reading goes the other way: :meth:`LedgerCore.decode` turns stored bytes back into an
:class:`Event` (its sealed fields opened for a reader holding the key store), or a
:class:`ForeignRecord` when no ledger writer produced them.
"""

from __future__ import annotations

import time as _time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import msgspec

from fleetledger.backends.protocols import Record, StoredRecord
from fleetledger.errors import ConfigurationError, ContractError, EventTooLarge
from fleetledger.events import checks, foreign
from fleetledger.events.codec import CanonicalEnvelope, canonical_json, encode_event
from fleetledger.events.envelope import CONTENT_TYPE, SPECVERSION, WRITER_ATTRIBUTES, Event
from fleetledger.events.foreign import ForeignRecord
from fleetledger.events.ids import uuid7
from fleetledger.events.new import NewEvent
from fleetledger.events.order import HybridClock, recorded_us
from fleetledger.events.registry import EventType, TypeRegistry
from fleetledger.governance.principal import Principal
from fleetledger.ledger.fields import SEALED_MARK, FieldCrypto
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

    __slots__ = (
        "classification",
        "key_attribute",
        "key_field",
        "partitions",
        "policy",
        "spec",
        "topic",
    )

    def __init__(self, spec: EventType, policy: FamilyPolicy, topic: str, key_attribute: str):
        self.spec = spec
        self.policy = policy
        self.topic = topic
        self.key_attribute = key_attribute
        self.key_field = _FIELD_INDEX[key_attribute]
        """Where the key sits among a :class:`NewEvent`'s fields."""
        self.classification = spec.classification.value
        self.partitions: dict[str, int] = {}
        """Partition of each key seen (bounded): a task's events share one key."""

    def partition(self, key: str) -> int:
        """The partition ``key`` maps to (Kafka's default partitioner), cached."""
        found = self.partitions.get(key)
        if found is None:
            if len(self.partitions) >= _MAX_CACHED_KEYS:
                self.partitions.clear()
            found = self.partitions[key] = partition_for(key, self.policy.partitions)
        return found


class Valid(msgspec.Struct, gc=False):
    """An event that passed validation: what the later stages need, nothing re-checked."""

    event: NewEvent
    route: _Route
    source: str
    classification: str
    extensions: tuple[str | None, ...]
    """The extension attributes in :data:`WRITER_ATTRIBUTES` order, ``None`` where unset."""
    data: Any
    careful: bool
    """Whether the data needs the careful canonical encoder (see ``checks.data``)."""
    key: str
    """The partition key: the attribute the family is partitioned by."""

    @property
    def family(self) -> str:
        """The family (topic) the event goes to."""
        return self.route.spec.family


_FIELDS = NewEvent.__struct_fields__
_FIELD_INDEX = {name: at for at, name in enumerate(_FIELDS)}
_EXTENSIONS = slice(_FIELD_INDEX[WRITER_ATTRIBUTES[0]], _FIELD_INDEX[WRITER_ATTRIBUTES[-1]] + 1)
_ENVELOPE_EXTENSIONS = CanonicalEnvelope.__struct_fields__.index(WRITER_ATTRIBUTES[0])
assert (
    _FIELDS[_EXTENSIONS]
    == WRITER_ATTRIBUTES
    == CanonicalEnvelope.__struct_fields__[
        _ENVELOPE_EXTENSIONS : _ENVELOPE_EXTENSIONS + len(WRITER_ATTRIBUTES)
    ]
)
_UNSET = (None,) * len(WRITER_ATTRIBUTES)
_MAX_CACHED_KEYS = 65536
_astuple = msgspec.structs.astuple
_position = tuple.__new__
"""``Position`` without its Python-level ``__new__``: reads make one per event."""
_PREFIX = foreign.PREFIX
_PREFIX_SIZE = len(_PREFIX)
_SEALED = SEALED_MARK
_new_record = tuple.__new__
"""``Record`` without its Python-level ``__new__``: the hot path builds one per event."""


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
        fields: FieldCrypto | None = None,
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
        self.fields = fields or FieldCrypto(None)
        """Seals confidential fields at the encrypt stage and opens them at decode."""
        self.rules: list[Rule] = []
        """Authorization rules run at the authorize stage, in order (none: open ledger)."""
        self._physical = clock
        self._routes: dict[str, _Route] = {}
        self._seen = ""
        """The latest recorded time read so far (fixed-width text compares as time)."""

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
        self,
        events: Sequence[NewEvent | Mapping[str, Any]],
        *,
        principal: Principal | None = None,
        trusted: bool = False,
    ) -> list[Record]:
        """Events through every stage, as one batch: each is validated before any is stamped,
        and they take consecutive recorded times in batch order. A fault in event ``i`` of
        several says ``event i:`` and sets the error's ``index``.

        Each stage takes the whole batch, so the per-batch work (the clock, minting ids, the
        principal) is done once, and a batch costs one loop per stage, not calls per event.
        ``trusted``: the ledger's own records (a refusal it records), which no rule may refuse.
        """
        who = principal or self.principal
        valid = self.validate_many(events)
        if not trusted:
            self.authorize(who, valid)
        first_us, envelopes = self.stamp(valid, who)
        return self.encode(valid, self.encrypt(valid, envelopes), first_us)

    def validate_many(self, events: Sequence[NewEvent | Mapping[str, Any]]) -> list[Valid]:
        """Stage 1 for a batch (see :meth:`validate`)."""
        valid: list[Valid] = []
        try:
            for event in events:
                valid.append(self.validate(event))
        except ContractError as exc:
            raise _numbered(exc, len(valid), len(events)) from None
        return valid

    def validate(self, event: NewEvent | Mapping[str, Any]) -> Valid:
        """Stage 1: the event's attributes and data, checked against the contract."""
        new = event if type(event) is NewEvent else NewEvent.of(event)
        values = _astuple(new)  # every attribute by position, in one call
        kind = values[0]
        route = self._routes.get(kind) if type(kind) is str else None
        if route is None:
            route = self._route(kind)
        checks.text("subject", values[1])
        source = values[2]
        source = checks.source(self.default_source if source is None else source)
        if values[4] is not None:
            checks.text("id", values[4])
        extensions = values[_EXTENSIONS]
        if extensions != _UNSET:
            checks.extension_values(extensions)
        classification = route.classification
        if values[6] is not None:
            classification = checks.classification(route.spec.classification, values[6])
        data, careful = checks.data(route.spec, values[3])
        key = values[route.key_field]
        if key is None:
            raise ContractError(
                f"family {route.spec.family!r} is partitioned by {route.policy.key.value}: "
                f"set {route.key_attribute!r} on {route.spec.type} events",
                field=route.key_attribute,
            )
        return Valid(new, route, source, classification, extensions, data, careful, key)

    def authorize(self, principal: Principal, batch: Sequence[Valid]) -> None:
        """Stage 2: every rule may refuse the batch (raising); none is an open ledger."""
        for rule in self.rules:
            rule(principal, batch)

    def stamp(
        self, batch: Sequence[Valid], principal: Principal
    ) -> tuple[int, list[CanonicalEnvelope]]:
        """Stage 3: the ledger's own attributes, and the defaults writers left out: recorded
        times from the hybrid clock (consecutive microseconds from the first, returned with
        the envelopes), minted ids, the principal."""
        count = len(batch)
        first = us = self.clock.tick(count)
        minted = iter(uuid7.many(sum(1 for v in batch if v.event.id is None)))
        author, kind, recorded_at = principal.id, principal.type, self.clock.format
        envelopes: list[CanonicalEnvelope] = []
        try:
            for valid in batch:
                new, spec = valid.event, valid.route.spec
                recorded = recorded_at(us)
                us += 1
                envelopes.append(
                    CanonicalEnvelope(
                        SPECVERSION,
                        next(minted) if new.id is None else new.id,
                        spec.type,
                        valid.source,
                        new.subject,
                        recorded if new.time is None else checks.time(new.time),
                        CONTENT_TYPE,
                        spec.version,
                        valid.classification,
                        author,
                        kind,
                        recorded,
                        valid.data,
                        *valid.extensions,
                    )
                )
        except ContractError as exc:
            raise _numbered(exc, len(envelopes), count) from None
        return first, envelopes

    def encrypt(
        self, batch: Sequence[Valid], envelopes: list[CanonicalEnvelope]
    ) -> list[CanonicalEnvelope]:
        """Stage 4: the type's confidential fields sealed for the event's data subject, in
        events whose classification is at or above the threshold (``restricted`` by default)."""
        fields = self.fields
        sealing = [
            (at, names)
            for at, valid in enumerate(batch)
            if (names := valid.route.spec.confidential)
            and fields.applies(valid.classification, names)
        ]
        if not sealing:
            return envelopes
        subjects = {envelopes[at].datasubject or envelopes[at].subject for at, _ in sealing}
        fields.prefetch(subjects, envelopes[sealing[0][0]].type)
        for at, names in sealing:
            try:
                envelopes[at] = fields.sealed(envelopes[at], names)
            except ContractError as exc:
                raise _numbered(exc, at, len(batch)) from None
        return envelopes

    def encode(
        self, batch: Sequence[Valid], envelopes: Sequence[CanonicalEnvelope], first_us: int
    ) -> list[Record]:
        """Stages 5 and 6: the canonical bytes of each event, within the size limit, and the
        record that routes them to their topic, partition and key."""
        records: list[Record] = []
        limit = self.max_event_bytes
        try:
            for valid, stamped in zip(batch, envelopes, strict=True):
                envelope = _careful(stamped) if valid.careful else stamped
                try:
                    body = encode_event(envelope)
                except (UnicodeEncodeError, RecursionError) as exc:
                    raise _encoding_error(envelope, exc) from None
                if len(body) > limit:
                    raise EventTooLarge(len(body), limit)
                route, key = valid.route, valid.key
                records.append(
                    _new_record(
                        Record,
                        (
                            route.topic,
                            route.partition(key),
                            key,
                            envelope.id,
                            envelope.subject,
                            envelope.type,
                            (first_us + len(records)) // 1000,
                            body,
                            envelope,
                            valid.event.id is None,
                        ),
                    )
                )
        except ContractError as exc:
            raise _numbered(exc, len(records), len(batch)) from None
        return records

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
        events, strangers = self.page(
            record.topic, record.partition, [(record.offset, record.body)]
        )
        return events[0] if events else strangers[0]

    def events(self, records: Iterable[StoredRecord]) -> list[Event]:
        """The events among ``records`` (foreign records left out), the clock told of them."""
        return self.located((r.topic, r.partition, r.offset, r.body) for r in records)[0]

    def page(
        self, topic: str, partition: int, rows: Iterable[tuple[int, bytes]]
    ) -> tuple[list[Event], list[ForeignRecord]]:
        """``(offset, body)`` rows of one partition decoded (see :meth:`located`)."""
        return self.located((topic, partition, offset, body) for offset, body in rows)

    def located(
        self, rows: Iterable[tuple[str, int, int, bytes]]
    ) -> tuple[list[Event], list[ForeignRecord]]:
        """``(topic, partition, offset, body)`` rows decoded: the events, and the foreign
        records; reading events moves the clock past them, so what is appended next is
        recorded after."""
        events: list[Event] = []
        strangers: list[ForeignRecord] = []
        for topic, partition, offset, body in rows:
            position = _position(Position, (topic, partition, offset))
            try:
                if body[:_PREFIX_SIZE] == _PREFIX:
                    raise _Foreign
                event = _decode(body)
            except (_Foreign, msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
                strangers.append(_stranger(position, body, exc))
                continue
            if _SEALED in body:
                self.fields.open(event)
            _set(event, "position", position)
            events.append(event)
        self._saw(events)
        return events, strangers

    def _saw(self, events: list[Event]) -> None:
        """Tell the clock of the latest recorded time among ``events``."""
        if events:
            latest = max(event.recordedtime or "" for event in events)
            if latest > self._seen:
                self._seen = latest
                self.clock.observe(recorded_us(latest))


_FOREIGN = "written into a ledger topic by a producer that is not a ledger writer"


class _Foreign(Exception):
    """A record's bytes are the canonical encoding of a foreign record."""


def _stranger(position: Position, body: bytes, exc: Exception) -> ForeignRecord:
    """The foreign record at ``position``, and why (``exc``: why it is no event)."""
    reason = _FOREIGN if isinstance(exc, _Foreign) else f"not a ledger event: {exc}"
    return ForeignRecord(position=position, body=body, reason=reason)


def _careful(envelope: CanonicalEnvelope) -> CanonicalEnvelope:
    """``envelope`` with its data encoded by the careful canonical encoder, as raw JSON."""
    try:
        data = canonical_json(envelope.data, path="$.data", depth=2)
    except (ContractError, UnicodeEncodeError, RecursionError) as exc:
        raise _encoding_error(envelope, exc) from None
    return msgspec.structs.replace(envelope, data=msgspec.Raw(data))


def _encoding_error(envelope: CanonicalEnvelope, exc: Exception) -> ContractError:
    """The attribute or data field the canonical encoder could not write, named."""
    return checks.encoding_error(msgspec.structs.asdict(envelope), envelope.data, exc)


def _numbered(exc: ContractError, index: int, count: int) -> ContractError:
    """``exc``, about event ``index`` of ``count``, saying which when there are several (its
    type and attributes kept)."""
    if count > 1 and exc.index is None:
        exc.args = (f"event {index}: {exc}", *exc.args[1:])
        exc.index = index
    return exc
