"""The synchronous ledger: the public face of a backend plus the event contract."""

from __future__ import annotations

import copy
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Literal, NamedTuple, overload

import msgspec

from fleetledger.audit import (
    ConsistencyProof,
    HeadRef,
    InclusionProof,
    Notary,
    ProofMaterial,
    StoredHead,
    Verification,
    collect_evidence,
    open_fleet_head,
    proof_material,
    prove_consistency,
    prove_event,
    prove_order,
    replay_fleet,
    stored_heads,
    verify_ledger,
)
from fleetledger.backends.protocols import (
    AlreadyStored,
    Backend,
    Commit,
    PartitionOffsets,
    Record,
    SigningLog,
    StoredRecord,
    TopicPartition,
    supports,
)
from fleetledger.backends.urls import redact
from fleetledger.errors import (
    AccessDenied,
    ConfigurationError,
    ContractError,
    LedgerClosed,
    LedgerError,
    NotFound,
    PolicyViolation,
)
from fleetledger.events import checks, lifecycle
from fleetledger.events.envelope import Event
from fleetledger.events.foreign import ForeignRecord
from fleetledger.events.lifecycle import TaskState
from fleetledger.events.new import NewEvent
from fleetledger.events.order import in_order
from fleetledger.events.registry import EventData, EventType, Kind
from fleetledger.events.spec import TypeSpec, spec_from
from fleetledger.governance import Action, Policy, policy_text
from fleetledger.governance.ordering import OrderingRule, ordering_text
from fleetledger.governance.principal import Principal
from fleetledger.integrity import EvidenceBundle, NoteSigner, NoteVerifier, OrderProof
from fleetledger.ledger import admin, deadletters
from fleetledger.ledger.admin import NewToken, PolicyRecord, Token
from fleetledger.ledger.consumer import Consumer, Lag, Start
from fleetledger.ledger.core import LedgerCore
from fleetledger.ledger.filters import EventFilter, aware_ms
from fleetledger.ledger.gate import Gate, Page, Shown
from fleetledger.ledger.groups import GroupMove, move_group
from fleetledger.ledger.ordering import DenialLimiter, OrderingRules, denial, flagged
from fleetledger.ledger.replayed import HeadReplay
from fleetledger.ledger.view import LedgerLog
from fleetledger.observe import appends
from fleetledger.topics import FamilyPolicy, partition_for
from fleetledger.topics.naming import DEADLETTER, internal_topic
from fleetledger.types import Classification, Position

ERASURE_SOURCE = "urn:fleetledger:erasure"
TYPES_SUBJECT = "types"
"""The subject of the ``governance.type.registered`` events: the ledger's own type registry."""
"""The source of ``governance.erasure.performed`` when the ledger has no default source."""


class Erasure(NamedTuple):
    """What :meth:`Ledger.forget` did: the data subject, how many of their keys it destroyed,
    and where ``governance.erasure.performed`` was recorded."""

    datasubject: str
    keys_destroyed: int
    position: Position


class TopicInfo(NamedTuple):
    """A topic, its policy, and the offsets of each partition."""

    topic: str
    family: str
    policy: FamilyPolicy
    partitions: list[PartitionOffsets]

    @property
    def events(self) -> int:
        """The retained offset span across partitions: the number of retained events on SQLite
        and memory; on Kafka it also counts transaction markers and compaction holes."""
        return sum(p.end - p.start for p in self.partitions)


class Appended(list[Position]):
    """The positions of an ``append_many``, one per event, in order; :attr:`existing` counts
    the events whose id was already stored (with the same event), so stored nothing new."""

    @property
    def existing(self) -> int:
        """How many of the events were already stored before this append."""
        return sum(isinstance(position, AlreadyStored) for position in self)

    @property
    def appended(self) -> int:
        """How many of the events this append stored."""
        return len(self) - self.existing


