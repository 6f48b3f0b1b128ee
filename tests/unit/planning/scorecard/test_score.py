"""The scoring arithmetic, pinned with hand-computed workloads at and around each threshold."""

from __future__ import annotations

import pytest

from fleetledger.planning.scorecard.score import (
    band,
    combine,
    criticality,
    governance_pressure,
    half_up,
    measured_scores,
    replay_depth,
    retention_pressure,
    traffic_variance,
)
from tests.unit.planning.scorecard.workloads import family, group, rates, workload

HOUR, DAY = 3600.0, 86400.0


@pytest.mark.parametrize(
    ("value", "expected"), [(0.0, 1), (1.49, 1), (1.5, 2), (2.99, 2), (3.0, 3), (12.0, 5), (99, 5)]
)
def test_a_value_falls_in_the_band_whose_lower_cut_it_reaches(value: float, expected: int) -> None:
    """Cuts are lower bounds: 1.5 is already band 2 of (1.5, 3, 6, 12)."""
    assert band(value, (1.5, 3.0, 6.0, 12.0)) == expected


@pytest.mark.parametrize(
    ("total", "count", "expected"), [(3, 2, 2), (5, 2, 3), (4, 2, 2), (2, 2, 1)]
)
def test_the_mean_of_two_scores_rounds_half_up(total: int, count: int, expected: int) -> None:
    """(1 + 2) / 2 = 1.5 rounds to 2; (2 + 3) / 2 = 2.5 rounds to 3."""
    assert half_up(total, count) == expected


@pytest.mark.parametrize(
    ("median", "peak", "cv", "expected"),
    [
        (10.0, 10.0, 0.0, 1),  # steady: 1x, CV 0
        (10.0, 29.0, 0.1, 2),  # 2.9x -> 2
        (10.0, 30.0, 0.1, 3),  # 3.0x -> 3
        (10.0, 11.0, 1.0, 4),  # CV 1.0 -> 4 wins over 1.1x -> 1
        (10.0, 120.0, 0.3, 5),  # 12x -> 5
        (10.0, 10.0, 2.0, 5),  # CV 2 -> 5
    ],
)
def test_traffic_variance_is_the_higher_of_the_peak_and_cv_bands(
    median: float, peak: float, cv: float, expected: int
) -> None:
    """peak/median bands at 1.5, 3, 6, 12; CV bands at 0.25, 0.5, 1, 2; the higher counts."""
    score = traffic_variance(workload(traffic=rates(median=median, peak=peak, cv=cv)))

    assert score.value == expected
    assert f"CV {cv:.2f}" in score.figure


def test_traffic_variance_is_not_scored_from_fewer_than_ten_windows() -> None:
    """Nine windows say nothing about bursts, and the figure says so."""
    score = traffic_variance(workload(traffic=rates(windows=9, peak=100.0)))

    assert score.value is None
    assert "only 9 rate windows" in score.figure


def test_replay_depth_is_not_scored_without_consumer_groups() -> None:
    """No group has read anything: nothing to say about replay."""
    assert replay_depth(workload()).value is None


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ((group(behind=5.0),), 1),  # caught up within a minute, never rewound: (1+1)/2
        ((group(behind=2 * HOUR),), 2),  # reads 2 h old events: age 3, rewinds 1 -> 2
        ((group(rewinds=1, deepest=30 * 60.0),), 2),  # (2+2)/2
        ((group(rewinds=3, deepest=2 * DAY),), 4),  # age 4, rewinds 3 -> 3.5 -> 4
        ((group("a", rewinds=6, deepest=8 * DAY), group("b", rewinds=4)), 5),  # (5+5)/2
    ],
)
def test_replay_depth_is_the_mean_of_age_and_rewind_bands(
    groups: tuple[object, ...], expected: int
) -> None:
    """Age bands at 1 min, 1 h, 1 d, 7 d; rewind bands at 1, 2, 4, 10; mean half up."""
    assert replay_depth(workload(groups=groups)).value == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("families", "expected"),
    [
        ((family("context", bytes=1000, retention_days=7),), 1),  # 0% long
        ((family("task", bytes=100), family("context", bytes=900, retention_days=7)), 2),  # 10%
        ((family("task", bytes=500), family("context", bytes=500, retention_days=7)), 4),  # 50%
        (
            (
                family("evaluation", bytes=750, retention_days=30),
                family("c", bytes=250, retention_days=1),
            ),
            5,
        ),
        ((family("state", bytes=1000, compact=True),), 1),  # compacted is no history
    ],
)
def test_retention_pressure_is_the_banded_share_of_bytes_kept_thirty_days_or_more(
    families: tuple[object, ...], expected: int
) -> None:
    """Long = append-only and 30 days or forever; share bands at 10, 25, 50, 75%."""
    assert retention_pressure(workload(families=families)).value == expected  # type: ignore[arg-type]


