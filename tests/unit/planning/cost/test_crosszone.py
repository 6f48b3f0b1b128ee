"""Which bytes cross zones, for each path, against fractions worked by hand."""

import pytest

from fleetledger.planning.cost import crosszone


@pytest.mark.parametrize(("zones", "fraction"), [(1, 0.0), (2, 0.5), (3, 2 / 3)])
def test_produce_crosses_for_all_but_one_zone_in_z(zones: int, fraction: float) -> None:
    """A leader is in another zone (Z-1)/Z of the time."""
    assert crosszone.produce_fraction(zones) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("zones", "rf", "copies"),
    [(3, 3, 2), (3, 2, 1), (2, 3, 1), (1, 3, 0), (6, 3, 2)],
)
def test_replication_sends_the_followers_outside_the_leaders_zone(
    zones: int, rf: int, copies: int
) -> None:
    """RF - ceil(RF/Z): 3 zones RF 3 -> 2; 2 zones RF 3 -> 3 - 2 = 1; 1 zone -> 0."""
    assert crosszone.replication_copies(zones, rf) == copies


def test_rack_aware_fetching_removes_consume_crossings_when_every_zone_has_a_replica() -> None:
    """RF 3 over 3 zones: every consumer has a local replica; RF 2 over 3: 1/3 still cross."""
    assert crosszone.consume_fraction(3, 3, rack_aware_fetch=False) == pytest.approx(2 / 3)
    assert crosszone.consume_fraction(3, 3, rack_aware_fetch=True) == 0
    assert crosszone.consume_fraction(3, 2, rack_aware_fetch=True) == pytest.approx(1 / 3)


def test_shared_nothing_bytes_by_cause_for_90_written_and_two_groups() -> None:
    """90 bytes, Z=3, RF=3, fan-out 2: produce 90*2/3 = 60, replication 90*2 = 180,
    consume 90*2*2/3 = 120; total 360."""
    bytes_ = crosszone.shared_nothing(90, 3, 3, 2, rack_aware_fetch=False)

    assert bytes_.by_cause() == pytest.approx({"produce": 60, "replication": 180, "consume": 120})
    assert bytes_.total == pytest.approx(360)


def test_shared_storage_crosses_zones_only_for_a_cross_zone_wal() -> None:
    """Zone-local produce and consume, regional object storage: 0; a WAL sending 2 copies: 2x."""
    assert crosszone.shared_storage(90, 3, 0).total == 0
    assert crosszone.shared_storage(90, 3, 2).replication == 180
