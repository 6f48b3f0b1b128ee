"""What a live ledger says about its own workload: rates, sizes, retention, readers, governance.

The scorecard and the cost model both start from a guess unless someone measures; the ledger
already holds the answer. :func:`measure` reads every retained record once through
:attr:`fleetledger.Ledger.log` (so it needs ``admin`` under an access policy) and folds it into
a :class:`Workload`: per family its append rates over fixed windows, event sizes and retention
policy; per consumer group how far behind it is and how far back it was ever rewound
(``fleetledger groups reset|seek`` records each move as a ``group.moved`` act); and the mix of
intents, facts, approvals, classifications, denials and erasures.

Sizes are those of the canonical encoding, the same on every backend (a broker's files add
framing and indexes; compression removes some). Reading is one pass: about a second per
100,000 events on SQLite.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

import msgspec

from fleetledger.ledger import Lag, Ledger, TopicInfo
from fleetledger.topics import FamilyPolicy

WINDOWS = (1.0, 10.0, 60.0, 300.0, 3600.0, 86400.0)
"""Window lengths tried in order: the first giving at most :data:`MAX_WINDOWS` windows wins."""

MAX_WINDOWS = 1000
_PAGE = 2000
_ADMIN_TYPE = "governance.admin.performed"
_GROUP_MOVED = "group.moved"


@dataclass(frozen=True)
class Rates:
    """Appends per second over fixed windows, from the first append to the last.

    Empty windows count: a ledger that is quiet most of the time and busy for a minute has a
    median far below its peak, which is the burstiness the seeds ask about.
    """

    window_seconds: float
    windows: int
    mean: float
    median: float
    peak: float
    cv: float
    """Coefficient of variation of the window counts (stdev / mean); 0 with fewer than 2."""

    @property
    def peak_to_median(self) -> float:
        """Peak over median (over the mean when most windows are empty); 1.0 with no events."""
        if self.peak == 0:
            return 1.0
        return self.peak / (self.median or self.mean)

    @property
    def burst(self) -> float:
        """Peak over mean: the factor a system sized for the average must absorb."""
        return self.peak / self.mean if self.mean else 1.0


NO_RATES = Rates(window_seconds=WINDOWS[0], windows=0, mean=0.0, median=0.0, peak=0.0, cv=0.0)


@dataclass(frozen=True)
class FamilyLoad:
    """One family's retained events, their sizes and how fast they arrived."""

    family: str
    policy: FamilyPolicy
    events: int
    appended: int
    """Events ever appended (the partitions' end offsets): retention may have removed some."""
    bytes: int
    mean_size: float
    p99_size: int
    first: datetime | None
    last: datetime | None
    rates: Rates


@dataclass(frozen=True)
class GroupLoad:
    """A consumer group: how far behind it is, and how far back it has been sent to re-read."""

    group: str
    lag: int
    behind_seconds: float | None
    """Age, when measured, of the oldest event the group has not committed (None: caught up)."""
    rewinds: int
    """Recorded moves that sent the group back (``groups reset --to earliest``, ``seek``)."""
    rewound_events: int
    deepest_rewind_seconds: float | None
    """Age, at the move, of the oldest event a move sent the group back to."""


@dataclass(frozen=True)
class Workload:
    """A ledger's workload as measured at ``measured_at``."""

    namespace: str
    measured_at: datetime
    families: tuple[FamilyLoad, ...]
    rates: Rates
    types: Mapping[str, int]
    kinds: Mapping[str, int]
    """Retained events by kind of their registered type: ``intent``, ``fact``, ``unregistered``."""
    classifications: Mapping[str, int]
    groups: tuple[GroupLoad, ...]
    approvals: int
    denials: int
    erasures: int
    policy_changes: int
    confidential_types: int
    """Registered event types declaring confidential fields (encrypted per data subject)."""
    first: datetime | None = None
    last: datetime | None = None

    @property
    def events(self) -> int:
        """Retained events in every family."""
        return sum(f.events for f in self.families)

    @property
    def bytes(self) -> int:
        """Bytes of the retained events' canonical encoding in every family."""
        return sum(f.bytes for f in self.families)

    @property
    def span_seconds(self) -> float:
        """Seconds from the oldest retained event to the newest (0 when fewer than two)."""
        if self.first is None or self.last is None:
            return 0.0
        return (self.last - self.first).total_seconds()

    def family(self, name: str) -> FamilyLoad | None:
        """The family called ``name``, if the ledger has it."""
        return next((f for f in self.families if f.family == name), None)


