"""The synchronous ledger: the public face of a backend plus the event contract."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, NamedTuple

from fleetledger.backends.protocols import (
    Backend,
    PartitionOffsets,
    Record,
    StoredRecord,
    TopicPartition,
)
from fleetledger.errors import ConfigurationError, ContractError, LedgerClosed, NotFound
from fleetledger.events.envelope import Event, Position
from fleetledger.events.registry import Classification, EventData, EventType, Kind
from fleetledger.integrity import EvidenceBundle, NoteVerifier
from fleetledger.ledger.consumer import Consumer, Lag, Start
from fleetledger.ledger.core import LedgerCore
from fleetledger.ledger.evidence import collect_evidence
from fleetledger.ledger.prove import (
    ConsistencyProof,
    HeadRef,
    InclusionProof,
    prove_consistency,
    prove_event,
)
from fleetledger.ledger.urls import redact
from fleetledger.ledger.verify import Verification, verify_ledger
from fleetledger.topics import FamilyPolicy


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
    ) -> None:
        self.backend = backend
        self.core = core
        self.url = url
        self.verifier = verifier
        """The public key of the ledger's signer, the default for :meth:`verify`."""
        self._closed = False
        self._adopt_stored_policies(set(explicit))

    def _adopt_stored_policies(self, explicit: set[str]) -> None:
        """Existing topics keep their policies unless the opener chose one (``explicit``);
        families stored by an earlier session are readable; only the rest is created."""
        stored = self._stored()
        for policy in stored.values():
            if policy.family not in explicit:
                self.core.policies[policy.family] = policy
        self.core.forget_routes()
        wanted = self.core.topics()
        changes = {t: p for t, p in wanted.items() if t not in stored or stored[t] != p}
        if changes:
            self.backend.create_topics(changes)

    # -- write -------------------------------------------------------------------------------

    def append(
        self,
        type: str,
        *,
        subject: str,
        source: str | None = None,
        data: Any = None,
        id: str | None = None,
        time: datetime | str | None = None,
        dataclassification: str | None = None,
        tenant: str | None = None,
        conversationid: str | None = None,
        agentid: str | None = None,
        agentversion: str | None = None,
        correlationid: str | None = None,
        causationid: str | None = None,
        traceparent: str | None = None,
        supersedes: str | None = None,
    ) -> Position:
        """Validate, stamp and durably append one event; return where it was stored.

        MUST NOT return before the event is durable. Appending an id that is already stored
        stores nothing and returns the original position.
        """
        self._check_open()
        record = self.core.prepare(
            type,
            subject=subject,
            source=source,
            data=data,
            id=id,
            time=time,
            dataclassification=dataclassification,
            tenant=tenant,
            conversationid=conversationid,
            agentid=agentid,
            agentversion=agentversion,
            correlationid=correlationid,
            causationid=causationid,
            traceparent=traceparent,
            supersedes=supersedes,
        )
        self._check_corrections([record], [supersedes])
        return self.backend.append([record])[0]

    def append_many(self, events: Iterable[Mapping[str, Any]]) -> list[Position]:
        """Append several events atomically, across families: all are stored or none is.

        Each event is a mapping of :meth:`append`'s keyword arguments (``type``, ``subject``,
        ``data``, ...). Every event is validated before anything is written.
        """
        self._check_open()
        events = list(events)
        records = self.core.prepare_many(events)
        self._check_corrections(records, [event.get("supersedes") for event in events])
        return self.backend.append(records)

    def _check_corrections(self, records: Sequence[Record], targets: Sequence[Any]) -> None:
        """A correction must name an event that exists, in the same family."""
        batch = {r.id: r.topic for r in records}
        for record, target in zip(records, targets, strict=True):
            if target is None:
                continue
            topic = batch.get(target)
            if topic is None:
                found = self.backend.find(target)
                if found is None:
                    raise ContractError(
                        f"supersedes {target!r}: no event with that id to correct",
                        field="supersedes",
                    )
                topic = found.topic
            if topic != record.topic:
                raise ContractError(
                    f"supersedes {target!r}: a correction must be in the same family as the "
                    f"event it corrects ({self.core.family(topic)})",
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
        if family not in self.core.policies:
            new_policy = policy or FamilyPolicy(family=family)
            self.backend.create_topics({self.core.topic(family): new_policy})
            self.core.policies[family] = new_policy
        registered = self.core.registry.register(spec)
        self.core.forget_routes()
        return registered

    # -- read --------------------------------------------------------------------------------

    def get(self, event_id: str) -> Event:
        """The event with this id."""
        if type(event_id) is not str:
            raise ContractError(f"an event id is a string, not {type(event_id).__name__}")
        record = self.backend.find(event_id)
        if record is None:
            raise NotFound(f"no event with id {event_id!r}")
        return self.core.decode(record)

    def read(
        self,
        family: str,
        partition: int = 0,
        offset: int = 0,
        *,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """Events of one partition of a family, from ``offset`` (or from time ``since``)."""
        topic = self._topic(family)
        if since is not None:
            offset = self.backend.offset_for_time(topic, partition, int(since.timestamp() * 1000))
        return [self.core.decode(r) for r in self.backend.read(topic, partition, offset, limit)]

    def replay(
        self, task: str, *, families: Iterable[str] | None = None, corrected: bool = False
    ) -> Iterator[Event]:
        """A task's events across all families, in the order the ledger recorded them.

        By default the history is shown as recorded, corrections included. ``corrected``
        shows it as corrected: an event superseded by a later correction is left out, and the
        correction stands at the place it was recorded.
        """
        wanted = None if families is None else {self._topic(f) for f in families}
        prefix = self.core.namespace + "."  # other namespaces may share the store
        events = [
            self.core.decode(record)
            for record in self.backend.read_subject(task)
            if (record.topic in wanted if wanted is not None else record.topic.startswith(prefix))
        ]
        if corrected:
            superseded = {event.supersedes for event in events if event.supersedes}
            events = [event for event in events if event.id not in superseded]
        yield from events

    def tail(
        self,
        families: Iterable[str] | None = None,
        *,
        last: int = 10,
        follow: bool = False,
        poll_interval: float = 0.2,
        timeout: float | None = None,
    ) -> Iterator[Event]:
        """The ``last`` events recorded across ``families``, oldest first; then (``follow``)
        every new event as it arrives, until ``timeout`` seconds have passed.
        """
        topics = [self._topic(f) for f in families] if families else sorted(self._stored())
        # The last N overall are among the last N of each partition.
        positions = {
            (t, p): max(r.end - last, r.start)
            for t in topics
            for p, r in enumerate(self.backend.offsets(t))
        }
        recent = self._read_from(positions)
        yield from map(self.core.decode, recent[max(len(recent) - last, 0) :] if last > 0 else [])
        deadline = None if timeout is None else time.monotonic() + timeout
        while follow and (deadline is None or time.monotonic() < deadline):
            batch = self._read_from(positions)
            yield from map(self.core.decode, batch)
            if not batch:
                time.sleep(poll_interval)

    def _read_from(self, positions: dict[TopicPartition, int]) -> list[StoredRecord]:
        """Everything after ``positions`` (advanced in place), in recorded order."""
        batch: list[StoredRecord] = []
        for (topic, partition), start in positions.items():
            offset = start
            while records := self.backend.read(topic, partition, offset, 1000):
                offset = records[-1].offset + 1
                batch.extend(records)
            positions[(topic, partition)] = offset
        batch.sort(key=lambda r: (r.recorded_ms, r.topic, r.partition, r.offset))
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
        """A reader for consumer group ``group`` over ``families`` (all families by default)."""
        self._check_open()
        topics = [self._topic(f) for f in families] if families else sorted(self._stored())
        return Consumer(self, group, topics, start=start, member=member, members=members)

    def lag(self, group: str | None = None) -> list[Lag]:
        """Committed-offset lag per group, topic and partition (``end - committed``)."""
        groups = [group] if group is not None else self.backend.groups()
        ends: dict[str, list[PartitionOffsets]] = {}
        rows = []
        for name in groups:
            committed = self.backend.committed(name)
            if group is not None and not committed:
                raise NotFound(f"consumer group {group!r} has never committed")
            for (topic, partition), offset in sorted(committed.items()):
                if topic not in ends:
                    ends[topic] = self.backend.offsets(topic)
                rows.append(Lag(name, topic, partition, offset, ends[topic][partition].end))
        return rows

    def groups(self) -> list[str]:
        """Every consumer group that has committed offsets."""
        return self.backend.groups()

    def topics(self) -> list[TopicInfo]:
        """Every topic of the ledger with its policy and partition offsets."""
        return [
            TopicInfo(topic, policy.family, policy, self.backend.offsets(topic))
            for topic, policy in sorted(self._stored().items())
        ]

    def _stored(self) -> dict[str, FamilyPolicy]:
        """The stored topics of this ledger's namespace (other namespaces may share a store)."""
        prefix = self.core.namespace + "."
        return {t: p for t, p in self.backend.topics().items() if t.startswith(prefix)}

    def maintain(self, now: datetime | None = None) -> int:
        """Apply retention and compaction as of ``now`` (the ledger's clock by default).

        Return how many records were removed.
        """
        now_ms = self.core.now_ms() if now is None else int(now.timestamp() * 1000)
        return self.backend.enforce_retention(now_ms)

    # -- integrity ---------------------------------------------------------------------------

    def verify(self, verifier: NoteVerifier | None = None, *, deep: bool = False) -> Verification:
        """Recompute every partition's tree from the stored events and check its checkpoints.

        Signatures are checked with ``verifier`` (default: the public key of the ledger's
        signer); without one, notes are read unverified and only the trees are checked against
        them. ``deep`` also checks every event's indexed columns (id, subject, type, key,
        recorded time) against its stored bytes, which decodes every event. Returns what was
        checked and every finding (``Verification.check()`` raises).
        """
        self._check_open()
        namespace, verifier = self.core.namespace, verifier or self.verifier
        return verify_ledger(self.backend, namespace, self._stored(), verifier, deep=deep)

    def prove(self, event_id: str, verifier: NoteVerifier | None = None) -> InclusionProof:
        """An inclusion proof of the event against the newest signed ledger head covering it.

        The proof is verified before it is returned (the head's signature too, with
        ``verifier``, default the signer's public key). :class:`NotFound` when no head covers
        the event yet; :class:`IntegrityError` when the stored event does not match its leaf.
        """
        self._check_open()
        return prove_event(self.backend, self.core.namespace, event_id, verifier or self.verifier)

    def prove_consistency(
        self, old: HeadRef, new: HeadRef = "latest", verifier: NoteVerifier | None = None
    ) -> ConsistencyProof:
        """A verified proof that head ``new`` extends head ``old`` in every partition of ``old``.

        Each head is a stored head's sequence number, ``"latest"``, or a signed head note (bytes
        or text). :class:`ProofError` names each partition where ``new`` does not extend ``old``.
        """
        self._check_open()
        namespace, verifier = self.core.namespace, verifier or self.verifier
        return prove_consistency(self.backend, namespace, old, new, verifier)

    def evidence(self, task: str, verifier: NoteVerifier | None = None) -> EvidenceBundle:
        """The task's events with inclusion proofs against the newest signed head, to verify
        offline (:func:`fleetledger.integrity.verify_bundle`). :class:`NotFound` when the task
        has no events or the newest head does not cover them all yet.
        """
        self._check_open()
        namespace, verifier = self.core.namespace, verifier or self.verifier
        return collect_evidence(self.backend, namespace, task, verifier)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Finish pending appends and release the backend."""
        if not self._closed:
            self._closed = True
            self.backend.close()

    def _check_open(self) -> None:
        if self._closed:
            raise LedgerClosed("the ledger is closed")

    def _topic(self, family: str) -> str:
        if family not in self.core.policies:
            known = ", ".join(sorted(self.core.policies))
            raise NotFound(f"no family {family!r}; this ledger has: {known}")
        return self.core.topic(family)

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
        return f"<Ledger {redact(self.url) or type(self.backend).__name__}>"
