"""The cost model's inputs: what the fleet writes (a :class:`Demand`) and how the cluster is laid
out (a :class:`Deployment`), each a frozen value with its units in its field names.

Every field says where its value came from (:attr:`Demand.origins`, :attr:`Deployment.origins`:
``default``, ``ledger``, ``file`` or ``flag``), so a report can say which figure was measured and
which was assumed. Nothing here reads a file: :mod:`.sources` builds these from TOML, flags and a
measured workload.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from fleetledger.errors import ConfigurationError

MIB = 1 << 20
GIB = 1 << 30
"""Binary units: sizes here are MiB and GiB, as brokers and cloud bills count them."""

FOREVER_DAYS = math.inf
"""``retention_days`` of a family that is never deleted: its stored bytes keep growing."""

DAYS_PER_MONTH = 365 / 12
"""A calendar month in days (30.42), for turning retention in days into months of ingest."""


@dataclass(frozen=True)
class FamilyDemand:
    """What one family (one topic) receives.

    ``events_per_second`` is the mean append rate; ``burst`` is peak / mean (brokers are sized
    for the peak, bytes are billed at the mean). ``mean_size`` and ``p99_size`` are the event's
    size in bytes before compression: only the mean enters the bill (bytes add up as means);
    the p99 is reported to size ``max.message.bytes``. ``stored_bytes`` is what the family holds
    now (measured), the starting point of a family kept forever. A ``compacted`` family keeps
    the latest event per key: it holds ``stored_bytes`` (grown with the rates), whatever it
    ingests.
    """

    name: str
    events_per_second: float
    mean_size: float
    retention_days: float = FOREVER_DAYS
    burst: float = 1.0
    p99_size: float = 0.0
    stored_bytes: float = 0.0
    compacted: bool = False

    def __post_init__(self) -> None:
        _at_least(f"family {self.name!r}: events_per_second", self.events_per_second, 0)
        _at_least(f"family {self.name!r}: mean_size", self.mean_size, 0)
        _at_least(f"family {self.name!r}: burst", self.burst, 1)
        _at_least(f"family {self.name!r}: stored_bytes", self.stored_bytes, 0)
        if not self.retention_days > 0:
            raise ConfigurationError(
                f"family {self.name!r}: retention_days must be positive or forever,"
                f" not {self.retention_days}"
            )

    @property
    def forever(self) -> bool:
        """True when the family is never deleted."""
        return math.isinf(self.retention_days)

    @property
    def retention_months(self) -> float:
        """Retention in months (``inf`` for forever)."""
        return self.retention_days / DAYS_PER_MONTH


@dataclass(frozen=True)
class Demand:
    """The whole fleet's load: its families, how many consumer groups read each byte
    (``fan_out``), and the compression ratio (uncompressed / compressed, >= 1) that applies to
    bytes on the wire and on disk alike. ``monthly_growth`` compounds: month k's rates are
    ``(1 + monthly_growth) ** (k - 1)`` times month 1's."""

    families: tuple[FamilyDemand, ...]
    fan_out: float = 1.0
    compression: float = 1.0
    months: int = 12
    monthly_growth: float = 0.0
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.families:
            raise ConfigurationError("no family to plan for: give at least one")
        names = [f.name for f in self.families]
        if len(set(names)) != len(names):
            raise ConfigurationError(f"a family is named twice: {sorted(names)}")
        _at_least("fan_out", self.fan_out, 0)
        _at_least("compression", self.compression, 1)
        _at_least("months", self.months, 1)
        _at_least("growth", self.monthly_growth, -0.99)

    def scaled(self, **changes: float) -> Demand:
        """This demand with every family's ``events_per_second``, ``mean_size`` or
        ``retention_days`` multiplied (a sensitivity run); other keywords replace fields."""
        per_family = {k: v for k, v in changes.items() if k in _FAMILY_SCALABLE}
        families = tuple(
            replace(f, **{k: getattr(f, k) * v for k, v in per_family.items()})
            for f in self.families
        )
        rest = {k: v for k, v in changes.items() if k not in _FAMILY_SCALABLE}
        return replace(self, families=families, **rest)  # type: ignore[arg-type]


