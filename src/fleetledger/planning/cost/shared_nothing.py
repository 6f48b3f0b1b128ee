"""Shared-nothing Kafka: brokers own local disks and replicate to each other.

- Disk = stored bytes x RF / (1 - headroom). With tiered storage the local disk holds only the
  last ``hot_window_days`` (x RF) and the rest is kept once in object storage (not x RF: object
  storage is durable by itself), uploaded in segments of ``tiered_segment_mib`` (one PUT each).
- Brokers = the largest of: disk / disk per broker; peak network per direction / network per
  broker (in: produce + replication = RF x written; out: replication (RF - 1) + fan-out, + 1
  for the tiered upload); the number of zones; the replication factor.
- Rebalance: adding a broker moves about the replica bytes on local disk / (brokers + 1) to
  it: the even-spread estimate.
- Cross-zone bytes: :func:`.crosszone.shared_nothing`.
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
    SHARED_NOTHING,
    TRANSFER,
    ArchitectureMonth,
)


def month(
    demand: Demand, deployment: Deployment, prices: PriceSheet, number: int
) -> ArchitectureMonth:
    """The shared-nothing cluster and bill of month ``number``."""
    seconds = prices.seconds_per_month
    stored = horizon.held_all(demand, number, seconds)
    local = stored
    remote = 0.0
    if deployment.tiered_storage:
        local = horizon.hot(demand, number, seconds, deployment.hot_window_days)
        remote = stored - local
    replicas = local * deployment.replication_factor
    disk = replicas / (1 - deployment.headroom)
    brokers_by = _brokers_by(demand, deployment, disk, number)
    brokers = max(brokers_by.values())
    written = horizon.write_rate(demand, number) * seconds
    puts = written / (deployment.tiered_segment_mib * MIB) if deployment.tiered_storage else 0.0
    crossing = crosszone.shared_nothing(
        written,
        deployment.zones,
        deployment.replication_factor,
        demand.fan_out,
        deployment.rack_aware_fetch,
    )
    gb = prices.bytes_per_gb
    costs = {
        COMPUTE: brokers * prices.broker_hour.value * prices.hours_per_month,
        BLOCK: disk / gb * prices.block_gb_month.value,
        OBJECT: remote / gb * prices.object_gb_month.value,
        REQUESTS: puts / 1000 * prices.put_per_1000.value,
        TRANSFER: crossing.total / gb * prices.cross_zone_per_gb,
    }
    return ArchitectureMonth(
        architecture=SHARED_NOTHING,
        month=number,
        brokers=brokers,
        brokers_by=brokers_by,
        block_bytes=disk,
        object_bytes=remote,
        puts=puts,
        gets=0.0,
        cross_zone=crossing,
        costs=costs,
        rebalance_bytes=replicas / (brokers + 1),
    )


def network_per_direction(demand: Demand, deployment: Deployment, number: int) -> float:
    """Peak bytes per second the cluster must move in its busier direction."""
    peak = horizon.peak_write_rate(demand, number)
    rf = deployment.replication_factor
    ingress = peak * rf
    egress = peak * ((rf - 1) + demand.fan_out + (1 if deployment.tiered_storage else 0))
    return max(ingress, egress)


def _brokers_by(demand: Demand, deployment: Deployment, disk: float, number: int) -> dict[str, int]:
    network = network_per_direction(demand, deployment, number)
    return {
        "disk": math.ceil(disk / (deployment.broker_disk_gib * GIB)),
        "throughput": math.ceil(network / (deployment.broker_network_mib_s * MIB)),
        "zones": deployment.zones,
        "replication factor": deployment.replication_factor,
    }