def measure(
    ledger: Ledger, *, window: float | None = None, now: datetime | None = None
) -> Workload:
    """Read every retained record of ``ledger`` once and fold it into a :class:`Workload`.

    ``window`` fixes the rate window in seconds (default: the shortest of :data:`WINDOWS`
    giving at most :data:`MAX_WINDOWS` windows over the ledger's span); ``now`` is when lag
    ages are measured (default: the clock).
    """
    measured_at = now or datetime.now(UTC)
    registered = ledger.types()
    tally = _Tally()
    families = []
    topics = ledger.topics()
    for info in topics:
        sizes, times = tally.read(ledger, info)
        families.append((info, sizes, times))
    every = sorted(t for _, _, times in families for t in times)
    chosen = window if window is not None else _window_for(every)
    loads = tuple(_family_load(info, sizes, times, chosen) for info, sizes, times in families)
    kinds: Counter[str] = Counter()
    for type_name, count in tally.types.items():
        spec = registered.get(type_name)
        kinds["unregistered" if spec is None else spec.kind.value] += count
    return Workload(
        namespace=ledger.namespace,
        measured_at=measured_at,
        families=tuple(sorted(loads, key=lambda load: load.family)),
        rates=rates(every, chosen),
        types=dict(sorted(tally.types.items())),
        kinds=dict(sorted(kinds.items())),
        classifications=dict(sorted(tally.classifications.items())),
        groups=tuple(_groups(ledger, tally.moves, measured_at)),
        approvals=sum(c for t, c in tally.types.items() if t.startswith("governance.approval.")),
        denials=tally.types.get("governance.policy.denied", 0),
        erasures=tally.types.get("governance.erasure.performed", 0),
        policy_changes=tally.types.get("governance.policy.changed", 0),
        confidential_types=sum(1 for spec in registered.values() if spec.confidential),
        first=_moment(every[0]) if every else None,
        last=_moment(every[-1]) if every else None,
    )


