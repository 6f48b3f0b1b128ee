"""The task projection: the lifecycle state machine run over the stream, kept in ``state``.

:class:`TaskProjection` is driven by a projection runner (exactly once: its outputs and the
group's offsets are committed together). For each batch it folds every event that concerns a
task (:func:`fleetledger.events.lifecycle.concerns`) into that task's state and returns one
``state.summary`` per task the batch changed (its latest state) and one
``task.anomaly.detected`` per impossible transition, caused by the offending event.

Its durable state is the compacted ``state`` family itself: a task not in memory is loaded from
its latest ``state.summary`` (read through the ledger), so a restarted projection continues
where its committed output left it, and :meth:`TaskProjection.reset` may forget everything in
memory. Two limits follow from that: a task that so far has only tool or approval events (no
lifecycle event, so no status to summarize) is kept in memory only; and a batch is folded in
the ledger's order (the order key), while events of other families of a task can reach the
runner in a later batch than they were recorded in: they only keep the books of calls and
approvals, which is why they are never anomalies.

Also here, for readers of the projection's output (``fleetledger tasks``): the latest summary
per task, the anomalies recorded, and how far the ``tasks`` group is behind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final, NamedTuple

import msgspec

from fleetledger.errors import NotFound
from fleetledger.events.envelope import Event, format_time
from fleetledger.events.lifecycle import ANOMALY_TYPE, Anomaly, TaskState, advance, concerns
from fleetledger.events.new import NewEvent
from fleetledger.events.order import in_order, order_key
from fleetledger.events.taskstate import from_summary, to_summary
from fleetledger.ledger import Ledger
from fleetledger.types import Classification

__all__ = [
    "FAMILIES",
    "GROUP",
    "Backlog",
    "SOURCE",
    "Read",
    "TaskProjection",
    "latest_summaries",
    "read_anomalies",
    "read_family",
    "unprojected",
]

GROUP: Final = "tasks"
"""The consumer group the task projection commits its offsets under."""
FAMILIES: Final = ("task", "tool", "governance")
"""The families it reads: lifecycle events, tool calls, approvals."""
SOURCE: Final = "urn:fleetledger:projection:tasks"
"""The ``source`` of what it writes."""
SUMMARY: Final = "state.summary"
_PAGE = 1000


class TaskProjection:
    """Task state from the stream: one ``state.summary`` per task changed, per batch."""

    def __init__(self, ledger: Ledger, *, source: str = SOURCE) -> None:
        self._ledger = ledger
        self._source = source
        self._states: dict[str, TaskState] = {}
        self._loaded = False

    @property
    def name(self) -> str:
        """The consumer group its offsets are committed under."""
        return GROUP

    @property
    def families(self) -> tuple[str, ...]:
        """The families it reads."""
        return FAMILIES

    def project(self, events: Sequence[Event]) -> list[NewEvent]:
        """The outputs of one batch: its anomalies (in the order met), then the latest
        summary of each task the batch changed (in the order first changed)."""
        changed: dict[str, TaskState] = {}
        anomalies: list[NewEvent] = []
        for event in in_order(event for event in events if concerns(event)):
            task = event.subject
            before = changed.get(task) or self._state(task)
            after, anomaly = advance(before, event)
            if after is before:
                continue
            changed[task] = after
            if anomaly is not None:
                anomalies.append(self._anomaly(event, anomaly))
        self._states.update(changed)
        summaries = [self._summary(s) for s in changed.values() if s.status is not None]
        return [*anomalies, *summaries]

    def reset(self) -> None:
        """Forget every state held in memory: what was committed is read again from the
        ``state`` family when next needed (what was not is gone, as it should be)."""
        self._states.clear()
        self._loaded = False

    def state(self, task: str) -> TaskState:
        """The task's state as the projection holds it (loaded from ``state`` if need be)."""
        return self._state(task)

    def _state(self, task: str) -> TaskState:
        if not self._loaded:
            self._load()
        found = self._states.get(task)
        if found is None:
            found = self._states[task] = TaskState(task=task)
        return found

    def _load(self) -> None:
        """Hold the state of every task's latest ``state.summary``: read once, in one pass
        over the compacted ``state`` family, rather than a lookup per task (on Kafka a
        task's lookup scans partitions). A task not there is a task not seen yet."""
        self._states = {
            summary.subject: from_summary(summary)
            for summary in latest_summaries(self._ledger).events
        }
        self._loaded = True

    def _summary(self, state: TaskState) -> NewEvent:
        """The summary event of ``state``: the same fields for the same state (its time is
        that of the task's last event, so a rebuild writes the same summaries)."""
        return NewEvent(
            type=SUMMARY,
            subject=state.task,
            source=self._source,
            data=msgspec.to_builtins(to_summary(state)),
            time=state.updated_at,
            tenant=state.tenant,
            correlationid=state.correlation,
            causationid=state.last_event_id,
            dataclassification=_raised(state.classification),
            datasubject=state.datasubject,
        )

    def _anomaly(self, event: Event, anomaly: Anomaly) -> NewEvent:
        return NewEvent(
            type=ANOMALY_TYPE,
            subject=event.subject,
            source=self._source,
            data={
                "event_id": anomaly.event_id,
                "event_type": anomaly.event_type,
                "reason": anomaly.reason,
                "from_status": anomaly.from_status,
                "to_status": anomaly.to_status,
            },
            time=event.time,
            tenant=event.tenant,
            correlationid=event.correlationid,
            causationid=event.id,
        )


