"""Shared-storage Kafka-compatible platforms (object storage plus a write-ahead log, stateless
brokers, as in AutoMQ).

- Object storage holds the stored bytes once (it is durable and regional by itself).
- PUTs: the written bytes uploaded in objects of ``object_upload_mib``. GETs: compaction reads
  (``compaction_read_factor`` x written) plus catch-up reads (``cold_read_fraction`` of the
  consumed bytes) in ranges of ``object_get_mib``.
- WAL: ``wal_seconds`` of peak ingress, at least ``wal_min_gib_per_broker`` per broker, on
  block storage.
- Brokers by throughput only (they hold no data): peak per direction / network per broker,
  out = upload + fan-out + compaction rewrite, in = produce + compaction read + catch-up
  reads; at least one per zone so every client has a zone-local broker.
- Cross-zone bytes: :func:`.crosszone.shared_storage` (none unless the WAL crosses zones).
"""

from __future__ import annotations

import math

from fleetledger.planning.cost import crosszone, horizon
from fleetledger.planning.cost.inputs import GIB, MIB, Demand, Deployment
from fleetledger.planning.cost.prices import PriceSheet
from fleetledger.planning.cost.result import (
    BLOCK,
    COMPUTE,
    OBJECT,
    REQUESTS,
    SHARED_STORAGE,
    TRANSFER,
    ArchitectureMonth,
)


def month(
    demand: Demand, deployment: Deployment, prices: PriceSheet, number: int
) -> ArchitectureMonth:
    """The shared-storage cluster and bill of month ``number``."""
    seconds = prices.seconds_per_month
    stored = horizon.held_all(demand, number, seconds)
    written = horizon.write_rate(demand, number) * seconds
    brokers_by = {
        "throughput": math.ceil(
            network_per_direction(demand, deployment, number)
            / (deployment.broker_network_mib_s * MIB)
        ),
        "client zones": deployment.client_zones,
    }
    brokers = max(brokers_by.values())
    wal = max(
        brokers * deployment.wal_min_gib_per_broker * GIB,
        horizon.peak_write_rate(demand, number) * deployment.wal_seconds,
    )
    puts = written / (deployment.object_upload_mib * MIB)
    gets = _read_back(demand, deployment, written) / (deployment.object_get_mib * MIB)
    crossing = crosszone.shared_storage(written, deployment.zones, deployment.wal_cross_zone_copies)
    gb = prices.bytes_per_gb
    costs = {
        COMPUTE: brokers * prices.broker_hour.value * prices.hours_per_month,
        BLOCK: wal / gb * prices.block_gb_month.value,
        OBJECT: stored / gb * prices.object_gb_month.value,
        REQUESTS: puts / 1000 * prices.put_per_1000.value + gets / 1000 * prices.get_per_1000.value,
        TRANSFER: crossing.total / gb * prices.cross_zone_per_gb,
    }
    return ArchitectureMonth(
        architecture=SHARED_STORAGE,
        month=number,
        brokers=brokers,
        brokers_by=brokers_by,
        block_bytes=wal,
        object_bytes=stored,
        puts=puts,
        gets=gets,
        cross_zone=crossing,
        costs=costs,
    )


def network_per_direction(demand: Demand, deployment: Deployment, number: int) -> float:
    """Peak bytes per second a shared-storage cluster moves in its busier direction."""
    peak = horizon.peak_write_rate(demand, number)
    compaction = deployment.compaction_read_factor
    egress = peak * (1 + demand.fan_out + compaction)
    ingress = peak * (1 + compaction + deployment.cold_read_fraction * demand.fan_out)
    return max(ingress, egress)


def _read_back(demand: Demand, deployment: Deployment, written: float) -> float:
    """Bytes read back from object storage: compaction plus catch-up reads."""
    cold = deployment.cold_read_fraction * demand.fan_out
    return written * (deployment.compaction_read_factor + cold)