def rates(times_ms: Sequence[int], window: float) -> Rates:
    """Appends per second over windows of ``window`` seconds of sorted record times (ms)."""
    if not times_ms:
        return Rates(window_seconds=window, windows=0, mean=0.0, median=0.0, peak=0.0, cv=0.0)
    width = window * 1000
    count = int((times_ms[-1] - times_ms[0]) // width) + 1
    windows = [0] * count
    for t in times_ms:
        windows[int((t - times_ms[0]) // width)] += 1
    mean = statistics.fmean(windows)
    spread = statistics.pstdev(windows) / mean if count > 1 else 0.0
    return Rates(
        window_seconds=window,
        windows=count,
        mean=mean / window,
        median=statistics.median(windows) / window,
        peak=max(windows) / window,
        cv=spread,
    )


def _window_for(times_ms: Sequence[int]) -> float:
    """The shortest window of :data:`WINDOWS` giving at most :data:`MAX_WINDOWS` windows."""
    span = (times_ms[-1] - times_ms[0]) / 1000 if times_ms else 0.0
    return next((w for w in WINDOWS if span / w < MAX_WINDOWS), WINDOWS[-1])


def _family_load(info: TopicInfo, sizes: list[int], times: list[int], window: float) -> FamilyLoad:
    sizes.sort()
    times.sort()
    return FamilyLoad(
        family=info.family,
        policy=info.policy,
        events=len(sizes),
        appended=sum(p.end for p in info.partitions),
        bytes=sum(sizes),
        mean_size=statistics.fmean(sizes) if sizes else 0.0,
        p99_size=_percentile(sizes, 0.99),
        first=_moment(times[0]) if times else None,
        last=_moment(times[-1]) if times else None,
        rates=rates(times, window),
    )


def _percentile(ordered: Sequence[int], q: float) -> int:
    """The nearest-rank percentile of sorted values (0 when empty)."""
    if not ordered:
        return 0
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def _moment(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class _Classified(msgspec.Struct):
    """The one attribute of a stored body the tally needs from every event."""

    dataclassification: str = "unclassified"


class _Move(msgspec.Struct):
    topic: str
    partition: int
    before: int
    to: int


class _Outcome(msgspec.Struct):
    moves: list[_Move] = []


class _Act(msgspec.Struct):
    operation: str
    target: str | None = None
    outcome: _Outcome = msgspec.field(default_factory=_Outcome)


class _AdminBody(msgspec.Struct):
    data: _Act
    recordedtime: datetime | None = None


@dataclass
class _Rewind:
    group: str
    at_ms: int
    topic: str
    partition: int
    before: int
    to: int


@dataclass
class _Tally:
    """What one pass over the records counts besides sizes and times."""

    types: Counter[str] = field(default_factory=Counter)
    classifications: Counter[str] = field(default_factory=Counter)
    moves: list[_Rewind] = field(default_factory=list)

    def read(self, ledger: Ledger, info: TopicInfo) -> tuple[list[int], list[int]]:
        """The sizes and record times (ms) of a topic's retained records, tallying the rest."""
        sizes: list[int] = []
        times: list[int] = []
        classified = msgspec.json.Decoder(_Classified)
        for record in _records(ledger, info):
            sizes.append(len(record.body))
            times.append(record.recorded_ms)
            self.types[record.type] += 1
            self.classifications[classified.decode(record.body).dataclassification] += 1
            if record.type == _ADMIN_TYPE:
                self._admin(record.body, record.recorded_ms)
        return sizes, times

    def _admin(self, body: bytes, at_ms: int) -> None:
        try:
            act = msgspec.json.decode(body, type=_AdminBody).data
        except msgspec.ValidationError:
            return  # an act of another shape: nothing about groups in it
        if act.operation != _GROUP_MOVED or act.target is None:
            return
        for move in act.outcome.moves:
            if move.to < move.before:
                self.moves.append(
                    _Rewind(act.target, at_ms, move.topic, move.partition, move.before, move.to)
                )


def _records(ledger: Ledger, info: TopicInfo) -> Iterator[_StoredLike]:
    log = ledger.log
    for partition, offsets in enumerate(info.partitions):
        offset = offsets.start
        while offset < offsets.end:
            page = log.read(info.topic, partition, offset, _PAGE)
            if not page:
                break
            yield from page
            offset = page[-1].offset + 1


class _StoredLike(Protocol):
    """The fields of a stored record this module reads."""

    @property
    def type(self) -> str: ...
    @property
    def recorded_ms(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def offset(self) -> int: ...


def _groups(ledger: Ledger, rewinds: list[_Rewind], now: datetime) -> Iterator[GroupLoad]:
    by_group: dict[str, list[_Rewind]] = {}
    for rewind in rewinds:
        by_group.setdefault(rewind.group, []).append(rewind)
    lags = ledger.lag()
    names = sorted({lag.group for lag in lags} | set(by_group))
    for name in names:
        behind = [lag for lag in lags if lag.group == name and lag.lag > 0]
        oldest = _oldest_unread(ledger, behind)
        moves = by_group.get(name, [])
        ages = [age for age in (_rewind_age(ledger, move) for move in moves) if age is not None]
        yield GroupLoad(
            group=name,
            lag=sum(lag.lag for lag in behind),
            behind_seconds=None if oldest is None else max(now.timestamp() - oldest / 1000, 0.0),
            rewinds=len({(move.at_ms, move.group) for move in moves}),
            rewound_events=sum(move.before - move.to for move in moves),
            deepest_rewind_seconds=max(ages) if ages else None,
        )


def _first_time(ledger: Ledger, topic: str, partition: int, offset: int) -> int | None:
    """The record time (ms) of the first record at or after ``offset``, if one is retained."""
    page = ledger.log.read(topic, partition, offset, 1)
    return page[0].recorded_ms if page else None


def _oldest_unread(ledger: Ledger, behind: Sequence[Lag]) -> int | None:
    times = [_first_time(ledger, lag.topic, lag.partition, lag.committed) for lag in behind]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _rewind_age(ledger: Ledger, move: _Rewind) -> float | None:
    target = _first_time(ledger, move.topic, move.partition, move.to)
    return None if target is None else max((move.at_ms - target) / 1000, 0.0)