_FAMILY_SCALABLE = frozenset({"events_per_second", "mean_size", "retention_days"})


@dataclass(frozen=True)
class Deployment:
    """How the cluster is laid out, and the sizing rules of each architecture.

    Shared nothing: ``replication_factor`` copies on local disks kept ``headroom`` free,
    replicas placed rack-aware (one per zone while there are zones); ``rack_aware_fetch``
    is KIP-392 follower fetching; ``tiered_storage`` keeps only ``hot_window_days`` on local
    disk and the rest once in object storage (uploaded in ``tiered_segment_mib`` segments).
    A broker holds at most ``broker_disk_gib`` and moves ``broker_network_mib_s`` each way.

    Shared storage (object storage plus a write-ahead log, stateless brokers, as in AutoMQ):
    objects of ``object_upload_mib`` are uploaded (one PUT each); ``compaction_read_factor``
    times the written bytes are read back and rewritten for compaction and
    ``cold_read_fraction`` of consumed bytes are catch-up reads from object storage, in GETs of
    ``object_get_mib``; the WAL holds ``wal_seconds`` of peak ingress, at least
    ``wal_min_gib_per_broker`` per broker; ``wal_cross_zone_copies`` is how many copies of each
    byte a WAL replicated across zones sends to other zones (0 for a zonal block-storage or a
    regional object-storage WAL).

    ``producer_zones`` and ``consumer_zones`` say in how many of the zones producers and
    consumers run (default: all). With leaders and replicas spread evenly over every zone they
    do not change shared nothing's crossing fractions (from any zone a leader is elsewhere
    ``(Z - 1) / Z`` of the time); shared storage needs a broker in each zone that hosts
    clients, so they set its minimum broker count (the larger of the two: the sets overlap).
    """

    zones: int = 3
    replication_factor: int = 3
    producer_zones: int | None = None
    consumer_zones: int | None = None
    rack_aware_fetch: bool = False
    tiered_storage: bool = False
    hot_window_days: float = 1.0
    headroom: float = 0.25
    broker_disk_gib: float = 4096.0
    broker_network_mib_s: float = 100.0
    tiered_segment_mib: float = 1024.0
    object_upload_mib: float = 4.0
    object_get_mib: float = 4.0
    compaction_read_factor: float = 0.5
    cold_read_fraction: float = 0.0
    wal_seconds: float = 300.0
    wal_min_gib_per_broker: float = 10.0
    wal_cross_zone_copies: float = 0.0
    origins: Mapping[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _at_least("zones", self.zones, 1)
        _at_least("replication_factor", self.replication_factor, 1)
        for name in ("producer_zones", "consumer_zones"):
            value = getattr(self, name)
            if value is not None and not 1 <= value <= self.zones:
                raise ConfigurationError(
                    f"{name} must be between 1 and zones ({self.zones}), not {value}"
                )
        if not 0 <= self.headroom < 1:
            raise ConfigurationError(f"headroom must be in [0, 1), not {self.headroom}")
        for name in ("hot_window_days", "broker_disk_gib", "broker_network_mib_s"):
            _positive(name, getattr(self, name))
        for name in ("tiered_segment_mib", "object_upload_mib", "object_get_mib"):
            _positive(name, getattr(self, name))
        for name in ("compaction_read_factor", "wal_seconds", "wal_min_gib_per_broker"):
            _at_least(name, getattr(self, name), 0)
        _at_least("wal_cross_zone_copies", self.wal_cross_zone_copies, 0)
        if not 0 <= self.cold_read_fraction <= 1:
            raise ConfigurationError(
                f"cold_read_fraction must be in [0, 1], not {self.cold_read_fraction}"
            )

    @property
    def client_zones(self) -> int:
        """Zones hosting producers or consumers: where shared storage needs a broker."""
        return max(self.producer_zones or self.zones, self.consumer_zones or self.zones)


def _at_least(name: str, value: float, low: float) -> None:
    if not value >= low:  # also refuses NaN
        raise ConfigurationError(f"{name} must be at least {low:g}, not {value}")


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ConfigurationError(f"{name} must be positive, not {value}")
