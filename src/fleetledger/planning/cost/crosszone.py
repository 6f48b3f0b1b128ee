"""Which bytes cross a zone boundary, per byte written, for each path of each architecture.

With ``Z`` zones, leaders spread evenly over them and clients spread evenly too (where a
client sits does not change these fractions while leaders are spread evenly: from any zone the
leader is elsewhere ``(Z - 1) / Z`` of the time):

- produce: ``(Z - 1) / Z`` of produced bytes reach a leader in another zone;
- replication: replicas placed rack-aware, round robin over the zones, so ``ceil(RF / Z)`` of
  the ``RF`` copies share the leader's zone and ``RF - ceil(RF / Z)`` cross (``RF - 1`` when
  there are at least ``RF`` zones);
- consume: each of ``fan_out`` groups reads every byte; without rack-aware fetching
  ``(Z - 1) / Z`` of reads come from a leader in another zone; with it (KIP-392) a consumer
  reads from a replica in its own zone when there is one, so only the ``(Z - min(RF, Z)) / Z``
  of consumers in zones without a replica cross.

Shared storage produces and consumes zone-locally (a broker and its write-ahead log in each
client zone) and its durable copy is regional object storage (no transfer charge), so only a
write-ahead log replicated across zones sends bytes to other zones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CrossZone:
    """Bytes crossing a zone boundary in a month, by cause."""

    produce: float = 0.0
    replication: float = 0.0
    consume: float = 0.0

    @property
    def total(self) -> float:
        """All causes together."""
        return self.produce + self.replication + self.consume

    def by_cause(self) -> dict[str, float]:
        """The three causes by name, in the order a chart stacks them."""
        return {"produce": self.produce, "replication": self.replication, "consume": self.consume}


def produce_fraction(zones: int) -> float:
    """Share of produced bytes sent to a leader in another zone."""
    return (zones - 1) / zones


def replication_copies(zones: int, replication_factor: int) -> int:
    """Follower copies of each byte that land in a zone other than the leader's."""
    return replication_factor - math.ceil(replication_factor / zones)


def consume_fraction(zones: int, replication_factor: int, rack_aware_fetch: bool) -> float:
    """Share of each group's reads that come from another zone."""
    if not rack_aware_fetch:
        return (zones - 1) / zones
    return (zones - min(replication_factor, zones)) / zones


def shared_nothing(
    written: float, zones: int, replication_factor: int, fan_out: float, rack_aware_fetch: bool
) -> CrossZone:
    """Cross-zone bytes of a shared-nothing cluster for ``written`` compressed bytes."""
    return CrossZone(
        produce=written * produce_fraction(zones),
        replication=written * replication_copies(zones, replication_factor),
        consume=written * fan_out * consume_fraction(zones, replication_factor, rack_aware_fetch),
    )


def shared_storage(written: float, zones: int, wal_cross_zone_copies: float) -> CrossZone:
    """Cross-zone bytes of a shared-storage cluster: only a cross-zone WAL's copies."""
    copies = wal_cross_zone_copies if zones > 1 else 0.0
    return CrossZone(replication=written * copies)
