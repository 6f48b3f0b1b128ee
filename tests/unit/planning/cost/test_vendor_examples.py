"""Worked examples published by Kafka vendors, reproduced by the model.

1. AutoMQ, "Kafka Provider Comparison" cost explanations (GitHub repository
   AutoMQ/kafka-provider-comparison, files cost-explanation/kafka.md and
   cost-explanation/automq.md at commit 2b78cc88c878e462faa3f3b2ac06f4c396d99b5c, read
   2026-12-07;
   https://github.com/AutoMQ/kafka-provider-comparison/tree/main/cost-explanation
   ): 500 MB/s written, consumed 1:1, 24 h retention, a 720-hour month,
   r6i.large brokers moving 100 MB/s in and out. Published: one copy 24 x 3600 x 500 = 42,187.5
   GB (their MB and GB are 2^20 and 2^30 bytes: 43,200,000 / 1024); Kafka: 3 copies =
   126,562.5 GB on 15 brokers (8,437.5 GB each), 15 because out = 3 x 500 = 1,500 MB/s;
   AutoMQ: 42,187.5 GB in S3, 13 brokers for 2.5 x 500 = 1,250 MB/s out (1 upload, 1 read,
   0.5 compaction), and their measured 147.3 PUT/s and 63.6 GET/s at 500 MB/s make
   381,801,600 PUTs and 164,851,200 GETs in 30 days. The dollar totals are not reproduced: they
   price AWS China (cn-northwest-1) through Infracost, and the figures are not in the files.
2. AutoMQ, "Kafka Cross-AZ Replication Cost | The Hidden AWS Bill", 2026-05-02,
   https://www.automq.com/blog/kafka-cross-az-replication-cost-aws (read 2026-12-07): "a 300
   MiB/s write workload with 2x read fanout can create roughly 1,200 MiB/s of cross-AZ traffic"
   in a balanced three-AZ deployment. The same rules as Redpanda's "Minimizing your cloud bill:
   how to calculate cloud data transfer costs", 2024-03-14,
   https://www.redpanda.com/blog/calculate-cloud-data-transfer-costs: "For every 1GB of data
   produced or consumed, 2/3 of the data will cross into another AZ. For every 1GB of data
   produced, 2GB of replication data will cross into another AZ."
3. AutoMQ, "The Hidden Cloud Cost You Never Noticed in Your Kafka Bill", 2026-04-16,
   https://www.automq.com/blog/kafka-cross-az-hidden-cost (read 2026-12-07): "A typical
   three-node production cluster (100 MiB/s write throughput, three consumer groups) generates
   $14,000 to $24,000 per month in cross-AZ traffic costs, depending on whether optimizations
   like Fetch from Follower are in place", at $0.01/GB each direction.
"""

from dataclasses import replace

import pytest

from fleetledger.planning.cost import crosszone, shared_nothing, shared_storage
from fleetledger.planning.cost.inputs import Demand, Deployment, FamilyDemand
from fleetledger.planning.cost.prices import PriceSheet, default_prices
from fleetledger.planning.cost.result import TRANSFER

GIB = 1 << 30
MIB = 1 << 20


def kpc() -> tuple[Demand, Deployment, PriceSheet]:
    """The comparison's workload: 500 MiB/s (512,000 events/s of 1 KiB), one day, one reader."""
    demand = Demand((FamilyDemand("kpc", 500 * 1024, 1024, retention_days=1),), fan_out=1)
    deployment = Deployment(
        headroom=0,
        broker_disk_gib=1e9,
        broker_network_mib_s=100,
        object_upload_mib=500 / 147.3,  # their measured 147.3 PUT/s at 500 MB/s
        object_get_mib=250 / 63.6,  # 63.6 GET/s for 0.5 x 500 MB/s of compaction reads
    )
    return demand, deployment, replace(default_prices(), hours_per_month=720)


def test_kafka_of_the_comparison_needs_126562_gib_on_15_brokers() -> None:
    """126,562.5 GiB over 15 brokers (8,437.5 each), 15 set by 1,500 MiB/s out / 100."""
    month = shared_nothing.month(*kpc(), 1)

    assert month.block_bytes / GIB == pytest.approx(126_562.5)
    assert month.brokers == month.brokers_by["throughput"] == 15
    assert month.block_bytes / month.brokers / GIB == pytest.approx(8_437.5)


def test_automq_of_the_comparison_stores_one_copy_on_13_brokers() -> None:
    """42,187.5 GiB in S3; 1,250 MiB/s out / 100 -> 13 brokers; 381,801,600 PUTs and
    164,851,200 GETs in a 720-hour month."""
    month = shared_storage.month(*kpc(), 1)

    assert month.object_bytes / GIB == pytest.approx(42_187.5)
    assert month.brokers == 13
    assert month.puts == pytest.approx(381_801_600)
    assert month.gets == pytest.approx(164_851_200)


def test_300_mib_written_with_two_readers_crosses_1200_mib_a_second() -> None:
    """300 x 2/3 (produce) + 300 x 2 (replication) + 2 x 300 x 2/3 (consume) = 1,200 MiB/s."""
    crossing = crosszone.shared_nothing(300 * MIB, 3, 3, 2, rack_aware_fetch=False)

    assert crossing.total / MIB == pytest.approx(1_200)


def test_100_mib_with_three_groups_costs_14_to_24_thousand_dollars_a_month() -> None:
    """Without follower fetching: (66.7 + 200 + 200) MiB/s x 2,628,000 s = 1,197,656 GiB x
    $0.02 = $23,953 (published: $24,000); with it (consume stays local): 684,375 GiB = $13,688
    (published: $14,000, 2.2% above ours: the article rounds)."""
    demand = Demand((FamilyDemand("w", 100 * 1024, 1024, retention_days=1),), fan_out=3)
    prices = default_prices()
    plain = shared_nothing.month(demand, Deployment(), prices, 1).costs[TRANSFER]
    fetching = shared_nothing.month(demand, Deployment(rack_aware_fetch=True), prices, 1)

    assert plain == pytest.approx(23_953.125)
    assert plain == pytest.approx(24_000, rel=0.01)
    assert fetching.costs[TRANSFER] == pytest.approx(13_687.5)
    assert fetching.costs[TRANSFER] == pytest.approx(14_000, rel=0.025)
