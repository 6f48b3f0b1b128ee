"""Both architectures on one workload whose bill was worked by hand.

The workload: one family writing 1 MiB/s (1024 events/s of 1024 B), kept 30.42 days (one
730-hour month), read by 2 consumer groups; 3 zones, RF 3, 25% disk headroom, no rack-aware
fetching; round prices (conftest). A month is 730 h = 2,628,000 s, so the family writes
2,628,000 MiB = 2,566.40625 GiB a month and holds as much.
"""

import pytest

from fleetledger.errors import ConfigurationError
from fleetledger.planning.cost import shared_nothing, shared_storage
from fleetledger.planning.cost.inputs import Demand, Deployment, FamilyDemand
from fleetledger.planning.cost.prices import PriceSheet
from fleetledger.planning.cost.result import BLOCK, COMPUTE, OBJECT, REQUESTS, TRANSFER

GIB = 1 << 30
WRITTEN_GIB = 2_566.40625
DEMAND = Demand((FamilyDemand("task", 1024, 1024, retention_days=730 / 24),), fan_out=2)
DEPLOYMENT = Deployment()


def test_shared_nothing_disk_is_stored_times_rf_over_the_free_share(prices: PriceSheet) -> None:
    """2,566.40625 x 3 / 0.75 = 10,265.625 GiB; at $0.08: $821.25."""
    month = shared_nothing.month(DEMAND, DEPLOYMENT, prices, 1)

    assert month.block_bytes / GIB == pytest.approx(10_265.625)
    assert month.costs[BLOCK] == pytest.approx(821.25)


def test_shared_nothing_brokers_are_the_largest_of_disk_throughput_zones_and_rf(
    prices: PriceSheet,
) -> None:
    """Disk 10,265.625 / 4,096 -> 3; network out (2 + 2) MiB/s / 100 -> 1; zones 3; RF 3.
    3 brokers x $0.10 x 730 h = $219."""
    month = shared_nothing.month(DEMAND, DEPLOYMENT, prices, 1)

    assert month.brokers_by == {"disk": 3, "throughput": 1, "zones": 3, "replication factor": 3}
    assert month.costs[COMPUTE] == pytest.approx(219)


def test_shared_nothing_cross_zone_bytes_and_their_price(prices: PriceSheet) -> None:
    """produce 2/3 x 2,566.40625 = 1,710.9375; replication 2 x = 5,132.8125; consume
    2 groups x 2/3 x = 3,421.875; 10,265.625 GiB x $0.02 (each side $0.01) = $205.3125."""
    month = shared_nothing.month(DEMAND, DEPLOYMENT, prices, 1)
    crossing = {k: v / GIB for k, v in month.cross_zone.by_cause().items()}

    assert crossing == pytest.approx(
        {"produce": 1_710.9375, "replication": 5_132.8125, "consume": 3_421.875}
    )
    assert month.costs[TRANSFER] == pytest.approx(205.3125)
    assert month.total == pytest.approx(219 + 821.25 + 205.3125)
    assert month.dominant == BLOCK


def test_adding_a_broker_moves_the_even_share_of_the_replicas(prices: PriceSheet) -> None:
    """Replicas 2,566.40625 x 3 = 7,699.21875 GiB over 3 + 1 brokers: 1,924.8046875 GiB."""
    month = shared_nothing.month(DEMAND, DEPLOYMENT, prices, 1)

    assert month.rebalance_bytes / GIB == pytest.approx(1_924.8046875)


def test_tiered_storage_keeps_only_the_hot_day_local(prices: PriceSheet) -> None:
    """Hot day = 2,566.40625 / 30.4167 = 84.375 GiB, x 3 / 0.75 = 337.5 GiB local; the other
    2,482.03125 GiB stored once in object storage at $0.02: $49.640625."""
    tiered = shared_nothing.month(DEMAND, Deployment(tiered_storage=True), prices, 1)

    assert tiered.block_bytes / GIB == pytest.approx(337.5)
    assert tiered.costs[OBJECT] == pytest.approx(49.640625)


def test_shared_storage_bill_worked_by_hand(prices: PriceSheet) -> None:
    """Brokers: out (1 + 2 + 0.5) MiB/s -> 1, one per zone -> 3: $219. WAL: max(3 x 10 GiB,
    300 s x 1 MiB) = 30 GiB: $2.40. Objects: 2,566.40625 GiB x $0.02 = $51.328125. PUTs:
    2,628,000 MiB / 4 MiB = 657,000: $3.285; GETs: half as many (compaction 0.5): 328,500:
    $0.1314. No cross-zone bytes."""
    month = shared_storage.month(DEMAND, DEPLOYMENT, prices, 1)

    assert month.brokers == 3
    assert month.costs[BLOCK] == pytest.approx(2.40)
    assert month.costs[OBJECT] == pytest.approx(51.328125)
    assert (month.puts, month.gets) == pytest.approx((657_000, 328_500))
    assert month.costs[REQUESTS] == pytest.approx(3.285 + 0.1314)
    assert month.costs[TRANSFER] == 0
    assert month.total == pytest.approx(219 + 2.40 + 51.328125 + 3.285 + 0.1314)


def test_clients_in_one_zone_need_one_shared_storage_broker(prices: PriceSheet) -> None:
    """Producers and consumers all in one of 3 zones: throughput 1, client zones 1 -> 1 broker
    ($73); WAL max(1 x 10 GiB, 300 MiB) = 10 GiB ($0.80); no crossing either way."""
    local = Deployment(producer_zones=1, consumer_zones=1)
    month = shared_storage.month(DEMAND, local, prices, 1)

    assert month.brokers_by == {"throughput": 1, "client zones": 1}
    assert month.costs[COMPUTE] == pytest.approx(73)
    assert month.costs[BLOCK] == pytest.approx(0.80)
    assert month.costs[TRANSFER] == 0


def test_where_clients_sit_leaves_shared_nothings_crossing_alone(prices: PriceSheet) -> None:
    """Leaders spread evenly over 3 zones: from any one zone 2/3 of them are elsewhere, so
    producers in one zone cross as much as producers in all three (10,265.625 GiB)."""
    spread = shared_nothing.month(DEMAND, DEPLOYMENT, prices, 1)
    local = shared_nothing.month(DEMAND, Deployment(producer_zones=1, consumer_zones=1), prices, 1)

    assert local.cross_zone == spread.cross_zone
    assert local.cross_zone.total / GIB == pytest.approx(10_265.625)


def test_more_client_zones_than_zones_is_refused() -> None:
    """A deployment cannot host producers in 4 of 3 zones."""
    with pytest.raises(ConfigurationError, match="producer_zones must be between 1 and zones"):
        Deployment(producer_zones=4)