class Ledger:
    """An append-only, ordered, replayable ledger of coordination events.

    Open one with :func:`fleetledger.open`. Thread-safe; one per process is enough.
    """

    def __init__(
        self,
        backend: Backend,
        core: LedgerCore,
        *,
        url: str = "",
        explicit: Iterable[str] = (),
        verifier: NoteVerifier | None = None,
        readonly: bool = False,
        delegate: bool = False,
        access: Policy | None = None,
        ordering: Iterable[OrderingRule] = (),
    ) -> None:
        self._backend = backend
        self._core = core
        self._gate = Gate(access)
        if not self._gate.open:
            core.rules.append(self._gate.authorize)
        rules = tuple(ordering)
        self._ordering = (
            OrderingRules(rules, max_event_bytes=core.max_event_bytes) if rules else None
        )
        """The ordering rules checked at append (see :mod:`fleetledger.ledger.ordering`)."""
        self._denials = DenialLimiter()
        self.url = url
        self.verifier = verifier
        """The public key of the ledger's signer, the default for :meth:`verify`."""
        self._readonly = readonly
        self._delegate = delegate
        self._closed = False
        self._owner = self
        """The ledger that opened the backend (a delegate of :meth:`acting_for` shares it)."""
        self._acting: Principal | None = None
        self._log = LedgerLog(
            backend, core.namespace, readonly=readonly, check_open=self._check_open
        )
        self._adopt_stored_policies(set(explicit))
        self._load_types()
        if not readonly and (self._gate.policy.configured or rules):
            self._record_policy(policy_text(self._gate.policy), ordering_text(rules))

    def _adopt_stored_policies(self, explicit: set[str]) -> None:
        """Existing topics keep their policies unless the opener chose one (``explicit``);
        families stored by an earlier session are readable; only the rest is created (not
        by a ledger opened read-only, which shows what is stored as it is)."""
        stored = self._stored()
        if self._readonly and not stored:
            where = redact(self.url) or type(self._backend).__name__
            raise NotFound(
                f"no ledger at {where}: nothing is stored in namespace {self.namespace!r}"
            )
        for policy in stored.values():
            if policy.family not in explicit or self._readonly:
                self._core.policies[policy.family] = policy
        self._core.forget_routes()
        if self._readonly:
            return
        wanted = self._core.topics()
        changes = {t: p for t, p in wanted.items() if t not in stored or stored[t] != p}
        if changes:
            self._backend.create_topics(changes)

    # -- identity ----------------------------------------------------------------------------

    @property
    def namespace(self) -> str:
        """The namespace: the ledger's topics are ``{namespace}.{family}``."""
        return self._core.namespace

    @property
    def principal(self) -> Principal:
        """Whom this ledger stamps on the events it appends (``authid``, ``authtype``)."""
        return self._core.principal

    @property
    def readonly(self) -> bool:
        """Whether the ledger was opened for reading only (it then refuses every write)."""
        return self._readonly

    @property
    def log(self) -> LedgerLog:
        """The ledger's records, leaves, signed notes and groups, below the event contract:
        what mirrors, notaries and exporters work with. Writes through it store records as
        they are (a mirror's copies), and reads through it see every record, so under an
        access policy it is kept to those allowed to administer every family."""
        self._gate.require(self._who, Action.ADMIN, self._core.policies)
        return self._log

    @property
    def access(self) -> Policy:
        """The access policy the ledger enforces (:meth:`Policy.open` when none is set)."""
        return self._gate.policy

    def authorize(self, action: str, families: Iterable[str] | None = None) -> None:
        """Raise :class:`AccessDenied` unless this ledger's principal may do ``action``
        (``append``, ``read`` or ``admin``) on each of ``families`` (default: every family).
        Tools that act on whole ledgers (``mirror``, exporters) ask for ``admin`` first."""
        wanted = self._core.policies if families is None else list(families)
        self._gate.require(self._who, Action(action), wanted)

    @property
    def _who(self) -> Principal:
        """Whose rights a read or an act is checked against: the principal acted for, or
        the opener."""
        return self._acting or self._core.principal

    def topic(self, family: str) -> str:
        """The topic of one of the ledger's families; :class:`NotFound` for another name."""
        if family not in self._core.policies:
            known = ", ".join(sorted(self._core.policies))
            raise NotFound(f"no family {family!r}; this ledger has: {known}")
        return self._core.topic(family)

    def families(self) -> dict[str, FamilyPolicy]:
        """Every family of the ledger, with its policy."""
        return dict(sorted(self._core.policies.items()))

    def types(self) -> Mapping[str, EventType]:
        """Every event type the ledger accepts (the newest version of each), by name."""
        return self._core.registry.types()

    def acting_for(self, principal: Principal) -> Ledger:
        """This ledger, stamping ``principal`` instead of the opener on what it appends.

        Only an opener given the delegation right (``fleetledger.open(..., delegate=True)``:
        the server, acting for the principal a token authenticated) may; anyone else gets
        :class:`AccessDenied`, so in-process code cannot stamp another identity.
        """
        if not self._delegate:
            raise AccessDenied(
                f"{self.principal.id} may not append on behalf of {principal.id}: open the"
                " ledger with delegate=True to act for the principals you authenticate"
            )
        acting = copy.copy(self)
        acting._acting = principal
        return acting

    # -- write -------------------------------------------------------------------------------

    def append(self, type: str | NewEvent, **attributes: Any) -> Position:
        """Validate, stamp and durably append one event; return where it was stored.

        Give the type and the attributes of :class:`~fleetledger.events.NewEvent` as keywords
        (``subject``, ``data``, ``source``, ``id``, ...), or one ``NewEvent``.
        MUST NOT return before the event is durable. Appending an id that is already stored
        with the same event stores nothing and returns the original position (an
        :class:`~fleetledger.backends.protocols.AlreadyStored`); with other content it raises
        :class:`~fleetledger.errors.IdConflict`.
        """
        event = (
            type if isinstance(type, NewEvent) and not attributes else {"type": type, **attributes}
        )
        return self.append_many([event])[0]

    def append_many(
        self,
        events: Iterable[NewEvent | Mapping[str, Any]],
        *,
        commit: Commit | None = None,
    ) -> Appended:
        """Append several events atomically, across families: all are stored or none is.

        Each event is a :class:`~fleetledger.events.NewEvent` or a mapping of its attributes.
        Every event is validated before anything is written.

        ``commit`` (a consumer group and its next offsets, by ``(topic, partition)``) commits
        the group's offsets in the same atomic unit as the events, even if the process dies
        halfway: how a projection whose output is events consumes exactly once
        (:func:`fleetledger.consumers.run_projection`; call :meth:`fence` before reading the
        group's offsets). ``events`` may then be empty. It needs ``read`` on the families
        whose offsets it commits.

        With ordering rules (``fleetledger.open(..., ordering=...)``), an event a ``refuse``
        rule refuses raises :class:`~fleetledger.errors.PolicyViolation` (nothing is stored;
        a ``governance.policy.denied`` event records it), and an event a rule is satisfied for
        carries ``orderedafter`` and ``orderedafterleaf`` (see :mod:`fleetledger.ledger.ordering`).

        Each call is counted in the process's metrics (:mod:`fleetledger.observe.appends`).
        """
        started = time.perf_counter()
        try:
            records, positions = self._append_many(events, commit)
        except Exception as exc:
            appends.failed(exc)
            raise
        appends.appended(records, time.perf_counter() - started)
        return positions

    def _append_many(
        self, events: Iterable[NewEvent | Mapping[str, Any]], commit: Commit | None = None
    ) -> tuple[Sequence[Record], Appended]:
        """:meth:`append_many` itself; returns what it stored beside where."""
        self._check_writable()
        if commit is not None:
            self._check_commit(commit)
        events = list(events)
        try:
            records = self._core.prepare_many(events, principal=self._acting)
        except PolicyViolation as exc:  # an access rule refused it
            self._record_denial(exc)
            raise
        if any(r.event is not None and r.event.supersedes for r in records):
            self._check_corrections(records)
        guard = None if self._ordering is None else self._ordering.guard(records)
        if guard is None:
            if commit is None:
                return records, Appended(self._backend.append(records))
            return records, Appended(self._backend.append(records, offsets=commit))
        try:
            if commit is None:
                positions = self._backend.append(records, guard=guard)
            else:
                positions = self._backend.append(records, guard=guard, offsets=commit)
        except PolicyViolation as exc:
            self._record_denial(exc)
            raise
        if guard.flags:
            self._record([flagged(flag) for flag in guard.flags])
        return records, Appended(positions)

    def _check_commit(self, commit: Commit) -> None:
        """A commit names a group and offsets of this ledger's topics whose families the
        principal may read (as a consumer of them would)."""
        group, offsets = commit
        if not isinstance(group, str) or not group.strip():
            raise ContractError("commit names a consumer group: (group, offsets)", field="commit")
        families = set()
        for (topic, partition), offset in offsets.items():
            if type(offset) is not int or offset < 0:
                raise ContractError(f"an offset is 0 or more, not {offset!r}", field="commit")
            _counts(partition=partition)
            family = self._core.family(topic)
            if self.topic(family) != topic:
                raise NotFound(f"no topic {topic!r} in namespace {self.namespace!r}")
            families.add(family)
        self._gate.require(self._who, Action.READ, sorted(families))

    def fence(self, group: str) -> None:
        """Make this process the only one appending with ``group``'s offsets
        (``append_many(..., commit=...)``), before reading where the group stands: on Kafka
        the transaction a process that died left open is ended (its events and offsets
        aborted, or their commit completed) and that process's producer is refused from then
        on; on SQLite and memory, where such an append is one local transaction, it does
        nothing."""
        self._check_writable()
        if not isinstance(group, str) or not group.strip():
            raise ConfigurationError("a consumer group needs a name")
        self._log.fence(group)

    def _record_denial(self, exc: PolicyViolation) -> None:
        """Record a refusal as a ``governance.policy.denied`` event, rate-limited per principal;
        a failure to record it is noted on ``exc``, which is raised all the same."""
        appends.denied()
        who = self._acting or self._core.principal
        left_out = self._denials.admit(who.id, exc)
        if left_out is not None:
            try:
                self._record([denial(exc, left_out)])
            except LedgerError as failure:
                exc.add_note(f"the refusal could not be recorded: {failure}")

    def _record(self, events: list[dict[str, Any]], principal: Principal | None = None) -> None:
        """Append the ledger's own governance events (no access or ordering rule is checked on
        them: they record what the rules did)."""
        records = self._core.prepare_many(events, principal=principal or self._acting, trusted=True)
        self._backend.append(records)

    def _record_left_out(self) -> None:
        """At close: one summary ``governance.policy.denied`` per principal whose last
        refusals the rate limit left out, so their count is in the ledger."""
        for exc, count in self._denials.drain():
            try:
                self._record([denial(exc, count, summary=True)])
            except LedgerError:  # closing: the count is lost with the process, as said
                continue

    def _check_corrections(self, records: list[Record]) -> None:
        """A correction must name an event that exists, of the same task and family."""
        batch = {r.id: r for r in records}
        for record in records:
            target = None if record.event is None else record.event.supersedes
            if target is None:
                continue
            original = batch.get(target) or self._log.find(target)
            if original is None:
                raise ContractError(
                    f"supersedes {target!r}: no event with that id to correct", field="supersedes"
                )
            if original.topic != record.topic or original.subject != record.subject:
                raise ContractError(
                    f"supersedes {target!r}: a correction is of the same task and family as the"
                    f" event it corrects ({original.subject!r} in"
                    f" {self._core.family(original.topic)})",
                    field="supersedes",
                )

    def register(
        self,
        type: str,
        model: type[EventData],
        *,
        version: int = 1,
        kind: Kind = Kind.FACT,
        classification: Classification = Classification.INTERNAL,
        description: str = "",
        policy: FamilyPolicy | None = None,
    ) -> EventType:
        """Register a user event type (or a new, backward-compatible version of one).

        A type in a new family gets that family's topic, from ``policy`` or the defaults.
        """
        spec = EventType(type, model, kind, classification, version, description)
        family = spec.family
        if policy is not None and policy.family != family:
            raise ConfigurationError(f"policy is for family {policy.family!r}, not {family!r}")
        if family not in self._core.policies:
            self._check_writable()
            new_policy = policy or FamilyPolicy(family=family)
            self._backend.create_topics({self._core.topic(family): new_policy})
            self._core.policies[family] = new_policy
        registered = self._core.registry.register(spec)
        self._core.forget_routes()
        return registered

    def register_type(self, spec: TypeSpec) -> EventType:
        """Register a user event type described as data (:class:`~fleetledger.events.spec
        .TypeSpec`, e.g. from ``fleetledger types register FILE``) in the ledger itself: it is
        stored as a ``governance.type.registered`` event, so every process opening the ledger
        accepts it. A new version is checked against the stored ones as any version is;
        registering a version already stored with the same spec stores nothing. Under an
        access policy it needs ``admin`` on the governance family.
        """
        self._check_writable()
        self.authorize("admin", ["governance"])
        stored = self._stored_specs().get((spec.type, spec.version))
        if stored == spec:
            return self._core.registry.get(spec.type, spec.version)
        registered = self._adopt_spec(spec)
        data = {"event_type": spec.type, "version": spec.version, "spec": spec.to_data()}
        self._record(
            [{"type": "governance.type.registered", "subject": TYPES_SUBJECT, "data": data}]
        )
        return registered

    def _stored_specs(self) -> dict[tuple[str, int], TypeSpec]:
        """The type specs stored in the ledger, by type and version, in the order stored."""
        topic = self._core.topic("governance")
        partition = partition_for(TYPES_SUBJECT, len(self._log.offsets(topic)))
        records: list[StoredRecord] = []
        offset = 0
        while page := self._log.read(topic, partition, offset, 1000):
            records += [r for r in page if r.subject == TYPES_SUBJECT]
            offset = page[-1].offset + 1
        found: dict[tuple[str, int], TypeSpec] = {}
        for event in in_order(self._core.events(records)):
            if event.type == "governance.type.registered":
                spec = spec_from(event.data["spec"], f"the spec stored in event {event.id}")
                found.setdefault((spec.type, spec.version), spec)
        return found

    def _load_types(self) -> None:
        """Accept the types stored in the ledger (oldest version first), as every process
        opening it does."""
        if "governance" not in self._core.policies:
            return
        try:
            stored = self._stored_specs()
        except AccessDenied:  # a broker's ACLs keep this principal off governance: no types
            return
        for spec in sorted(stored.values(), key=lambda s: (s.type, s.version)):
            known = self._core.registry.types().get(spec.type)
            if known is None or known.version < spec.version:
                self._adopt_spec(spec)

    def _adopt_spec(self, spec: TypeSpec) -> EventType:
        """Register ``spec`` in this process's registry, creating its family if new."""
        event_type = spec.event_type()
        family = event_type.family
        if family not in self._core.policies:
            policy = FamilyPolicy(family=family)
            if not self._readonly:
                self._backend.create_topics({self._core.topic(family): policy})
            self._core.policies[family] = policy
        registered = self._core.registry.register(event_type)
        self._core.forget_routes()
        return registered

    # -- read --------------------------------------------------------------------------------

    def get(self, event_id: str) -> Event:
        """The event with this id; :class:`NotFound` if there is none."""
        if type(event_id) is not str:
            raise ContractError(f"an event id is a string, not {type(event_id).__name__}")
        record = self._log.find(event_id)
        events = [] if record is None else self._core.events([record])
        if not events:
            raise NotFound(f"no event with id {event_id!r}")
        self._require_read(events[0])
        return events[0]

    def _require_read(self, event: Event) -> None:
        assert event.position is not None
        self._gate.require_read(self._who, event, self._core.family(event.position.topic))

    def _keep(self, item: Event | ForeignRecord) -> bool:
        """Whether a read shows ``item`` to this ledger's principal (foreign records, which
        carry no classification, are shown where they are asked for)."""
        if not isinstance(item, Event):
            return True
        assert item.position is not None
        return self._gate.readable(self._who, item, self._core.family(item.position.topic))

    def read(
        self,
        family: str,
        partition: int = 0,
        offset: int = 0,
        *,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> Page:
        """Events of one partition of a family, from ``offset`` (or from time ``since``);
        foreign records are left out (offsets then skip them), and so are events the
        principal may not read (counted in the page's ``withheld``)."""
        topic = self.topic(family)
        _counts(partition=partition, offset=offset, limit=limit)
        if since is not None:
            offset = self._log.offset_for_time(topic, partition, aware_ms(since, "since"))
        rows = self._log.bodies(topic, partition, offset, limit)
        events, withheld = self._gate.screen(
            self._who, self._core.page(topic, partition, rows)[0], self._core.family
        )
        return Page(events, withheld)

    def replay(
        self,
        task: str,
        *,
        families: Iterable[str] | None = None,
        corrected: bool = False,
        types: Iterable[str] | None = None,
        agent: str | None = None,
        tenant: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Shown[Event]:
        """A task's events across families, in the ledger's order (the order key of
        :mod:`fleetledger.events.order`): the same on every backend and every copy. Events
        the principal may not read are withheld and counted (``withheld`` of the result).

        By default the history is shown as recorded, corrections included. ``corrected``
        shows it as corrected: an event superseded by a later correction is left out, and the
        correction stands at the place it was recorded. ``types`` (globs such as ``tool.*``),
        ``agent``, ``tenant``, ``since`` and ``until`` (recorded times) narrow it.
        """
        wanted = None if families is None else {self.topic(f) for f in families}
        where = EventFilter.of(types=types, agent=agent, tenant=tenant, since=since, until=until)
        rows = self._log.subject_bodies(task)
        if wanted is not None:
            rows = [row for row in rows if row[0] in wanted]
        events = in_order(self._core.located(rows)[0])
        if corrected:
            superseded = {event.supersedes for event in events if event.supersedes}
            events = [event for event in events if event.id not in superseded]
        return Shown(where.apply(events), self._keep)

    def state_at(
        self, task: str, *, as_of: datetime | None = None, corrected: bool = False
    ) -> TaskState:
        """Where ``task`` stood: its events recorded at or before ``as_of`` (default: all),
        as recorded or as ``corrected`` (see :meth:`replay`), folded by the lifecycle state
        machine of :mod:`fleetledger.events.lifecycle`. The same access rules as a replay's
        apply: events the principal may not read are left out and counted (``withheld`` of
        the state). :class:`NotFound` when the task has no events recorded by then.
        """
        until = None
        if as_of is not None:
            aware_ms(as_of, "as_of")  # a naive time is refused under its own name
            until = as_of + timedelta(microseconds=1)  # replay's until is exclusive
        shown = self.replay(task, corrected=corrected, until=until)
        events = list(shown)
        if not events and not shown.withheld:
            when = "" if as_of is None else f" recorded at or before {as_of.isoformat()}"
            raise NotFound(f"no events for task {task!r}{when}")
        state, _ = lifecycle.fold(task, events)
        return msgspec.structs.replace(state, withheld=shown.withheld)

    @overload
    def tail(
        self,
        families: Iterable[str] | None = None,
        *,
        last: int = 10,
        follow: bool = False,
        poll_interval: float = 0.2,
        timeout: float | None = None,
        where: EventFilter | None = None,
        foreign: Literal[False] = False,
    ) -> Shown[Event]: ...

    @overload
    def tail(
        self,
        families: Iterable[str] | None = None,
        *,
        last: int = 10,
        follow: bool = False,
        poll_interval: float = 0.2,
        timeout: float | None = None,
        where: EventFilter | None = None,
        foreign: Literal[True],
    ) -> Shown[Event | ForeignRecord]: ...

    def tail(
        self,
        families: Iterable[str] | None = None,
        *,
        last: int = 10,
        follow: bool = False,
        poll_interval: float = 0.2,
        timeout: float | None = None,
        where: EventFilter | None = None,
        foreign: bool = False,
    ) -> Shown[Event] | Shown[Event | ForeignRecord]:
        """The ``last`` events recorded across ``families`` (that match ``where``), in the
        ledger's order; then (``follow``) every new one as it arrives, until ``timeout``
        seconds have passed. ``foreign`` also yields the foreign records among them. Events
        the principal may not read are withheld and counted (``withheld`` of the result).
        """
        _counts(last=last)
        items = self._tailed(
            families,
            last,
            follow=follow,
            poll=poll_interval,
            timeout=timeout,
            where=where,
            foreign=foreign,
        )
        return Shown(items, self._keep)

    def _tailed(
        self,
        families: Iterable[str] | None,
        last: int,
        *,
        follow: bool,
        poll: float,
        timeout: float | None,
        where: EventFilter | None,
        foreign: bool,
    ) -> Iterator[Event | ForeignRecord]:
        topics = [self.topic(f) for f in families] if families else sorted(self._stored())
        where = where or EventFilter()
        # The last N overall are among the last N of each partition.
        positions = {
            (t, p): max(r.end - last, r.start)
            for t in topics
            for p, r in enumerate(self._log.offsets(t))
        }
        recent = self._shown(self._read_from(positions), where, foreign)
        yield from recent[max(len(recent) - last, 0) :] if last > 0 else []
        deadline = None if timeout is None else time.monotonic() + timeout
        while follow and (deadline is None or time.monotonic() < deadline):
            batch = self._shown(self._read_from(positions), where, foreign)
            yield from batch
            if not batch:
                time.sleep(poll)

    def _shown(
        self, rows: list[tuple[str, int, int, bytes]], where: EventFilter, foreign: bool
    ) -> list[Event | ForeignRecord]:
        """What ``tail`` shows of ``rows``: matching events, and foreign records if asked,
        in the ledger's order (foreign records, which carry no order key, by position)."""
        events, strangers = self._core.located(rows)
        shown = in_order(where.apply(events))
        return [*strangers, *shown] if foreign else [*shown]

    def _read_from(self, positions: dict[TopicPartition, int]) -> list[tuple[str, int, int, bytes]]:
        """``(topic, partition, offset, body)`` of everything after ``positions`` (advanced in
        place)."""
        batch: list[tuple[str, int, int, bytes]] = []
        for (topic, partition), start in positions.items():
            offset = start
            while rows := self._log.bodies(topic, partition, offset, 1000):
                offset = rows[-1][0] + 1
                batch += [(topic, partition, at, body) for at, body in rows]
            positions[(topic, partition)] = offset
        return batch

    # -- consume -----------------------------------------------------------------------------

    def consumer(
        self,
        group: str,
        families: Iterable[str] | None = None,
        *,
        start: Start = "earliest",
        member: int = 0,
        members: int = 1,
    ) -> Consumer:
        """A reader for consumer group ``group`` over ``families`` (all families by default).
        Events the principal may not read are withheld and counted (``Consumer.withheld``)."""
        self._check_open()
        topics = [self.topic(f) for f in families] if families else sorted(self._stored())
        return self._consumer(group, topics, start=start, member=member, members=members)

    def _consumer(self, group: str, topics: list[str], **options: Any) -> Consumer:
        """A consumer of ``topics`` decoding through the core and screened by the gate."""
        who, gate, family = self._who, self._gate, self._core.family

        def decode(topic: str, partition: int, rows: Sequence[tuple[int, bytes]]) -> list[Event]:
            return self._core.page(topic, partition, rows)[0]

        screen = None if gate.open else lambda events: gate.screen(who, events, family)
        return Consumer(self._log, decode, group, topics, screen=screen, **options)

    def join(
        self,
        group: str,
        families: Iterable[str] | None = None,
        *,
        member: str | None = None,
        session_timeout: float = 10.0,
        start: Start = "earliest",
    ) -> Consumer:
        """A consumer that is one member of ``group``: the live members split the partitions
        of ``families`` (all by default; every member reads the same), a member that stops
        (``close``, or silent for ``session_timeout`` seconds) has its partitions taken over,
        and a commit of a partition the member no longer holds raises :class:`Fenced`.

        On SQLite and memory by leases kept in the ledger (see
        :mod:`fleetledger.backends.leases`), on Kafka by the broker's group protocol.
        ``member`` names it in the group (default: host, process id and a random suffix).
        """
        self._check_writable()
        topics = [self.topic(f) for f in families] if families else sorted(self._stored())
        name = member or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        joined = self._log.join(group, topics, name, session_timeout)
        return self._consumer(
            group, topics, start=start, membership=joined, refresh=session_timeout / 3
        )

    @property
    def _deadletter_topic(self) -> str:
        return internal_topic(self.namespace, DEADLETTER)

    def dead_letters(self) -> list[dict[str, Any]]:
        """The records of the dead-letter topic ``{namespace}._deadletter`` the principal may
        see, in order: entries of events of families it may read, and their state changes
        (see :mod:`fleetledger.consumers.deadletter`, which folds them)."""
        raw = self._log.dead_letters(self._deadletter_topic)
        return deadletters.visible(raw, lambda t: self._may_read_family(t, named=False))

    def add_dead_letter(self, record: Mapping[str, Any], topic: str) -> None:
        """Append a record about an event of ``topic`` to the dead-letter topic: what
        committing a group that reads it needs (a writable ledger, read on its family)."""
        self._check_writable()
        self._may_read_family(topic, named=True)
        self._log.add_dead_letters(self._deadletter_topic, [deadletters.encode(record)])

    def act_on_dead_letter(self, record: Mapping[str, Any], topic: str) -> None:
        """Append an operator's change of a dead letter's state (``kind``: retry requested,
        dropped) about an event of ``topic``: what moving a group needs (admin on its
        family), recorded as an administrative act like a group move."""
        self._check_writable()
        self.authorize("admin", [self._core.family(topic)])
        self._log.add_dead_letters(self._deadletter_topic, [deadletters.encode(record)])
        operation = f"deadletter.{record.get('kind')}"
        self._record_act(operation, str(record["id"]), {"topic": topic}, {"state": record["kind"]})

    def lag(self, group: str | None = None) -> list[Lag]:
        """Committed-offset lag per group, topic and partition (``end - committed``); under an
        access policy, of the families the principal may read (asking for one group of
        another family is :class:`AccessDenied`)."""
        groups = [group] if group is not None else self._log.groups()
        ends: dict[str, list[PartitionOffsets]] = {}
        rows = []
        for name in groups:
            committed = self._log.committed(name)
            if group is not None and not committed:
                raise NotFound(f"consumer group {group!r} has never committed")
            for (topic, partition), offset in sorted(committed.items()):
                if not self._may_read_family(topic, named=group is not None):
                    continue
                if topic not in ends:
                    ends[topic] = self._log.offsets(topic)
                rows.append(Lag(name, topic, partition, offset, ends[topic][partition].end))
        return rows

    def _may_read_family(self, topic: str, *, named: bool) -> bool:
        """Whether the principal may read ``topic``'s family at all (at its default
        classification); raises instead when the caller named what it asked for."""
        if self._gate.open:
            return True
        family = self._core.family(topic)
        decision = self._gate.decide(self._who, Action.READ, family)
        if named:
            decision.check()
        return decision.allowed

    def groups(self) -> list[str]:
        """Every consumer group that has committed offsets of this ledger."""
        return self._log.groups()

    def move_group(
        self,
        group: str,
        to: Literal["earliest", "latest"] | datetime | int,
        *,
        families: Iterable[str] | None = None,
        partition: int | None = None,
    ) -> list[GroupMove]:
        """Commit ``group`` at the start or end of its partitions, at the first event recorded
        at or after a time, or at an offset (of one ``partition``); return what moved.

        The group's consumers resume there. ``families`` (default: those the group committed
        before, else every family) and ``partition`` narrow which partitions move.
        """
        self._check_writable()
        topics = None if families is None else [self.topic(f) for f in families]
        self.authorize("admin", families)
        moves = move_group(self._log, group, to, topics=topics, partition=partition)
        if moves:
            target = admin.rfc3339(to) if isinstance(to, datetime) else to
            self._record_act(
                "group.moved",
                group,
                {
                    "to": target,
                    "families": None if families is None else list(families),
                    "partition": partition,
                },
                {
                    "moves": [
                        {"topic": m.topic, "partition": m.partition, "before": m.before, "to": m.to}
                        for m in moves
                    ]
                },
            )
        return moves

    def delete_group(self, group: str) -> bool:
        """Forget every committed offset of ``group``; whether it had any."""
        self._check_writable()
        self.authorize("admin")
        deleted = self._log.delete_group(group)
        if deleted:
            self._record_act("group.deleted", group, {}, {"deleted": True})
        return deleted

    def topics(self) -> list[TopicInfo]:
        """Every topic of the ledger with its policy and partition offsets."""
        return [
            TopicInfo(topic, policy.family, policy, self._log.offsets(topic))
            for topic, policy in sorted(self._stored().items())
        ]

    def _stored(self) -> dict[str, FamilyPolicy]:
        """The stored family topics of this ledger's namespace."""
        return self._log.topics()

    def maintain(self, now: datetime | None = None) -> int:
        """Apply retention and compaction as of ``now`` (the ledger's clock by default).

        Return how many records were removed.
        """
        self._check_writable()
        self.authorize("admin")
        now_ms = self._core.now_ms() if now is None else aware_ms(now, "now")
        removed = self._log.enforce_retention(now_ms)
        if removed:
            at = datetime.fromtimestamp(now_ms / 1000, UTC)
            self._record_act(
                "retention.enforced", None, {"now": admin.rfc3339(at)}, {"removed": removed}
            )
        return removed

    # -- integrity ---------------------------------------------------------------------------

    def sign(self) -> int:
        """Sign a checkpoint of every partition changed since its last one, and a ledger head,
        now (a SQLite ledger opened with a key); return how many partitions were signed.

        On Kafka writers never sign: run the notary (:meth:`notary`, ``fleetledger notary``).
        """
        self._check_writable()
        if not supports(self._backend, SigningLog):
            raise ConfigurationError(
                "this ledger does not sign as it appends: on Kafka run the notary"
                " (fleetledger notary --once)"
            )
        return self._log.sign()

    def rotate_key(self, signer: NoteSigner) -> None:
        """Hand signing over to the key ``signer`` (a SQLite ledger opened with its current
        key): store a key handover and a ledger head signed by both keys, in one transaction,
        then sign with ``signer`` alone. :meth:`verify` with the old public key or the new one
        follows the handover. On Kafka the notary signs: ``notary(old).rotate(signer)``.
        """
        self._check_writable()
        self.authorize("admin")
        if not supports(self._backend, SigningLog):
            raise ConfigurationError(
                "this ledger does not sign as it appends: on Kafka the notary hands over"
                " (fleetledger keys rotate runs it once)"
            )
        old = self.verifier
        self._log.rotate(signer)
        self.verifier = signer.verifier
        self._record_act(
            "key.rotated",
            self.namespace,
            {"old": None if old is None else old.vkey, "new": signer.verifier.vkey},
            {"handover": True},
        )

    def notary(self, signer: NoteSigner, *, every: int = 1000, interval: float = 5.0) -> Notary:
        """The notary that signs this ledger's checkpoints (a Kafka ledger's writers do not):
        ``run_once()`` signs up to the end, ``run(stop)`` keeps signing."""
        self._check_writable()
        self.authorize("admin")
        return Notary(self._log, self.namespace, signer, every=every, interval=interval)

    def verify(
        self,
        verifier: NoteVerifier | None = None,
        *,
        deep: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> Verification:
        """Recompute every partition's tree from the stored events and check its checkpoints.

        Signatures are checked with ``verifier`` (default: the public key of the ledger's
        signer); without one, notes are read unverified and only the trees are checked against
        them. ``deep`` also checks every event's indexed columns (id, subject, type, key,
        recorded time) against its stored bytes, which decodes every event. ``progress(done,
        total)`` hears of each partition checked. Returns what was checked and every finding
        (``Verification.check()`` raises).
        """
        self._check_open()
        verifier = verifier or self.verifier
        return verify_ledger(
            self._log, self.namespace, self._stored(), verifier, deep=deep, progress=progress
        )

    def prove(self, event_id: str, verifier: NoteVerifier | None = None) -> InclusionProof:
        """An inclusion proof of the event against the newest signed ledger head covering it.

        The proof is verified before it is returned (the head's signature too, with
        ``verifier``, default the signer's public key). :class:`NotFound` when no head covers
        the event yet; :class:`IntegrityError` when the stored event does not match its leaf.
        """
        self._check_open()
        if not self._gate.open:
            self.get(event_id)  # the principal must be able to read what is proved
        return prove_event(self._log, self.namespace, event_id, verifier or self.verifier)

    def proof_material(self, event_id: str) -> ProofMaterial:
        """The event's stored bytes and its inclusion proof as stored, checked by no one here:
        for a verifier elsewhere that trusts nothing this process says (the web UI's event
        page hashes the bytes and checks the path and the head's signature in the browser).

        :meth:`prove` is the checked twin. :class:`NotFound` when no head covers the event yet.
        """
        self._check_open()
        self.get(event_id)  # the principal must be able to read what is shown
        return proof_material(self._log, self.namespace, event_id)

    def prove_consistency(
        self, old: HeadRef, new: HeadRef = "latest", verifier: NoteVerifier | None = None
    ) -> ConsistencyProof:
        """A verified proof that head ``new`` extends head ``old`` in every partition of ``old``.

        Each head is a stored head's number (see :meth:`heads`), ``"latest"``, or a signed
        head note (bytes or text). :class:`ProofError` names each partition where ``new`` does
        not extend ``old``.
        """
        self._check_open()
        verifier = verifier or self.verifier
        return prove_consistency(self._log, self.namespace, old, new, verifier)

    def prove_order(
        self, earlier_id: str, later_id: str, verifier: NoteVerifier | None = None
    ) -> OrderProof:
        """A proof that event ``earlier_id`` was committed before ``later_id``, to verify offline
        with the public key alone (:func:`fleetledger.integrity.verify_order`).

        By the hash link when the later event's bytes name the earlier one (the
        ``orderedafter`` an ordering rule stamped at append); else within one partition by their
        leaves under one signed head; across partitions by an older signed head that includes
        the earlier event and not the later, consistent with a newer head including both.
        :class:`ProofError` when the order is the reverse or no stored head separates the two;
        :class:`NotFound` when no head covers both yet.
        """
        self._check_open()
        if not self._gate.open:
            self.get(earlier_id)
            self.get(later_id)
        verifier = verifier or self.verifier
        return prove_order(self._log, self.namespace, earlier_id, later_id, verifier)

    def replay_head(
        self,
        head: HeadRef,
        *,
        verifier: NoteVerifier | None = None,
        families: Iterable[str] | None = None,
    ) -> HeadReplay:
        """Every event below signed ledger head ``head`` (a number from :meth:`heads`,
        ``"latest"``, or a signed head note), across ``families`` (default: all), in the
        ledger's order: the same on every backend and every mirrored copy.

        The head's signature is checked now, with ``verifier`` (default: the ledger's key);
        each partition's tree is checked against the head's root before its events are
        yielded, and each event against its signed leaf as it is yielded: a mismatch raises
        :class:`IntegrityError` naming the partition and offset (see
        :mod:`fleetledger.audit.fleet`). Streams: memory does not grow with the ledger.
        :class:`NotFound` for an unknown head. Events the principal may not read are withheld
        and counted; their leaves are checked all the same.
        """
        self._check_open()
        topics = None if families is None else [self.topic(f) for f in families]
        tally = open_fleet_head(self._log, self.namespace, head, verifier or self.verifier)
        core = self._core

        def decode(topic: str, partition: int, rows: Sequence[tuple[int, bytes]]) -> list[Event]:
            return core.page(topic, partition, rows)[0]

        events = replay_fleet(self._log, tally, decode, topics)
        return HeadReplay(events, self._keep, tally)

    def heads(self) -> list[StoredHead]:
        """The signed ledger heads, oldest first, numbered from 1 in the order signed."""
        self._check_open()
        return stored_heads(self._log, self.namespace)

    def evidence(self, task: str, verifier: NoteVerifier | None = None) -> EvidenceBundle:
        """The task's events with inclusion proofs against the newest signed head, to verify
        offline (:func:`fleetledger.integrity.verify_bundle`). :class:`NotFound` when the task
        has no events or the newest head does not cover them all yet.
        """
        self._check_open()
        if not self._gate.open:
            shown = self.replay(task)
            for _ in shown:
                pass
            if shown.withheld:
                raise AccessDenied(
                    f"{self._who.id} may not read {shown.withheld} of the events of task"
                    f" {task!r}: an evidence bundle holds every event of its task"
                )
        return collect_evidence(self._log, self.namespace, task, verifier or self.verifier)

    # -- erasure -----------------------------------------------------------------------------

    def forget(
        self, datasubject: str, *, reason: str | None = None, requested_by: str | None = None
    ) -> Erasure:
        """Erase a data subject: destroy their data keys, then append
        ``governance.erasure.performed`` (the pseudonym and how many keys were destroyed,
        never any of their data); return how many keys and where that event was stored.

        Their confidential fields stay in the ledger as ciphertext nobody can open any more:
        the stored bytes do not change, so ``verify``, inclusion proofs and evidence bundles
        still verify, and readers see those fields as ``{"$erased": true}``. Copies someone
        decrypted and kept elsewhere are beyond its reach. Under an access policy it needs
        ``admin`` on the governance family.
        """
        self._check_writable()
        self.authorize("admin", ["governance"])  # an erasure is an administrative act
        subject = checks.text("datasubject", datasubject)
        destroyed = self._core.fields.forget(subject)
        position = self.append(
            "governance.erasure.performed",
            subject=subject,
            source=self._core.default_source or ERASURE_SOURCE,
            data={
                "erased_subject": subject,
                "keys_destroyed": destroyed,
                "reason": reason,
                "requested_by": requested_by,
            },
        )
        return Erasure(subject, destroyed, position)

    # -- administration: tokens, policies, acts -----------------------------------------------

    def create_token(self, principal: Principal, *, expires: datetime | None = None) -> NewToken:
        """Issue an API token authenticating ``principal`` (until ``expires``, if given) and
        record ``governance.token.created``; return its id and ``secret``, the
        ``flt_<id>_<secret>`` to present, which is shown this once: the ledger keeps only
        its SHA-256. Needs ``admin`` on ``governance``."""
        self._check_writable()
        self.authorize("admin", ["governance"])
        expiry = None if expires is None else aware_ms(expires, "expires")
        token_id, secret = admin.mint()
        split = admin.split(secret)
        assert split is not None
        data = {
            "token_id": token_id,
            "principal": principal.id,
            "kind": principal.kind,
            "tenant": principal.tenant,
            "hash": admin.digest(split[1]),
            "expires": None if expires is None else admin.rfc3339(expires),
        }
        self._record_own(admin.TOKENS, "governance.token.created", data)
        moment = None if expiry is None else datetime.fromtimestamp(expiry / 1000, UTC)
        return NewToken(token_id, secret, moment)

    def tokens(self) -> list[Token]:
        """Every token ever issued, oldest first, with whom it authenticates and whether it
        was revoked (never a secret). Needs ``admin`` on ``governance``."""
        self._check_open()
        self.authorize("admin", ["governance"])
        return list(admin.fold_tokens(self._governance(admin.TOKENS)).values())

    def revoke_token(self, token_id: str, *, reason: str | None = None) -> bool:
        """Revoke token ``token_id`` (recording ``governance.token.revoked``); False when it
        was revoked already (nothing is recorded), :class:`NotFound` when there is no such
        token. Needs ``admin`` on ``governance``."""
        self._check_writable()
        self.authorize("admin", ["governance"])
        token = admin.fold_tokens(self._governance(admin.TOKENS)).get(token_id)
        if token is None:
            raise NotFound(f"no token {token_id!r}")
        if token.revoked is not None:
            return False
        data = {"token_id": token_id, "reason": reason}
        self._record_own(admin.TOKENS, "governance.token.revoked", data)
        return True

    def principal_for_token(self, token: str) -> Principal:
        """The principal ``token`` (``flt_<id>_<secret>``) authenticates, as of now;
        :class:`AccessDenied` for a malformed, unknown, revoked or expired token or a wrong
        secret. For a server authenticating requests; it reads the token records anew."""
        self._check_open()
        parts = admin.split(token)
        if parts is None:
            raise AccessDenied("not a fleetledger API token (flt_<id>_<secret>)")
        found = admin.fold_tokens(self._governance(admin.TOKENS)).get(parts[0])
        if found is None or not admin.matches(found.digest, parts[1]):
            raise AccessDenied(f"token {parts[0]} is not known to this ledger")
        if found.revoked is not None:
            raise AccessDenied(f"token {parts[0]} was revoked")
        now = datetime.fromtimestamp(self._core.now_ms() / 1000, UTC)
        if not found.active(now):
            raise AccessDenied(f"token {parts[0]} expired")
        return found.principal

    def policy_history(self) -> list[PolicyRecord]:
        """Every ``governance.policy.changed``, oldest first: the access policy and ordering
        rules (canonical texts) ledgers were opened with from each moment on. Needs ``read``
        on ``governance``."""
        self._check_open()
        self.authorize("read", ["governance"])
        return admin.fold_policies(self._governance(admin.POLICY))

    def policy_at(self, moment: datetime) -> PolicyRecord | None:
        """The policy recorded last at or before ``moment`` (None: none was recorded yet)."""
        wanted = aware_ms(moment, "moment")
        before = [
            record
            for record in self.policy_history()
            if record.recorded is not None and aware_ms(record.recorded, "recorded") <= wanted
        ]
        return before[-1] if before else None

    def _record_policy(self, access: str, ordering: str) -> None:
        """At open: record the policies unless they are the last recorded ones."""
        digest = admin.policy_digest(access, ordering)
        recorded = admin.fold_policies(self._governance(admin.POLICY))
        if recorded and recorded[-1].digest == digest:
            return
        data = {"access": access, "ordering": ordering, "digest": digest}
        self._record_own(admin.POLICY, "governance.policy.changed", data)

    def _record_act(
        self,
        operation: str,
        target: str | None,
        parameters: dict[str, Any],
        outcome: dict[str, Any],
    ) -> None:
        """Record an administrative act already authorized and done."""
        data = {
            "operation": operation,
            "target": target,
            "parameters": parameters,
            "outcome": outcome,
        }
        self._record_own(admin.ADMIN, "governance.admin.performed", data)

    def _record_own(self, subject: str, type: str, data: dict[str, Any]) -> Position:
        """Append one of the ledger's administrative records, past the access policy (the act
        it records was authorized, or is the opening of the ledger itself)."""
        event = {
            "type": type,
            "subject": subject,
            "source": self._core.default_source or admin.SOURCE,
            "data": data,
        }
        records = self._core.prepare_many([event], principal=self._acting, trusted=True)
        return self._backend.append(records)[0]

    def _governance(self, subject: str) -> list[Event]:
        """The events of ``subject`` in the governance family, in the ledger's order."""
        topic = self._core.topic("governance")
        rows = [row for row in self._log.subject_bodies(subject) if row[0] == topic]
        return in_order(self._core.located(rows)[0])

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Finish pending appends and release the backend (a delegate closes its opener's)."""
        owner = self._owner
        if not owner._closed:
            if not owner._readonly:
                owner._record_left_out()
            owner._closed = True
            try:
                owner._backend.close()
            finally:
                owner._core.fields.close()

    def _check_open(self) -> None:
        if self._owner._closed:
            raise LedgerClosed("the ledger is closed")

    def _check_writable(self) -> None:
        self._log.writable()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Ledger {redact(self.url) or type(self._backend).__name__}>"


def _counts(**values: int) -> None:
    """Refuse a negative offset, partition or limit (or a non-integer one), naming it."""
    for name, value in values.items():
        if type(value) is not int or value < 0:
            raise ContractError(
                f"{name} must be a whole number of 0 or more, not {value!r}", field=name
            )
