"""Hand-built workloads for the scoring tests: every figure chosen, none measured."""

from __future__ import annotations

from datetime import UTC, datetime

from fleetledger.planning.workload import FamilyLoad, GroupLoad, Rates, Workload
from fleetledger.topics import FOREVER, Cleanup, FamilyPolicy

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
DAY_MS = 86_400_000


def rates(
    *, windows: int = 100, median: float = 10.0, peak: float = 10.0, cv: float = 0.0
) -> Rates:
    """Rates whose peak/median and CV are what the test says."""
    return Rates(window_seconds=60.0, windows=windows, mean=median, median=median, peak=peak, cv=cv)


def family(
    name: str, *, bytes: int = 0, retention_days: float | None = None, compact: bool = False
) -> FamilyLoad:
    """A family holding ``bytes`` under the given retention (None: forever)."""
    policy = FamilyPolicy(
        family=name,
        retention_ms=FOREVER if retention_days is None else int(retention_days * DAY_MS),
        cleanup=Cleanup.COMPACT if compact else Cleanup.DELETE,
    )
    events = bytes // 100
    return FamilyLoad(name, policy, events, events, bytes, 100.0, 100, None, None, rates())


def group(
    name: str = "audit",
    *,
    behind: float | None = None,
    rewinds: int = 0,
    deepest: float | None = None,
) -> GroupLoad:
    """A group ``behind`` seconds behind, rewound ``rewinds`` times, at most ``deepest`` s."""
    return GroupLoad(name, 0, behind, rewinds, rewinds * 10, deepest)


def workload(
    *,
    families: tuple[FamilyLoad, ...] = (),
    traffic: Rates | None = None,
    kinds: dict[str, int] | None = None,
    classifications: dict[str, int] | None = None,
    groups: tuple[GroupLoad, ...] = (),
    approvals: int = 0,
    denials: int = 0,
    erasures: int = 0,
    policy_changes: int = 0,
) -> Workload:
    """A workload with exactly the figures given, the rest empty."""
    return Workload(
        namespace="fleet",
        measured_at=NOW,
        families=families,
        rates=traffic or rates(),
        types={},
        kinds=kinds or {},
        classifications=classifications or {},
        groups=groups,
        approvals=approvals,
        denials=denials,
        erasures=erasures,
        policy_changes=policy_changes,
        confidential_types=0,
    )