def _raised(classification: str | None) -> str | None:
    """The summary's classification: that of the event its goal came from when higher than
    the summary's own (internal), so a sealed goal is sealed again; else the default."""
    try:
        found = Classification(classification) if classification else None
    except ValueError:
        return None
    internal = Classification.INTERNAL
    return found.value if found is not None and found.rank > internal.rank else None


# -- reading the projection's output ---------------------------------------------------------


class Read(NamedTuple):
    """Events read, and how many an access policy withheld from the reader."""

    events: list[Event]
    withheld: int


def read_family(ledger: Ledger, family: str, types: Iterable[str] = ()) -> Read:
    """Every event of ``family`` (of ``types``, when given) in the ledger's order."""
    wanted = set(types)
    events: list[Event] = []
    withheld = 0
    for info in ledger.topics():
        if info.family != family:
            continue
        for partition, offsets in enumerate(info.partitions):
            offset = offsets.start
            while offset < offsets.end:
                page = ledger.read(family, partition, offset, limit=_PAGE)
                withheld += page.withheld
                events += [e for e in page if not wanted or e.type in wanted]
                last = page[-1].position if page else None
                # An empty page held only records hidden from this reader: go past them.
                offset = offset + _PAGE if last is None else last.offset + 1
    return Read(in_order(events), withheld)


def latest_summaries(ledger: Ledger) -> Read:
    """The latest ``state.summary`` of each task, newest last (by the ledger's order)."""
    read = read_family(ledger, "state", [SUMMARY])
    latest = {event.subject: event for event in read.events}
    return Read(sorted(latest.values(), key=order_key), read.withheld)


def read_anomalies(ledger: Ledger, *, since: datetime | None = None) -> Read:
    """The ``task.anomaly.detected`` events (recorded at or after ``since``), oldest first."""
    read = read_family(ledger, "task", [ANOMALY_TYPE])
    if since is None:
        return read
    bound = format_time(since)
    return Read([e for e in read.events if order_key(e)[0] >= bound], read.withheld)


class Backlog(NamedTuple):
    """What the ``tasks`` group has not projected yet: events of its families, and whether
    it ever committed (if not, every event of those families is counted)."""

    events: int
    started: bool


def unprojected(ledger: Ledger) -> Backlog:
    """How many events of the projection's families the ``tasks`` group has not committed."""
    families = [f for f in FAMILIES if f in ledger.families()]
    topics = {ledger.topic(f) for f in families}
    try:
        rows = ledger.lag(GROUP)
    except NotFound:
        total = sum(info.events for info in ledger.topics() if info.family in families)
        return Backlog(total, started=False)
    return Backlog(sum(row.lag for row in rows if row.topic in topics), started=True)