def test_retention_pressure_names_the_long_families_and_the_share() -> None:
    """The figure is the share, the total and which families keep history."""
    loads = (family("task", bytes=600), family("context", bytes=400, retention_days=7))

    score = retention_pressure(workload(families=loads))

    assert score.figure == "60% of 1000 B kept 30 days or more (task)"


@pytest.mark.parametrize(
    ("classes", "signs", "expected"),
    [
        ({"internal": 96, "confidential": 4}, {}, 1),  # 4%
        ({"internal": 95, "confidential": 5}, {}, 2),  # 5%
        ({"internal": 65, "confidential": 35}, {}, 4),  # 35%
        ({"internal": 90, "confidential": 10}, {"erasures": 1}, 3),  # 10% -> 2, +1
        ({"internal": 50, "restricted": 50}, {"denials": 2}, 5),  # 4 +1, capped at 5
        ({"internal": 99, "restricted": 1}, {}, 2),  # 1% -> 1, restricted events are a sign
    ],
)
def test_governance_pressure_bands_the_sensitive_share_and_adds_one_for_regulation(
    classes: dict[str, int], signs: dict[str, int], expected: int
) -> None:
    """Sensitive-share bands at 5, 15, 35%; +1 with restricted data, erasures, policies,
    denials; at most 5."""
    score = governance_pressure(workload(classifications=classes, **signs))

    assert score.value == expected


@pytest.mark.parametrize(
    ("intent", "fact", "approvals", "expected"),
    [
        (0, 1000, 0, 1),
        (4, 996, 0, 1),  # 0.4%
        (5, 995, 0, 2),  # 0.5%
        (99, 901, 0, 3),  # 9.9%
        (100, 900, 0, 4),  # 10%
        (100, 900, 3, 5),  # +1 with approvals
        (0, 1000, 3, 2),
    ],
)
def test_criticality_bands_the_intent_share_and_adds_one_for_approvals(
    intent: int, fact: int, approvals: int, expected: int
) -> None:
    """Intent-share bands at 0.5, 2, 10%; +1 when approvals gate actions."""
    loads = (family("task", bytes=(intent + fact) * 100),)
    kinds = {"intent": intent, "fact": fact}

    score = criticality(workload(families=loads, kinds=kinds, approvals=approvals))

    assert score.value == expected


def test_an_empty_ledger_scores_nothing_and_migration_tolerance_is_never_measured() -> None:
    """No events: every dimension unscored, each saying why."""
    scores = measured_scores(workload(traffic=rates(windows=0)))

    assert [s.value for s in scores.values()] == [None] * 6
    assert scores["migration_tolerance"].figure == "cannot be measured from a ledger"


def test_an_answer_overrides_a_measurement_and_keeps_it_beside() -> None:
    """Answered 2 over a measured 4: the score is 2, the measured 4 is kept."""
    loads = (family("task", bytes=1000),)
    measured = measured_scores(workload(families=loads, kinds={"intent": 10}))

    scores = {s.dimension.key: s for s in combine(measured, {"criticality": 2})}

    assert scores["criticality"].value == 2
    assert (scores["criticality"].source, scores["criticality"].measured) == ("answered", 4)
